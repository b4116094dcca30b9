/**
 * Identity model instances: each output is a copy of the input at the same config position.
 * The batch instance answers every request once, in order, failing bad requests alone; the
 * decoupled instance emits the copy `decoupled_repeat` times per request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InferError } from '../../core/errors.js';
import type { DataType, InferenceRequest, InstanceResponse, Tensor, TensorData } from '../../core/types.js';
import type { BatchInstance, DecoupledInstance } from '../backend.js';
import type { IdentitySettings } from './identity-settings.js';

type NumericData = Exclude<TensorData, readonly Uint8Array[]>;

/** `TYPE_FP32` → `FP32`; kept local because backends import only the backend contract and core types. */
function tensorType(configType: string): DataType {
  return (configType === 'TYPE_STRING' ? 'BYTES' : configType.replace(/^TYPE_/, '')) as DataType;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bf16ToNumber(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
}

/** True when any element of `t` equals `needle` (numerically, or as UTF-8 text for BYTES). */
function holdsValue(t: Tensor, needle: string): boolean {
  if (t.datatype === 'BYTES') {
    return (t.data as readonly Uint8Array[]).some((el) => Buffer.from(el).toString('utf8') === needle);
  }
  const target = Number(needle);
  if (Number.isNaN(target)) return false;
  const decode = t.datatype === 'FP16' ? halfToNumber : t.datatype === 'BF16' ? bf16ToNumber : Number;
  for (const v of t.data as NumericData) if (decode(v as number) === target) return true;
  return false;
}

function copyData(data: TensorData): TensorData {
  return Array.isArray(data) ? [...(data as readonly Uint8Array[])] : (data as NumericData).slice();
}

function fail(message: string): InstanceResponse {
  return { ok: false, error: new InferError('INVALID_ARGUMENT', message) };
}

/** Checks one input tensor against its config entry; returns an error message or undefined. */
function checkInput(s: IdentitySettings, spec: IdentitySettings['pairs'][number]['input'], t: Tensor): string | undefined {
  const expected = tensorType(spec.data_type);
  if (t.datatype !== expected) {
    return `identity: input '${t.name}' has datatype ${t.datatype}, model '${s.modelName}' expects ${expected}`;
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    return `identity: input '${t.name}' has ${t.data.length} elements but shape [${t.shape.join(',')}] needs ${count}`;
  }
  const rank = spec.dims.length + (s.batching ? 1 : 0);
  if (!spec.reshape && t.shape.length !== rank) {
    return `identity: input '${t.name}' has rank ${t.shape.length}, model '${s.modelName}' expects ${rank}`;
  }
  return undefined;
}

/** Computes one request's response; never throws. */
export function echo(s: IdentitySettings, req: InferenceRequest): InstanceResponse {
  if (req.signal.aborted) return { ok: false, error: new InferError('CANCELLED', `request '${req.id}' was cancelled`) };
  const known = new Set(s.pairs.map((p) => p.input.name));
  const stray = req.inputs.find((t) => !known.has(t.name));
  if (stray) return fail(`identity: unexpected input '${stray.name}' for model '${s.modelName}'`);
  const outputNames = new Set(s.pairs.map((p) => p.output.name));
  const unknown = req.outputs?.find((o) => !outputNames.has(o.name));
  if (unknown) return fail(`identity: unknown output '${unknown.name}' for model '${s.modelName}'`);
  const wanted = req.outputs ? new Set(req.outputs.map((o) => o.name)) : outputNames;

  const outputs: Tensor[] = [];
  for (const { input, output } of s.pairs) {
    const t = req.inputs.find((x) => x.name === input.name);
    if (!t) {
      if (input.optional) continue;
      return fail(`identity: missing input '${input.name}' for model '${s.modelName}'`);
    }
    const problem = checkInput(s, input, t);
    if (problem) return fail(problem);
    if (s.failOnValue !== undefined && holdsValue(t, s.failOnValue)) {
      return { ok: false, error: new InferError('INTERNAL', `identity: input '${t.name}' holds fail_on_value ${s.failOnValue}`) };
    }
    if (wanted.has(output.name)) {
      outputs.push({ name: output.name, datatype: t.datatype, shape: [...t.shape], data: copyData(t.data) });
    }
  }
  return { ok: true, outputs };
}

class Lifecycle {
  private disposed = false;
  constructor(private readonly modelName: string) {}
  check(): void {
    if (this.disposed) throw new InferError('UNAVAILABLE', `identity: instance of model '${this.modelName}' is disposed`);
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** Builds a batch instance: one delay per execute, then one response per request (or a throw, for `throw_on_value`). */
export function createBatchInstance(s: IdentitySettings): BatchInstance {
  const life = new Lifecycle(s.modelName);
  return {
    kind: 'batch',
    async execute(batch) {
      life.check();
      if (s.delayMs > 0) await sleep(s.delayMs);
      const poison = s.throwOnValue;
      if (poison !== undefined && batch.some((req) => req.inputs.some((t) => holdsValue(t, poison)))) {
        // NOTE: a plain Error on purpose: it stands for a backend bug, which the core must wrap as INTERNAL.
        throw new Error(`identity: a request of the batch holds throw_on_value ${poison}`);
      }
      return batch.map((req) => echo(s, req));
    },
    async dispose() {
      life.dispose();
    },
  };
}

/** Builds a decoupled instance: `repeat` copies per request, each after the configured delay. */
export function createDecoupledInstance(s: IdentitySettings): DecoupledInstance {
  const life = new Lifecycle(s.modelName);
  return {
    kind: 'decoupled',
    async execute(request, emit) {
      life.check();
      const response = echo(s, request);
      if (!response.ok) throw response.error;
      for (let i = 0; i < s.repeat; i++) {
        if (s.delayMs > 0) await sleep(s.delayMs, undefined, { signal: request.signal }).catch(() => undefined);
        if (request.signal.aborted) throw new InferError('CANCELLED', `request '${request.id}' was cancelled`);
        emit(i === 0 ? response.outputs : response.outputs.map((t) => ({ ...t, data: copyData(t.data) })));
      }
    },
    async dispose() {
      life.dispose();
    },
  };
}
