/**
 * The per-model facts the hot path needs, computed once from the completed config.
 */
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/model-config.js';
import type { DataType } from '../../core/types.js';
import { dataTypeFromConfig, ortTypeOf, type OrtTensorType } from './tensor-types.js';

/** One configured input or output. */
export interface TensorPlan {
  readonly name: string;
  readonly datatype: DataType;
  readonly ortType: OrtTensorType;
  /** Config dims, without the batch dimension. */
  readonly dims: readonly number[];
  /** Shape the model itself sees (inputs) or produces (outputs), without the batch dimension. */
  readonly reshape: readonly number[] | undefined;
  readonly optional: boolean;
}

/** Everything an instance needs to marshal requests for one model version. */
export interface ModelPlan {
  readonly modelName: string;
  /** 0 when the model does not batch: every request then runs alone. */
  readonly maxBatchSize: number;
  readonly inputs: ReadonlyMap<string, TensorPlan>;
  readonly outputs: ReadonlyMap<string, TensorPlan>;
  /** Output names in config order, fetched when a request names none. */
  readonly allOutputs: readonly string[];
}

function tensorPlan(io: ModelInput | ModelOutput): TensorPlan {
  const datatype = dataTypeFromConfig(io.data_type);
  const ortType = datatype ? ortTypeOf(datatype) : undefined;
  if (!datatype || !ortType) throw new Error(`'${io.name}' has data type ${io.data_type}, which onnxruntime-node cannot exchange`);
  return { name: io.name, datatype, ortType, dims: io.dims, reshape: io.reshape?.shape, optional: 'optional' in io ? io.optional === true : false };
}

/**
 * The sequence batcher's control tensors (START/END/READY/CORRID) as inputs: the core fills them
 * in, one element per batch item, so they are model inputs the config's `input` list omits.
 */
export function controlInputs(config: ModelConfig): ModelInput[] {
  const out: ModelInput[] = [];
  for (const ci of config.sequence_batching?.control_input ?? []) {
    const control = ci.control[0];
    if (!control) continue;
    let dataType: ModelInput['data_type'] = control.data_type ?? 'TYPE_INVALID';
    if (control.kind !== 'CONTROL_SEQUENCE_CORRID') {
      if (control.int32_false_true?.length) dataType = 'TYPE_INT32';
      else if (control.fp32_false_true?.length) dataType = 'TYPE_FP32';
      else if (control.bool_false_true?.length) dataType = 'TYPE_BOOL';
    }
    out.push({ name: ci.name, data_type: dataType, dims: [1] });
  }
  return out;
}

/**
 * Implicit-state tensors (`sequence_batching.state`) that the config does not list as inputs or
 * outputs: the sequence batcher feeds and reads them, so the session must know them.
 */
export function stateTensors(config: ModelConfig): { inputs: ModelInput[]; outputs: ModelOutput[] } {
  const declaredIn = new Set((config.input ?? []).map((i) => i.name));
  const declaredOut = new Set((config.output ?? []).map((o) => o.name));
  const inputs: ModelInput[] = [];
  const outputs: ModelOutput[] = [];
  for (const st of config.sequence_batching?.state ?? []) {
    if (!declaredIn.has(st.input_name)) inputs.push({ name: st.input_name, data_type: st.data_type, dims: st.dims });
    if (!declaredOut.has(st.output_name)) outputs.push({ name: st.output_name, data_type: st.data_type, dims: st.dims });
  }
  return { inputs, outputs };
}

/** Builds the plan from a completed, validated config. */
export function planFromConfig(config: ModelConfig): ModelPlan {
  const state = stateTensors(config);
  const inputs = [...(config.input ?? []), ...controlInputs(config), ...state.inputs].map(tensorPlan);
  const outputs = [...(config.output ?? []), ...state.outputs].map(tensorPlan);
  return {
    modelName: config.name,
    maxBatchSize: config.max_batch_size ?? 0,
    inputs: new Map(inputs.map((p) => [p.name, p])),
    outputs: new Map(outputs.map((p) => [p.name, p])),
    allOutputs: outputs.map((p) => p.name),
  };
}

/** Resolves a single -1 in `shape` so that the product equals `elements`; throws when impossible. */
export function resolveShape(shape: readonly number[], elements: number): number[] {
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const wildcards = shape.filter((d) => d === -1).length;
  if (wildcards === 0) {
    if (known !== elements) throw new Error(`cannot view ${elements} elements as [${shape.join(', ')}]`);
    return [...shape];
  }
  if (wildcards > 1 || known === 0 || elements % known !== 0) {
    throw new Error(`cannot view ${elements} elements as [${shape.join(', ')}]`);
  }
  return shape.map((d) => (d === -1 ? elements / known : d));
}
