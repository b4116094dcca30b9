import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { simpleDynaSequenceExample, simpleSequenceExample } from '../../src/examples/models/sequence.js';
import type { ExampleModel } from '../../src/examples/models/example-model.js';
import { client, postJson, startTestServer, tempDir } from '../support/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;

async function writeExample(dir: string, model: ExampleModel): Promise<void> {
  for (const [rel, content] of [['config.pbtxt', model.configText] as const, ...Object.entries(model.files)]) {
    const file = path.join(dir, model.name, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeExample(t.dir, simpleSequenceExample());
  await writeExample(t.dir, simpleDynaSequenceExample());
  server = await startTestServer({ modelRepository: t.dir });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

type SequenceId = number | string;

function body(value: number, id: SequenceId | undefined, start: boolean, end: boolean, extra: Record<string, unknown> = {}): unknown {
  const parameters: Record<string, unknown> = { ...extra };
  if (id !== undefined) parameters['sequence_id'] = id;
  if (start) parameters['sequence_start'] = true;
  if (end) parameters['sequence_end'] = true;
  return { inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: [value] }], parameters };
}

async function infer(model: string, value: number, id: SequenceId | undefined, start = false, end = false): Promise<{ status: number; body: any }> {
  return postJson(server, `/v2/models/${model}/infer`, body(value, id, start, end));
}

/** Sends a whole sequence one request at a time; returns the OUTPUT values. */
async function runSequence(model: string, id: SequenceId, values: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const res = await infer(model, values[i]!, id, i === 0, i === values.length - 1);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(res.body.outputs[0].data[0]);
  }
  return out;
}

/** Triton's client values: the first request carries 0 (or 100, 20), then these. */
const VALUES = [11, 7, 5, 3, 2, 0, 1];

function expectedSums(first: number, rest: readonly number[]): number[] {
  const out = [first + 1];
  for (const v of rest) out.push(out[out.length - 1]! + v);
  return out;
}

describe('simple_sequence over KServe HTTP (direct strategy, implicit state)', () => {
  it('answers INPUT + 1 on START, then accumulates; metadata hides control and state tensors', async () => {
    expect(await runSequence('simple_sequence', 1000, [0, ...VALUES])).toEqual(expectedSums(0, VALUES));
    const parsed = (await (await client(server)('/v2/models/simple_sequence')).json()) as any;
    expect(parsed.inputs.map((t: any) => t.name)).toEqual(['INPUT']);
    expect(parsed.outputs.map((t: any) => t.name)).toEqual(['OUTPUT']);
  });

  it('keeps interleaved sequences with numeric and string ids independent', async () => {
    const neg = VALUES.map((v) => -v);
    const ids: SequenceId[] = [1001, 'seq-a', '18446744073709551615'];
    const firsts = [100, 20, 5];
    const results: number[][] = [[], [], []];
    for (let step = 0; step <= VALUES.length; step++) {
      const sent = ids.map((id, k) => infer('simple_sequence', step === 0 ? firsts[k]! : neg[step - 1]!, id, step === 0, step === VALUES.length));
      for (const [k, res] of (await Promise.all(sent)).entries()) {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        results[k]!.push(res.body.outputs[0].data[0]);
      }
    }
    firsts.forEach((first, k) => expect(results[k]).toEqual(expectedSums(first, neg)));
  });

  it('a START on a running sequence restarts its state', async () => {
    await infer('simple_sequence', 10, 'restart', true);
    await infer('simple_sequence', 5, 'restart');
    const res = await infer('simple_sequence', 3, 'restart', true, true);
    expect(res.body.outputs[0].data).toEqual([4]);
  });

  it('keeps implicit state internal: never returned, and not a client output', async () => {
    await infer('simple_sequence', 4, 'ask', true);
    const res = await infer('simple_sequence', 6, 'ask', false, true);
    expect(res.status).toBe(200);
    expect(res.body.outputs.map((t: any) => [t.name, t.data[0]])).toEqual([['OUTPUT', 11]]);
    const asked = await postJson(server, '/v2/models/simple_sequence/infer', {
      ...(body(1, 'ask2', true, false) as object),
      outputs: [{ name: 'OUTPUT_STATE' }],
    });
    expect(asked.status).toBe(400);
  });

  it('fails like Triton without a correlation id, without START, or when sending a control input', async () => {
    const none = await infer('simple_sequence', 1, undefined);
    expect(none.status).toBe(400);
    expect(none.body.error).toBe("inference request to model 'simple_sequence' must specify a non-zero or non-empty correlation ID");
    const notStarted = await infer('simple_sequence', 1, 4242);
    expect(notStarted.status).toBe(400);
    expect(notStarted.body.error).toBe(
      "inference request for sequence 4242 to model 'simple_sequence' must specify the START flag on the first request of the sequence",
    );
    const control = await postJson(server, '/v2/models/simple_sequence/infer', {
      inputs: [
        { name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: [1] },
        { name: 'START', datatype: 'INT32', shape: [1, 1], data: [1] },
      ],
      parameters: { sequence_id: 7, sequence_start: true },
    });
    expect(control.status).toBe(400);
    expect(control.body.error).toMatch(/unexpected inference input 'START'/);
  });
});

describe('simple_dyna_sequence over KServe HTTP (oldest strategy, CORRID)', () => {
  it('accumulates and adds the correlation id on END, for concurrent sequences', async () => {
    const ids = [2000, 2001, 2002, 2003, 2004, 2005];
    const all = await Promise.all(ids.map((id, k) => runSequence('simple_dyna_sequence', id, [k * 10, ...VALUES])));
    all.forEach((out, k) => {
      const want = expectedSums(k * 10, VALUES);
      want[want.length - 1]! += ids[k]!;
      expect(out).toEqual(want);
    });
    // Six sequences share four candidate slots of one instance, so requests of different sequences were batched.
    const stats = (await (await client(server)('/v2/models/simple_dyna_sequence/stats')).json()) as any;
    const sizes = stats.model_stats[0].batch_stats.map((b: any) => b.batch_size);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  });

  it('refuses a non-numeric id for its UINT64 CORRID control', async () => {
    const res = await infer('simple_dyna_sequence', 1, 'not-a-number', true);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/must be an unsigned 64-bit integer/);
  });
});
