/**
 * Reads a model's header (IR version, opsets, graph interface) from ONNX bytes without decoding
 * its weights, and rejects bytes that are not a well-formed ONNX model with a clear message. Used
 * to validate untrusted files before they reach onnxruntime.
 */
import type { DataType } from '../../core/types.js';
import { dataTypeFromOnnx, onnxElemTypeName } from './onnx-data-types.js';
import { ModelHeaderType } from './onnx-schema.js';
import type { OnnxDim } from './onnx-writer.js';

/** One graph input or output as the model declares it. */
export interface OnnxTensorInfo {
  readonly name: string;
  /** The ONNX `TensorProto.DataType` number. */
  readonly elemType: number;
  /** The matching inferd datatype; undefined for types inferd cannot carry (complex, float8, ...). */
  readonly datatype: DataType | undefined;
  /** Readable element type name, for messages. */
  readonly typeName: string;
  /** Dims: number when fixed, string when symbolic, null when unknown; undefined when the rank is unknown. */
  readonly shape: readonly OnnxDim[] | undefined;
}

/** An operator set the model imports. */
export interface OnnxOpsetInfo {
  readonly domain: string;
  readonly version: number;
}

/** A model's header. */
export interface OnnxModelInfo {
  readonly irVersion: number;
  readonly opsets: readonly OnnxOpsetInfo[];
  /** Version of the default (ai.onnx) opset; undefined when the model does not import it. */
  readonly opsetVersion: number | undefined;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graphName: string;
  /** Graph inputs that must be fed: inputs that are also initializers are left out, as onnxruntime does. */
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
}

interface DecodedDim {
  dim_value?: number;
  dim_param?: string;
}
interface DecodedValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DecodedDim[] } } };
}
interface DecodedHeader {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  graph?: {
    name?: string;
    initializer?: { name?: string }[];
    input?: DecodedValueInfo[];
    output?: DecodedValueInfo[];
  };
}

function fail(reason: string): never {
  throw new Error(`not a valid ONNX model: ${reason}`);
}

function decodeDim(dim: DecodedDim, where: string): OnnxDim {
  if (dim.dim_value !== undefined) {
    if (!Number.isSafeInteger(dim.dim_value) || dim.dim_value < 0) fail(`${where} has dimension ${dim.dim_value}`);
    return dim.dim_value;
  }
  if (dim.dim_param) return dim.dim_param;
  return null;
}

function decodeValueInfo(v: DecodedValueInfo, kind: 'input' | 'output', index: number): OnnxTensorInfo {
  const where = `graph ${kind} #${index}${v.name ? ` '${v.name}'` : ''}`;
  if (!v.name) fail(`${where} has no name`);
  const tensor = v.type?.tensor_type;
  if (!tensor) fail(`${where} is not a tensor (sequence, map and optional types are not supported)`);
  const elemType = tensor.elem_type ?? 0;
  if (elemType === 0) fail(`${where} has no element type`);
  const dims = tensor.shape ? (tensor.shape.dim ?? []).map((d) => decodeDim(d, where)) : undefined;
  return { name: v.name, elemType, datatype: dataTypeFromOnnx(elemType), typeName: onnxElemTypeName(elemType), shape: dims };
}

/** Decodes and checks a model's header; throws an Error starting "not a valid ONNX model" otherwise. */
export function readOnnxInfo(bytes: Uint8Array): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array)) fail('expected bytes');
  if (bytes.byteLength === 0) fail('the file is empty');
  let header: DecodedHeader;
  try {
    const message = ModelHeaderType.decode(bytes);
    header = ModelHeaderType.toObject(message, { longs: Number }) as DecodedHeader;
  } catch (err) {
    fail(`protobuf decoding failed (${err instanceof Error ? err.message : String(err)})`);
  }
  const irVersion = header.ir_version;
  if (irVersion === undefined || !Number.isSafeInteger(irVersion) || irVersion < 1) fail('ir_version is missing');
  const opsets = (header.opset_import ?? []).map((o) => ({ domain: o.domain ?? '', version: o.version ?? 0 }));
  if (opsets.length === 0) fail('opset_import is missing');
  const graph = header.graph;
  if (!graph) fail('the model has no graph');
  const outputs = (graph.output ?? []).map((v, i) => decodeValueInfo(v, 'output', i));
  if (outputs.length === 0) fail('the graph has no outputs');
  const constant = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !constant.has(v.name)).map((v, i) => decodeValueInfo(v, 'input', i));
  const defaultOpset = opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    irVersion,
    opsets,
    opsetVersion: defaultOpset?.version,
    producerName: header.producer_name ?? '',
    producerVersion: header.producer_version ?? '',
    graphName: graph.name ?? '',
    inputs,
    outputs,
  };
}
