/**
 * Encodes float32 tensor data into ggml storage types: F32, F16 and Q8_0 (blocks of 32 values,
 * one fp16 scale and 32 int8 quants, as ggml's `quantize_row_q8_0_ref`).
 */
import type { GgufWritableTensorType } from './gguf-types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of `value`, rounded to nearest even (overflow gives infinity). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // NOTE: a carry out of the mantissa bumps the exponent, which is the correct rounding.
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** The float value of IEEE 754 half-precision `bits`. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Q8_0 block: 32 values per 34 bytes. */
export const Q8_0_BLOCK = 32;
const Q8_0_BYTES = 34;

function roundHalfAwayFromZero(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Quantizes `values` (length a multiple of 32) into Q8_0 blocks. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${values.length}`);
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(values[base + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const at = b * Q8_0_BYTES;
    view.setUint16(at, float32ToFloat16Bits(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) view.setInt8(at + 2 + j, roundHalfAwayFromZero(values[base + j]! * id));
  }
  return out;
}

/** Dequantizes Q8_0 blocks back to float32 (for tests and inspection). */
export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const blocks = Math.floor(bytes.length / Q8_0_BYTES);
  const out = new Float32Array(blocks * Q8_0_BLOCK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < blocks; b++) {
    const d = float16BitsToFloat32(view.getUint16(b * Q8_0_BYTES, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = d * view.getInt8(b * Q8_0_BYTES + 2 + j);
  }
  return out;
}

/** Encodes float32 `values` as `type`, little-endian. */
export function encodeTensorData(type: GgufWritableTensorType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32': {
      const out = new Uint8Array(values.length * 4);
      const view = new DataView(out.buffer);
      for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
      return out;
    }
    case 'F16': {
      const out = new Uint8Array(values.length * 2);
      const view = new DataView(out.buffer);
      for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float32ToFloat16Bits(values[i]!), true);
      return out;
    }
    case 'Q8_0':
      return quantizeQ8_0(values);
  }
}
