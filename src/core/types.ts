/**
 * The shared contract between front-ends, core and backends. Wire formats never appear here:
 * protocols translate into these types at the edge and back out again.
 */
import type { InferError } from './errors.js';

/** KServe v2 / Triton tensor datatypes. */
export type DataType =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'BF16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** Every datatype name, in the order the KServe spec lists them. */
export const DATA_TYPES: readonly DataType[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES',
];

/**
 * Element storage per datatype. BOOL is one byte per element (0/1), FP16 and BF16 are raw
 * 16-bit patterns, BYTES is one Uint8Array per element.
 */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | readonly Uint8Array[];

/** A named, typed, shaped tensor. `data.length` always equals the product of `shape`. */
export interface Tensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Scalar request/response parameter value, as KServe allows. */
export type ParameterValue = string | number | boolean;

/** An output the client asked for, with core-level post-processing options. */
export interface RequestedOutput {
  readonly name: string;
  /** Triton's classification extension: return the top-k classes as "value:index[:label]" strings. */
  readonly classification?: number;
}

/** Sequence (correlation) information for stateful models. */
export interface SequenceInfo {
  /** Correlation id; uint64 ids are carried as decimal strings so both forms compare equal. */
  readonly id: string;
  readonly start: boolean;
  readonly end: boolean;
}

/** One validated inference request, as the core sees it. */
export interface InferenceRequest {
  /** Client-supplied id, echoed in the response; empty when the client gave none. */
  readonly id: string;
  readonly model: { readonly name: string; readonly version?: number };
  readonly inputs: readonly Tensor[];
  /** Requested outputs; all model outputs when absent. */
  readonly outputs?: readonly RequestedOutput[];
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly sequence?: SequenceInfo;
  /** Priority level; 0 means the model's default level. */
  readonly priority: number;
  /** Per-request queue timeout in microseconds (Triton's `timeout` parameter), when given. */
  readonly timeoutUs?: number;
  /** Aborted when the client goes away; queued work is dropped and running work is cancelled where possible. */
  readonly signal: AbortSignal;
}

/** A successful response: exactly one per request for batch models. */
export interface InferenceResult {
  readonly id: string;
  readonly model: { readonly name: string; readonly version: number };
  readonly outputs: readonly Tensor[];
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** False for intermediate parts of a streamed (decoupled) response. */
  readonly final: boolean;
}

/** What a backend instance returns per request in a batch: outputs, or an error for that request alone. */
export type InstanceResponse =
  | { readonly ok: true; readonly outputs: readonly Tensor[] }
  | { readonly ok: false; readonly error: InferError };

/** Per-request timing the scheduler records, in nanoseconds (Triton statistics units). */
export interface ComputeTimings {
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
}

/** A model's input or output as described by its config, used for validation and metadata. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: DataType;
  /** Full shape including the batch dimension when the model batches; -1 means variable. */
  readonly shape: readonly number[];
  readonly optional?: boolean;
}
