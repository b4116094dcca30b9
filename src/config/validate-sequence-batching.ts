/**
 * Sequence batcher checks, after Triton's GetBooleanSequenceControlProperties,
 * GetTypedSequenceControlProperties and the sequence part of ValidateModelConfig.
 */
import { invalidArgument } from '../core/errors.js';
import type { ModelConfig, SequenceBatching, SequenceControl } from './model-config.js';

type ControlKind = SequenceControl['kind'];

const BOOLEAN_KINDS: readonly ControlKind[] = ['CONTROL_SEQUENCE_START', 'CONTROL_SEQUENCE_END', 'CONTROL_SEQUENCE_READY'];
const CORRID_TYPES = new Set(['TYPE_UINT64', 'TYPE_INT64', 'TYPE_UINT32', 'TYPE_INT32', 'TYPE_STRING']);

/** Finds the one control of `kind`, checking names are set and unique; undefined when absent. */
function findControl(batcher: SequenceBatching, kind: ControlKind, model: string): SequenceControl | undefined {
  const seenTensors = new Set<string>();
  let found: SequenceControl | undefined;
  for (const input of batcher.control_input ?? []) {
    if (!input.name) throw invalidArgument(`sequence batching control tensor must have a name for ${model}`);
    if (seenTensors.has(input.name)) {
      throw invalidArgument(`sequence batching control tensor '${input.name}' is specified for multiple control kinds for ${model}`);
    }
    seenTensors.add(input.name);
    for (const c of input.control ?? []) {
      if ((c.kind ?? 'CONTROL_SEQUENCE_START') !== kind) continue;
      if (found) throw invalidArgument(`sequence batching specifies multiple ${kind} tensors for ${model}`);
      found = c;
    }
  }
  return found;
}

function validateBooleanControl(c: SequenceControl, kind: ControlKind, model: string): void {
  const lists = [
    ['int32_false_true', c.int32_false_true?.length ?? 0],
    ['fp32_false_true', c.fp32_false_true?.length ?? 0],
    ['bool_false_true', c.bool_false_true?.length ?? 0],
  ] as const;
  const given = lists.filter(([, n]) => n > 0);
  if (given.length === 0) {
    throw invalidArgument(
      `sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${model}`,
    );
  }
  if (given.length > 1) {
    throw invalidArgument(
      `sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' for ${kind} for ${model}`,
    );
  }
  const [field, n] = given[0]!;
  if (n !== 2) throw invalidArgument(`sequence batching control '${field}' must have exactly 2 entries for ${kind} for ${model}`);
}

function validatePreferred(sizes: readonly number[] | undefined, maxBatchSize: number, model: string): void {
  for (const size of sizes ?? []) {
    if (size <= 0) throw invalidArgument(`sequence batching preferred batch size must be positive for ${model}`);
    if (size > maxBatchSize) throw invalidArgument(`sequence batching preferred batch size must be <= max batch size for ${model}`);
  }
}

/** Throws INVALID_ARGUMENT when the config's sequence batching settings are inconsistent. */
export function validateSequenceBatching(config: ModelConfig): void {
  const batcher = config.sequence_batching;
  if (!batcher) return;
  const model = config.name;
  if (config.response_cache?.enable) {
    throw invalidArgument(
      `Response Cache does not currently support model ${model} with sequence batching scheduler. Please disable the response cache.`,
    );
  }
  for (const kind of BOOLEAN_KINDS) {
    const c = findControl(batcher, kind, model);
    if (c) validateBooleanControl(c, kind, model);
  }
  const corrid = findControl(batcher, 'CONTROL_SEQUENCE_CORRID', model);
  if (corrid) {
    if (corrid.int32_false_true?.length || corrid.fp32_false_true?.length || corrid.bool_false_true?.length) {
      throw invalidArgument(
        `sequence batching must not specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for CONTROL_SEQUENCE_CORRID for ${model}`,
      );
    }
    if (!CORRID_TYPES.has(corrid.data_type ?? 'TYPE_INVALID')) {
      throw invalidArgument(
        `unexpected data type for control CONTROL_SEQUENCE_CORRID for ${model}. Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING`,
      );
    }
  }
  if (batcher.direct && batcher.oldest) throw invalidArgument(`sequence batching must use one strategy, 'direct' or 'oldest', for ${model}`);
  if (batcher.oldest) validatePreferred(batcher.oldest.preferred_batch_size, config.max_batch_size ?? 0, model);
  const utilization = batcher.direct?.minimum_slot_utilization ?? 0;
  if (utilization < 0 || utilization > 1) {
    throw invalidArgument(`sequence batching minimum slot utilization must be in range (0.0, 1.0] for ${model}`);
  }
  const stateNames = new Set<string>();
  for (const s of batcher.state ?? []) {
    if (!s.input_name || !s.output_name) {
      throw invalidArgument(`sequence batching state must specify 'input_name' and 'output_name' for ${model}`);
    }
    if (stateNames.has(s.input_name)) throw invalidArgument(`sequence batching state '${s.input_name}' is specified more than once for ${model}`);
    stateNames.add(s.input_name);
  }
}
