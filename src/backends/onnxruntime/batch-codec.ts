/**
 * Turns a batch of requests into one feed per input (concatenated along dim 0) and the session's
 * outputs back into per-request tensors. Numeric data moves with one `set` per request on the way
 * in and zero-copy `subarray` views on the way out.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import type { InferenceRequest, InstanceResponse, Tensor, TensorData } from '../../core/types.js';
import { resolveShape, type ModelPlan, type TensorPlan } from './model-plan.js';
import { allocateNumeric, asInferdStorage, hasStorageOf, type NumericData, type WireData } from './tensor-types.js';
import type { WireTensor } from './worker-protocol.js';

/** One request that passed validation, with its data ready to concatenate. */
export interface PreparedRequest {
  /** Position in the original batch. */
  readonly index: number;
  /** Rows this request contributes along dim 0 (1 for non-batching models). */
  readonly batchSize: number;
  readonly inputs: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: NumericData | string[] }>;
  readonly outputs: readonly string[];
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * onnxruntime string tensors hold C strings of text: each BYTES element must be valid UTF-8
 * without NUL bytes (measured: onnxruntime-node 1.30 cuts "a\0b" to "a"), so arbitrary binary
 * payloads cannot pass through an ONNX model's string input and are refused, not corrupted.
 */
function decodeStrings(name: string, data: readonly Uint8Array[]): string[] {
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const element = data[i]!;
    if (element.includes(0)) {
      throw invalidArgument(`input '${name}' element ${i} contains a NUL byte; onnxruntime string tensors hold text only`);
    }
    try {
      out[i] = utf8Decoder.decode(element);
    } catch {
      throw invalidArgument(`input '${name}' element ${i} is not valid UTF-8; onnxruntime string tensors hold text only`);
    }
  }
  return out;
}

function checkInput(plan: ModelPlan, spec: TensorPlan, t: Tensor): void {
  if (t.datatype !== spec.datatype) {
    throw invalidArgument(`input '${t.name}' has datatype ${t.datatype} but model '${plan.modelName}' expects ${spec.datatype}`);
  }
  if (!hasStorageOf(t.datatype, t.data) || t.data.length !== product(t.shape)) {
    throw invalidArgument(`input '${t.name}' data does not match its datatype ${t.datatype} and shape [${t.shape.join(', ')}]`);
  }
  const batched = plan.maxBatchSize > 0;
  const expected = batched ? spec.dims.length + 1 : spec.dims.length;
  const dims = batched ? t.shape.slice(1) : t.shape;
  const fits = t.shape.length === expected && dims.every((d, i) => spec.dims[i] === -1 || spec.dims[i] === d);
  if (!fits || (batched && (t.shape[0] ?? 0) < 1)) {
    const want = batched ? `[-1, ${spec.dims.join(', ')}]` : `[${spec.dims.join(', ')}]`;
    throw invalidArgument(`input '${t.name}' has shape [${t.shape.join(', ')}], expected ${want}`);
  }
}

/** Validates one request against the plan; returns its prepared form or the error to answer with. */
export function prepareRequest(plan: ModelPlan, req: InferenceRequest, index: number): PreparedRequest | InferError {
  try {
    if (req.signal.aborted) return new InferError('CANCELLED', 'the request was cancelled');
    const inputs = new Map<string, { shape: readonly number[]; data: NumericData | string[] }>();
    let batchSize = plan.maxBatchSize > 0 ? -1 : 1;
    for (const t of req.inputs) {
      const spec = plan.inputs.get(t.name);
      if (!spec) throw invalidArgument(`unexpected input '${t.name}' for model '${plan.modelName}'`);
      checkInput(plan, spec, t);
      if (batchSize === -1) batchSize = t.shape[0]!;
      else if (plan.maxBatchSize > 0 && t.shape[0] !== batchSize) {
        throw invalidArgument(`input '${t.name}' has batch size ${t.shape[0]} but other inputs have ${batchSize}`);
      }
      const data = t.datatype === 'BYTES' ? decodeStrings(t.name, t.data as readonly Uint8Array[]) : (t.data as NumericData);
      inputs.set(t.name, { shape: t.shape, data });
    }
    for (const spec of plan.inputs.values()) {
      if (!spec.optional && !inputs.has(spec.name)) throw invalidArgument(`input '${spec.name}' is missing`);
    }
    const outputs = req.outputs ? req.outputs.map((o) => o.name) : plan.allOutputs;
    for (const name of outputs) {
      if (!plan.outputs.has(name)) throw invalidArgument(`unexpected output '${name}' for model '${plan.modelName}'`);
    }
    return { index, batchSize: Math.max(batchSize, 1), inputs, outputs };
  } catch (err) {
    return err instanceof InferError ? err : new InferError('INTERNAL', String(err));
  }
}

function sameLayout(a: PreparedRequest, b: PreparedRequest): boolean {
  if (a.inputs.size !== b.inputs.size) return false;
  for (const [name, t] of a.inputs) {
    const other = b.inputs.get(name);
    if (!other || other.shape.length !== t.shape.length) return false;
    for (let i = 1; i < t.shape.length; i++) if (other.shape[i] !== t.shape[i]) return false;
  }
  return true;
}

/** Splits prepared requests into the ones that share the first one's non-batch dims, and the rest. */
export function partitionByLayout(members: readonly PreparedRequest[]): { fit: PreparedRequest[]; misfit: PreparedRequest[] } {
  const first = members[0];
  const fit: PreparedRequest[] = [];
  const misfit: PreparedRequest[] = [];
  for (const m of members) (first && sameLayout(first, m) ? fit : misfit).push(m);
  return { fit, misfit };
}

function modelShape(spec: TensorPlan, requestShape: readonly number[], batched: boolean, rows: number): number[] {
  const item = batched ? requestShape.slice(1) : [...requestShape];
  const inner = spec.reshape ? resolveShape(spec.reshape, product(item)) : item;
  return batched ? [rows, ...inner] : inner;
}

/** Concatenates the members' inputs along dim 0 into fresh, transferable feeds. */
export function gatherFeeds(plan: ModelPlan, members: readonly PreparedRequest[]): Record<string, WireTensor> {
  const batched = plan.maxBatchSize > 0;
  const rows = members.reduce((n, m) => n + m.batchSize, 0);
  const feeds: Record<string, WireTensor> = {};
  for (const [name, first] of members[0]!.inputs) {
    const spec = plan.inputs.get(name)!;
    const dims = modelShape(spec, first.shape, batched, rows);
    let data: WireData;
    if (spec.datatype === 'BYTES') {
      data = members.length === 1 ? (first.data as string[]) : members.flatMap((m) => m.inputs.get(name)!.data as string[]);
    } else {
      const total = members.reduce((n, m) => n + m.inputs.get(name)!.data.length, 0);
      const out = allocateNumeric(spec.datatype, total);
      let offset = 0;
      for (const m of members) {
        const part = m.inputs.get(name)!.data as NumericData;
        (out as Uint8Array).set(part as Uint8Array, offset);
        offset += part.length;
      }
      data = out;
    }
    feeds[name] = { type: spec.ortType, dims, data };
  }
  return feeds;
}

/** The output names any member asked for, in config order. */
export function fetchesOf(plan: ModelPlan, members: readonly PreparedRequest[]): string[] {
  const wanted = new Set<string>();
  for (const m of members) for (const name of m.outputs) wanted.add(name);
  return plan.allOutputs.filter((name) => wanted.has(name));
}

function sliceData(spec: TensorPlan, data: WireData, start: number, end: number): TensorData {
  if (Array.isArray(data)) {
    const out = new Array<Uint8Array>(end - start);
    for (let i = start; i < end; i++) out[i - start] = utf8Encoder.encode(data[i]);
    return out;
  }
  const whole = asInferdStorage(spec.datatype, data) as NumericData;
  return start === 0 && end === whole.length ? whole : whole.subarray(start, end);
}

function checkOutput(plan: ModelPlan, spec: TensorPlan, t: WireTensor | undefined, rows: number): WireTensor {
  if (!t) throw new InferError('INTERNAL', `onnxruntime did not return output '${spec.name}'`);
  if (t.type !== spec.ortType) {
    throw new InferError('INTERNAL', `output '${spec.name}' came back as ${t.type}, the config says ${spec.datatype}`);
  }
  if (plan.maxBatchSize > 0 && t.dims[0] !== rows) {
    throw new InferError('INTERNAL', `output '${spec.name}' has ${t.dims[0]} rows for a batch of ${rows}`);
  }
  return t;
}

/** Cuts the session outputs back into one response per member, each with only its requested outputs. */
export function scatterOutputs(
  plan: ModelPlan,
  members: readonly PreparedRequest[],
  outputs: Readonly<Record<string, WireTensor>>,
): InstanceResponse[] {
  const batched = plan.maxBatchSize > 0;
  const rows = members.reduce((n, m) => n + m.batchSize, 0);
  const checked = new Map<string, WireTensor>();
  for (const name of fetchesOf(plan, members)) checked.set(name, checkOutput(plan, plan.outputs.get(name)!, outputs[name], rows));
  const responses: InstanceResponse[] = [];
  let row = 0;
  for (const m of members) {
    const tensors: Tensor[] = [];
    for (const name of m.outputs) {
      const spec = plan.outputs.get(name)!;
      const full = checked.get(name)!;
      const inner = product(full.dims.slice(batched ? 1 : 0));
      const start = batched ? row * inner : 0;
      const end = batched ? (row + m.batchSize) * inner : inner;
      const itemShape = spec.reshape ? resolveShape(spec.dims, inner) : full.dims.slice(batched ? 1 : 0);
      const shape = batched ? [m.batchSize, ...itemShape] : itemShape;
      tensors.push({ name, datatype: spec.datatype, shape, data: sliceData(spec, full.data, start, end) });
    }
    responses.push({ ok: true, outputs: tensors });
    row += m.batchSize;
  }
  return responses;
}
