/**
 * KServe v2 infer bodies ⇄ core types. Decoding turns one HTTP body (JSON, or a JSON header
 * followed by raw tensor bytes per the binary tensor data extension) into an InferenceRequest;
 * encoding turns an InferenceResult into a JSON body, or a JSON header plus raw output bytes.
 * Model-specific validation is left to the core.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import type { ModelMetadata } from '../../core/inference-server.js';
import type { InferenceRequest, InferenceResult, RequestedOutput, Tensor } from '../../core/types.js';
import { decodeBinaryData, encodeBinaryData } from './codec-binary-data.js';
import { decodeJsonData, encodeJsonData } from './codec-json-data.js';
import { parseInputParameters, parseOutputParameters, parseRequestParameters } from './codec-parameters.js';
import { assertJsonDepth, DEFAULT_MAX_JSON_DEPTH } from '../http/limits-json.js';
import { InexactIntegerError, parseJson, parseJsonExact } from './exact-json.js';
import { ELEMENT_SIZE, elementCount, isDataType, parseShape } from './tensor-layout.js';

/** Header that gives the JSON part's length in a binary-extension body. */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

/** How each output goes back: binary after the JSON header, or inline JSON `data`. */
export interface OutputFormat {
  /** From the request's `binary_data_output` parameter (always true for raw binary requests). */
  readonly binaryByDefault: boolean;
  /** Per-output overrides from `outputs[].parameters.binary_data`. */
  readonly binaryByName?: ReadonlyMap<string, boolean>;
}

/** A decoded infer body: the core request plus what the encoder must remember. */
export interface DecodedInferRequest {
  readonly request: InferenceRequest;
  readonly outputFormat: OutputFormat;
}

/** The model a request addresses, from the URL. */
export interface InferTarget {
  readonly name: string;
  readonly version?: number;
}

/**
 * Where a request's abort signal comes from; an AbortController fits. The signal is read only
 * when the core asks for it, because creating an AbortSignal costs more than decoding a small
 * request (Node creates it lazily on first access).
 */
export interface AbortSource {
  readonly signal: AbortSignal;
}

/** An encoded response: `headerLength` is set when the body is a JSON header plus binary data. */
export interface EncodedInferResponse {
  readonly body: string | Buffer;
  readonly headerLength?: number;
}

/**
 * Reads the Inference-Header-Content-Length header: undefined when absent (the whole body is
 * JSON), else a length within the body. Non-numeric, negative or too large values are refused.
 */
export function parseHeaderLength(value: string | string[] | undefined, bodyLength: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) {
    throw invalidArgument(`Unable to parse Inference-Header-Content-Length, got: ${String(value)}`);
  }
  const length = Number(value);
  if (length > bodyLength) {
    throw invalidArgument(`inference header size should be in range (0, ${bodyLength}), got: ${value}`);
  }
  return length;
}

/**
 * Decodes an infer body whose first `headerLength` bytes are JSON (all of it when undefined).
 * Binary input data is taken from the rest of the body, in input order, as views where possible.
 */
export function decodeInferRequest(
  body: Buffer,
  headerLength: number | undefined,
  target: InferTarget,
  abort: AbortSource,
): DecodedInferRequest {
  const text = body.toString('utf8', 0, headerLength ?? body.length);
  // NOTE: checked here, after decompression, because a small gzip body can inflate to a bracket bomb.
  assertJsonDepth(text, DEFAULT_MAX_JSON_DEPTH);
  try {
    return buildRequest(parseJson(text), false, body, headerLength, target, abort);
  } catch (err) {
    if (!(err instanceof InexactIntegerError)) throw err;
    return buildRequest(parseJsonExact(text), true, body, headerLength, target, abort);
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`Unable to parse ${what}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalidArgument(`Unable to parse '${what}': expected a string`);
  return value;
}

function buildRequest(
  doc: unknown,
  exact: boolean,
  body: Buffer,
  headerLength: number | undefined,
  target: InferTarget,
  abort: AbortSource,
): DecodedInferRequest {
  const root = asObject(doc, 'the request');
  const id = root['id'] === undefined ? '' : asString(root['id'], 'id');
  const params = parseRequestParameters(root['parameters'], exact);
  const rawInputs = root['inputs'];
  if (!Array.isArray(rawInputs)) throw invalidArgument("Unable to parse 'inputs': expected an array");

  const inputs = new Array<Tensor>(rawInputs.length);
  let cursor = headerLength ?? body.length;
  for (let i = 0; i < rawInputs.length; i++) {
    const input = asObject(rawInputs[i], `input ${i}`);
    const name = asString(input['name'], 'name');
    const datatype = input['datatype'];
    if (!isDataType(datatype)) throw invalidArgument(`invalid datatype '${String(datatype)}' for input '${name}'`);
    const shape = parseShape(input['shape'], name);
    const count = elementCount(shape, name);
    const { binaryDataSize } = parseInputParameters(input['parameters'], name, exact);
    const hasData = input['data'] !== undefined;
    if (hasData === (binaryDataSize !== undefined)) {
      throw invalidArgument(
        `Input '${name}' must set only one of the following fields: 'data', 'binary_data_size' in 'parameters'`,
      );
    }
    if (binaryDataSize === undefined) {
      inputs[i] = { name, datatype, shape, data: decodeJsonData(name, datatype, input['data'], count, exact) };
      continue;
    }
    if (headerLength === undefined) {
      throw invalidArgument(
        "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when " +
          'passing inputs in binary data format',
      );
    }
    if (binaryDataSize > body.length - cursor) {
      throw invalidArgument(
        `unexpected size for input '${name}', expecting ${binaryDataSize - (body.length - cursor)} additional ` +
          `bytes for model '${target.name}'`,
      );
    }
    const slice = { body, offset: cursor, byteSize: binaryDataSize, modelName: target.name };
    inputs[i] = { name, datatype, shape, data: decodeBinaryData(name, datatype, count, slice) };
    cursor += binaryDataSize;
  }
  if (cursor !== body.length) throw invalidArgument(`unexpected additional input data for model '${target.name}'`);

  const { outputs, binaryByName } = parseOutputs(root['outputs'], exact);
  const request: InferenceRequest = {
    id,
    model: target,
    inputs,
    outputs,
    parameters: params.parameters,
    sequence: params.sequence,
    priority: params.priority,
    timeoutUs: params.timeoutUs,
    get signal() {
      return abort.signal;
    },
  };
  return { request, outputFormat: { binaryByDefault: params.binaryDataOutput, binaryByName } };
}

function parseOutputs(
  value: unknown,
  exact: boolean,
): { outputs?: RequestedOutput[]; binaryByName?: Map<string, boolean> } {
  if (value === undefined) return {};
  if (!Array.isArray(value)) throw invalidArgument("Unable to parse 'outputs': expected an array");
  const outputs = new Array<RequestedOutput>(value.length);
  let binaryByName: Map<string, boolean> | undefined;
  for (let i = 0; i < value.length; i++) {
    const output = asObject(value[i], `output ${i}`);
    const name = asString(output['name'], 'name');
    const { binaryData, classification } = parseOutputParameters(output['parameters'], name, exact);
    outputs[i] = classification ? { name, classification } : { name };
    if (binaryData !== undefined) (binaryByName ??= new Map()).set(name, binaryData);
  }
  return { outputs, binaryByName };
}

/**
 * Decodes a raw binary request (Inference-Header-Content-Length: 0): the whole body is the data
 * of the model's only input, whose datatype comes from the model and whose variable dimension
 * is deduced from the byte size. All outputs come back binary.
 */
export function decodeRawInferRequest(
  body: Buffer,
  metadata: ModelMetadata,
  target: InferTarget,
  abort: AbortSource,
): DecodedInferRequest {
  const spec = metadata.inputs[0];
  if (metadata.inputs.length !== 1 || spec === undefined) {
    throw invalidArgument(
      `Raw request must only have 1 input (found 1) to be deduced but got ${metadata.inputs.length} inputs in ` +
        `'${target.name}' model configuration`,
    );
  }
  const { name, datatype } = spec;
  const isBytes = datatype === 'BYTES';
  const shape = deduceRawShape(spec.shape, isBytes ? 1 : body.length, isBytes ? 1 : ELEMENT_SIZE[datatype], name);
  const data =
    datatype === 'BYTES'
      ? [body]
      : decodeBinaryData(name, datatype, elementCount(shape, name), {
          body,
          offset: 0,
          byteSize: body.length,
          modelName: target.name,
        });
  const request: InferenceRequest = {
    id: '',
    model: target,
    inputs: [{ name, datatype, shape, data }],
    parameters: {},
    priority: 0,
    get signal() {
      return abort.signal;
    },
  };
  return { request, outputFormat: { binaryByDefault: true } };
}

function deduceRawShape(specShape: readonly number[], byteLength: number, size: number, name: string): number[] {
  if (byteLength % size !== 0) {
    throw invalidArgument(`raw input '${name}': ${byteLength} bytes is not a whole number of ${size}-byte elements`);
  }
  const count = byteLength / size;
  const shape = specShape.map((d) => (d < 0 ? 1 : d));
  const lastVariable = specShape.lastIndexOf(-1);
  const fixed = elementCount(shape, name);
  if (lastVariable >= 0 && fixed > 0 && count % fixed === 0) shape[lastVariable] = count / fixed;
  if (elementCount(shape, name) !== count) {
    throw invalidArgument(
      `raw input '${name}': cannot deduce a shape from [${specShape.join(',')}] for ${count} elements`,
    );
  }
  return shape;
}

// Names and ids are nearly always plain; skipping JSON.stringify for them is measurable per request.
const PLAIN_JSON_STRING = /^[\w.:/ -]*$/;

function quote(s: string): string {
  return PLAIN_JSON_STRING.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Encodes a result; outputs go binary or inline according to `format`. */
export function encodeInferResponse(result: InferenceResult, format: OutputFormat): EncodedInferResponse {
  let json = result.id === '' ? '{' : `{"id":${quote(result.id)},`;
  json += `"model_name":${quote(result.model.name)},"model_version":"${result.model.version}"`;
  if (result.parameters !== undefined && Object.keys(result.parameters).length > 0) {
    json += `,"parameters":${JSON.stringify(result.parameters)}`;
  }
  json += ',"outputs":[';
  let chunks: Uint8Array[] | undefined;
  for (let i = 0; i < result.outputs.length; i++) {
    const t = result.outputs[i] as Tensor;
    if (t.data.length !== elementCount(t.shape, t.name)) {
      throw new InferError('INTERNAL', `output tensor shape does not match size of output for '${t.name}'`);
    }
    json += `${i === 0 ? '' : ','}{"name":${quote(t.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`;
    if (format.binaryByName?.get(t.name) ?? format.binaryByDefault) {
      const bytes = encodeBinaryData(t.datatype, t.data);
      (chunks ??= []).push(bytes);
      json += `,"parameters":{"binary_data_size":${bytes.byteLength}}}`;
    } else {
      json += `,"data":${encodeJsonData(t.name, t.datatype, t.data)}}`;
    }
  }
  json += ']}';
  if (chunks === undefined) return { body: json };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}
