/**
 * `ModelInferRequest` → InferenceRequest and InferenceResult → `ModelInferResponse`. Decoding
 * checks only what the wire format itself defines (datatype names, shapes against data sizes,
 * where each input's data is); everything model-specific is left to the core.
 */
import { invalidArgument } from '../../core/errors.js';
import type { InferenceRequest, InferenceResult, RequestedOutput, Tensor, TensorData } from '../../core/types.js';
import { isDataType } from '../../config/datatypes.js';
import type { InferInputTensorMessage, InferParameterMap, ModelInferRequestMessage, ModelInferResponseMessage } from './messages.js';
import {
  checkInputParameters,
  decodeOutputParameters,
  decodeRequestParameters,
  encodeParameter,
  encodeParameters,
} from './parameter-codec.js';
import { decodeRawTensor, decodeTypedTensor, elementCount, encodeRawTensor, parseShape } from './tensor-codec.js';

/** Response parameter that marks the last response of a request on a stream. */
export const FINAL_RESPONSE_PARAMETER = 'triton_final_response';

/** A decoded request plus the stream options it carried. */
export interface DecodedInferRequest {
  readonly request: InferenceRequest;
  readonly enableEmptyFinalResponse: boolean;
}

/** Parses a version string: empty means "by version policy"; otherwise a non-negative integer. */
export function parseModelVersion(version: string): number | undefined {
  if (version === '') return undefined;
  const n = /^\d{1,16}$/.test(version) ? Number(version) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidArgument(
      `failed to get model version from specified version string '${version}', version should be an integral ` +
        'value greater than or equal to 0',
    );
  }
  return n;
}

function decodeInput(msg: ModelInferRequestMessage, input: InferInputTensorMessage, index: number): Tensor {
  const { name, datatype } = input;
  const modelName = msg.model_name;
  if (!isDataType(datatype)) throw invalidArgument(`invalid datatype '${datatype}' for input '${name}'`);
  const shape = parseShape(input.shape, name);
  const count = elementCount(shape, name);
  checkInputParameters(input.parameters, name);
  const src = { tensorName: name, modelName };
  let data: TensorData;
  if (input.contents !== null && input.contents !== undefined) {
    if (msg.raw_input_contents.length > 0) {
      throw invalidArgument(
        `contents field must not be specified when using raw_input_contents for '${name}' for model '${modelName}'`,
      );
    }
    data = decodeTypedTensor(datatype, count, input.contents, src);
  } else {
    const raw = msg.raw_input_contents[index];
    if (raw === undefined) {
      throw invalidArgument(`unable to find data for input tensor '${name}' for model '${modelName}' in request.`);
    }
    data = decodeRawTensor(datatype, count, raw, src);
  }
  return { name, datatype, shape, data };
}

/** Decodes a ModelInferRequest; throws INVALID_ARGUMENT (or UNSUPPORTED for shared memory). */
export function decodeInferRequest(msg: ModelInferRequestMessage, signal: AbortSignal): DecodedInferRequest {
  const version = parseModelVersion(msg.model_version);
  const params = decodeRequestParameters(msg.parameters);
  const raw = msg.raw_input_contents;
  if (raw.length > 0 && raw.length !== msg.inputs.length) {
    throw invalidArgument(
      `expected ${msg.inputs.length} inputs but got ${raw.length} raw_input_contents in 'ModelInferRequest' ` +
        `message for model '${msg.model_name}'`,
    );
  }
  const inputs = msg.inputs.map((input, i) => decodeInput(msg, input, i));
  let outputs: RequestedOutput[] | undefined;
  if (msg.outputs.length > 0) {
    outputs = msg.outputs.map(({ name, parameters }) => {
      const { classification } = decodeOutputParameters(parameters, name);
      return classification === undefined ? { name } : { name, classification };
    });
  }
  const request: InferenceRequest = {
    id: msg.id,
    model: version === undefined ? { name: msg.model_name } : { name: msg.model_name, version },
    inputs,
    outputs,
    parameters: params.parameters,
    sequence: params.sequence,
    priority: params.priority,
    timeoutUs: params.timeoutUs,
    signal,
  };
  return { request, enableEmptyFinalResponse: params.enableEmptyFinalResponse };
}

/**
 * Encodes a result with every output in raw_output_contents, as Triton does. `final` adds the
 * `triton_final_response` flag that stream responses carry.
 */
export function encodeInferResponse(result: InferenceResult, final?: boolean): ModelInferResponseMessage {
  let parameters: InferParameterMap | undefined =
    result.parameters === undefined ? undefined : encodeParameters(result.parameters);
  if (final !== undefined) (parameters ??= {})[FINAL_RESPONSE_PARAMETER] = encodeParameter(final);
  return {
    id: result.id,
    model_name: result.model.name,
    model_version: String(result.model.version),
    parameters,
    outputs: result.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
    raw_output_contents: result.outputs.map(encodeRawTensor),
  };
}
