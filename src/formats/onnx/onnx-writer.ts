/**
 * Builds ONNX ModelProto bytes from a small declarative description: graph inputs and outputs
 * with fixed or symbolic dims, initializers from typed arrays, and nodes with attributes.
 */
import type { DataType, TensorData } from '../../core/types.js';
import { ONNX_ELEM_TYPE, onnxElementSize } from './onnx-data-types.js';
import { ModelProtoType } from './onnx-schema.js';

/** One dimension: a fixed size (>= 0), a symbolic name (`dim_param`), or null / -1 for unknown. */
export type OnnxDim = number | string | null;

/** A graph input or output. `shape` absent means unknown rank. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape?: readonly OnnxDim[];
}

/** A constant tensor. BYTES data may be given as strings (UTF-8 encoded) or raw byte elements. */
export interface OnnxInitializer {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: TensorData | readonly string[];
}

/** A node attribute, tagged with its `AttributeProto.AttributeType`. */
export type OnnxAttribute =
  | { readonly type: 'INT'; readonly value: number }
  | { readonly type: 'FLOAT'; readonly value: number }
  | { readonly type: 'STRING'; readonly value: string }
  | { readonly type: 'INTS'; readonly value: readonly number[] }
  | { readonly type: 'FLOATS'; readonly value: readonly number[] }
  | { readonly type: 'STRINGS'; readonly value: readonly string[] }
  | { readonly type: 'TENSOR'; readonly value: OnnxInitializer };

/** One operator invocation. */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** Operator set domain; '' (the default) is the standard ai.onnx domain. */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A whole graph; nodes must be in topological order, as ONNX requires. */
export interface OnnxGraphSpec {
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers?: readonly OnnxInitializer[];
  readonly nodes: readonly OnnxNode[];
}

/** A model: one graph plus version headers. */
export interface OnnxModelSpec {
  readonly graph: OnnxGraphSpec;
  /** ONNX IR version; default 8 (accepted by onnxruntime 1.30). */
  readonly irVersion?: number;
  /** Version of the default (ai.onnx) operator set; default 17. */
  readonly opsetVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
}

/** Default IR version of written models. */
export const DEFAULT_IR_VERSION = 8;
/** Default ai.onnx opset of written models. */
export const DEFAULT_OPSET_VERSION = 17;

const ATTRIBUTE_TYPE: Readonly<Record<OnnxAttribute['type'], number>> = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
};

const utf8 = new TextEncoder();

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function encodeDim(dim: OnnxDim): Record<string, unknown> {
  if (typeof dim === 'string') return { dim_param: dim };
  if (dim === null || dim === -1) return {};
  if (!Number.isInteger(dim) || dim < 0) throw new Error(`invalid ONNX dimension ${dim}`);
  return { dim_value: dim };
}

function encodeValueInfo(info: OnnxValueInfo): Record<string, unknown> {
  if (!info.name) throw new Error('ONNX graph inputs and outputs need a name');
  const tensorType: Record<string, unknown> = { elem_type: ONNX_ELEM_TYPE[info.datatype] };
  if (info.shape) tensorType.shape = { dim: info.shape.map(encodeDim) };
  return { name: info.name, type: { tensor_type: tensorType } };
}

/** Encodes one tensor; fixed-size types go to `raw_data`, BYTES to `string_data`. */
export function encodeTensor(t: OnnxInitializer): Record<string, unknown> {
  const count = elementCount(t.shape);
  if (t.data.length !== count) {
    throw new Error(`tensor '${t.name}': ${t.data.length} elements given for shape [${t.shape.join(', ')}]`);
  }
  const base = { name: t.name, dims: [...t.shape], data_type: ONNX_ELEM_TYPE[t.datatype] };
  if (t.datatype === 'BYTES') {
    const strings = Array.from(t.data as readonly (string | Uint8Array)[], (e) => (typeof e === 'string' ? utf8.encode(e) : e));
    return { ...base, string_data: strings };
  }
  const data = t.data;
  if (!ArrayBuffer.isView(data)) throw new Error(`tensor '${t.name}': ${t.datatype} data must be a typed array`);
  const size = onnxElementSize(t.datatype);
  if (data.BYTES_PER_ELEMENT !== size) {
    throw new Error(`tensor '${t.name}': ${t.datatype} needs ${size}-byte elements, got ${data.BYTES_PER_ELEMENT}`);
  }
  // NOTE: ONNX raw_data is little-endian; every platform Node supports for onnxruntime is too.
  return { ...base, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function encodeAttribute(name: string, attr: OnnxAttribute): Record<string, unknown> {
  const out: Record<string, unknown> = { name, type: ATTRIBUTE_TYPE[attr.type] };
  switch (attr.type) {
    case 'INT':
      if (!Number.isSafeInteger(attr.value)) throw new Error(`attribute '${name}': ${attr.value} is not an integer`);
      out.i = attr.value;
      break;
    case 'FLOAT':
      out.f = attr.value;
      break;
    case 'STRING':
      out.s = utf8.encode(attr.value);
      break;
    case 'INTS':
      out.ints = [...attr.value];
      break;
    case 'FLOATS':
      out.floats = [...attr.value];
      break;
    case 'STRINGS':
      out.strings = attr.value.map((s) => utf8.encode(s));
      break;
    case 'TENSOR':
      out.t = encodeTensor(attr.value);
      break;
  }
  return out;
}

function encodeNode(node: OnnxNode, index: number): Record<string, unknown> {
  return {
    op_type: node.opType,
    name: node.name ?? `${node.opType}_${index}`,
    domain: node.domain ?? '',
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: Object.entries(node.attributes ?? {}).map(([name, attr]) => encodeAttribute(name, attr)),
  };
}

/** Serializes a model description to ONNX ModelProto bytes; throws on inconsistent tensors or dims. */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const g = spec.graph;
  const model = {
    ir_version: spec.irVersion ?? DEFAULT_IR_VERSION,
    opset_import: [{ domain: '', version: spec.opsetVersion ?? DEFAULT_OPSET_VERSION }],
    producer_name: spec.producerName ?? 'inferd',
    producer_version: spec.producerVersion ?? '',
    ...(spec.docString ? { doc_string: spec.docString } : {}),
    graph: {
      name: g.name,
      input: g.inputs.map(encodeValueInfo),
      output: g.outputs.map(encodeValueInfo),
      initializer: (g.initializers ?? []).map(encodeTensor),
      node: g.nodes.map(encodeNode),
    },
  };
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}
