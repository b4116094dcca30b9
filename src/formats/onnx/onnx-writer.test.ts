import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, type OnnxModelSpec } from './onnx-writer.js';
import { readOnnxInfo } from './onnx-reader.js';
import { ModelProtoType } from './onnx-schema.js';

const addBias: OnnxModelSpec = {
  graph: {
    name: 'add_bias',
    inputs: [{ name: 'X', datatype: 'FP32', shape: ['batch', 3] }],
    outputs: [{ name: 'Y', datatype: 'FP32', shape: ['batch', 3] }],
    initializers: [{ name: 'B', datatype: 'FP32', shape: [3], data: Float32Array.from([1, 2, 3]) }],
    nodes: [{ opType: 'Add', inputs: ['X', 'B'], outputs: ['Y'] }],
  },
};

describe('encodeOnnxModel', () => {
  it('writes a model onnxruntime loads and runs', async () => {
    const session = await ort.InferenceSession.create(encodeOnnxModel(addBias));
    try {
      const out = await session.run({ X: new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40, 50, 60]), [2, 3]) });
      expect(Array.from(out.Y!.data as Float32Array)).toEqual([11, 22, 33, 41, 52, 63]);
      expect(session.inputMetadata[0]).toMatchObject({ name: 'X', type: 'float32', shape: ['batch', 3] });
    } finally {
      await session.release();
    }
  });

  it('uses the real onnx.proto field numbers (checked on raw bytes)', () => {
    const bytes = encodeOnnxModel({ ...addBias, irVersion: 8 });
    // ModelProto.ir_version is field 1 (varint): tag byte 0x08, then the value.
    expect([bytes[0], bytes[1]]).toEqual([0x08, 8]);
    const decoded = ModelProtoType.toObject(ModelProtoType.decode(bytes), { longs: Number }) as {
      opset_import: { domain?: string; version: number }[];
      graph: { initializer: { raw_data: Uint8Array; dims: number[]; data_type: number }[]; node: { op_type: string }[] };
    };
    expect(decoded.opset_import).toEqual([{ domain: '', version: 17 }]);
    const init = decoded.graph.initializer[0]!;
    expect(init.dims).toEqual([3]);
    expect(init.data_type).toBe(1);
    expect(Array.from(new Float32Array(new Uint8Array(init.raw_data).buffer))).toEqual([1, 2, 3]);
    expect(decoded.graph.node[0]!.op_type).toBe('Add');
  });

  it('writes attributes of each kind and string initializers', () => {
    const bytes = encodeOnnxModel({
      graph: {
        name: 'attrs',
        inputs: [{ name: 'X', datatype: 'BYTES', shape: [2] }],
        outputs: [{ name: 'Y', datatype: 'BYTES', shape: [2] }],
        initializers: [{ name: 'S', datatype: 'BYTES', shape: [2], data: ['héllo', 'wörld'] }],
        nodes: [
          {
            opType: 'Identity',
            inputs: ['X'],
            outputs: ['Y'],
            attributes: {
              i: { type: 'INT', value: -7 },
              f: { type: 'FLOAT', value: 0.5 },
              s: { type: 'STRING', value: 'text' },
              is: { type: 'INTS', value: [1, 2] },
              fs: { type: 'FLOATS', value: [0.25] },
              ss: { type: 'STRINGS', value: ['a', 'b'] },
            },
          },
        ],
      },
    });
    const decoded = ModelProtoType.toObject(ModelProtoType.decode(bytes), { longs: Number }) as {
      graph: { initializer: { string_data: Uint8Array[] }[]; node: { attribute: Record<string, unknown>[] }[] };
    };
    const text = new TextDecoder();
    expect(decoded.graph.initializer[0]!.string_data.map((b) => text.decode(b))).toEqual(['héllo', 'wörld']);
    const attrs = Object.fromEntries(decoded.graph.node[0]!.attribute.map((a) => [a.name, a]));
    expect(attrs.i).toMatchObject({ type: 2, i: -7 });
    expect(attrs.f).toMatchObject({ type: 1, f: 0.5 });
    expect(text.decode(attrs.s!.s as Uint8Array)).toBe('text');
    expect(attrs.is).toMatchObject({ type: 7, ints: [1, 2] });
    expect(attrs.fs).toMatchObject({ type: 6, floats: [0.25] });
    expect((attrs.ss!.strings as Uint8Array[]).map((b) => text.decode(b))).toEqual(['a', 'b']);
  });

  it('rejects initializers whose data does not fit their shape or type', () => {
    const bad = (data: Float32Array | Int32Array, datatype: 'FP32' | 'FP64') =>
      encodeOnnxModel({
        graph: { ...addBias.graph, initializers: [{ name: 'B', datatype, shape: [3], data }] },
      });
    expect(() => bad(Float32Array.from([1, 2]), 'FP32')).toThrow(/2 elements given for shape \[3\]/);
    expect(() => bad(Float32Array.from([1, 2, 3]), 'FP64')).toThrow(/8-byte elements/);
  });
});

describe('readOnnxInfo', () => {
  it('reads the header, symbolic, fixed and unknown dims, and skips initializer inputs', () => {
    const bytes = encodeOnnxModel({
      irVersion: 7,
      opsetVersion: 13,
      producerName: 'unit-test',
      graph: {
        name: 'g',
        inputs: [
          { name: 'X', datatype: 'INT64', shape: ['batch', 4, null] },
          { name: 'W', datatype: 'FP32', shape: [4] },
          { name: 'R', datatype: 'FP16' },
        ],
        outputs: [{ name: 'Y', datatype: 'BYTES', shape: [-1] }],
        initializers: [{ name: 'W', datatype: 'FP32', shape: [4], data: new Float32Array(4) }],
        nodes: [],
      },
    });
    const info = readOnnxInfo(bytes);
    expect(info).toMatchObject({ irVersion: 7, opsetVersion: 13, producerName: 'unit-test', graphName: 'g' });
    expect(info.inputs.map((i) => i.name)).toEqual(['X', 'R']);
    expect(info.inputs[0]).toMatchObject({ datatype: 'INT64', elemType: 7, shape: ['batch', 4, null] });
    expect(info.inputs[1]).toMatchObject({ datatype: 'FP16', shape: undefined });
    expect(info.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [null] });
  });

  it('names element types inferd cannot carry', () => {
    const bytes = encodeOnnxModel(addBias);
    const decoded = ModelProtoType.decode(bytes) as unknown as { graph: { output: { type: { tensor_type: { elem_type: number } } }[] } };
    decoded.graph.output[0]!.type.tensor_type.elem_type = 14;
    const info = readOnnxInfo(ModelProtoType.encode(decoded as never).finish());
    expect(info.outputs[0]).toMatchObject({ datatype: undefined, typeName: 'COMPLEX64' });
  });

  it.each([
    ['empty bytes', new Uint8Array(0), /file is empty/],
    ['text', new TextEncoder().encode('this is not a model at all, just some text'), /not a valid ONNX model/],
    ['truncated model', encodeOnnxModel(addBias).subarray(0, 20), /not a valid ONNX model/],
    ['a model without a graph', ModelProtoType.encode({ ir_version: 8, opset_import: [{ version: 17 }] }).finish(), /no graph/],
    ['a model without ir_version', ModelProtoType.encode({ graph: { name: 'g' } }).finish(), /ir_version/],
    ['a graph without outputs', ModelProtoType.encode({ ir_version: 8, opset_import: [{ version: 17 }], graph: { name: 'g' } }).finish(), /no outputs/],
  ])('throws a clear error for %s', (_label, bytes, message) => {
    expect(() => readOnnxInfo(bytes)).toThrow(message);
  });

  it('rejects random bytes without crashing', () => {
    let seed = 12345;
    for (let round = 0; round < 200; round++) {
      const bytes = new Uint8Array(64);
      for (let i = 0; i < bytes.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      expect(() => readOnnxInfo(bytes)).toThrow(/not a valid ONNX model/);
    }
  });
});
