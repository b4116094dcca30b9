/**
 * Fuzzes gRPC ModelInfer decoding against a real server: random bytes, bit-flipped valid
 * messages and structurally fuzzed requests. Every call ends with a status before its deadline;
 * inferd's own handlers answer client errors (INVALID_ARGUMENT, NOT_FOUND, ...), never UNKNOWN
 * (an unhandled exception) or INTERNAL. grpc-js itself answers INTERNAL "Error deserializing
 * request" for bytes that are not a protobuf message, which is gRPC's convention.
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferencePackage } from '../../src/protocols/kserve-grpc/index.js';
import { call, connect, type InferenceClient } from '../grpc/support/grpc-client.js';
import { expectStillServing, MODEL_NAMES, NUM_RUNS, startFuzzServer, type FuzzServer } from './support/fuzz-server.js';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';
const DEADLINE_MS = 5_000;
/** Status codes inferd's handlers may answer to a decodable but wrong request. */
const CLIENT_CODES = new Set<number>([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.UNAVAILABLE, status.UNIMPLEMENTED, status.OUT_OF_RANGE, status.RESOURCE_EXHAUSTED]);

let fuzz: FuzzServer;
let raw: Client;
let typed: InferenceClient;

beforeAll(async () => {
  fuzz = await startFuzzServer();
  raw = new Client(`127.0.0.1:${fuzz.server.grpcPort}`, credentials.createInsecure());
  typed = connect(fuzz.server.grpcPort as number);
});
afterAll(async () => {
  raw?.close();
  typed?.close();
  await fuzz?.close();
});

/** Sends already-encoded bytes as a ModelInfer request; resolves with the final status. */
function sendRaw(bytes: Uint8Array): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      METHOD,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      new Metadata(),
      { deadline: new Date(Date.now() + DEADLINE_MS) },
      (err: ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

function expectHandled(result: { code: number; details: string }, what: string): void {
  if (result.code === status.INTERNAL && result.details === 'Error deserializing request') return;
  if (!CLIENT_CODES.has(result.code)) throw new Error(`${what} ended with ${status[result.code]} (${result.details})`);
}

const serialize = (loadInferencePackage()['inference.GRPCInferenceService'] as Record<string, { requestSerialize: (o: object) => Buffer }>)['ModelInfer']!.requestSerialize;

const VALID = serialize({
  model_name: 'simple',
  inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: ['1', '3'] }],
  raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3]).buffer)],
});

describe('gRPC ModelInfer decoding (fuzzed)', () => {
  it('random bytes end with a status, never UNKNOWN or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        expectHandled(await sendRaw(bytes), `random ${Buffer.from(bytes).toString('hex').slice(0, 80)}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStillServing(fuzz);
  });

  it('bit-flipped, truncated and extended valid messages end with a handled status', async () => {
    const mutated = fc.oneof(
      fc.array(fc.tuple(fc.nat({ max: VALID.length - 1 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => {
        const b = Buffer.from(VALID);
        for (const [i, bit] of flips) b[i]! ^= 1 << bit;
        return b;
      }),
      fc.nat({ max: VALID.length }).map((n) => VALID.subarray(0, n)),
      fc.uint8Array({ maxLength: 32 }).map((tail) => Buffer.concat([VALID, tail])),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        expectHandled(await sendRaw(bytes), `mutated ${bytes.toString('hex').slice(0, 120)}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStillServing(fuzz);
  });

  it('structurally fuzzed requests get OK or a client error from inferd itself, never INTERNAL', async () => {
    const shapeDim = fc.oneof(fc.integer({ min: -2, max: 6 }).map(String), fc.constantFrom('2147483648', '9007199254740993', '-9223372036854775808'));
    const tensor = fc.record(
      {
        name: fc.oneof(fc.constant('INPUT0'), fc.string({ maxLength: 6 })),
        datatype: fc.oneof(fc.constantFrom('FP32', 'INT32', 'INT64', 'BYTES', 'BOOL', 'FP16', 'x'), fc.string({ maxLength: 4 })),
        shape: fc.array(shapeDim, { maxLength: 4 }),
        contents: fc.record(
          {
            fp32_contents: fc.array(fc.float(), { maxLength: 8 }),
            int_contents: fc.array(fc.integer(), { maxLength: 8 }),
            int64_contents: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), { maxLength: 8 }),
            bytes_contents: fc.array(fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)), { maxLength: 4 }),
            bool_contents: fc.array(fc.boolean(), { maxLength: 8 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['name', 'datatype', 'shape'] },
    );
    const request = fc.record({
      model_name: fc.oneof(fc.constantFrom(...MODEL_NAMES, 'missing', ''), fc.string({ maxLength: 6 })),
      model_version: fc.oneof(fc.constantFrom('', '1', '2', 'x', '-1'), fc.string({ maxLength: 3 })),
      inputs: fc.array(tensor, { maxLength: 3 }),
      outputs: fc.array(fc.record({ name: fc.oneof(fc.constant('OUTPUT0'), fc.string({ maxLength: 4 })) }), { maxLength: 2 }),
      raw_input_contents: fc.array(fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u)), { maxLength: 3 }),
    });
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        try {
          await call(typed, 'ModelInfer', req, DEADLINE_MS);
          codes.add(status.OK);
        } catch (err) {
          const e = err as ServiceError;
          codes.add(e.code);
          if (!CLIENT_CODES.has(e.code)) throw new Error(`${JSON.stringify(req).slice(0, 300)} ended with ${status[e.code]} (${e.details})`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(codes.has(status.INVALID_ARGUMENT)).toBe(true);
    await expectStillServing(fuzz);
  });

  it('the valid message itself is answered OK (the mutations start from a real request)', async () => {
    expect((await sendRaw(VALID)).code).toBe(status.OK);
  });
});
