/**
 * Triton's classification extension: turns a score tensor into the top-k "value:index[:label]"
 * strings per batch item, computed in the core so every front-end and backend gets it for free.
 */
import { invalidArgument } from './errors.js';
import type { Tensor } from './types.js';

const encoder = new TextEncoder();

/** Replaces `tensor` by its top-`k` classes per batch item (BYTES, shape [batch, k] or [k]). */
export function classify(tensor: Tensor, k: number, batching: boolean, labels: readonly string[] | undefined): Tensor {
  if (tensor.datatype === 'BYTES') throw invalidArgument(`classification is not supported for BYTES output '${tensor.name}'`);
  const values = toNumbers(tensor);
  const rows = batching ? (tensor.shape[0] ?? 1) : 1;
  const perRow = rows === 0 ? 0 : values.length / rows;
  const take = Math.min(k, perRow);
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const base = r * perRow;
    const order = Array.from({ length: perRow }, (_, i) => i);
    order.sort((a, b) => (values[base + b] ?? 0) - (values[base + a] ?? 0) || a - b);
    for (const idx of order.slice(0, take)) {
      const label = labels?.[idx];
      const text = `${(values[base + idx] ?? 0).toFixed(6)}:${idx}${label ? `:${label}` : ''}`;
      out.push(encoder.encode(text));
    }
  }
  return { name: tensor.name, datatype: 'BYTES', shape: batching ? [rows, take] : [take], data: out };
}

function toNumbers(tensor: Tensor): ArrayLike<number> {
  const data = tensor.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  if (tensor.datatype === 'FP16' || tensor.datatype === 'BF16') {
    return Array.from(data as Uint16Array, tensor.datatype === 'FP16' ? halfToFloat : (b) => bf16ToFloat(b));
  }
  return data as ArrayLike<number>;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0] ?? 0;
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
