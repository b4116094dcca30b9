/**
 * Validates a decoded request against the model's config, once, for every front-end. After this
 * the scheduler and backends may trust names, datatypes, shapes and element counts.
 */
import { configDataTypeToDataType } from '../config/datatypes.js';
import type { ModelConfig, ModelInput } from '../config/model-config.js';
import { invalidArgument } from './errors.js';
import type { InferenceRequest, Tensor } from './types.js';

/** Upper bound on elements of one tensor; larger shapes are refused before any allocation. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Number of elements of a shape; throws INVALID_ARGUMENT on negative, fractional or overflowing dims. */
export function elementCount(shape: readonly number[], what: string): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalidArgument(`${what}: invalid dimension ${d} in shape [${shape.join(',')}]`);
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw invalidArgument(`${what}: shape [${shape.join(',')}] has more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
  }
  return count;
}

/** Names of inputs the core itself provides (sequence controls and implicit state), not the client. */
export type InternalInputs = ReadonlySet<string>;

/**
 * Checks every input and requested output of `request` against `config`.
 * `internal` lists inputs filled by a scheduler (sequence control/state) that clients must not send.
 */
export function validateRequest(request: InferenceRequest, config: ModelConfig, internal: InternalInputs = new Set()): void {
  const model = request.model.name;
  const inputs = new Map<string, ModelInput>();
  for (const input of config.input ?? []) inputs.set(input.name, input);
  const maxBatch = config.max_batch_size ?? 0;
  const seen = new Set<string>();
  let batchSize: number | undefined;
  for (const tensor of request.inputs) {
    if (seen.has(tensor.name)) throw invalidArgument(`input '${tensor.name}' given more than once for model '${model}'`);
    seen.add(tensor.name);
    const spec = inputs.get(tensor.name);
    if (!spec || internal.has(tensor.name)) throw invalidArgument(`unexpected inference input '${tensor.name}' for model '${model}'`);
    const first = checkTensor(tensor, spec, maxBatch, model);
    if (maxBatch > 0) {
      if (batchSize !== undefined && first !== batchSize) {
        throw invalidArgument(`inputs of model '${model}' disagree on the batch size (${batchSize} vs ${first})`);
      }
      batchSize = first;
    }
  }
  for (const spec of inputs.values()) {
    if (!seen.has(spec.name) && !spec.optional && !internal.has(spec.name)) {
      throw invalidArgument(`expected ${countRequired(config, internal)} inputs but got ${request.inputs.length} inputs for model '${model}': missing '${spec.name}'`);
    }
  }
  validateRequestedOutputs(request, config);
}

function countRequired(config: ModelConfig, internal: InternalInputs): number {
  return (config.input ?? []).filter((i) => !i.optional && !internal.has(i.name)).length;
}

/** Returns the tensor's batch size (first dim) when the model batches, else 0. */
function checkTensor(tensor: Tensor, spec: ModelInput, maxBatch: number, model: string): number {
  const what = `input '${tensor.name}' of model '${model}'`;
  const expectedType = configDataTypeToDataType(spec.data_type);
  if (tensor.datatype !== expectedType) {
    throw invalidArgument(`${what}: expected datatype ${expectedType}, got ${tensor.datatype}`);
  }
  const count = elementCount(tensor.shape, what);
  const dims = spec.reshape && tensor.shape.length === spec.reshape.shape.length + (maxBatch > 0 ? 1 : 0) ? spec.reshape.shape : spec.dims;
  const expectedShape = maxBatch > 0 ? [-1, ...dims] : dims;
  if (!shapeMatches(tensor.shape, expectedShape)) {
    throw invalidArgument(`${what}: unexpected shape [${tensor.shape.join(',')}], model expects [${expectedShape.join(',')}]`);
  }
  const first = maxBatch > 0 ? (tensor.shape[0] ?? 0) : 0;
  if (maxBatch > 0 && (first < 1 || first > maxBatch)) {
    throw invalidArgument(`${what}: batch size ${first} outside 1..${maxBatch}`);
  }
  if (tensor.data.length !== count) {
    throw invalidArgument(`${what}: shape [${tensor.shape.join(',')}] needs ${count} elements, got ${tensor.data.length}`);
  }
  return first;
}

function shapeMatches(shape: readonly number[], expected: readonly number[]): boolean {
  if (shape.length !== expected.length) return false;
  return expected.every((d, i) => d === -1 || d === shape[i]);
}

function validateRequestedOutputs(request: InferenceRequest, config: ModelConfig): void {
  if (!request.outputs) return;
  const names = new Set((config.output ?? []).map((o) => o.name));
  const seen = new Set<string>();
  for (const out of request.outputs) {
    if (!names.has(out.name)) throw invalidArgument(`unexpected inference output '${out.name}' for model '${request.model.name}'`);
    if (seen.has(out.name)) throw invalidArgument(`output '${out.name}' requested more than once`);
    seen.add(out.name);
    if (out.classification !== undefined && (!Number.isSafeInteger(out.classification) || out.classification < 1)) {
      throw invalidArgument(`output '${out.name}': classification count must be a positive integer`);
    }
  }
}

/** The request's batch size: first dim of its inputs for batching models, 1 otherwise. */
export function requestBatchSize(request: InferenceRequest, config: ModelConfig): number {
  if ((config.max_batch_size ?? 0) === 0) return 1;
  return request.inputs[0]?.shape[0] ?? 1;
}
