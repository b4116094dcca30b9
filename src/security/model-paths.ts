/**
 * Path rules for everything a model repository or a load request names: model names, file names
 * in configs (`default_model_filename`, ONNX external-data locations, sha256sums entries) and
 * the real paths they resolve to. Lexical checks refuse `..`, absolute paths, NUL and control
 * characters; `realpathInside` then follows symlinks and refuses anything that lands elsewhere.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** Longest single path component, in UTF-8 bytes (Linux NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Longest relative path accepted from a config or manifest, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_RELATIVE_PATH_BYTES = 4096;

const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
/** True when `s` holds a C0 control, DEL or a C1 control: a newline in a file name could forge log lines. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** True for a model name that may name a model folder: `[A-Za-z0-9_.-]`, not starting with `.` or `-`, ≤255 bytes. */
export function isSafeModelName(name: string): boolean {
  return MODEL_NAME.test(name);
}

/**
 * Why `rel` is not a safe relative path inside a folder, or undefined when it is. Refuses empty,
 * absolute (POSIX or Windows), `.`/`..` components, backslashes, NUL and control characters, and
 * over-long names. Percent-encoded forms are not decoded: `%2e%2e` is a literal file name.
 */
export function relativePathProblem(rel: string): string | undefined {
  if (rel.length === 0) return 'is empty';
  if (Buffer.byteLength(rel) > MAX_RELATIVE_PATH_BYTES) return `is longer than ${MAX_RELATIVE_PATH_BYTES} bytes`;
  if (hasControl(rel)) return 'contains a NUL or control character';
  if (rel.includes('\\')) return 'contains a backslash';
  if (path.posix.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return 'is absolute';
  for (const part of rel.split('/')) {
    if (part === '..') return "has a '..' component";
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) return `has a component longer than ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

/** Why a directory entry name is unsafe to handle (control characters, over-long), or undefined. */
export function entryNameProblem(name: string): string | undefined {
  if (hasControl(name)) return 'contains a control character';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** True when `child` equals `parent` or lies below it (both absolute and normalized). */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** A file or folder outside the folder it must stay in; the message is safe to show to clients. */
export class PathEscapeError extends Error {
  override readonly name = 'PathEscapeError';
}

/**
 * Real path of `target` after following every symlink; throws PathEscapeError when it lies
 * outside `realRoot` (itself a real path) and is not one of `trusted` (real paths).
 */
export async function realpathInside(realRoot: string, target: string, shown: string, trusted: ReadonlySet<string> = new Set()): Promise<string> {
  const real = await realpath(target).catch((err: NodeJS.ErrnoException) => {
    throw new PathEscapeError(`'${shown}' cannot be resolved (${err.code ?? 'error'}): broken or looping symlink`);
  });
  if (!isWithin(realRoot, real) && !trusted.has(real)) {
    throw new PathEscapeError(`'${shown}' resolves outside the model directory`);
  }
  return real;
}
