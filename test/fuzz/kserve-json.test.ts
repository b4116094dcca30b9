/**
 * Fuzzes KServe v2 JSON inference decoding over real HTTP: arbitrary JSON, structurally mutated
 * infer requests and raw bytes must each get a 4xx JSON error (or a 200 when they happen to be
 * valid), never a 5xx, a hang or a crash, and the server keeps serving afterwards.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClientErrorOrOk, expectStillServing, MODEL_NAMES, NUM_RUNS, send, startFuzzServer, type FuzzServer } from './support/fuzz-server.js';

let fuzz: FuzzServer;
beforeAll(async () => {
  fuzz = await startFuzzServer();
});
afterAll(async () => {
  await fuzz?.close();
});

const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES'];

/** Numbers that stress decoders: huge, negative, fractional, beyond 2^53, non-finite as strings. */
const edgeNumber = fc.oneof(
  fc.integer({ min: -4, max: 8 }),
  fc.double(),
  fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, -(2 ** 63), 1e308, 0.5, -0, 65536),
);

const scalar = fc.oneof(edgeNumber, fc.boolean(), fc.string({ maxLength: 8 }), fc.constant(null), fc.constantFrom('NaN', 'inf', '-inf'));

/** Tensor data: flat, nested, ragged, or any JSON at all. */
const tensorData = fc.oneof(
  fc.array(scalar, { maxLength: 12 }),
  fc.array(fc.array(scalar, { maxLength: 4 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const shape = fc.oneof(fc.array(edgeNumber, { maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }));

const parameters = fc.dictionary(
  fc.oneof(fc.constantFrom('binary_data', 'binary_data_size', 'classification', 'sequence_id', 'sequence_start', 'priority', 'timeout', 'shared_memory_region'), fc.string({ maxLength: 6 })),
  fc.oneof(scalar, fc.jsonValue({ maxDepth: 1 })),
  { maxKeys: 3 },
);

const input = fc.record(
  {
    name: fc.oneof(fc.constantFrom('INPUT0', 'INPUT1', ''), fc.string({ maxLength: 8 })),
    datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 0 })),
    shape,
    data: tensorData,
    parameters,
  },
  { requiredKeys: [] },
);

const inferBody = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
    inputs: fc.oneof(fc.array(input, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    outputs: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant('OUTPUT0'), fc.string({ maxLength: 6 })), parameters }, { requiredKeys: [] }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    parameters,
  },
  { requiredKeys: [] },
);

/** A valid request per model, as [model, input datatype, shape, data]. */
const VALID: Readonly<Record<string, readonly [string, number[], unknown[]]>> = {
  simple: ['FP32', [1, 3], [1, 2, 3]],
  strings: ['BYTES', [1, 2], ['a', 'b']],
  fixed: ['INT32', [2, 3], [1, 2, 3, 4, 5, 6]],
  onnx_int64: ['INT64', [1, 2], [7, 8]],
};

/** One valid request with exactly one part replaced by a fuzzed value: reaches deep into decoding. */
const nearValid = fc
  .tuple(
    fc.constantFrom(...MODEL_NAMES),
    fc.constantFrom('datatype', 'shape', 'data', 'name', 'parameters', 'outputs', 'none'),
    fc.oneof(edgeNumber.map((n) => [n]), shape, tensorData, fc.string({ maxLength: 6 }), parameters),
  )
  .map(([model, part, value]) => {
    const [datatype, validShape, data] = VALID[model]!;
    const tensor: Record<string, unknown> = { name: 'INPUT0', datatype, shape: validShape, data };
    const body: Record<string, unknown> = { inputs: [tensor] };
    if (part === 'parameters') body['parameters'] = value;
    else if (part === 'outputs') body['outputs'] = [{ name: 'OUTPUT0', parameters: value }];
    else if (part !== 'none') tensor[part] = part === 'datatype' && Array.isArray(value) ? DATATYPES[Math.abs(Number(value[0]) | 0) % DATATYPES.length] : value;
    return { model, body };
  });

const target = fc.tuple(fc.constantFrom(...MODEL_NAMES, 'missing'), fc.constantFrom('', '/versions/1', '/versions/2', '/versions/x'));

function inferUrl([model, version]: readonly [string, string]): string {
  return `${fuzz.url}/v2/models/${model}${version}/infer`;
}

describe('KServe JSON infer decoding (fuzzed over HTTP)', () => {
  it('arbitrary JSON documents get 4xx JSON errors, never a 5xx or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(target, fc.jsonValue({ maxDepth: 4 }), async (t, body) => {
        const answer = await send(inferUrl(t), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expectClientErrorOrOk(answer, `POST ${inferUrl(t)} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStillServing(fuzz);
  });

  it('structurally mutated infer requests get 200 or a 4xx JSON error', async () => {
    await fc.assert(
      fc.asyncProperty(target, inferBody, async (t, body) => {
        const answer = await send(inferUrl(t), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expectClientErrorOrOk(answer, `POST ${inferUrl(t)} ${JSON.stringify(body).slice(0, 300)}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStillServing(fuzz);
  });

  it('valid requests with one fuzzed part get 200 or a 4xx JSON error, and both outcomes occur', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(nearValid, async ({ model, body }) => {
        const url = `${fuzz.url}/v2/models/${model}/infer`;
        const answer = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expectClientErrorOrOk(answer, `POST ${url} ${JSON.stringify(body).slice(0, 300)}`);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      }),
      { numRuns: NUM_RUNS },
    );
    // NOTE: a generator that never produced a valid request would not test decoding past validation.
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    await expectStillServing(fuzz);
  });

  it('valid requests with mutated text (truncated, spliced, deeply nested) get 4xx, never 5xx', async () => {
    const valid = JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
    const mutation = fc.oneof(
      fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
      fc.tuple(fc.nat({ max: valid.length }), fc.string({ unit: 'binary', maxLength: 6 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i)),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => `{"inputs":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      fc.string({ unit: 'binary', maxLength: 64 }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', ''), async (text, type) => {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const answer = await send(`${fuzz.url}/v2/models/simple/infer`, { method: 'POST', headers, body: text });
        expectClientErrorOrOk(answer, `body ${JSON.stringify(text.slice(0, 120))} as ${type || 'no type'}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStillServing(fuzz);
  });

  it('raw garbage on the HTTP socket is answered with 400 or a closed connection, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = connect(fuzz.server.httpPort, '127.0.0.1');
          let text = '';
          const timer = setTimeout(() => {
            socket.destroy();
            resolve(text);
          }, 1_000);
          socket.on('data', (d) => (text += d.toString('latin1')));
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(timer);
            resolve(text);
          });
          socket.on('connect', () => socket.end(Buffer.from(bytes)));
          socket.on('timeout', () => reject(new Error('socket timeout')));
        });
        if (reply.startsWith('HTTP/1.1 5')) throw new Error(`garbage got ${reply.slice(0, 120)}`);
      }),
      { numRuns: 50 },
    );
    await expectStillServing(fuzz);
  });
});
