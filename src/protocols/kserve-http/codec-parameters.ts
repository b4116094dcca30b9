/**
 * KServe `parameters` objects: the request-level ones Triton gives meaning to (sequence_id,
 * sequence_start, sequence_end, priority, timeout, binary_data_output), the per-input and
 * per-output extension parameters, and pass-through of everything else.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import type { ParameterValue } from '../../core/types.js';
import { splitRequestParameters, type SplitRequestParameters } from '../../core/request-parameters.js';
import { exactIntegerText, readExactInteger } from './exact-json.js';

/** Request-level parameters, split into the fields of an InferenceRequest. */
export interface RequestParameters extends SplitRequestParameters {
  /** Default for outputs that do not say `binary_data` themselves. */
  readonly binaryDataOutput: boolean;
}

/** Per-input extension parameters. */
export interface InputParameters {
  /** Present when the input's data follows the JSON header as raw bytes. */
  readonly binaryDataSize?: number;
}

/** Per-output extension parameters. */
export interface OutputParameters {
  readonly binaryData?: boolean;
  readonly classification?: number;
}

const NO_PARAMETERS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Checks that `value` is a JSON object (or absent) and returns it. */
export function parametersObject(value: unknown, where: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return NO_PARAMETERS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`Unable to parse 'parameters' of ${where}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Reads a uint64 parameter as a number (precision beyond 2^53 is irrelevant for sizes and levels). */
export function readUint(value: unknown, key: string, exact: boolean): number {
  const v = readExactInteger(value, exact);
  if (v === undefined || v < 0n) throw invalidArgument(`Unable to parse '${key}': expected an unsigned integer`);
  return Number(v);
}

function readBool(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(`Unable to parse '${key}': expected a boolean`);
  return value;
}

/** Splits the request's `parameters` object into InferenceRequest fields, as Triton does. */
export function parseRequestParameters(value: unknown, exact: boolean): RequestParameters {
  const params = parametersObject(value, 'the request');
  let binaryDataOutput = false;
  const split = splitRequestParameters(Object.entries(params), {
    sequenceId: (v) => readSequenceId(v, exact),
    bool: readBool,
    priority: (v) => readUint(v, 'priority', exact),
    timeout: (v) => readUint(v, 'timeout', exact),
    passThrough: readPassThrough,
    own: (key, v) => {
      if (key !== 'binary_data_output') return false;
      binaryDataOutput = readBool(v, key);
      return true;
    },
    reservedKey: () => invalidArgument("parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified."),
  });
  return { ...split, binaryDataOutput };
}

function readSequenceId(value: unknown, exact: boolean): string {
  if (typeof value === 'string') return value;
  const v = readExactInteger(value, exact);
  if (v === undefined || v < 0n || v >= 2n ** 64n) {
    throw invalidArgument("Unable to parse 'sequence_id': expected an unsigned 64-bit integer or a string");
  }
  return v.toString();
}

function readPassThrough(value: unknown, key: string): ParameterValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  const digits = exactIntegerText(value);
  if (digits !== undefined) return Number(digits);
  throw invalidArgument(`parameter '${key}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
}

function refuseSharedMemory(params: Readonly<Record<string, unknown>>, where: string): void {
  if (params['shared_memory_region'] !== undefined) {
    throw new InferError('UNSUPPORTED', `shared memory is not supported by this server (${where})`);
  }
}

/** Reads an input's extension parameters; refuses shared memory, which this server does not offer. */
export function parseInputParameters(value: unknown, name: string, exact: boolean): InputParameters {
  const params = parametersObject(value, `input '${name}'`);
  refuseSharedMemory(params, `input '${name}'`);
  const size = params['binary_data_size'];
  return size === undefined ? {} : { binaryDataSize: readUint(size, 'binary_data_size', exact) };
}

/** Reads a requested output's extension parameters. */
export function parseOutputParameters(value: unknown, name: string, exact: boolean): OutputParameters {
  const params = parametersObject(value, `output '${name}'`);
  refuseSharedMemory(params, `output '${name}'`);
  const binary = params['binary_data'];
  const classification = params['classification'];
  return {
    binaryData: binary === undefined ? undefined : readBool(binary, 'binary_data'),
    classification: classification === undefined ? undefined : readUint(classification, 'classification', exact),
  };
}
