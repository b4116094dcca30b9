/**
 * Checks a model config against what the ONNX model declares and, when auto-completion is on,
 * fills missing inputs, outputs and max_batch_size the way Triton's onnxruntime backend does.
 */
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/model-config.js';
import type { DataType } from '../../core/types.js';
import { controlInputs, stateTensors } from './model-plan.js';
import { configTypeOf, dataTypeFromConfig, dataTypeFromOrt } from './tensor-types.js';
import type { WireValueMeta } from './worker-protocol.js';

/** Triton's `default-max-batch-size`: used when auto-completion finds that the model batches. */
export const DEFAULT_MAX_BATCH_SIZE = 4;

/** A graph input or output in config terms: symbolic and unknown dims are -1. */
export interface ModelTensorMeta {
  readonly name: string;
  /** Undefined when onnxruntime-node cannot exchange the type (or it is not a tensor). */
  readonly datatype: DataType | undefined;
  /** The model's own type name, for messages. */
  readonly typeName: string;
  readonly dims: readonly number[];
}

/** The model's interface as the session reports it. */
export interface ModelInterface {
  readonly inputs: readonly ModelTensorMeta[];
  readonly outputs: readonly ModelTensorMeta[];
}

/** Converts onnxruntime's metadata (symbolic dims are strings) to config terms. */
export function interfaceFromOrt(inputs: readonly WireValueMeta[], outputs: readonly WireValueMeta[]): ModelInterface {
  const convert = (v: WireValueMeta): ModelTensorMeta => ({
    name: v.name,
    datatype: v.isTensor && v.type ? dataTypeFromOrt(v.type) : undefined,
    typeName: v.isTensor ? (v.type ?? 'unknown') : 'non-tensor',
    dims: (v.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  });
  return { inputs: inputs.map(convert), outputs: outputs.map(convert) };
}

type Io = ModelInput | ModelOutput;
type IoKind = 'input' | 'output';

function typeLabel(meta: ModelTensorMeta): string {
  return meta.datatype ? configTypeOf(meta.datatype) : meta.typeName;
}

/** True when every input and output has a variable first dimension, Triton's batching test. */
function canBatch(model: ModelInterface): boolean {
  return [...model.inputs, ...model.outputs].every((t) => t.dims.length > 0 && t.dims[0] === -1);
}

/** True when the config already declares tensors with the model's full rank, i.e. without a batch dim. */
function declaresFullRank(config: ModelConfig, model: ModelInterface): boolean {
  const declared = [...(config.input ?? []), ...(config.output ?? [])];
  const all = [...model.inputs, ...model.outputs];
  return declared.some((io) => {
    const meta = all.find((m) => m.name === io.name);
    return meta !== undefined && io.dims !== undefined && io.dims.length === meta.dims.length;
  });
}

function completeIo<T extends Io>(declared: readonly T[] | undefined, metas: readonly ModelTensorMeta[], maxBatch: number): T[] {
  const out: T[] = (declared ?? []).map((io) => ({ ...io }));
  for (const meta of metas) {
    if (!meta.datatype) continue;
    const dims = maxBatch > 0 ? meta.dims.slice(1) : [...meta.dims];
    const existing = out.find((io) => io.name === meta.name);
    if (!existing) {
      out.push({ name: meta.name, data_type: configTypeOf(meta.datatype), dims } as T);
      continue;
    }
    if (!existing.data_type || existing.data_type === 'TYPE_INVALID') existing.data_type = configTypeOf(meta.datatype);
    if (!existing.dims) existing.dims = dims;
  }
  return out;
}

function checkDims(modelName: string, kind: IoKind, io: Io, meta: ModelTensorMeta, maxBatch: number): void {
  const configured = io.reshape ? io.reshape.shape : io.dims;
  const full = maxBatch > 0 ? [-1, ...configured] : [...configured];
  const model = meta.dims;
  const mismatch =
    full.length !== model.length || full.some((d, i) => d !== -1 && model[i] !== -1 && d !== model[i]);
  if (mismatch) {
    throw new Error(
      `model '${modelName}': ${kind} '${io.name}' has shape [${full.join(', ')}] in the config` +
        `${maxBatch > 0 ? ' (with the batch dimension)' : ''} but [${model.join(', ')}] in the model`,
    );
  }
}

function checkIo(modelName: string, kind: IoKind, declared: readonly Io[], metas: readonly ModelTensorMeta[], maxBatch: number): void {
  for (const io of declared) {
    const meta = metas.find((m) => m.name === io.name);
    if (!meta) {
      throw new Error(
        `model '${modelName}': ${kind} '${io.name}' in the config is not a model ${kind}; ` +
          `the model has ${kind}s: ${metas.map((m) => m.name).join(', ') || '(none)'}`,
      );
    }
    if (!meta.datatype) {
      throw new Error(`model '${modelName}': ${kind} '${io.name}' has type ${meta.typeName}, which onnxruntime-node cannot exchange`);
    }
    const declaredType = io.data_type ? dataTypeFromConfig(io.data_type) : undefined;
    if (declaredType !== meta.datatype) {
      throw new Error(
        `model '${modelName}': ${kind} '${io.name}' has data type ${io.data_type ?? '(none)'} in the config ` +
          `but ${typeLabel(meta)} in the model`,
      );
    }
    if (!io.dims) throw new Error(`model '${modelName}': ${kind} '${io.name}' has no dims in the config`);
    checkDims(modelName, kind, io, meta, maxBatch);
  }
}

/**
 * Returns the config to serve: auto-completed when `autoComplete` is set, and always checked
 * against the model. Throws an Error naming both sides of the first mismatch.
 */
export function completeConfig(config: ModelConfig, model: ModelInterface, autoComplete: boolean): ModelConfig {
  const name = config.name;
  let maxBatch = config.max_batch_size ?? 0;
  const batching = canBatch(model);
  const next: ModelConfig = { ...config };
  const controls = controlInputs(config);
  const state = stateTensors(config);
  // NOTE: control and implicit-state tensors are fed by the sequence batcher, never by clients.
  const controlNames = new Set([...controls, ...state.inputs].map((c) => c.name));
  const stateOutputs = new Set(state.outputs.map((o) => o.name));
  if (autoComplete) {
    if (batching && maxBatch === 0 && !declaresFullRank(config, model)) maxBatch = DEFAULT_MAX_BATCH_SIZE;
    next.max_batch_size = maxBatch;
    next.input = completeIo(config.input, model.inputs.filter((m) => !controlNames.has(m.name)), maxBatch);
    next.output = completeIo(config.output, model.outputs.filter((m) => !stateOutputs.has(m.name)), maxBatch);
    const scheduled = next.dynamic_batching || next.sequence_batching || next.ensemble_scheduling;
    if (maxBatch > 1 && !scheduled) next.dynamic_batching = {};
  }
  if (maxBatch > 0 && !batching) {
    throw new Error(
      `model '${name}': max_batch_size is ${maxBatch} but the model does not support batching ` +
        '(every input and output needs a variable first dimension)',
    );
  }
  const inputs = next.input ?? [];
  const outputs = next.output ?? [];
  checkIo(name, 'input', [...inputs, ...controls], model.inputs, maxBatch);
  checkIo(name, 'output', outputs, model.outputs, maxBatch);
  const missing = model.inputs.filter((m) => !inputs.some((io) => io.name === m.name) && !controlNames.has(m.name));
  const unsupported = missing.find((m) => !m.datatype);
  if (unsupported) {
    throw new Error(`model '${name}': input '${unsupported.name}' has type ${unsupported.typeName}, which onnxruntime-node cannot exchange`);
  }
  if (missing.length > 0) {
    const names = missing.map((m) => `'${m.name}'`).join(', ');
    throw new Error(`model '${name}': model input${missing.length > 1 ? 's' : ''} ${names} missing from the config`);
  }
  if (outputs.length === 0) throw new Error(`model '${name}': the config declares no outputs`);
  return next;
}
