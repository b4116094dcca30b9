/**
 * Triton's request-level parameters, split the same way for every front-end: `sequence_id`,
 * `sequence_start`, `sequence_end`, `priority` and `timeout` become InferenceRequest fields,
 * other `triton_` keys are refused, and everything else passes through. Each wire format
 * supplies only how it reads one value (JSON values over HTTP, InferParameter messages over gRPC)
 * and its own extra keys.
 */
import type { InferError } from './errors.js';
import type { ParameterValue, SequenceInfo } from './types.js';

/** How one wire format reads the values of request parameters. */
export interface RequestParameterReader<V> {
  sequenceId(value: V): string;
  bool(value: V, key: string): boolean;
  priority(value: V): number;
  timeout(value: V): number;
  passThrough(value: V, key: string): ParameterValue;
  /** Reads a key only this wire format knows (e.g. `binary_data_output`); false when not its key. */
  own(key: string, value: V): boolean;
  /** The error for a `triton_` key this wire format does not allow, in its front-end's words. */
  reservedKey(key: string): InferError;
}

/** Request parameters split into InferenceRequest fields. */
export interface SplitRequestParameters {
  /** Everything without a dedicated field, passed through unchanged. */
  readonly parameters: Record<string, ParameterValue>;
  readonly sequence?: SequenceInfo;
  readonly priority: number;
  readonly timeoutUs?: number;
}

function setOwn(target: Record<string, ParameterValue>, key: string, value: ParameterValue): void {
  // NOTE: defineProperty, not assignment: a client key "__proto__" must stay a plain key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Splits `entries` (key, wire value) with `reader`; throws the reader's INVALID_ARGUMENT errors. */
export function splitRequestParameters<V>(entries: Iterable<readonly [string, V]>, reader: RequestParameterReader<V>): SplitRequestParameters {
  const parameters: Record<string, ParameterValue> = {};
  let sequenceId: string | undefined;
  let start = false;
  let end = false;
  let priority = 0;
  let timeoutUs: number | undefined;
  for (const [key, value] of entries) {
    switch (key) {
      case 'sequence_id':
        sequenceId = reader.sequenceId(value);
        break;
      case 'sequence_start':
        start = reader.bool(value, key);
        break;
      case 'sequence_end':
        end = reader.bool(value, key);
        break;
      case 'priority':
        priority = reader.priority(value);
        break;
      case 'timeout':
        timeoutUs = reader.timeout(value);
        break;
      default:
        if (reader.own(key, value)) break;
        if (key.startsWith('triton_')) throw reader.reservedKey(key);
        setOwn(parameters, key, reader.passThrough(value, key));
    }
  }
  const sequence = sequenceId !== undefined || start || end ? { id: sequenceId ?? '', start, end } : undefined;
  return { parameters, sequence, priority, timeoutUs };
}
