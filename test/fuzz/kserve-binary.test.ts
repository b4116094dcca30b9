/**
 * Fuzzes the binary tensor data extension over real HTTP: a JSON header plus raw bytes, with
 * fuzzed `Inference-Header-Content-Length`, `binary_data_size`, shapes, datatypes, BYTES length
 * prefixes and payloads. Every answer is a 200 or a 4xx JSON error; never a 5xx, a hang or a
 * crash, and the server keeps serving.
 */
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

const MODEL_INPUT: Readonly<Record<string, { datatype: string; shape: number[]; elementBytes: number }>> = {
  simple: { datatype: 'FP32', shape: [1, 4], elementBytes: 4 },
  strings: { datatype: 'BYTES', shape: [1, 2], elementBytes: 0 },
  fixed: { datatype: 'INT32', shape: [2, 3], elementBytes: 4 },
  onnx_int64: { datatype: 'INT64', shape: [1, 2], elementBytes: 8 },
};

/** BYTES payload: elements with length prefixes that may lie about their size. */
const bytesPayload = fc
  .array(fc.tuple(fc.uint8Array({ maxLength: 12 }), fc.oneof(fc.constant(undefined), fc.nat(), fc.constantFrom(0xffffffff, 2 ** 31))), { maxLength: 4 })
  .map((elements) =>
    Buffer.concat(
      elements.flatMap(([bytes, lie]) => {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32LE(lie ?? bytes.length);
        return [prefix, Buffer.from(bytes)];
      }),
    ),
  );

const headerLengthMode = fc.constantFrom('exact', 'short', 'long', 'zero', 'negative', 'garbage', 'huge', 'absent');

const request = fc.record({
  model: fc.constantFrom(...MODEL_NAMES),
  datatype: fc.option(fc.constantFrom('BOOL', 'UINT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'NOPE')),
  shape: fc.option(fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(2 ** 31, 2 ** 53, 1e6)), { maxLength: 4 })),
  sizeMode: fc.constantFrom('exact', 'random', 'absent', 'negative', 'string'),
  randomSize: fc.nat({ max: 1 << 20 }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 96 }), bytesPayload),
  headerLength: headerLengthMode,
  binaryOutput: fc.boolean(),
  extraJson: fc.option(fc.jsonValue({ maxDepth: 1 })),
});

type Fuzzed = typeof request extends fc.Arbitrary<infer T> ? T : never;

function build(r: Fuzzed): { headers: Record<string, string>; body: Buffer } {
  const spec = MODEL_INPUT[r.model]!;
  const size = { exact: r.payload.length, random: r.randomSize, absent: undefined, negative: -4, string: 'eight' }[r.sizeMode];
  const input: Record<string, unknown> = {
    name: 'INPUT0',
    datatype: r.datatype ?? spec.datatype,
    shape: r.shape ?? spec.shape,
    ...(size !== undefined ? { parameters: { binary_data_size: size } } : {}),
  };
  const json = Buffer.from(
    JSON.stringify({ inputs: [input], outputs: [{ name: 'OUTPUT0', parameters: { binary_data: r.binaryOutput } }], ...(r.extraJson !== null ? { id: r.extraJson } : {}) }),
  );
  const lengths: Record<string, string | undefined> = {
    exact: String(json.length),
    short: String(Math.max(0, json.length - 3)),
    long: String(json.length + 5),
    zero: '0',
    negative: '-1',
    garbage: '12abc',
    huge: String(2 ** 53),
    absent: undefined,
  };
  const headerLength = lengths[r.headerLength];
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (headerLength !== undefined) headers['inference-header-content-length'] = headerLength;
  return { headers, body: Buffer.concat([json, Buffer.from(r.payload)]) };
}

describe('KServe binary tensor decoding (fuzzed over HTTP)', () => {
  it('fuzzed binary requests get 200 or a 4xx JSON error, never a 5xx or a hang', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { headers, body } = build(r);
        const url = `${fuzz.url}/v2/models/${r.model}/infer`;
        const answer = await send(url, { method: 'POST', headers, body });
        if (answer.status === 200 && answer.contentType.includes('octet-stream')) {
          expect(answer.text.length).toBeGreaterThan(0);
        } else {
          expectClientErrorOrOk(answer, `binary ${JSON.stringify(r).slice(0, 300)}`);
        }
        seen.add(answer.status);
      }),
      { numRuns: NUM_RUNS },
    );
    expect(seen.has(200)).toBe(true);
    expect(seen.has(400)).toBe(true);
    await expectStillServing(fuzz);
  });

  it('correctly sized payloads round-trip through the identity model bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 16 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), async (n, raw) => {
        const payload = Buffer.from(raw.subarray(0, n * 4));
        const json = Buffer.from(
          JSON.stringify({
            inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, n], parameters: { binary_data_size: payload.length } }],
            outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
          }),
        );
        const res = await fetch(`${fuzz.url}/v2/models/simple/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
          body: Buffer.concat([json, payload]),
          signal: AbortSignal.timeout(5_000),
        });
        expect(res.status).toBe(200);
        const headerLength = Number(res.headers.get('inference-header-content-length'));
        const out = Buffer.from(await res.arrayBuffer());
        expect(out.subarray(headerLength).equals(payload)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
