import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxRuntimeBackend } from '../backends/onnxruntime/index.js';
import type { BatchInstance, LoadedModel } from '../backends/backend.js';
import { parseModelConfig } from '../config/pbtxt/index.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../core/types.js';
import { generateExampleRepository } from './example-repository.js';
import { MLP_LABELS, MLP_SIZES, mlpWeights } from './models/mlp.js';
import { mulberry32 } from '../formats/prng.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-examples-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

describe('generateExampleRepository', () => {
  it('writes the Triton layout quickly, then skips unchanged files', async () => {
    const started = performance.now();
    const written = await generateExampleRepository(dir);
    expect(performance.now() - started).toBeLessThan(1000);
    const files = await listFiles(dir);
    expect(files).toEqual([
      'identity_fp32/1/model.onnx',
      'identity_fp32/config.pbtxt',
      'mlp/1/model.onnx',
      'mlp/config.pbtxt',
      'mlp/labels.txt',
      'simple/1/model.onnx',
      'simple/config.pbtxt',
      'simple_dyna_sequence/1/model.onnx',
      'simple_dyna_sequence/config.pbtxt',
      'simple_ensemble/1/.keep',
      'simple_ensemble/config.pbtxt',
      'simple_sequence/1/model.onnx',
      'simple_sequence/config.pbtxt',
      'simple_string/1/model.onnx',
      'simple_string/config.pbtxt',
      'tiny_llm/1/model.gguf',
      'tiny_llm/config.pbtxt',
    ]);
    expect(written).toHaveLength(files.length);

    const mtime = (await stat(join(dir, 'mlp/1/model.onnx'))).mtimeMs;
    expect(await generateExampleRepository(dir)).toEqual([]);
    expect((await stat(join(dir, 'mlp/1/model.onnx'))).mtimeMs).toBe(mtime);

    await writeFile(join(dir, 'simple/config.pbtxt'), 'edited');
    expect(await generateExampleRepository(dir)).toEqual([join(dir, 'simple/config.pbtxt')]);
  });

  it("writes Triton's quick-start config for simple", async () => {
    await generateExampleRepository(dir);
    const config = parseModelConfig(await readFile(join(dir, 'simple/config.pbtxt'), 'utf8'));
    expect(config).toMatchObject({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [
        { name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] },
        { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] },
      ],
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] },
        { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] },
      ],
    });
    expect((await readFile(join(dir, 'mlp/labels.txt'), 'utf8')).trimEnd().split('\n')).toEqual([...MLP_LABELS]);
  });
});

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
let nextId = 0;

function request(inputs: Tensor[]): InferenceRequest {
  return { id: `e${nextId++}`, model: { name: 'example' }, inputs, parameters: {}, priority: 0, signal: new AbortController().signal };
}

function outputs(response: InstanceResponse | undefined): Record<string, Tensor> {
  if (!response?.ok) throw new Error(`request failed: ${response && !response.ok ? response.error.message : 'no response'}`);
  return Object.fromEntries(response.outputs.map((t) => [t.name, t]));
}

/** Loads an example with its own config.pbtxt (no auto-complete) and runs `body` on one instance. */
async function withExample(name: string, body: (instance: BatchInstance, model: LoadedModel) => Promise<void>): Promise<void> {
  await generateExampleRepository(dir);
  const config = parseModelConfig(await readFile(join(dir, name, 'config.pbtxt'), 'utf8'));
  const model = await onnxRuntimeBackend.loadModel({
    config,
    modelDir: join(dir, name),
    versionDir: join(dir, name, '1'),
    version: 1,
    autoCompleteConfig: false,
    log: silentLog,
  });
  const instance = await model.createInstance({ index: 0, groupName: `${name}_0`, device: 'cpu' });
  if (instance.kind !== 'batch') throw new Error('expected a batch instance');
  try {
    await body(instance, model);
  } finally {
    await instance.dispose();
    await model.unload();
  }
}

describe('example models compute the right values', () => {
  it('simple: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1', async () => {
    await withExample('simple', async (instance) => {
      const a = Int32Array.from({ length: 32 }, (_, i) => i * 7 - 50);
      const b = Int32Array.from({ length: 32 }, (_, i) => 1000 - i);
      const [response] = await instance.execute([
        request([
          { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: a },
          { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: b },
        ]),
      ]);
      const out = outputs(response);
      expect(Array.from(out.OUTPUT0!.data as Int32Array)).toEqual(Array.from(a, (x, i) => x + b[i]!));
      expect(Array.from(out.OUTPUT1!.data as Int32Array)).toEqual(Array.from(a, (x, i) => x - b[i]!));
    });
  });

  it('simple_string: the same arithmetic on decimal strings', async () => {
    await withExample('simple_string', async (instance) => {
      const a = Array.from({ length: 16 }, (_, i) => i * 13 - 40);
      const b = Array.from({ length: 16 }, (_, i) => 3 - i);
      const enc = (xs: number[]) => xs.map((x) => new TextEncoder().encode(String(x)));
      const [response] = await instance.execute([
        request([
          { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], data: enc(a) },
          { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], data: enc(b) },
        ]),
      ]);
      const out = outputs(response);
      const dec = (t: Tensor) => (t.data as Uint8Array[]).map((x) => new TextDecoder().decode(x));
      expect(out.OUTPUT0!.datatype).toBe('BYTES');
      expect(dec(out.OUTPUT0!)).toEqual(a.map((x, i) => String(x + b[i]!)));
      expect(dec(out.OUTPUT1!)).toEqual(a.map((x, i) => String(x - b[i]!)));
    });
  });

  it('identity_fp32: echoes variable-length FP32 rows', async () => {
    await withExample('identity_fp32', async (instance, model) => {
      expect(model.config.max_batch_size).toBeGreaterThanOrEqual(8);
      const data = Float32Array.from({ length: 15 }, (_, i) => i / 3);
      const [response] = await instance.execute([request([{ name: 'INPUT0', datatype: 'FP32', shape: [3, 5], data }])]);
      const out = outputs(response).OUTPUT0!;
      expect(out.shape).toEqual([3, 5]);
      expect(Array.from(out.data as Float32Array)).toEqual(Array.from(data));
    });
  });

  it('mlp: matches a plain-JS forward pass within 1e-5', async () => {
    const { input, hidden, output } = MLP_SIZES;
    const w = mlpWeights();
    const reference = (x: Float32Array, row: number): number[] => {
      const h = new Float64Array(hidden);
      for (let j = 0; j < hidden; j++) {
        let acc = w.b1[j]!;
        for (let k = 0; k < input; k++) acc += x[row * input + k]! * w.w1[k * hidden + j]!;
        h[j] = Math.max(acc, 0);
      }
      const logits = Array.from({ length: output }, (_, o) => {
        let acc = w.b2[o]!;
        for (let j = 0; j < hidden; j++) acc += h[j]! * w.w2[j * output + o]!;
        return acc;
      });
      const max = Math.max(...logits);
      const exps = logits.map((l) => Math.exp(l - max));
      const total = exps.reduce((s, e) => s + e, 0);
      return exps.map((e) => e / total);
    };
    await withExample('mlp', async (instance, model) => {
      expect(model.config.output?.[0]?.label_filename).toBe('labels.txt');
      const next = mulberry32(7);
      const batches = [1, 3, 2];
      const inputs = batches.map((rows) => Float32Array.from({ length: rows * input }, () => next()));
      const responses = await instance.execute(inputs.map((data, i) => request([{ name: 'INPUT0', datatype: 'FP32', shape: [batches[i]!, input], data }])));
      responses.forEach((response, i) => {
        const out = outputs(response).OUTPUT0!;
        expect(out.shape).toEqual([batches[i], output]);
        const probs = out.data as Float32Array;
        for (let row = 0; row < batches[i]!; row++) {
          const expected = reference(inputs[i]!, row);
          const got = Array.from(probs.subarray(row * output, (row + 1) * output));
          got.forEach((p, o) => expect(Math.abs(p - expected[o]!)).toBeLessThan(1e-5));
          expect(got.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
        }
      });
    });
  });
});
