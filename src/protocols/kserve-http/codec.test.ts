import { describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import type { InferenceRequest, InferenceResult, Tensor } from '../../core/types.js';
import { decodeInferRequest, decodeRawInferRequest, encodeInferResponse, parseHeaderLength } from './codec.js';

const target = { name: 'm', version: 1 };
const abort = new AbortController();

function decodeJson(doc: unknown): InferenceRequest {
  return decodeInferRequest(Buffer.from(JSON.stringify(doc)), undefined, target, abort).request;
}

function decodeText(text: string): InferenceRequest {
  return decodeInferRequest(Buffer.from(text), undefined, target, abort).request;
}

function input(datatype: string, shape: number[], data: unknown, extra: Record<string, unknown> = {}) {
  return { inputs: [{ name: 'x', datatype, shape, data, ...extra }] };
}

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InferError);
  expect((caught as InferError).httpStatus).toBeGreaterThanOrEqual(400);
  expect((caught as InferError).httpStatus).toBeLessThan(500);
  if (pattern) expect((caught as InferError).message).toMatch(pattern);
}

/** JSON header + raw chunks, as a binary-extension client sends them. */
function binaryBody(header: unknown, ...chunks: Uint8Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}

function bytesElements(...strings: string[]): Buffer {
  return Buffer.concat(
    strings.flatMap((s) => {
      const b = Buffer.from(s);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return [len, b];
    }),
  );
}

describe('decodeInferRequest: JSON data', () => {
  it('decodes flat and nested INT32 data into Int32Array', () => {
    const flat = decodeJson(input('INT32', [2, 2], [1, 2, 3, 4])).inputs[0] as Tensor;
    const nested = decodeJson(input('INT32', [2, 2], [[1, 2], [3, 4]])).inputs[0] as Tensor;
    expect(flat.data).toEqual(new Int32Array([1, 2, 3, 4]));
    expect(nested.data).toEqual(new Int32Array([1, 2, 3, 4]));
    expect(nested.shape).toEqual([2, 2]);
  });

  it.each([
    ['BOOL', [true, false, true], new Uint8Array([1, 0, 1])],
    ['UINT8', [0, 255, 7], new Uint8Array([0, 255, 7])],
    ['UINT16', [0, 65535, 7], new Uint16Array([0, 65535, 7])],
    ['UINT32', [0, 4294967295, 7], new Uint32Array([0, 4294967295, 7])],
    ['INT8', [-128, 127, 0], new Int8Array([-128, 127, 0])],
    ['INT16', [-32768, 32767, 0], new Int16Array([-32768, 32767, 0])],
    ['INT32', [-2147483648, 2147483647, 0], new Int32Array([-2147483648, 2147483647, 0])],
    ['FP32', [1.5, -2, 0.25], new Float32Array([1.5, -2, 0.25])],
    ['FP64', [1.1, -2, 1e300], new Float64Array([1.1, -2, 1e300])],
    ['INT64', [-5, 0, 9007199254740991], new BigInt64Array([-5n, 0n, 9007199254740991n])],
    ['UINT64', [0, 1, 9007199254740991], new BigUint64Array([0n, 1n, 9007199254740991n])],
  ])('decodes %s from JSON', (datatype, data, expected) => {
    const t = decodeJson(input(datatype, [3], data)).inputs[0] as Tensor;
    expect(t.datatype).toBe(datatype);
    expect(t.data).toEqual(expected);
  });

  it('decodes BYTES from UTF-8 JSON strings', () => {
    const t = decodeJson(input('BYTES', [2], ['héllo', ''])).inputs[0] as Tensor;
    const els = t.data as readonly Uint8Array[];
    expect(Buffer.from(els[0] as Uint8Array).toString('utf8')).toBe('héllo');
    expect((els[1] as Uint8Array).length).toBe(0);
  });

  it('keeps 64-bit integers beyond 2^53 exact', () => {
    const text =
      '{"inputs":[{"name":"a","datatype":"INT64","shape":[3],"data":[9223372036854775807,-9223372036854775808,9007199254740993]},' +
      '{"name":"b","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},' +
      '{"name":"s","datatype":"BYTES","shape":[1],"data":["12345678901234567890"]}],' +
      '"parameters":{"sequence_id":18446744073709551615}}';
    const req = decodeText(text);
    expect(req.inputs[0]?.data).toEqual(new BigInt64Array([9223372036854775807n, -9223372036854775808n, 9007199254740993n]));
    expect(req.inputs[1]?.data).toEqual(new BigUint64Array([18446744073709551615n]));
    expect(Buffer.from((req.inputs[2]?.data as Uint8Array[])[0] as Uint8Array).toString()).toBe('12345678901234567890');
    expect(req.sequence).toEqual({ id: '18446744073709551615', start: false, end: false });
  });

  it.each([
    ['INT64', [9223372036854775808]],
    ['INT64', [1.5]],
    ['INT64', ['1']],
    ['UINT64', [-1]],
    ['UINT64', [18446744073709551616]],
    ['INT8', [128]],
    ['UINT8', [-1]],
    ['UINT32', [4294967296]],
    ['INT32', [1.5]],
    ['INT32', ['1']],
    ['BOOL', [1]],
    ['FP32', ['1.0']],
    ['FP32', [null]],
    ['BYTES', [1]],
  ])('refuses %s value %j', (datatype, data) => {
    const text = `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[1],"data":${JSON.stringify(data).replace('9223372036854776000', '9223372036854775808').replace('18446744073709552000', '18446744073709551616')}}]}`;
    expectInvalid(() => decodeText(text), /'x'/);
  });

  it('refuses FP16 and BF16 in JSON form', () => {
    expectInvalid(() => decodeJson(input('FP16', [1], [1])), /FP16 data via JSON is not supported/);
    expectInvalid(() => decodeJson(input('BF16', [1], [1])), /BF16 data via JSON is not supported/);
  });

  it('refuses element-count mismatches, flat and nested', () => {
    expectInvalid(() => decodeJson(input('INT32', [2, 2], [1, 2, 3])), /expected 4 elements, got 3/);
    expectInvalid(() => decodeJson(input('INT32', [2], [[1, 2], [3]])), /expected 2 elements, got 3/);
    expectInvalid(() => decodeJson(input('INT32', [16, 2 ** 40], [1])), /expected 17592186044416 elements, got 1/);
    expectInvalid(() => decodeJson(input('INT32', [16, 2 ** 60], [1])));
  });

  it('refuses data nested 100k deep without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    expectInvalid(() => decodeText(`{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":${deep}}]}`), /nest(s|ed) deeper/);
    expectInvalid(() => decodeText(deep), /nests deeper/);
  });

  it('refuses malformed documents with Triton-style messages', () => {
    expectInvalid(() => decodeText('{"inputs":['), /failed to parse the request JSON/);
    expectInvalid(() => decodeText(''), /failed to parse/);
    expectInvalid(() => decodeJson([]), /expected a JSON object/);
    expectInvalid(() => decodeJson({}), /'inputs'/);
    expectInvalid(() => decodeJson({ inputs: {} }), /'inputs'/);
    expectInvalid(() => decodeJson({ inputs: [1] }), /input 0/);
    expectInvalid(() => decodeJson({ id: 5, inputs: [] }), /'id'/);
    expectInvalid(() => decodeJson(input('INT33', [1], [1])), /invalid datatype 'INT33'/);
    expectInvalid(() => decodeJson({ inputs: [{ datatype: 'INT32', shape: [1], data: [1] }] }), /'name'/);
    expectInvalid(() => decodeJson(input('INT32', [-1], [1])), /'shape'/);
    expectInvalid(() => decodeJson(input('INT32', [1.5], [1])), /'shape'/);
    expectInvalid(() => decodeJson(input('INT32', 3 as never, [1])), /'shape'/);
    expectInvalid(() => decodeJson(input('INT32', [1], 1)), /expected an array/);
    expectInvalid(() => decodeJson(input('INT32', [1], undefined)), /only one of/);
    expectInvalid(() => decodeJson({ inputs: [], outputs: {} }), /'outputs'/);
    expectInvalid(() => decodeJson({ inputs: [], outputs: [{ name: 1 }] }), /'name'/);
  });

  it('refuses shared memory parameters as unsupported', () => {
    expectInvalid(() => decodeJson(input('INT32', [1], [1], { parameters: { shared_memory_region: 'r' } })), /shared memory/);
  });
});

describe('decodeInferRequest: parameters and outputs', () => {
  it('maps sequence, priority, timeout and passes other parameters through', () => {
    const req = decodeJson({
      id: 'req-1',
      parameters: {
        sequence_id: 'corr-7',
        sequence_start: true,
        sequence_end: false,
        priority: 2,
        timeout: 5000,
        custom: 'v',
        n: 3,
        flag: true,
        __proto__: 'plain',
      },
      inputs: [],
    });
    expect(req.id).toBe('req-1');
    expect(req.sequence).toEqual({ id: 'corr-7', start: true, end: false });
    expect(req.priority).toBe(2);
    expect(req.timeoutUs).toBe(5000);
    expect(req.parameters).toEqual({ custom: 'v', n: 3, flag: true });
    expect(Object.getPrototypeOf(req.parameters)).toBe(Object.prototype);
  });

  it('parses a JSON "__proto__" parameter as a plain key', () => {
    const req = decodeText('{"inputs":[],"parameters":{"__proto__":"x"}}');
    expect(Object.keys(req.parameters)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(req.parameters)).toBe(Object.prototype);
  });

  it('gives numeric sequence ids as decimal strings and defaults priority to 0', () => {
    const req = decodeJson({ parameters: { sequence_id: 42, sequence_end: true }, inputs: [] });
    expect(req.sequence).toEqual({ id: '42', start: false, end: true });
    expect(req.priority).toBe(0);
    expect(req.timeoutUs).toBeUndefined();
    expect(decodeJson({ inputs: [] }).sequence).toBeUndefined();
  });

  it.each([
    [{ sequence_id: -1 }, /sequence_id/],
    [{ sequence_id: 1.5 }, /sequence_id/],
    [{ sequence_start: 1 }, /sequence_start/],
    [{ priority: -1 }, /priority/],
    [{ timeout: 'soon' }, /timeout/],
    [{ binary_data_output: 'yes' }, /binary_data_output/],
    [{ triton_enable_x: true }, /reserved for Triton/],
    [{ nested: { a: 1 } }, /invalid type/],
    [{ list: [1] }, /invalid type/],
  ])('refuses parameters %j', (parameters, pattern) => {
    expectInvalid(() => decodeJson({ parameters, inputs: [] }), pattern);
    expectInvalid(() => decodeJson({ parameters: [], inputs: [] }), /parameters/);
  });

  it('passes classification through and records binary_data choices', () => {
    const { request, outputFormat } = decodeInferRequest(
      Buffer.from(
        JSON.stringify({
          parameters: { binary_data_output: true },
          inputs: [],
          outputs: [
            { name: 'a', parameters: { classification: 3, binary_data: false } },
            { name: 'b' },
            { name: 'c', parameters: { classification: 0 } },
          ],
        }),
      ),
      undefined,
      target,
      abort,
    );
    expect(request.outputs).toEqual([{ name: 'a', classification: 3 }, { name: 'b' }, { name: 'c' }]);
    expect(outputFormat.binaryByDefault).toBe(true);
    expect(outputFormat.binaryByName?.get('a')).toBe(false);
    expect(outputFormat.binaryByName?.has('b')).toBe(false);
    expectInvalid(() => decodeJson({ inputs: [], outputs: [{ name: 'a', parameters: { classification: -2 } }] }), /classification/);
    expectInvalid(() => decodeJson({ inputs: [], outputs: [{ name: 'a', parameters: { binary_data: 1 } }] }), /binary_data/);
  });
});

describe('decodeInferRequest: binary tensor data extension', () => {
  it('slices inputs in order and views the body without copying when aligned', () => {
    const a = new Int32Array([1, -2, 3, 4]);
    const b = new Float32Array([0.5, 1.5]);
    const header = {
      inputs: [
        { name: 'a', datatype: 'INT32', shape: [4], parameters: { binary_data_size: 16 } },
        { name: 'j', datatype: 'INT8', shape: [1], data: [9] },
        { name: 'b', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
      ],
    };
    const json = Buffer.from(JSON.stringify(header));
    // Put the JSON at an offset that keeps the binary part 4-byte aligned inside one ArrayBuffer.
    const pad = (4 - (json.length % 4)) % 4;
    const whole = Buffer.alloc(pad + json.length + 24);
    json.copy(whole, pad);
    Buffer.from(a.buffer).copy(whole, pad + json.length);
    Buffer.from(b.buffer).copy(whole, pad + json.length + 16);
    const body = whole.subarray(pad);
    const req = decodeInferRequest(body, json.length, target, abort).request;
    expect(req.inputs.map((t) => t.name)).toEqual(['a', 'j', 'b']);
    expect(req.inputs[0]?.data).toEqual(a);
    expect(req.inputs[1]?.data).toEqual(new Int8Array([9]));
    expect(req.inputs[2]?.data).toEqual(b);
    expect((req.inputs[0]?.data as Int32Array).buffer).toBe(body.buffer);
  });

  it('copies when the binary data is misaligned for its type, keeping the values', () => {
    const values = new Float64Array([Math.PI, -1e-300, 42]);
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [3], parameters: { binary_data_size: 24 } }] },
      new Uint8Array(values.buffer),
    );
    const odd = Buffer.concat([Buffer.alloc(1), body]).subarray(1);
    const t = decodeInferRequest(odd, headerLength, target, abort).request.inputs[0] as Tensor;
    expect(t.data).toEqual(values);
  });

  it('decodes BOOL, FP16, BF16, INT64 and BYTES binary data', () => {
    const fp16 = new Uint16Array([0x3c00, 0xc000]);
    const i64 = new BigInt64Array([-(2n ** 63n), 2n ** 62n]);
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          { name: 'b', datatype: 'BOOL', shape: [3], parameters: { binary_data_size: 3 } },
          { name: 'h', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } },
          { name: 'g', datatype: 'BF16', shape: [2], parameters: { binary_data_size: 4 } },
          { name: 'l', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
          { name: 's', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: 4 + 5 + 4 + 4 + 3 } },
          { name: 'e', datatype: 'INT32', shape: [0], parameters: { binary_data_size: 0 } },
        ],
      },
      new Uint8Array([1, 0, 1]),
      new Uint8Array(fp16.buffer),
      new Uint8Array(fp16.buffer),
      new Uint8Array(i64.buffer),
      bytesElements('hello', '', 'hé'),
    );
    const [b, h, g, l, s, e] = decodeInferRequest(body, headerLength, target, abort).request.inputs as Tensor[];
    expect(b?.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(h?.data).toEqual(fp16);
    expect(g?.data).toEqual(fp16);
    expect(l?.data).toEqual(i64);
    expect((s?.data as Uint8Array[]).map((el) => Buffer.from(el).toString())).toEqual(['hello', '', 'hé']);
    expect(e?.data).toEqual(new Int32Array(0));
  });

  it('refuses every inconsistent binary body', () => {
    const hdr = (size: number, datatype = 'INT32', shape = [2]) => ({
      inputs: [{ name: 'x', datatype, shape, parameters: { binary_data_size: size } }],
    });
    const eight = new Uint8Array(8);
    const cases: [ReturnType<typeof binaryBody>, RegExp][] = [
      [binaryBody(hdr(8), new Uint8Array(4)), /expecting 4 additional bytes/],
      [binaryBody(hdr(4, 'INT32', [1]), eight), /unexpected additional input data/],
      [binaryBody(hdr(4), new Uint8Array(4)), /byte size mismatch .* Expected 8, got 4/],
      [binaryBody(hdr(8, 'INT32', [16, 2 ** 60]), eight), /'shape'/],
      [binaryBody(hdr(8, 'INT32', [2 ** 30, 2 ** 30, 2 ** 30]), eight), /too many elements/],
      [binaryBody(hdr(8, 'INT32', [2 ** 40, 2 ** 10]), eight), /Expected 4503599627370496, got 8/],
      [binaryBody(hdr(8, 'BYTES', [2 ** 40]), eight), /cannot fit/],
      [binaryBody(hdr(9, 'BYTES', [1]), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5])), /declares 200 bytes/],
      [binaryBody(hdr(6, 'BYTES', [2]), Buffer.from([0, 0, 0, 0, 1, 2])), /cannot fit|length prefix/],
      [binaryBody(hdr(12, 'BYTES', [3]), Buffer.from([4, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])), /element 2 has no room/],
      [binaryBody(hdr(8, 'BYTES', [1]), Buffer.from([1, 0, 0, 0, 7, 0, 0, 0])), /bytes left/],
    ];
    for (const [{ body, headerLength }, pattern] of cases) {
      expectInvalid(() => decodeInferRequest(body, headerLength, target, abort), pattern);
    }
    const empty = binaryBody(hdr(0, 'INT32', [2 ** 30, 2 ** 30, 2 ** 30, 0]));
    expect(decodeInferRequest(empty.body, empty.headerLength, target, abort).request.inputs[0]?.data).toEqual(new Int32Array(0));
    const both = binaryBody({ inputs: [{ name: 'x', datatype: 'INT8', shape: [1], data: [1], parameters: { binary_data_size: 1 } }] }, new Uint8Array(1));
    expectInvalid(() => decodeInferRequest(both.body, both.headerLength, target, abort), /only one of/);
    const noHeader = binaryBody(hdr(8), eight);
    expectInvalid(() => decodeInferRequest(noHeader.body, undefined, target, abort), /Infer-Header-Content-Length|failed to parse/);
    const jsonOnly = Buffer.from(JSON.stringify(hdr(8)));
    expectInvalid(() => decodeInferRequest(jsonOnly, undefined, target, abort), /Infer-Header-Content-Length/);
  });

  it('parses Inference-Header-Content-Length strictly', () => {
    expect(parseHeaderLength(undefined, 10)).toBeUndefined();
    expect(parseHeaderLength('7', 10)).toBe(7);
    expect(parseHeaderLength('10', 10)).toBe(10);
    expectInvalid(() => parseHeaderLength('11', 10), /range/);
    expectInvalid(() => parseHeaderLength('-1', 10), /Unable to parse/);
    expectInvalid(() => parseHeaderLength('abc', 10), /Unable to parse/);
    expectInvalid(() => parseHeaderLength('1e3', 10000), /Unable to parse/);
    expectInvalid(() => parseHeaderLength(['1', '2'], 10), /Unable to parse/);
    expectInvalid(() => parseHeaderLength('99999999999999999999', 10), /Unable to parse/);
  });
});

describe('decodeRawInferRequest', () => {
  const meta = (datatype: 'INT32' | 'BYTES', shape: number[]) => ({
    name: 'm',
    versions: ['1'],
    platform: 'p',
    inputs: [{ name: 'IN', datatype, shape }],
    outputs: [],
  });

  it('uses the only model input and deduces the variable dimension', () => {
    const body = Buffer.from(new Int32Array([1, 2, 3, 4, 5, 6]).buffer);
    const { request, outputFormat } = decodeRawInferRequest(body, meta('INT32', [-1, 3]), target, abort);
    expect(request.inputs[0]).toMatchObject({ name: 'IN', datatype: 'INT32', shape: [2, 3] });
    expect(request.inputs[0]?.data).toEqual(new Int32Array([1, 2, 3, 4, 5, 6]));
    expect(outputFormat.binaryByDefault).toBe(true);
    const bytes = decodeRawInferRequest(Buffer.from('raw'), meta('BYTES', [-1]), target, abort).request.inputs[0];
    expect(bytes?.shape).toEqual([1]);
  });

  it('refuses bodies that do not fit the model input', () => {
    expectInvalid(() => decodeRawInferRequest(Buffer.alloc(6), meta('INT32', [-1]), target, abort), /whole number/);
    expectInvalid(() => decodeRawInferRequest(Buffer.alloc(8), meta('INT32', [3]), target, abort), /cannot deduce/);
    const two = { ...meta('INT32', [1]), inputs: [...meta('INT32', [1]).inputs, { name: 'B', datatype: 'INT32' as const, shape: [1] }] };
    expectInvalid(() => decodeRawInferRequest(Buffer.alloc(4), two, target, abort), /only have 1 input/);
  });
});

describe('encodeInferResponse', () => {
  const result = (outputs: Tensor[], extra: Partial<InferenceResult> = {}): InferenceResult => ({
    id: 'r1',
    model: { name: 'simple', version: 3 },
    outputs,
    final: true,
    ...extra,
  });

  it('writes Triton JSON with inline data for every JSON datatype', () => {
    const encoded = encodeInferResponse(
      result([
        { name: 'i', datatype: 'INT32', shape: [2], data: new Int32Array([1, -2]) },
        { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
        { name: 'l', datatype: 'UINT64', shape: [1], data: new BigUint64Array([18446744073709551615n]) },
        { name: 'f', datatype: 'FP32', shape: [3], data: new Float32Array([0.5, NaN, Infinity]) },
        { name: 's', datatype: 'BYTES', shape: [2], data: [Buffer.from('a"b'), Buffer.from('é')] },
      ]),
      { binaryByDefault: false },
    );
    expect(encoded.headerLength).toBeUndefined();
    expect(encoded.body).toBe(
      '{"id":"r1","model_name":"simple","model_version":"3","outputs":[' +
        '{"name":"i","datatype":"INT32","shape":[2],"data":[1,-2]},' +
        '{"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]},' +
        '{"name":"l","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},' +
        '{"name":"f","datatype":"FP32","shape":[3],"data":[0.5,null,null]},' +
        '{"name":"s","datatype":"BYTES","shape":[2],"data":["a\\"b","é"]}]}',
    );
  });

  it('omits an empty id and includes response parameters', () => {
    const encoded = encodeInferResponse(result([], { id: '', parameters: { sequence_id: 'abc', n: 1 } }), {
      binaryByDefault: false,
    });
    expect(encoded.body).toBe('{"model_name":"simple","model_version":"3","parameters":{"sequence_id":"abc","n":1},"outputs":[]}');
  });

  it('writes binary outputs after the JSON header, byte for byte', () => {
    const ints = new Int32Array([7, -1]);
    const encoded = encodeInferResponse(
      result([
        { name: 'a', datatype: 'INT32', shape: [2], data: ints },
        { name: 'j', datatype: 'INT8', shape: [1], data: new Int8Array([5]) },
        { name: 's', datatype: 'BYTES', shape: [2], data: [Buffer.from('hi'), Buffer.from('')] },
        { name: 'h', datatype: 'FP16', shape: [1], data: new Uint16Array([0x3c00]) },
      ]),
      { binaryByDefault: true, binaryByName: new Map([['j', false]]) },
    );
    const header =
      '{"id":"r1","model_name":"simple","model_version":"3","outputs":[' +
      '{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},' +
      '{"name":"j","datatype":"INT8","shape":[1],"data":[5]},' +
      '{"name":"s","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":10}},' +
      '{"name":"h","datatype":"FP16","shape":[1],"parameters":{"binary_data_size":2}}]}';
    const expected = Buffer.concat([
      Buffer.from(header),
      Buffer.from([7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]),
      Buffer.from([0x00, 0x3c]),
    ]);
    expect(encoded.headerLength).toBe(Buffer.byteLength(header));
    expect(Buffer.isBuffer(encoded.body)).toBe(true);
    expect((encoded.body as Buffer).equals(expected)).toBe(true);
  });

  it('refuses FP16 in JSON form and shape/data mismatches', () => {
    expectInvalid(
      () => encodeInferResponse(result([{ name: 'h', datatype: 'FP16', shape: [1], data: new Uint16Array(1) }]), { binaryByDefault: false }),
      /FP16 data via JSON is not supported/,
    );
    let caught: unknown;
    try {
      encodeInferResponse(result([{ name: 'x', datatype: 'INT32', shape: [3], data: new Int32Array(2) }]), { binaryByDefault: false });
    } catch (err) {
      caught = err;
    }
    expect((caught as InferError).code).toBe('INTERNAL');
  });
});
