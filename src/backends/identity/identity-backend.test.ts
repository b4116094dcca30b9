import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBackendSuite } from '../../../test/conformance/backend.suite.js';
import type { ModelConfig } from '../../config/model-config.js';
import { InferError } from '../../core/errors.js';
import type { InferenceRequest, Tensor } from '../../core/types.js';
import type { BackendLogger, BatchInstance, DecoupledInstance, LoadedModel } from '../backend.js';
import { identityBackend } from './identity-backend.js';

const log: BackendLogger = { debug() {}, info() {}, warn() {}, error() {} };

function identityConfig(extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'identity_fp32',
    backend: 'identity',
    max_batch_size: 8,
    input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    ...extra,
  };
}

runBackendSuite({
  name: 'identity',
  backend: () => identityBackend,
  fixture: async (tmpDir) => {
    const modelDir = join(tmpDir, 'identity_fp32');
    const versionDir = join(modelDir, '1');
    await mkdir(versionDir, { recursive: true });
    return { config: identityConfig(), modelDir, versionDir, version: 1 };
  },
});

function load(config: ModelConfig): Promise<LoadedModel> {
  return identityBackend.loadModel({ config, modelDir: '/m', versionDir: '/m/1', version: 1, autoCompleteConfig: true, log });
}

function req(inputs: Tensor[], extra: Partial<InferenceRequest> = {}): InferenceRequest {
  return { id: 'r', model: { name: 'm' }, inputs, parameters: {}, priority: 0, signal: new AbortController().signal, ...extra };
}

const fp32 = (name: string, values: number[], shape = [1, values.length]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: Float32Array.from(values),
});

function params(p: Record<string, string>): ModelConfig['parameters'] {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { string_value: v }]));
}

describe('identity backend specifics', () => {
  it('refuses configs without inputs or outputs, since it cannot auto-complete', async () => {
    await expect(load(identityConfig({ input: [] }))).rejects.toThrow(/must list its inputs and outputs/);
    await expect(load({ name: 'x', backend: 'identity' })).rejects.toThrow(/must list its inputs and outputs/);
  });

  it('refuses outputs that cannot copy their input', async () => {
    const bad = identityConfig({ output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [-1] }] });
    await expect(load(bad)).rejects.toThrow(/cannot copy input 'INPUT0'/);
    const dims = identityConfig({ output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [2, 2] }] });
    await expect(load(dims)).rejects.toThrow(/do not match/);
    const extra = identityConfig({
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'OUTPUT1', data_type: 'TYPE_FP32', dims: [-1] },
      ],
    });
    await expect(load(extra)).rejects.toThrow(/2 outputs but only 1 inputs/);
  });

  it('rejects malformed parameters at load', async () => {
    await expect(load(identityConfig({ parameters: params({ execute_delay_ms: 'soon' }) }))).rejects.toThrow(/execute_delay_ms/);
    await expect(load(identityConfig({ parameters: params({ decoupled_repeat: '1.5' }) }))).rejects.toThrow(/decoupled_repeat/);
  });

  it('maps outputs to inputs by position, keeping BYTES and INT64 data', async () => {
    const model = await load({
      name: 'multi',
      max_batch_size: 0,
      input: [
        { name: 'TEXT', data_type: 'TYPE_STRING', dims: [2] },
        { name: 'IDS', data_type: 'TYPE_INT64', dims: [3] },
      ],
      output: [
        { name: 'TEXT_OUT', data_type: 'TYPE_STRING', dims: [2] },
        { name: 'IDS_OUT', data_type: 'TYPE_INT64', dims: [3] },
      ],
    });
    const inst = (await model.createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    const text = [new TextEncoder().encode('a'), new TextEncoder().encode('bc')];
    const ids = BigInt64Array.from([1n, -2n, 3n]);
    const [res] = await inst.execute([
      req([
        { name: 'IDS', datatype: 'INT64', shape: [3], data: ids },
        { name: 'TEXT', datatype: 'BYTES', shape: [2], data: text },
      ]),
    ]);
    expect(res?.ok).toBe(true);
    if (!res?.ok) return;
    expect(res.outputs.map((o) => o.name)).toEqual(['TEXT_OUT', 'IDS_OUT']);
    expect(res.outputs[0]?.data).toEqual(text);
    expect(Array.from(res.outputs[1]?.data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    expect(res.outputs[1]?.data).not.toBe(ids);
  });

  it('answers only the requested outputs and rejects unknown ones per request', async () => {
    const config = identityConfig({
      input: [
        { name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'INPUT1', data_type: 'TYPE_FP32', dims: [-1] },
      ],
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'OUTPUT1', data_type: 'TYPE_FP32', dims: [-1] },
      ],
    });
    const inst = (await (await load(config)).createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    const inputs = [fp32('INPUT0', [1, 2]), fp32('INPUT1', [3, 4])];
    const [subset, unknown] = await inst.execute([
      req(inputs, { outputs: [{ name: 'OUTPUT1' }] }),
      req(inputs, { outputs: [{ name: 'NOPE' }] }),
    ]);
    expect(subset?.ok && subset.outputs.map((o) => [o.name, Array.from(o.data as Float32Array)])).toEqual([['OUTPUT1', [3, 4]]]);
    expect(unknown?.ok).toBe(false);
    if (unknown && !unknown.ok) expect(unknown.error.code).toBe('INVALID_ARGUMENT');
  });

  it('fails bad requests alone: wrong element count, wrong rank, missing input, stray input', async () => {
    const inst = (await (await load(identityConfig())).createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    const responses = await inst.execute([
      req([fp32('INPUT0', [1, 2, 3], [1, 2])]),
      req([fp32('INPUT0', [1, 2], [2])]),
      req([]),
      req([fp32('INPUT0', [1]), fp32('EXTRA', [1])]),
      req([fp32('INPUT0', [5])]),
    ]);
    expect(responses.map((r) => r.ok)).toEqual([false, false, false, false, true]);
    const messages = responses.flatMap((r) => (r.ok ? [] : [r.error.message]));
    expect(messages[0]).toMatch(/3 elements/);
    expect(messages[1]).toMatch(/rank 1/);
    expect(messages[2]).toMatch(/missing input 'INPUT0'/);
    expect(messages[3]).toMatch(/unexpected input 'EXTRA'/);
  });

  it('skips an output whose optional input is absent', async () => {
    const config = identityConfig({
      input: [
        { name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'INPUT1', data_type: 'TYPE_FP32', dims: [-1], optional: true },
      ],
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'OUTPUT1', data_type: 'TYPE_FP32', dims: [-1] },
      ],
    });
    const inst = (await (await load(config)).createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    const [res] = await inst.execute([req([fp32('INPUT0', [1])])]);
    expect(res?.ok && res.outputs.map((o) => o.name)).toEqual(['OUTPUT0']);
  });

  it('fails only the request holding fail_on_value, for FP32, FP16 and BYTES', async () => {
    const inst = (await (await load(identityConfig({ parameters: params({ fail_on_value: '13' }) }))).createInstance({
      index: 0,
      groupName: 'g',
      device: 'cpu',
    })) as BatchInstance;
    const [a, b] = await inst.execute([req([fp32('INPUT0', [1, 13])]), req([fp32('INPUT0', [12])])]);
    expect(a?.ok).toBe(false);
    if (a && !a.ok) expect(a.error).toBeInstanceOf(InferError);
    expect(b?.ok).toBe(true);

    const half = identityConfig({
      input: [{ name: 'H', data_type: 'TYPE_FP16', dims: [1] }],
      output: [{ name: 'HO', data_type: 'TYPE_FP16', dims: [1] }],
      parameters: params({ fail_on_value: '-2.5' }),
    });
    const hi = (await (await load(half)).createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    // 0xC100 is -2.5 in IEEE half precision; 0x3C00 is 1.0.
    const [h1, h2] = await hi.execute([
      req([{ name: 'H', datatype: 'FP16', shape: [1, 1], data: Uint16Array.from([0xc100]) }]),
      req([{ name: 'H', datatype: 'FP16', shape: [1, 1], data: Uint16Array.from([0x3c00]) }]),
    ]);
    expect([h1?.ok, h2?.ok]).toEqual([false, true]);

    const str = identityConfig({
      input: [{ name: 'S', data_type: 'TYPE_STRING', dims: [1] }],
      output: [{ name: 'SO', data_type: 'TYPE_STRING', dims: [1] }],
      parameters: params({ fail_on_value: 'boom' }),
    });
    const si = (await (await load(str)).createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    const enc = (s: string) => [new TextEncoder().encode(s)];
    const [s1, s2] = await si.execute([
      req([{ name: 'S', datatype: 'BYTES', shape: [1, 1], data: enc('boom') }]),
      req([{ name: 'S', datatype: 'BYTES', shape: [1, 1], data: enc('fine') }]),
    ]);
    expect([s1?.ok, s2?.ok]).toEqual([false, true]);
  });

  it('throws from execute when a request of the batch holds throw_on_value, and keeps serving after', async () => {
    const inst = (await (await load(identityConfig({ parameters: params({ throw_on_value: '99' }) }))).createInstance({
      index: 0,
      groupName: 'g',
      device: 'cpu',
    })) as BatchInstance;
    const thrown = await inst.execute([req([fp32('INPUT0', [1])]), req([fp32('INPUT0', [2, 99])])]).catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(InferError);
    expect((thrown as Error).message).toMatch(/throw_on_value 99/);
    const [after] = await inst.execute([req([fp32('INPUT0', [3])])]);
    expect(after?.ok).toBe(true);
  });

  it('waits execute_delay_ms per execute and cancels aborted requests', async () => {
    const inst = (await (await load(identityConfig({ parameters: params({ execute_delay_ms: '40' }) }))).createInstance({
      index: 0,
      groupName: 'g',
      device: 'cpu',
    })) as BatchInstance;
    const ac = new AbortController();
    const started = performance.now();
    const pending = inst.execute([req([fp32('INPUT0', [1])]), req([fp32('INPUT0', [2])], { signal: ac.signal })]);
    ac.abort();
    const [ok, cancelled] = await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(ok?.ok).toBe(true);
    expect(cancelled?.ok === false && cancelled.error.code).toBe('CANCELLED');
  });

  it('refuses work after dispose and instances after unload', async () => {
    const model = await load(identityConfig());
    const inst = (await model.createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as BatchInstance;
    await inst.dispose();
    await expect(inst.execute([req([fp32('INPUT0', [1])])])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await model.unload();
    await expect(model.createInstance({ index: 1, groupName: 'g', device: 'cpu' })).rejects.toThrow(/unloaded/);
  });
});

describe('identity backend in decoupled mode', () => {
  async function decoupled(p: Record<string, string>): Promise<DecoupledInstance> {
    const model = await load(identityConfig({ model_transaction_policy: { decoupled: true }, parameters: params(p) }));
    const inst = await model.createInstance({ index: 0, groupName: 'g', device: 'cpu' });
    expect(inst.kind).toBe('decoupled');
    return inst as DecoupledInstance;
  }

  it('emits each request decoupled_repeat times', async () => {
    const inst = await decoupled({ decoupled_repeat: '3' });
    const seen: number[][] = [];
    await inst.execute(req([fp32('INPUT0', [4, 5])]), (outs) => seen.push(Array.from(outs[0]?.data as Float32Array)));
    expect(seen).toEqual([[4, 5], [4, 5], [4, 5]]);
  });

  it('emits once by default and never with repeat 0', async () => {
    const once: unknown[] = [];
    await (await decoupled({})).execute(req([fp32('INPUT0', [1])]), (o) => once.push(o));
    expect(once).toHaveLength(1);
    const none: unknown[] = [];
    await (await decoupled({ decoupled_repeat: '0' })).execute(req([fp32('INPUT0', [1])]), (o) => none.push(o));
    expect(none).toHaveLength(0);
  });

  it('throws for an invalid request and stops streaming when aborted', async () => {
    const inst = await decoupled({ decoupled_repeat: '50', execute_delay_ms: '5' });
    await expect(inst.execute(req([fp32('WRONG', [1])]), () => {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const ac = new AbortController();
    let count = 0;
    const run = inst.execute(req([fp32('INPUT0', [1])], { signal: ac.signal }), () => {
      if (++count === 2) ac.abort();
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(count).toBe(2);
  });
});
