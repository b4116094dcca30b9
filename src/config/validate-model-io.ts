/**
 * Input/output and batch-input/output checks of a model config, after Triton's ValidateIOShape,
 * ValidateModelInput/Output and ValidateBatchIO (core src/model_config_utils.cc), plus the
 * duplicate-name check Triton makes when it builds its tensor maps.
 */
import { invalidArgument } from '../core/errors.js';
import type { ModelConfig, ModelInput, ModelOutput } from './model-config.js';

const WILDCARD = -1;
const TENSORRT_PLATFORM = 'tensorrt_plan';

/** Products of the runs of fixed dims between wildcards; [2,4,-1,6] → [8, 6]. */
function trunkSizes(dims: readonly number[]): number[] {
  const sizes: number[] = [];
  let current = 1;
  for (const d of dims) {
    if (d === WILDCARD) {
      sizes.push(current);
      current = 1;
    } else {
      current *= d;
    }
  }
  sizes.push(current);
  return sizes;
}

function validateShape(io: ModelInput | ModelOutput, maxBatchSize: number, prefix: string): void {
  if (!io.name) throw invalidArgument(`${prefix}must specify 'name'`);
  const label = `${prefix}'${io.name}' `;
  if (!io.data_type || io.data_type === 'TYPE_INVALID') throw invalidArgument(`${label}must specify 'data_type'`);
  const dims = io.dims ?? [];
  if (dims.length === 0) throw invalidArgument(`${label}must specify 'dims'`);
  if (dims.some((d) => d < 1 && d !== WILDCARD)) {
    throw invalidArgument(`${label}dimension must be integer >= 1, or -1 to indicate a variable-size dimension`);
  }
  if (!io.reshape) return;
  const shape = io.reshape.shape ?? [];
  if (shape.length === 0 && maxBatchSize === 0) {
    throw invalidArgument(`${label}cannot have empty reshape for non-batching model as scalar tensors are not supported`);
  }
  if (shape.some((d) => d < 1 && d !== WILDCARD)) {
    throw invalidArgument(`${label}reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension`);
  }
  const dimTrunks = trunkSizes(dims);
  const shapeTrunks = trunkSizes(shape);
  const dimsVariable = dimTrunks.length > 1;
  const shapeVariable = shapeTrunks.length > 1;
  if (!dimsVariable && !shapeVariable) {
    const dimsCount = dimTrunks[0]!;
    // NOTE: an empty reshape stands for a scalar and matches dims whose element count is 1.
    if (dimsCount !== shapeTrunks[0] && !(shape.length === 0 && dimsCount === 1)) {
      throw invalidArgument(`${label}has different size for dims and reshape`);
    }
    return;
  }
  if (dimsVariable !== shapeVariable) throw invalidArgument(`${label}has different size for dims and reshape`);
  if (dimTrunks.length !== shapeTrunks.length) {
    throw invalidArgument(`${label}has different number of variable-size dimensions for dims and reshape`);
  }
  if (dimTrunks.some((n, i) => n !== shapeTrunks[i])) throw invalidArgument(`${label}has different size for dims and reshape`);
}

function validateTensorRtOnly(io: ModelInput | ModelOutput, platform: string, kind: 'input' | 'output'): void {
  if (platform !== TENSORRT_PLATFORM && io.is_shape_tensor) {
    throw invalidArgument('shape tensors are only supported for TensorRT platform');
  }
  if (!io.is_non_linear_format_io) return;
  if (platform !== TENSORRT_PLATFORM) throw invalidArgument('Non-linear IO format is only supported for the TensorRT platform');
  if ((io.dims ?? []).length !== 3) throw invalidArgument(`Non-linear IO format ${kind} requires 3 dims`);
}

function checkUnique(names: readonly string[], what: string, model: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalidArgument(`duplicate ${what} name '${n}' for ${model}`);
    seen.add(n);
  }
}

function validateBatchIo(config: ModelConfig): void {
  const inputs = new Set((config.input ?? []).map((i) => i.name));
  const outputs = new Set((config.output ?? []).map((o) => o.name));
  for (const raw of config.batch_input ?? []) {
    const b = raw as { kind?: string; data_type?: string; source_input?: string[] };
    const kind = b.kind ?? 'BATCH_ELEMENT_COUNT';
    const sources = b.source_input ?? [];
    if (sources.length !== 1) throw invalidArgument(`batch input kind '${kind}' expects 1 source input, got ${sources.length}`);
    if (b.data_type !== 'TYPE_INT32' && b.data_type !== 'TYPE_FP32') {
      throw invalidArgument('batch input data type must be TYPE_INT32 or TYPE_FP32');
    }
    for (const s of sources) if (!inputs.has(s)) throw invalidArgument(`unknown source input name '${s}'`);
  }
  for (const raw of config.batch_output ?? []) {
    const b = raw as { kind?: string; source_input?: string[]; target_name?: string[] };
    const sources = b.source_input ?? [];
    if (sources.length !== 1) {
      throw invalidArgument(`batch output kind '${b.kind ?? 'BATCH_SCATTER_WITH_INPUT_SHAPE'}' expects 1 source input, got ${sources.length}`);
    }
    for (const s of sources) if (!inputs.has(s)) throw invalidArgument(`unknown source input name '${s}'`);
    const targets = new Set<string>();
    for (const t of b.target_name ?? []) {
      if (!outputs.has(t)) throw invalidArgument(`unknown target output name '${t}'`);
      if (targets.has(t)) throw invalidArgument(`target output name '${t}' can only be specified once`);
      targets.add(t);
    }
  }
}

/** Throws INVALID_ARGUMENT for the first bad input, output, batch input or batch output of `config`. */
export function validateModelIo(config: ModelConfig): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const platform = config.platform ?? '';
  const suffix = (err: unknown): never => {
    throw invalidArgument(`${(err as Error).message} for ${config.name}`);
  };
  try {
    for (const io of config.input ?? []) {
      validateShape(io, maxBatchSize, 'model input ');
      const format = io.format ?? 'FORMAT_NONE';
      if (format !== 'FORMAT_NONE' && io.dims.length !== 3) throw invalidArgument('model input NHWC/NCHW require 3 dims');
      validateTensorRtOnly(io, platform, 'input');
    }
    for (const io of config.output ?? []) {
      validateShape(io, maxBatchSize, 'model output ');
      validateTensorRtOnly(io, platform, 'output');
    }
    validateBatchIo(config);
  } catch (err) {
    suffix(err);
  }
  checkUnique((config.input ?? []).map((i) => i.name), 'input', config.name);
  checkUnique((config.output ?? []).map((o) => o.name), 'output', config.name);
}
