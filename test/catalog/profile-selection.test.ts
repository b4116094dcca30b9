import { describe, expect, it } from 'vitest';
import {
  BUILTIN_CATALOG,
  CatalogError,
  estimateMemory,
  evaluateProfiles,
  findModel,
  parseCatalog,
  selectProfile,
  type CatalogModel,
} from '../../src/catalog/index.js';
import { GIB, fakeHardware } from './fake-hardware.js';

const MiB = 1024 * 1024;
const smol = findModel(BUILTIN_CATALOG, 'smollm2-135m-instruct')!;
const llama3b = findModel(BUILTIN_CATALOG, 'llama-3.2-3b-instruct')!;

function thrown(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }
  throw new Error('expected a CatalogError');
}

describe('memory estimate', () => {
  const arch = smol.architecture;

  it('adds an f16 KV cache that grows with context and sequences', () => {
    const one = estimateMemory(arch, { task: 'chat', precision: 'q8_0', contextSize: 1024, maxSequences: 1 });
    const four = estimateMemory(arch, { task: 'chat', precision: 'q8_0', contextSize: 1024, maxSequences: 4 });
    // 2 (K and V) × 30 layers × 3 KV heads × 64 dims × 1024 tokens × 2 bytes
    expect(one.kvCacheBytes).toBe(2 * 30 * 3 * 64 * 1024 * 2);
    expect(four.kvCacheBytes).toBe(4 * one.kvCacheBytes);
    expect(four.totalBytes - one.totalBytes).toBe(3 * one.kvCacheBytes);
  });

  it('prefers real file sizes over parameter counts and caps the default context at 4096', () => {
    const byParams = estimateMemory(arch, { task: 'chat', precision: 'q8_0' });
    expect(byParams).toMatchObject({ weightsFrom: 'parameters', contextSize: 4096, maxSequences: 4 });
    expect(byParams.weightsBytes).toBe(Math.ceil((135_000_000 * 8.5) / 8));
    const bySize = estimateMemory(arch, { task: 'chat', precision: 'q8_0', weightsBytes: 144 * MiB });
    expect(bySize).toMatchObject({ weightsFrom: 'file-size', weightsBytes: 144 * MiB });
  });

  it('gives embedding models no KV cache', () => {
    const nomic = findModel(BUILTIN_CATALOG, 'nomic-embed-text-v1.5')!;
    expect(estimateMemory(nomic.architecture, { task: 'embedding', precision: 'f16', contextSize: 2048 }).kvCacheBytes).toBe(0);
  });
});

describe('profile selection', () => {
  it('on a CPU-only machine drops GPU profiles with reasons and picks the best CPU precision', () => {
    const evals = evaluateProfiles(smol, fakeHardware({ ramGiB: 16 }));
    const incompatible = evals.filter((e) => e.status === 'incompatible');
    expect(incompatible.map((e) => e.profile.device).sort()).toEqual([...Array(3).fill('cuda'), ...Array(3).fill('metal'), ...Array(3).fill('vulkan')].sort());
    expect(incompatible.find((e) => e.profile.device === 'cuda')!.reasons.join()).toMatch(/no NVIDIA GPU/);
    expect(incompatible.find((e) => e.profile.device === 'metal')!.reasons.join()).toMatch(/Metal/);
    expect(evals.filter((e) => e.status === 'runnable').map((e) => e.profile.name)).toEqual(['llamacpp-cpu-f16', 'llamacpp-cpu-q8_0', 'llamacpp-cpu-q4_k_m']);
    expect(selectProfile(smol, fakeHardware()).selected.profile.name).toBe('llamacpp-cpu-f16');
  });

  it('flags profiles that do not fit with the memory they need and falls back to a smaller precision', () => {
    const hw = fakeHardware({ ramGiB: 3.2 });
    const evals = evaluateProfiles(llama3b, hw, { contextSize: 2048, maxSequences: 2 });
    const low = evals.filter((e) => e.status === 'low-memory');
    expect(low.length).toBeGreaterThan(0);
    for (const e of low) {
      expect(e.memory.totalBytes).toBeGreaterThan(3.2 * GIB);
      expect(e.reasons[0]).toMatch(/needs [\d.]+ GiB for context 2048 × 2 sequences; 3\.2 GiB available/);
    }
    const chosen = selectProfile(llama3b, hw, { contextSize: 2048, maxSequences: 2 }).selected;
    expect(chosen.status).toBe('runnable');
    expect(chosen.memory.totalBytes).toBeLessThanOrEqual(3.2 * GIB);
    // q8_0 and q6_k do not fit; q5_k_m is the best precision that does.
    expect(low.map((e) => e.profile.name).filter((n) => n.includes('cpu')).sort()).toEqual(['llamacpp-cpu-q6_k', 'llamacpp-cpu-q8_0']);
    expect(chosen.profile.name).toBe('llamacpp-cpu-q5_k_m');
    // More sequences push the same profile over the limit.
    const crowded = evaluateProfiles(llama3b, hw, { contextSize: 8192, maxSequences: 8 });
    expect(crowded.some((e) => e.profile.name === chosen.profile.name && e.status === 'low-memory')).toBe(true);
  });

  it('prefers an accelerator when one is present, and CPU when the GPU is too small', () => {
    const big = selectProfile(smol, fakeHardware({ gpus: [{}] }));
    expect(big.selected.profile.name).toBe('llamacpp-cuda-f16');
    const small = selectProfile(llama3b, fakeHardware({ ramGiB: 64, gpus: [{ memoryFreeBytes: 512 * MiB }] }));
    expect(small.selected.profile.device).toBe('cpu');
    expect(small.evaluations.filter((e) => e.profile.device === 'cuda').every((e) => e.status === 'low-memory')).toBe(true);
  });

  it('honours INFERD_MODEL_PROFILE by name, id and id prefix', () => {
    const hw = fakeHardware();
    const q4 = evaluateProfiles(smol, hw).find((e) => e.profile.name === 'llamacpp-cpu-q4_k_m')!.profile;
    expect(selectProfile(smol, hw, { profile: 'llamacpp-cpu-q4_k_m' }).selected.profile.id).toBe(q4.id);
    expect(selectProfile(smol, hw, { profile: q4.id }).selected.profile.name).toBe(q4.name);
    expect(selectProfile(smol, hw, { profile: q4.id.slice(0, 12) }).selected.profile.name).toBe(q4.name);
    expect(thrown(() => selectProfile(smol, hw, { profile: 'llamacpp-cuda-q8_0' })).message).toMatch(/cannot run here: no NVIDIA GPU/);
    expect(thrown(() => selectProfile(smol, hw, { profile: 'nope' })).message).toMatch(/has no profile 'nope'.*llamacpp-cpu-f16/);
  });

  it('selects a forced low-memory profile with a warning', () => {
    const r = selectProfile(llama3b, fakeHardware({ ramGiB: 1 }), { profile: 'llamacpp-cpu-q8_0' });
    expect(r.selected.status).toBe('low-memory');
    expect(r.warnings[0]).toMatch(/may not fit/);
  });

  it('honours INFERD_TAGS_SELECTOR and rejects bad selectors', () => {
    const hw = fakeHardware();
    expect(selectProfile(smol, hw, { tagsSelector: 'precision=q8_0,device=cpu' }).selected.profile.name).toBe('llamacpp-cpu-q8_0');
    expect(selectProfile(smol, hw, { tagsSelector: 'precision=Q4_K_M' }).selected.profile.name).toBe('llamacpp-cpu-q4_k_m');
    expect(thrown(() => selectProfile(smol, hw, { tagsSelector: 'device=cuda' })).message).toMatch(/matching 'device=cuda' can run here/);
    expect(thrown(() => selectProfile(smol, hw, { tagsSelector: 'precision=q2_k' })).message).toMatch(/no profile .* matches/);
    expect(thrown(() => selectProfile(smol, hw, { tagsSelector: 'colour=blue' })).message).toMatch(/not one of engine, device, precision, name/);
  });

  it('fails with every reason when nothing can run', () => {
    const hw = { ...fakeHardware(), llamacpp: { available: false, reason: 'node-llama-cpp is not installed', gpuTypes: [] } };
    const err = thrown(() => selectProfile(smol, hw));
    expect(err.code).toBe('NO_COMPATIBLE_PROFILE');
    expect(err.message).toMatch(/engine llamacpp is unavailable \(node-llama-cpp is not installed\)/);
  });

  it('judges onnxruntime profiles by the execution providers installed', () => {
    const model: CatalogModel = parseCatalog({
      version: 1,
      models: [{
        name: 'mlp', task: 'completion',
        architecture: { architecture: 'mlp', parameterCount: 1000, blockCount: 1, embeddingLength: 8, headCount: 1, headCountKv: 1, headDim: 8, vocabSize: 10, contextLength: 16 },
        profiles: ['cpu', 'cuda', 'vulkan'].map((device) => ({ engine: 'onnxruntime', device, precision: 'f32', source: { repo: 'acme/mlp', files: [{ path: 'model.onnx' }] } })),
      }],
    }).models[0]!;
    const byDevice = (hw: ReturnType<typeof fakeHardware>) => Object.fromEntries(evaluateProfiles(model, hw).map((e) => [e.profile.device, e.status]));
    expect(byDevice(fakeHardware({ gpus: [{}] }))).toEqual({ cpu: 'runnable', cuda: 'incompatible', vulkan: 'incompatible' });
    expect(byDevice(fakeHardware({ gpus: [{}], onnxCuda: true }))).toEqual({ cpu: 'runnable', cuda: 'runnable', vulkan: 'incompatible' });
    expect(selectProfile(model, fakeHardware({ gpus: [{}], onnxCuda: true })).selected.profile.device).toBe('cuda');
  });
});
