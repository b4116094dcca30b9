/**
 * `map<string, InferParameter>` fields ⇄ core values. Request-level keys Triton gives meaning to
 * (sequence_id, sequence_start, sequence_end, priority, timeout, triton_enable_empty_final_response)
 * become InferenceRequest fields; every other key passes through; other `triton_` keys are refused,
 * with Triton's messages.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import type { ParameterValue } from '../../core/types.js';
import { splitRequestParameters, type SplitRequestParameters } from '../../core/request-parameters.js';
import type { InferParameterMap, InferParameterMessage } from './messages.js';

/** Reserved `triton_` request keys a client may set. */
export const TRITON_RESERVED_REQUEST_PARAMS: readonly string[] = ['triton_enable_empty_final_response'];

/** Request-level parameters split into InferenceRequest fields. */
export interface RequestParameters extends SplitRequestParameters {
  /** `triton_enable_empty_final_response`: stream an empty response that only carries the final flag. */
  readonly enableEmptyFinalResponse: boolean;
}

const UINT64_MOD = 2n ** 64n;

function typeError(key: string, expected: string): InferError {
  return invalidArgument(`invalid value type for '${key}' parameter, expected ${expected}.`);
}

/** The value of an integer member as a BigInt (proto-loader hands 64-bit values over as strings). */
function bigint(p: InferParameterMessage, member: 'int64_param' | 'uint64_param'): bigint {
  return BigInt(p[member] ?? 0);
}

function readBool(p: InferParameterMessage, key: string): boolean {
  if (p.parameter_choice !== 'bool_param') throw typeError(key, 'bool_param');
  return p.bool_param === true;
}

function readSequenceId(p: InferParameterMessage): string {
  switch (p.parameter_choice) {
    case 'string_param':
      return p.string_param ?? '';
    case 'int64_param': {
      // NOTE: Triton stores the int64 as its uint64 correlation id, so negatives wrap around.
      const v = bigint(p, 'int64_param');
      return (v < 0n ? v + UINT64_MOD : v).toString();
    }
    case 'uint64_param':
      return bigint(p, 'uint64_param').toString();
    default:
      throw typeError('sequence_id', 'int64_param or string_param');
  }
}

function readPriority(p: InferParameterMessage): number {
  let v: bigint;
  if (p.parameter_choice === 'int64_param') {
    v = bigint(p, 'int64_param');
    if (v < 0n) throw invalidArgument("invalid value for 'priority', expected value >= 0.");
  } else if (p.parameter_choice === 'uint64_param') {
    v = bigint(p, 'uint64_param');
  } else {
    throw typeError('priority', 'int64_param or uint64_param');
  }
  // Levels past 2^53 cannot exist in any config, so clamping keeps them "lowest priority".
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function readTimeout(p: InferParameterMessage): number {
  if (p.parameter_choice !== 'int64_param') throw typeError('timeout', 'int64_param');
  const v = bigint(p, 'int64_param');
  if (v < 0n) throw invalidArgument("invalid value for 'timeout', expected value >= 0.");
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function readPassThrough(p: InferParameterMessage, key: string): ParameterValue {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param === true;
    case 'string_param':
      return p.string_param ?? '';
    case 'double_param':
      return p.double_param ?? 0;
    case 'int64_param': {
      const v = Number(p.int64_param ?? 0);
      if (!Number.isSafeInteger(v)) {
        throw invalidArgument(`parameter '${key}' value ${String(p.int64_param)} is beyond ±(2^53-1) and cannot be carried exactly`);
      }
      return v;
    }
    default:
      throw typeError(key, 'int64_param, bool_param, double_param or string_param');
  }
}

/** Splits a request's parameters into InferenceRequest fields, as Triton's gRPC front-end does. */
export function decodeRequestParameters(map: InferParameterMap): RequestParameters {
  let enableEmptyFinalResponse = false;
  const split = splitRequestParameters(Object.entries(map), {
    sequenceId: readSequenceId,
    bool: readBool,
    priority: readPriority,
    timeout: readTimeout,
    passThrough: readPassThrough,
    own: (key, p) => {
      if (key !== 'triton_enable_empty_final_response') return false;
      enableEmptyFinalResponse = readBool(p, key);
      return true;
    },
    reservedKey: () =>
      invalidArgument(
        "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys " +
          `starting with 'triton_' are allowed: ${TRITON_RESERVED_REQUEST_PARAMS.join(' ')}`,
      ),
  });
  return { ...split, enableEmptyFinalResponse };
}

function refuseSharedMemory(map: InferParameterMap, where: string): void {
  if (Object.hasOwn(map, 'shared_memory_region')) {
    throw new InferError('UNSUPPORTED', `shared memory is not supported by this server (${where})`);
  }
}

/** Checks an input's parameters: shared memory is refused, others carry nothing for the core. */
export function checkInputParameters(map: InferParameterMap, name: string): void {
  refuseSharedMemory(map, `input '${name}'`);
}

/** Reads a requested output's `classification` (top-k) parameter; refuses shared memory. */
export function decodeOutputParameters(map: InferParameterMap, name: string): { classification?: number } {
  refuseSharedMemory(map, `output '${name}'`);
  const p = Object.hasOwn(map, 'classification') ? map['classification'] : undefined;
  if (p === undefined) return {};
  if (p.parameter_choice !== 'int64_param' && p.parameter_choice !== 'uint64_param') {
    throw typeError('classification', 'int64_param');
  }
  const k = Number(p[p.parameter_choice] ?? 0);
  if (!Number.isSafeInteger(k) || k < 0) throw invalidArgument(`invalid value for 'classification': ${k}`);
  return k === 0 ? {} : { classification: k };
}

/** Encodes one value as an InferParameter: integers as int64, other numbers as double. */
export function encodeParameter(value: ParameterValue): InferParameterMessage {
  if (typeof value === 'boolean') return { bool_param: value };
  if (typeof value === 'string') return { string_param: value };
  return Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
}

/** Encodes a parameter record as a `map<string, InferParameter>`. */
export function encodeParameters(params: Readonly<Record<string, ParameterValue>>): InferParameterMap {
  const out: InferParameterMap = {};
  for (const key of Object.keys(params)) {
    Object.defineProperty(out, key, { value: encodeParameter(params[key]!), enumerable: true, writable: true });
  }
  return out;
}
