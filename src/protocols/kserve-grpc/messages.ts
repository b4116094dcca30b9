/**
 * The shapes proto-loader gives grpc_service.proto messages with PROTO_LOADER_OPTIONS: snake_case
 * keys, 64-bit integers as decimal strings, bytes as Buffers, scalars defaulted, oneofs named by a
 * `parameter_choice` key. Outgoing messages may use numbers where these say strings.
 */

/** A 64-bit integer as proto-loader hands it over (decoded) or accepts it (encoded). */
export type Int64 = string | number;

/** `InferParameter`: exactly one value member is set, named by `parameter_choice`. */
export interface InferParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64;
}

/** A `map<string, InferParameter>` field. */
export type InferParameterMap = Record<string, InferParameterMessage>;

/** `InferTensorContents`, every repeated field present (possibly empty) once decoded. */
export interface TensorContentsMessage {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: Int64[];
  uint_contents: number[];
  uint64_contents: Int64[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
}

/** `ModelInferRequest.InferInputTensor`. */
export interface InferInputTensorMessage {
  name: string;
  datatype: string;
  shape: Int64[];
  parameters: InferParameterMap;
  /** null when the client did not send the field. */
  contents: TensorContentsMessage | null;
}

/** `ModelInferRequest.InferRequestedOutputTensor`. */
export interface RequestedOutputMessage {
  name: string;
  parameters: InferParameterMap;
}

/** `ModelInferRequest` as decoded. */
export interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: InferParameterMap;
  inputs: InferInputTensorMessage[];
  outputs: RequestedOutputMessage[];
  raw_input_contents: Buffer[];
}

/** `ModelInferResponse.InferOutputTensor` as sent. */
export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: readonly number[];
}

/** `ModelInferResponse` as sent. */
export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: InferParameterMap;
  outputs: InferOutputTensorMessage[];
  raw_output_contents: Uint8Array[];
}

/** `ModelStreamInferResponse` as sent. */
export interface ModelStreamInferResponseMessage {
  error_message: string;
  infer_response: ModelInferResponseMessage;
}

/** `ModelRepositoryParameter`. */
export interface RepositoryParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'bytes_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  bytes_param?: Buffer;
}

/** The `{ name, version }` pair most model-level requests carry. */
export interface ModelRefMessage {
  name: string;
  version: string;
}

/** `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest`. */
export interface RepositoryModelRequestMessage {
  repository_name: string;
  model_name: string;
  parameters: Record<string, RepositoryParameterMessage>;
}

/** `RepositoryIndexRequest`. */
export interface RepositoryIndexRequestMessage {
  repository_name: string;
  ready: boolean;
}

/** Requests that only carry a region or model name (shared memory status/unregister). */
export interface NamedRequestMessage {
  name: string;
}
