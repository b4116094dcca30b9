/**
 * The sequence batcher's control tensors (Triton's CONTROL_SEQUENCE_START/END/READY/CORRID),
 * computed once per model from `sequence_batching.control_input` and filled into each request.
 * Each control is one element per request: shape [1], or [1, 1] when the model batches.
 */
import { configDataTypeToDataType } from '../../config/datatypes.js';
import type { ModelConfig, SequenceControl } from '../../config/model-config.js';
import { invalidArgument } from '../errors.js';
import type { DataType, Tensor } from '../types.js';

/** A boolean control: the tensor name, its datatype and the false/true values from the config. */
export interface BooleanControl {
  readonly name: string;
  readonly datatype: 'INT32' | 'FP32' | 'BOOL';
  readonly falseValue: number;
  readonly trueValue: number;
}

/** Every control a model asked for; absent ones are not fed. */
export interface SequenceControlPlan {
  readonly start?: BooleanControl;
  readonly end?: BooleanControl;
  readonly ready?: BooleanControl;
  readonly corrid?: { readonly name: string; readonly datatype: DataType };
  /** True when tensors carry a leading batch dimension. */
  readonly batching: boolean;
}

/** What a request (or a padding slot) signals to the model. */
export interface ControlFlags {
  readonly start: boolean;
  readonly end: boolean;
  readonly ready: boolean;
}

function booleanControl(name: string, c: SequenceControl): BooleanControl {
  if (c.int32_false_true?.length === 2) return { name, datatype: 'INT32', falseValue: c.int32_false_true[0]!, trueValue: c.int32_false_true[1]! };
  if (c.fp32_false_true?.length === 2) return { name, datatype: 'FP32', falseValue: c.fp32_false_true[0]!, trueValue: c.fp32_false_true[1]! };
  const b = c.bool_false_true ?? [false, true];
  return { name, datatype: 'BOOL', falseValue: b[0] ? 1 : 0, trueValue: b[1] ? 1 : 0 };
}

/** Reads the control inputs of a (validated) config. */
export function sequenceControlPlan(config: ModelConfig): SequenceControlPlan {
  const plan: { -readonly [K in keyof SequenceControlPlan]: SequenceControlPlan[K] } = { batching: (config.max_batch_size ?? 0) > 0 };
  for (const input of config.sequence_batching?.control_input ?? []) {
    for (const c of input.control ?? []) {
      switch (c.kind) {
        case 'CONTROL_SEQUENCE_START':
          plan.start = booleanControl(input.name, c);
          break;
        case 'CONTROL_SEQUENCE_END':
          plan.end = booleanControl(input.name, c);
          break;
        case 'CONTROL_SEQUENCE_READY':
          plan.ready = booleanControl(input.name, c);
          break;
        case 'CONTROL_SEQUENCE_CORRID':
          plan.corrid = { name: input.name, datatype: configDataTypeToDataType(c.data_type ?? 'TYPE_UINT64') };
          break;
      }
    }
  }
  return plan;
}

/** Inputs the sequence batcher provides (controls and implicit state): clients must not send them. */
export function sequenceInternalInputs(config: ModelConfig): ReadonlySet<string> {
  const names = new Set<string>();
  for (const input of config.sequence_batching?.control_input ?? []) names.add(input.name);
  for (const state of config.sequence_batching?.state ?? []) names.add(state.input_name);
  return names;
}

/** Outputs that carry implicit state: kept by the batcher and returned only when requested. */
export function sequenceStateOutputs(config: ModelConfig): ReadonlySet<string> {
  return new Set((config.sequence_batching?.state ?? []).map((s) => s.output_name));
}

function booleanTensor(c: BooleanControl, value: boolean, shape: readonly number[]): Tensor {
  const v = value ? c.trueValue : c.falseValue;
  const data = c.datatype === 'INT32' ? Int32Array.of(v) : c.datatype === 'FP32' ? Float32Array.of(v) : Uint8Array.of(v);
  return { name: c.name, datatype: c.datatype, shape, data };
}

const UINT64_TEXT = /^(0|[1-9][0-9]{0,19})$/;

/**
 * The CORRID element for `id`. Numeric types take the id as an unsigned 64-bit integer and, like
 * Triton's byte copy, keep its low 32 bits for 32-bit types (INT64/INT32 read the same bits as
 * signed). A non-numeric id cannot feed a numeric CORRID and is refused.
 */
function corridTensor(name: string, datatype: DataType, id: string, shape: readonly number[], modelName: string): Tensor {
  if (datatype === 'BYTES') return { name, datatype, shape, data: [new TextEncoder().encode(id)] };
  if (!UINT64_TEXT.test(id) || BigInt(id) >= 2n ** 64n) {
    throw invalidArgument(`sequence id '${id}' for model '${modelName}' must be an unsigned 64-bit integer: the model's CORRID control is ${datatype}`);
  }
  const n = BigInt(id);
  switch (datatype) {
    case 'UINT64':
      return { name, datatype, shape, data: BigUint64Array.of(n) };
    case 'INT64':
      return { name, datatype, shape, data: BigInt64Array.of(BigInt.asIntN(64, n)) };
    case 'UINT32':
      return { name, datatype, shape, data: Uint32Array.of(Number(BigInt.asUintN(32, n))) };
    case 'INT32':
      return { name, datatype, shape, data: Int32Array.of(Number(BigInt.asIntN(32, n))) };
    default:
      throw invalidArgument(`unsupported CORRID datatype ${datatype} for model '${modelName}'`);
  }
}

/** The control tensors for one request; `corrid` is the request's correlation id ('0' for padding). */
export function controlTensors(plan: SequenceControlPlan, flags: ControlFlags, corrid: string, modelName: string): Tensor[] {
  const shape = plan.batching ? [1, 1] : [1];
  const out: Tensor[] = [];
  if (plan.start) out.push(booleanTensor(plan.start, flags.ready && flags.start, shape));
  if (plan.end) out.push(booleanTensor(plan.end, flags.ready && flags.end, shape));
  if (plan.ready) out.push(booleanTensor(plan.ready, flags.ready, shape));
  if (plan.corrid) out.push(corridTensor(plan.corrid.name, plan.corrid.datatype, corrid, shape, modelName));
  return out;
}
