/**
 * Validates a model file's container format before an engine opens it: a truncated, garbage or
 * hostile file must make the version UNAVAILABLE with a reason, never reach native parsing code
 * that might crash the process or read outside the model directory.
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readGgufHeader } from '../formats/gguf/index.js';
import { readOnnxInfo } from '../formats/onnx/index.js';
import { realpathInside, relativePathProblem } from './model-paths.js';
import { onnxExternalDataRefs, type ExternalDataRef } from './onnx-external-data.js';

/** Size limits for model files checked in memory. */
export interface ModelFileLimits {
  /** Largest ONNX file read for validation; protobuf (and so onnxruntime) cannot parse 2 GiB or more. */
  readonly maxOnnxBytes: number;
}

/** Defaults: the protobuf limit for ONNX. */
export const DEFAULT_MODEL_FILE_LIMITS: ModelFileLimits = { maxOnnxBytes: 2 ** 31 - 1 };

/** GGUF header prefix: magic, version, tensor count, metadata count. */
const GGUF_PREFIX_BYTES = 24;
const GGUF_MAGIC = 0x46554747;
/** Fewest bytes one tensor-info entry can take: name length, rank, one dim, type, offset. */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
/** Fewest bytes one metadata entry can take: key length, value type, a one-byte value. */
const MIN_METADATA_BYTES = 8 + 4 + 1;

/**
 * Checks a GGUF file: magic, version 2 or 3, tensor and metadata counts that the file size can
 * hold, then the full header (types, shapes, tensor ranges inside the file). Throws with a reason.
 */
export async function validateGgufFile(file: string, shown: string): Promise<void> {
  const handle = await open(file, 'r');
  let size: number;
  const prefix = new Uint8Array(GGUF_PREFIX_BYTES);
  try {
    size = (await handle.stat()).size;
    await handle.read(prefix, 0, GGUF_PREFIX_BYTES, 0);
  } finally {
    await handle.close();
  }
  if (size < GGUF_PREFIX_BYTES) throw new Error(`'${shown}' is not a GGUF file: ${size} bytes is shorter than the header`);
  const view = new DataView(prefix.buffer);
  if (view.getUint32(0, true) !== GGUF_MAGIC) throw new Error(`'${shown}' is not a GGUF file (bad magic)`);
  const version = view.getUint32(4, true);
  if (version !== 2 && version !== 3) throw new Error(`'${shown}': unsupported GGUF version ${version} (expected 2 or 3)`);
  const tensors = view.getBigUint64(8, true);
  const entries = view.getBigUint64(16, true);
  const room = BigInt(size - GGUF_PREFIX_BYTES);
  if (tensors * BigInt(MIN_TENSOR_INFO_BYTES) > room) throw new Error(`'${shown}': GGUF tensor count ${tensors} cannot fit in a ${size}-byte file`);
  if (entries * BigInt(MIN_METADATA_BYTES) > room) throw new Error(`'${shown}': GGUF metadata count ${entries} cannot fit in a ${size}-byte file`);
  await readGgufHeader(file).catch((err: unknown) => {
    throw new Error(`'${shown}' is not a valid GGUF file: ${err instanceof Error ? err.message : String(err)}`);
  });
}

function externalRefProblem(ref: ExternalDataRef): string | undefined {
  if (ref.location === undefined) return 'has no location';
  const problem = relativePathProblem(ref.location);
  if (problem) return `location '${ref.location.slice(0, 200)}' ${problem}`;
  for (const [key, value] of [['offset', ref.offset], ['length', ref.length]] as const) {
    if (value !== undefined && !/^[0-9]{1,15}$/.test(value)) return `${key} '${value.slice(0, 40)}' is not a non-negative integer`;
  }
  return undefined;
}

async function checkExternalData(refs: readonly ExternalDataRef[], modelFile: string, realRoot: string, shown: string): Promise<void> {
  const base = path.dirname(modelFile);
  const sizes = new Map<string, number>();
  for (const ref of refs) {
    const where = `'${shown}': external data of tensor '${ref.tensor.slice(0, 100)}'`;
    const problem = externalRefProblem(ref);
    if (problem) throw new Error(`${where} ${problem}`);
    const target = path.join(base, ref.location!);
    const real = await realpathInside(realRoot, target, ref.location!).catch((err: unknown) => {
      throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    });
    let size = sizes.get(real);
    if (size === undefined) {
      const info = await stat(real);
      if (!info.isFile()) throw new Error(`${where}: '${ref.location}' is not a file`);
      size = info.size;
      sizes.set(real, size);
    }
    const offset = Number(ref.offset ?? 0);
    const end = ref.length === undefined ? offset : offset + Number(ref.length);
    if (end > size) throw new Error(`${where}: bytes [${offset}, ${end}) lie beyond the end of '${ref.location}' (${size} bytes)`);
  }
}

/**
 * Checks an ONNX file: size within limits, a ModelProto with IR version, opsets, graph and
 * outputs, and every external-data reference inside `realRoot` and inside its file. Throws with a reason.
 */
export async function validateOnnxFile(file: string, shown: string, realRoot: string, limits: ModelFileLimits = DEFAULT_MODEL_FILE_LIMITS): Promise<void> {
  const { size } = await stat(file);
  if (size > limits.maxOnnxBytes) throw new Error(`'${shown}' is ${size} bytes, more than the ${limits.maxOnnxBytes}-byte ONNX limit`);
  const bytes = await readFile(file);
  const fail = (err: unknown): never => {
    throw new Error(`'${shown}': ${err instanceof Error ? err.message : String(err)}`);
  };
  let refs: ExternalDataRef[] = [];
  try {
    readOnnxInfo(bytes);
    refs = onnxExternalDataRefs(bytes);
  } catch (err) {
    fail(err);
  }
  await checkExternalData(refs, file, realRoot, shown);
}
