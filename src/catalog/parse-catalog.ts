/**
 * Parses and validates a catalog document (already decoded from JSON or YAML) into a Catalog,
 * failing on the first problem with its path (`models[2].profiles[0].source.repo: ...`).
 */
import { CatalogError } from './catalog-errors.js';
import {
  DEVICE_KINDS,
  ENGINE_NAMES,
  MODEL_TASKS,
  type Catalog,
  type CatalogModel,
  type CatalogProfile,
  type ModelArchitecture,
  type SourceFile,
} from './catalog-types.js';
import { defaultProfileName } from './profile-id.js';
import { checkSafeFile } from './safe-formats.js';

type Obj = Record<string, unknown>;

function fail(at: string, message: string): never {
  throw new CatalogError('INVALID_CATALOG', `${at}: ${message}`);
}

function obj(v: unknown, at: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, 'expected an object');
  return v as Obj;
}

function list(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) fail(at, 'expected a list');
  return v;
}

function str(o: Obj, key: string, at: string, pattern?: RegExp): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') fail(`${at}.${key}`, 'expected a non-empty string');
  if (pattern && !pattern.test(v)) fail(`${at}.${key}`, `'${v}' does not match ${pattern}`);
  return v;
}

function optStr(o: Obj, key: string, at: string, pattern?: RegExp): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, at, pattern);
}

function int(o: Obj, key: string, at: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${at}.${key}`, 'expected a positive integer');
  return v;
}

function optInt(o: Obj, key: string, at: string): number | undefined {
  return o[key] === undefined ? undefined : int(o, key, at);
}

function oneOf<T extends string>(o: Obj, key: string, at: string, allowed: readonly T[]): T {
  const v = str(o, key, at);
  if (!(allowed as readonly string[]).includes(v)) fail(`${at}.${key}`, `'${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const PRECISION = /^[a-z0-9_]+$/;

function parseArchitecture(v: unknown, at: string): ModelArchitecture {
  const o = obj(v, at);
  const a: ModelArchitecture = {
    architecture: str(o, 'architecture', at),
    parameterCount: int(o, 'parameterCount', at),
    blockCount: int(o, 'blockCount', at),
    embeddingLength: int(o, 'embeddingLength', at),
    headCount: int(o, 'headCount', at),
    headCountKv: int(o, 'headCountKv', at),
    headDim: int(o, 'headDim', at),
    vocabSize: int(o, 'vocabSize', at),
    contextLength: int(o, 'contextLength', at),
  };
  if (a.headCountKv > a.headCount) fail(`${at}.headCountKv`, `${a.headCountKv} is more than headCount ${a.headCount}`);
  return a;
}

function parseFile(v: unknown, at: string): SourceFile {
  const o = obj(v, at);
  const path = str(o, 'path', at);
  if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '')) fail(`${at}.path`, `'${path}' must be a relative path inside the repository`);
  try {
    checkSafeFile(path);
  } catch (err) {
    fail(`${at}.path`, (err as Error).message);
  }
  return { path, sha256: optStr(o, 'sha256', at, SHA256), sizeBytes: optInt(o, 'sizeBytes', at) };
}

function parseProfile(v: unknown, at: string): CatalogProfile {
  const o = obj(v, at);
  const src = obj(o.source, `${at}.source`);
  const files = list(src.files, `${at}.source.files`).map((f, i) => parseFile(f, `${at}.source.files[${i}]`));
  if (files.length === 0) fail(`${at}.source.files`, 'needs at least one file');
  const engine = oneOf(o, 'engine', at, ENGINE_NAMES);
  const want = engine === 'llamacpp' ? '.gguf' : '.onnx';
  if (!files[0]!.path.toLowerCase().endsWith(want)) fail(`${at}.source.files[0].path`, `the first file of a ${engine} profile must be a ${want} file`);
  return {
    name: optStr(o, 'name', at, NAME),
    engine,
    device: oneOf(o, 'device', at, DEVICE_KINDS),
    precision: str(o, 'precision', at, PRECISION),
    contextLength: optInt(o, 'contextLength', at),
    minMemoryBytes: optInt(o, 'minMemoryBytes', at),
    source: { repo: str(src, 'repo', `${at}.source`, REPO), revision: optStr(src, 'revision', `${at}.source`) ?? 'main', files },
  };
}

function parseModel(v: unknown, at: string): CatalogModel {
  const o = obj(v, at);
  const profiles = list(o.profiles, `${at}.profiles`).map((p, i) => parseProfile(p, `${at}.profiles[${i}]`));
  if (profiles.length === 0) fail(`${at}.profiles`, 'needs at least one profile');
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    const name = p.name ?? defaultProfileName(p);
    if (names.has(name)) fail(`${at}.profiles[${i}]`, `profile name '${name}' is used twice; give one a distinct 'name'`);
    names.add(name);
  });
  return {
    name: str(o, 'name', at, NAME),
    description: optStr(o, 'description', at),
    task: oneOf(o, 'task', at, MODEL_TASKS),
    license: optStr(o, 'license', at),
    architecture: parseArchitecture(o.architecture, `${at}.architecture`),
    profiles,
  };
}

/** Validates a decoded catalog document; throws CatalogError('INVALID_CATALOG') naming the first bad field. */
export function parseCatalog(doc: unknown, origin = 'catalog'): Catalog {
  const o = obj(doc, origin);
  if (o.version !== 1) fail(`${origin}.version`, `expected 1, got ${JSON.stringify(o.version)}`);
  const models = list(o.models, `${origin}.models`).map((m, i) => parseModel(m, `${origin}.models[${i}]`));
  const seen = new Set<string>();
  for (const m of models) {
    if (seen.has(m.name)) fail(`${origin}.models`, `model '${m.name}' appears twice`);
    seen.add(m.name);
  }
  return { version: 1, models };
}
