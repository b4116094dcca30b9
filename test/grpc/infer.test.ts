/**
 * ModelInfer over a real socket against the fake core: raw and typed contents for every datatype,
 * 64-bit precision, size checks, request parameters, requested outputs, status mapping and
 * cancellation of a unary call.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js';
import type { DataType, Tensor } from '../../src/core/types.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/protocols/kserve-grpc/index.js';
import { call, callError, connect, param, type InferenceClient } from './support/grpc-client.js';
import { FakeInferenceServer } from './support/fake-inference-server.js';

let fake: FakeInferenceServer;
let server: GrpcServerHandle;
let client: InferenceClient;

beforeAll(async () => {
  fake = new FakeInferenceServer();
  server = await startGrpcServer({ inference: fake, host: '127.0.0.1', port: 0 });
  client = connect(server.port);
});

afterAll(async () => {
  client.close();
  await server.close(1000);
});

const u8 = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

/** BYTES in raw form: 4-byte little-endian length, then the bytes, per element. */
function bytesRaw(elements: readonly Buffer[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => [Buffer.from(Uint32Array.of(e.length).buffer), e]));
}

const BYTES_SAMPLE = [Buffer.alloc(0), Buffer.from('héllo', 'utf8'), Buffer.from([0, 255, 10])];

/** Per datatype: the core storage the decoder must produce and its typed-contents form. */
const SAMPLES: Record<DataType, { data: Tensor['data']; typed?: Record<string, unknown[]> }> = {
  BOOL: { data: Uint8Array.of(1, 0, 1), typed: { bool_contents: [true, false, true] } },
  UINT8: { data: Uint8Array.of(0, 7, 255), typed: { uint_contents: [0, 7, 255] } },
  UINT16: { data: Uint16Array.of(0, 7, 65535), typed: { uint_contents: [0, 7, 65535] } },
  UINT32: { data: Uint32Array.of(0, 7, 4294967295), typed: { uint_contents: [0, 7, 4294967295] } },
  UINT64: {
    data: BigUint64Array.of(0n, 9007199254740993n, 18446744073709551615n),
    typed: { uint64_contents: ['0', '9007199254740993', '18446744073709551615'] },
  },
  INT8: { data: Int8Array.of(-128, 0, 127), typed: { int_contents: [-128, 0, 127] } },
  INT16: { data: Int16Array.of(-32768, 0, 32767), typed: { int_contents: [-32768, 0, 32767] } },
  INT32: { data: Int32Array.of(-2147483648, 0, 2147483647), typed: { int_contents: [-2147483648, 0, 2147483647] } },
  INT64: {
    data: BigInt64Array.of(-9223372036854775808n, -9007199254740993n, 9223372036854775807n),
    typed: { int64_contents: ['-9223372036854775808', '-9007199254740993', '9223372036854775807'] },
  },
  FP16: { data: Uint16Array.of(0x3c00, 0x7bff, 0x8001) },
  BF16: { data: Uint16Array.of(0x3f80, 0x7f7f, 0x8001) },
  FP32: { data: Float32Array.of(1.5, -0, 3.4028234663852886e38), typed: { fp32_contents: [1.5, -0, 3.4028234663852886e38] } },
  FP64: { data: Float64Array.of(Math.PI, -1e300, 5e-324), typed: { fp64_contents: [Math.PI, -1e300, 5e-324] } },
  BYTES: { data: BYTES_SAMPLE, typed: { bytes_contents: BYTES_SAMPLE } },
};

function rawOf(datatype: DataType): Buffer {
  const { data } = SAMPLES[datatype];
  return datatype === 'BYTES' ? bytesRaw(data as Buffer[]) : u8(data as ArrayBufferView);
}

function lastTensor(): Tensor {
  return fake.requests.at(-1)!.inputs[0]!;
}

describe('raw_input_contents for every datatype', () => {
  for (const datatype of Object.keys(SAMPLES) as DataType[]) {
    it(`${datatype}: decodes to core storage and comes back byte-identical in raw_output_contents`, async () => {
      const raw = rawOf(datatype);
      const res = await call(client, 'ModelInfer', {
        model_name: 'echo',
        id: `raw-${datatype}`,
        inputs: [{ name: 'X', datatype, shape: [1, 3] }],
        raw_input_contents: [raw],
      });
      const t = lastTensor();
      expect(t).toMatchObject({ name: 'X', datatype, shape: [1, 3] });
      if (datatype === 'BYTES') expect((t.data as Uint8Array[]).map((e) => Buffer.from(e))).toEqual(BYTES_SAMPLE);
      else expect(t.data).toEqual(SAMPLES[datatype].data);
      expect(res).toMatchObject({ id: `raw-${datatype}`, model_name: 'echo', model_version: '1' });
      expect(res.outputs).toEqual([{ name: 'X', datatype, shape: ['1', '3'], parameters: {}, contents: null }]);
      expect(res.raw_output_contents).toHaveLength(1);
      expect(Buffer.compare(res.raw_output_contents[0], raw)).toBe(0);
    });
  }

  it('handles several inputs whose raw contents sit at unaligned offsets', async () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Float64Array.of(1.25, -2.5);
    const c = BigInt64Array.of(-5n);
    await call(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [
        { name: 'A', datatype: 'UINT8', shape: [3] },
        { name: 'B', datatype: 'FP64', shape: [2] },
        { name: 'C', datatype: 'INT64', shape: [1] },
      ],
      raw_input_contents: [u8(a), u8(b), u8(c)],
    });
    const inputs = fake.requests.at(-1)!.inputs;
    expect(inputs.map((t) => t.data)).toEqual([a, b, c]);
  });

  it('accepts empty tensors', async () => {
    const res = await call(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'E', datatype: 'FP32', shape: [0, 4] }],
      raw_input_contents: [Buffer.alloc(0)],
    });
    expect(lastTensor().data).toEqual(new Float32Array(0));
    expect(res.raw_output_contents[0]).toHaveLength(0);
  });
});

describe('typed InferTensorContents', () => {
  for (const [datatype, sample] of Object.entries(SAMPLES) as [DataType, (typeof SAMPLES)[DataType]][]) {
    if (!sample.typed) continue;
    it(`${datatype}: decodes exactly and answers in raw form`, async () => {
      const res = await call(client, 'ModelInfer', {
        model_name: 'echo',
        inputs: [{ name: 'X', datatype, shape: [3], contents: sample.typed }],
      });
      const t = lastTensor();
      if (datatype === 'BYTES') expect((t.data as Uint8Array[]).map((e) => Buffer.from(e))).toEqual(BYTES_SAMPLE);
      else expect(t.data).toEqual(sample.data);
      expect(Buffer.compare(res.raw_output_contents[0], rawOf(datatype))).toBe(0);
    });
  }

  it('FP16 and BF16 have no typed field: any typed contents are refused', async () => {
    for (const datatype of ['FP16', 'BF16']) {
      const err = await callError(client, 'ModelInfer', {
        model_name: 'echo',
        inputs: [{ name: 'H', datatype, shape: [1], contents: { fp32_contents: [1] } }],
      });
      expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/must be sent in raw_input_contents/) });
    }
  });

  it('refuses a typed field that does not match the datatype, with Triton message', async () => {
    const err = await callError(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'FP32', shape: [2], contents: { int_contents: [1, 2] } }],
    });
    expect(err.details).toBe(
      "unexpected explicit tensor data for input tensor 'X' for model 'echo' of type 'INT32', expected datatype 'FP32'",
    );
  });

  it('refuses element counts that differ from the shape, and values outside the datatype', async () => {
    const count = await callError(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'INT32', shape: [2, 2], contents: { int_contents: [1, 2, 3] } }],
    });
    expect(count.details).toMatch(/shape holds 4, contents hold 3/);
    const range = await callError(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'INT8', shape: [1], contents: { int_contents: [200] } }],
    });
    expect(range.details).toMatch(/out of range for INT8/);
  });

  it('refuses contents together with raw_input_contents', async () => {
    const err = await callError(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
      raw_input_contents: [u8(Int32Array.of(1))],
    });
    expect(err.details).toMatch(/contents field must not be specified when using raw_input_contents/);
  });
});

describe('size and shape checks', () => {
  const infer = (inputs: object[], raw: Buffer[]) => callError(client, 'ModelInfer', { model_name: 'echo', inputs, raw_input_contents: raw });

  it('refuses raw contents whose size does not match shape × element size', async () => {
    const err = await infer([{ name: 'X', datatype: 'FP32', shape: [2, 2] }], [Buffer.alloc(12)]);
    expect(err).toEqual({ code: status.INVALID_ARGUMENT, details: "input byte size mismatch for input 'X' for model 'echo'. Expected 16, got 12" });
  });

  it('refuses shapes whose element count overflows, without allocating', async () => {
    const err = await infer([{ name: 'X', datatype: 'FP64', shape: ['4294967296', '4294967296'] }], [Buffer.alloc(8)]);
    expect(err.details).toMatch(/holds too many elements/);
    const big = await infer([{ name: 'X', datatype: 'BYTES', shape: ['9007199254740991'] }], [Buffer.alloc(8)]);
    expect(big.details).toMatch(/cannot fit in 8 bytes/);
  });

  it('refuses negative dimensions and unknown datatypes', async () => {
    expect((await infer([{ name: 'X', datatype: 'FP32', shape: [-1] }], [Buffer.alloc(4)])).details).toMatch(/non-negative/);
    expect((await infer([{ name: 'X', datatype: 'FP8', shape: [1] }], [Buffer.alloc(1)])).details).toMatch(/invalid datatype 'FP8'/);
  });

  it('refuses malformed BYTES length prefixes', async () => {
    const lying = Buffer.concat([Buffer.from(Uint32Array.of(100).buffer), Buffer.from('abc')]);
    expect((await infer([{ name: 'S', datatype: 'BYTES', shape: [1] }], [lying])).details).toMatch(/declares 100 bytes/);
    const extra = Buffer.concat([bytesRaw([Buffer.from('a')]), Buffer.from('zz')]);
    expect((await infer([{ name: 'S', datatype: 'BYTES', shape: [1] }], [extra])).details).toMatch(/2 bytes left/);
  });

  it('refuses missing data and a raw contents count that differs from the inputs', async () => {
    const missing = await callError(client, 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }] });
    expect(missing.details).toBe("unable to find data for input tensor 'X' for model 'echo' in request.");
    const two = await infer(
      [
        { name: 'X', datatype: 'FP32', shape: [1] },
        { name: 'Y', datatype: 'FP32', shape: [1] },
      ],
      [Buffer.alloc(4)],
    );
    expect(two.details).toMatch(/expected 2 inputs but got 1 raw_input_contents/);
  });

  it('refuses shared memory inputs and outputs as unsupported', async () => {
    const shm = { shared_memory_region: { string_param: 'r' }, shared_memory_byte_size: { int64_param: 4 } };
    const input = await infer([{ name: 'X', datatype: 'FP32', shape: [1], parameters: shm }], [Buffer.alloc(4)]);
    expect(input).toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/shared memory/) });
    const output = await callError(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }],
      raw_input_contents: [Buffer.alloc(4)],
      outputs: [{ name: 'X', parameters: shm }],
    });
    expect(output.code).toBe(status.UNIMPLEMENTED);
  });
});

describe('request parameters', () => {
  const fp32 = { inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4)] };
  const inferWith = (parameters: object, extra: object = {}) =>
    call(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters, ...extra });
  const last = () => fake.requests.at(-1)!;

  it('maps sequence_id (int64, uint64, string), sequence_start and sequence_end', async () => {
    await inferWith({ sequence_id: { int64_param: '42' }, sequence_start: { bool_param: true }, sequence_end: { bool_param: false } });
    expect(last().sequence).toEqual({ id: '42', start: true, end: false });
    await inferWith({ sequence_id: { uint64_param: '18446744073709551615' }, sequence_end: { bool_param: true } });
    expect(last().sequence).toEqual({ id: '18446744073709551615', start: false, end: true });
    await inferWith({ sequence_id: { int64_param: '-1' } });
    expect(last().sequence?.id).toBe('18446744073709551615');
    await inferWith({ sequence_id: { string_param: 'conversation-7' }, sequence_start: { bool_param: true } });
    expect(last().sequence).toEqual({ id: 'conversation-7', start: true, end: false });
    await inferWith({});
    expect(last().sequence).toBeUndefined();
  });

  it('refuses mistyped sequence parameters with Triton messages', async () => {
    const id = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { sequence_id: { bool_param: true } } });
    expect(id.details).toBe("invalid value type for 'sequence_id' parameter, expected int64_param or string_param.");
    const start = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { sequence_start: { int64_param: 1 } } });
    expect(start.details).toBe("invalid value type for 'sequence_start' parameter, expected bool_param.");
  });

  it('maps priority and timeout, refusing negative values', async () => {
    await inferWith({ priority: { int64_param: 3 }, timeout: { int64_param: '250000' } });
    expect(last()).toMatchObject({ priority: 3, timeoutUs: 250000 });
    await inferWith({ priority: { uint64_param: 2 } });
    expect(last().priority).toBe(2);
    expect(last().timeoutUs).toBeUndefined();
    const neg = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { priority: { int64_param: -1 } } });
    expect(neg.details).toBe("invalid value for 'priority', expected value >= 0.");
    const str = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { timeout: { string_param: '5' } } });
    expect(str.details).toBe("invalid value type for 'timeout' parameter, expected int64_param.");
  });

  it('passes custom parameters through and echoes result parameters with their kinds', async () => {
    const res = await inferWith({
      s: { string_param: 'x' },
      b: { bool_param: false },
      i: { int64_param: '-9007199254740991' },
      d: { double_param: 0.25 },
    });
    expect(last().parameters).toEqual({ s: 'x', b: false, i: -9007199254740991, d: 0.25 });
    expect(param(res, 's')).toBe('x');
    expect(param(res, 'b')).toBe(false);
    expect(res.parameters.i).toMatchObject({ int64_param: '-9007199254740991' });
    expect(res.parameters.d).toMatchObject({ double_param: 0.25 });
  });

  it('refuses custom values that cannot be carried and reserved triton_ keys', async () => {
    const big = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { n: { int64_param: '9007199254740993' } } });
    expect(big.details).toMatch(/beyond/);
    const u64 = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { n: { uint64_param: 1 } } });
    expect(u64.code).toBe(status.INVALID_ARGUMENT);
    const reserved = await callError(client, 'ModelInfer', { model_name: 'echo', ...fp32, parameters: { triton_x: { bool_param: true } } });
    expect(reserved.details).toMatch(/reserved for Triton usage.*triton_enable_empty_final_response/);
    await inferWith({ triton_enable_empty_final_response: { bool_param: true } });
    expect(last().parameters).toEqual({});
  });

  it('passes id, version, requested outputs and classification', async () => {
    await call(client, 'ModelInfer', {
      model_name: 'echo',
      model_version: '1',
      id: 'req-1',
      ...fp32,
      outputs: [{ name: 'X', parameters: { classification: { int64_param: 3 } } }, { name: 'Y' }],
    });
    expect(last()).toMatchObject({ id: 'req-1', model: { name: 'echo', version: 1 } });
    expect(last().outputs).toEqual([{ name: 'X', classification: 3 }, { name: 'Y' }]);
    expect((await callError(client, 'ModelInfer', { model_name: 'echo', model_version: '-1', ...fp32 })).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('errors and cancellation', () => {
  const fp32 = { inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4)] };

  it('maps every error code to its gRPC status', async () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const err = await callError(client, 'ModelInfer', { model_name: 'fail', ...fp32, parameters: { code: { string_param: code } } });
      expect({ code, status: err.code }).toEqual({ code, status: status[ERROR_CODES[code].grpc] });
      expect(err.details).toBe('fake failure');
    }
  });

  it('hides the message of unexpected errors behind INTERNAL', async () => {
    const err = await callError(client, 'ModelInfer', { model_name: 'crash', ...fp32 });
    expect(err).toEqual({ code: status.INTERNAL, details: 'internal server error' });
  });

  it('refuses a decoupled model on the unary RPC and an unknown model', async () => {
    const inputs = { inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [u8(Int32Array.of(1))] };
    expect((await callError(client, 'ModelInfer', { model_name: 'repeat', ...inputs })).code).toBe(status.UNIMPLEMENTED);
    expect((await callError(client, 'ModelInfer', { model_name: 'nope', ...inputs })).code).toBe(status.NOT_FOUND);
  });

  it('aborts the request when the client cancels or its deadline passes', async () => {
    const pending = client['ModelInfer']!({ model_name: 'hang', id: 'cancel-me', ...fp32 }, new Metadata(), {}, () => undefined) as {
      cancel(): void;
    };
    await expect.poll(() => fake.requests.some((r) => r.id === 'cancel-me'), { timeout: 5000 }).toBe(true);
    pending.cancel();
    await expect.poll(() => fake.aborted.includes('cancel-me'), { timeout: 5000 }).toBe(true);

    const started = Date.now();
    const late = await new Promise<ServiceError>((resolve) =>
      client['ModelInfer']!({ model_name: 'hang', id: 'too-late', ...fp32 }, new Metadata(), { deadline: Date.now() + 300 }, resolve),
    );
    expect(late.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => fake.aborted.includes('too-late'), { timeout: 5000 }).toBe(true);
  });
});
