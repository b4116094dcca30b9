/**
 * Range rules for the schema's integer types, shared by the pbtxt and JSON readers. 64-bit
 * integers become JS numbers, so values beyond Number.MAX_SAFE_INTEGER are refused rather than
 * silently rounded.
 */
import type { ScalarType } from './model-config-schema.js';

const LIMITS: Readonly<Partial<Record<ScalarType, readonly [bigint, bigint]>>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER)],
  uint64: [0n, BigInt(Number.MAX_SAFE_INTEGER)],
};

/** True for the four integer types. */
export function isIntegerType(t: ScalarType): boolean {
  return Object.hasOwn(LIMITS, t);
}

/** Converts `value` to a number when it fits `type`; otherwise returns the reason it does not. */
export function checkInteger(type: ScalarType, value: bigint): { value: number } | { error: string } {
  const [min, max] = LIMITS[type] ?? [0n, -1n];
  if (value >= min && value <= max) return { value: Number(value) };
  if ((type === 'int64' || type === 'uint64') && (value > max || (type === 'int64' && value < min))) {
    return { error: `${type} value ${value} is beyond ${type === 'int64' ? '±' : ''}2^53-1 (Number.MAX_SAFE_INTEGER), the largest integer inferd represents exactly` };
  }
  return { error: `value ${value} is out of range for ${type}` };
}

/** Parses protobuf integer text (decimal, 0x hex, 0 octal) without sign; undefined when it is not an integer. */
export function parseIntegerText(text: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  if (/^(0|[1-9][0-9]*)$/.test(text)) return BigInt(text);
  return undefined;
}
