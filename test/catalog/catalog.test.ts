import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_CATALOG,
  CatalogError,
  canonicalJson,
  identifyProfile,
  loadCatalog,
  parseCatalog,
  parseModelReference,
  profileId,
  type CatalogProfile,
} from '../../src/catalog/index.js';
import { pickGgufFile, splitParts } from '../../src/catalog/model-reference.js';
import { tempDir } from '../support/server.js';

const profile: CatalogProfile = {
  engine: 'llamacpp', device: 'cpu', precision: 'q8_0',
  source: { repo: 'acme/tiny-GGUF', revision: 'main', files: [{ path: 'tiny-q8_0.gguf' }] },
};

function thrown(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }
  throw new Error('expected a CatalogError');
}

describe('profile ids', () => {
  it('are the sha256 of the canonical JSON, independent of key order and the readable name', () => {
    const canonical = '{"device":"cpu","engine":"llamacpp","model":"tiny","precision":"q8_0","source":{"files":[{"path":"tiny-q8_0.gguf"}],"repo":"acme/tiny-GGUF","revision":"main"}}';
    expect(canonicalJson({ model: 'tiny', ...profile })).toBe(canonical);
    const expected = createHash('sha256').update(canonical).digest('hex');
    expect(profileId('tiny', profile)).toBe(expected);
    const reordered = JSON.parse('{"source":{"files":[{"path":"tiny-q8_0.gguf"}],"revision":"main","repo":"acme/tiny-GGUF"},"precision":"q8_0","device":"cpu","engine":"llamacpp"}') as CatalogProfile;
    expect(profileId('tiny', reordered)).toBe(expected);
    expect(profileId('tiny', { ...profile, name: 'renamed' })).toBe(expected);
    expect(identifyProfile('tiny', profile)).toMatchObject({ id: expected, name: 'llamacpp-cpu-q8_0', model: 'tiny' });
  });

  it('change when anything that is downloaded or run changes', () => {
    const base = profileId('tiny', profile);
    expect(profileId('tiny', { ...profile, precision: 'q4_k_m' })).not.toBe(base);
    expect(profileId('tiny', { ...profile, device: 'cuda' })).not.toBe(base);
    expect(profileId('other', profile)).not.toBe(base);
    expect(profileId('tiny', { ...profile, source: { ...profile.source, revision: 'a'.repeat(40) } })).not.toBe(base);
  });

  it('are unique across the built-in catalog', () => {
    const ids = BUILTIN_CATALOG.models.flatMap((m) => m.profiles.map((p) => profileId(m.name, p)));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('catalog format', () => {
  it('accepts the built-in catalog round-tripped through JSON', () => {
    const parsed = parseCatalog(JSON.parse(JSON.stringify(BUILTIN_CATALOG)));
    expect(parsed.models.map((m) => m.name)).toContain('qwen2.5-0.5b-instruct');
    const qwen = parsed.models.find((m) => m.name === 'qwen2.5-0.5b-instruct')!;
    expect(qwen.profiles.map((p) => p.source.files[0]!.path)).toContain('qwen2.5-0.5b-instruct-q4_k_m.gguf');
    expect(BUILTIN_CATALOG.models.flatMap((m) => m.profiles.flatMap((p) => p.source.files)).every((f) => f.sha256 === undefined)).toBe(true);
  });

  it('names the first bad field', () => {
    const model = (over: Record<string, unknown>) => ({ version: 1, models: [{ ...JSON.parse(JSON.stringify(BUILTIN_CATALOG.models[0])), ...over }] });
    expect(thrown(() => parseCatalog({ version: 2, models: [] })).message).toMatch(/catalog\.version: expected 1/);
    expect(thrown(() => parseCatalog(model({ task: 'dance' }))).message).toMatch(/models\[0\]\.task: 'dance' is not one of chat, completion, embedding/);
    expect(thrown(() => parseCatalog(model({ profiles: [{ ...profile, device: 'tpu' }] }))).message).toMatch(/profiles\[0\]\.device/);
    expect(thrown(() => parseCatalog(model({ profiles: [profile, profile] }))).message).toMatch(/'llamacpp-cpu-q8_0' is used twice/);
    const pickle = { ...profile, source: { repo: 'a/b', files: [{ path: 'tiny.gguf' }, { path: 'pytorch_model.bin' }] } };
    expect(thrown(() => parseCatalog(model({ profiles: [pickle] }))).message).toMatch(/files\[1\]\.path: .*pickle/);
    const badSha = { ...profile, source: { repo: 'a/b', files: [{ path: 'x.gguf', sha256: 'abc' }] } };
    expect(thrown(() => parseCatalog(model({ profiles: [badSha] }))).message).toMatch(/sha256/);
  });

  it('loads a YAML catalog file whose models replace built-in ones of the same name', async () => {
    const t = await tempDir('inferd-cat-');
    try {
      const file = path.join(t.dir, 'catalog.yaml');
      await writeFile(file, `version: 1
models:
  - name: smollm2-135m-instruct
    task: chat
    architecture: { architecture: llama, parameterCount: 1000000, blockCount: 2, embeddingLength: 64, headCount: 4, headCountKv: 2, headDim: 16, vocabSize: 1000, contextLength: 512 }
    profiles:
      - engine: llamacpp
        device: cpu
        precision: q8_0
        source: { repo: acme/tiny-GGUF, files: [ { path: tiny-q8_0.gguf } ] }
`);
      const catalog = await loadCatalog(file);
      const smol = catalog.models.filter((m) => m.name === 'smollm2-135m-instruct');
      expect(smol).toHaveLength(1);
      expect(smol[0]!.profiles[0]!.source).toEqual({ repo: 'acme/tiny-GGUF', revision: 'main', files: [{ path: 'tiny-q8_0.gguf' }] });
      expect(catalog.models.length).toBe(BUILTIN_CATALOG.models.length);
      await writeFile(file, 'version: 1\nmodels: [ {name: x} ');
      expect(((await loadCatalog(file).catch((e: unknown) => e)) as CatalogError).code).toBe('INVALID_CATALOG');
    } finally {
      await t.cleanup();
    }
  });
});

describe('model references', () => {
  it('parses every kind', () => {
    expect(parseModelReference('smollm2-135m-instruct')).toEqual({ kind: 'catalog', model: 'smollm2-135m-instruct', profile: undefined });
    expect(parseModelReference('qwen2.5-0.5b-instruct:llamacpp-cpu-q8_0')).toEqual({ kind: 'catalog', model: 'qwen2.5-0.5b-instruct', profile: 'llamacpp-cpu-q8_0' });
    expect(parseModelReference('Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M')).toEqual({ kind: 'hub-repo', repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', revision: 'main', quant: 'q4_k_m' });
    expect(parseModelReference('hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF')).toEqual({ kind: 'hub-repo', repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF', revision: 'main', quant: undefined });
    expect(parseModelReference('hf://acme/tiny-GGUF@v1/sub/tiny-q8_0.gguf')).toEqual({ kind: 'hub-file', repo: 'acme/tiny-GGUF', revision: 'v1', path: 'sub/tiny-q8_0.gguf' });
    expect(parseModelReference('hf://acme/tiny-GGUF@abc:q8_0')).toEqual({ kind: 'hub-repo', repo: 'acme/tiny-GGUF', revision: 'abc', quant: 'q8_0' });
    expect(parseModelReference('./models/x.gguf')).toEqual({ kind: 'local', path: path.resolve('models/x.gguf') });
    expect(parseModelReference('file:///tmp/x.gguf')).toEqual({ kind: 'local', path: '/tmp/x.gguf' });
  });

  it('refuses pickle checkpoints and nonsense', () => {
    expect(thrown(() => parseModelReference('./model.pt')).code).toBe('UNSAFE_FORMAT');
    expect(thrown(() => parseModelReference('hf://acme/repo/pytorch_model.bin')).code).toBe('UNSAFE_FORMAT');
    expect(thrown(() => parseModelReference('hf://acme/repo/../etc/passwd.gguf')).code).toBe('INVALID_REFERENCE');
    expect(thrown(() => parseModelReference('has spaces!')).code).toBe('INVALID_REFERENCE');
  });

  it('picks the GGUF file for a quantization, preferring q4_k_m by default', () => {
    const files = ['README.md', 'qwen2.5-0.5b-instruct-fp16.gguf', 'qwen2.5-0.5b-instruct-q8_0.gguf', 'qwen2.5-0.5b-instruct-q4_k_m.gguf', 'mmproj-q8_0.gguf'];
    expect(pickGgufFile(files)).toBe('qwen2.5-0.5b-instruct-q4_k_m.gguf');
    expect(pickGgufFile(files, 'q8_0')).toBe('qwen2.5-0.5b-instruct-q8_0.gguf');
    expect(pickGgufFile(files, 'fp16')).toBe('qwen2.5-0.5b-instruct-fp16.gguf');
    expect(pickGgufFile(files, 'q2_k')).toBeUndefined();
    expect(pickGgufFile(['nomic-embed-text-v1.5.Q8_0.gguf', 'nomic-embed-text-v1.5.f16.gguf'], 'q8_0')).toBe('nomic-embed-text-v1.5.Q8_0.gguf');
    const split = ['m-q8_0-00001-of-00002.gguf', 'm-q8_0-00002-of-00002.gguf'];
    expect(pickGgufFile(split, 'q8_0')).toBe(split[0]);
    expect(splitParts(split[0]!, split)).toEqual(split);
    expect(() => splitParts(split[0]!, [split[0]!])).toThrow(/missing m-q8_0-00002-of-00002.gguf/);
  });
});
