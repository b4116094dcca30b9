/**
 * JSON parsing for KServe bodies. JSON.parse turns integers beyond 2^53 into the nearest double,
 * which silently corrupts INT64/UINT64 data and uint64 sequence ids. The fast path parses
 * normally; a decoder that meets an integer it cannot trust throws InexactIntegerError, and the
 * caller parses the same text again with every long integer literal preserved as its digits.
 */
import { invalidArgument } from '../../core/errors.js';

/** Thrown by decoders when a JSON integer lost precision; the caller re-parses with `parseJsonExact`. */
export class InexactIntegerError extends Error {
  override readonly name = 'InexactIntegerError';
}

// NOTE: the key is random per process, so no client can forge a preserved-integer object.
const EXACT_KEY = `\u0000exact-int-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const EXACT_KEY_JSON = JSON.stringify(EXACT_KEY);

// Strings are matched whole so digits inside them are never touched; integer literals of 16 or
// more digits (the only ones that can exceed 2^53) are wrapped, fractions and exponents are not.
const LONG_INTEGER_OR_STRING = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\w.])/g;

/** Parses JSON text; any syntax error (or a stack overflow on deep nesting) becomes INVALID_ARGUMENT. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidArgument(`failed to parse the request JSON buffer: ${(err as Error).message}`);
  }
}

/** Parses JSON text keeping integer literals of 16+ digits exact (read them with `exactIntegerText`). */
export function parseJsonExact(text: string): unknown {
  const wrapped = text.replace(LONG_INTEGER_OR_STRING, (m) => (m.charCodeAt(0) === 34 ? m : `{${EXACT_KEY_JSON}:"${m}"}`));
  return parseJson(wrapped);
}

/** The decimal digits of an integer preserved by `parseJsonExact`, or undefined for any other value. */
export function exactIntegerText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const digits = (value as Record<string, unknown>)[EXACT_KEY];
  return typeof digits === 'string' ? digits : undefined;
}

/**
 * Reads a JSON value as an exact integer: a safe-integer number or a preserved literal. Returns
 * undefined for anything else. On the fast path (`exact` false) an integer beyond 2^53 that
 * JSON.parse already rounded throws InexactIntegerError so the caller can re-parse exactly.
 */
export function readExactInteger(value: unknown, exact: boolean): bigint | undefined {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return BigInt(value);
    // NOTE: after the exact re-parse a large integer-valued number can only come from a literal
    // with an exponent or fraction (1e20), which is not an integer in Triton's JSON either.
    if (!exact && Number.isInteger(value)) throw new InexactIntegerError();
    return undefined;
  }
  const digits = exactIntegerText(value);
  return digits === undefined ? undefined : BigInt(digits);
}
