/**
 * `inferd serve MODEL`'s first half: turns a model reference into a local GGUF file plus the
 * llamacpp parameters to load it with. Catalog names go through inspection → profile
 * selection → download; Hub references through download; local paths are only checked. Every
 * path ends with a memory estimate read from the same numbers the selection used.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CatalogError } from './catalog-errors.js';
import { catalogSettingsFromEnv } from './catalog-settings.js';
import type { Catalog, ModelProfile } from './catalog-types.js';
import { estimateGgufFileMemory, type GgufModelFacts } from './gguf-architecture.js';
import { inspectHardware } from './hardware/inspect-hardware.js';
import type { HardwareInfo } from './hardware/hardware-types.js';
import type { DownloadEvent } from './hub/download-file.js';
import { downloadHubFile } from './hub/download-file.js';
import { HubCache } from './hub/hub-cache.js';
import { HubClient } from './hub/hub-client.js';
import { findModel, loadCatalog } from './load-catalog.js';
import { estimateMemory, type MemoryEstimate } from './memory-estimate.js';
import { parseModelReference, pickGgufFile, splitParts, type ModelReference } from './model-reference.js';
import { downloadProfile, knownFileSizes, type HubContext } from './profile-files.js';
import { selectProfile, type SelectionResult } from './profile-selection.js';

/** Options of a resolution; each unset one falls back to its environment variable (see CatalogSettings). */
export interface ResolveOptions {
  readonly cacheDir?: string;
  readonly endpoint?: string;
  readonly token?: string;
  readonly offline?: boolean;
  /** Tokens per sequence; default: the model's context capped at 4096. */
  readonly contextSize?: number;
  /** Parallel sequences; default 4. */
  readonly maxSequences?: number;
  /** Profile id or name (INFERD_MODEL_PROFILE); a `MODEL:PROFILE` reference wins over it. */
  readonly profile?: string;
  /** INFERD_TAGS_SELECTOR, e.g. `precision=q8_0,device=cpu`. */
  readonly tagsSelector?: string;
  /** A catalog to use instead of the built-in one plus INFERD_CATALOG. */
  readonly catalog?: Catalog;
  readonly catalogFile?: string;
  /** Hardware to select for instead of inspecting this machine. */
  readonly hardware?: HardwareInfo;
  readonly onProgress?: (event: DownloadEvent) => void;
  readonly signal?: AbortSignal;
  /** Network retries per file (default 4) and the first backoff in ms (default 500). */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** Environment to read defaults from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A model ready to load. */
export interface ResolvedModel {
  /** Name to serve it under: the catalog name, else the file name without `.gguf`. */
  readonly servedModelName: string;
  /** The GGUF file to load (for split models, the first part; the others sit beside it). */
  readonly file: string;
  /** Every file fetched or checked. */
  readonly files: readonly string[];
  readonly source: 'catalog' | 'hub' | 'local';
  /** The selected profile (catalog references only). */
  readonly profile?: ModelProfile;
  /** Every profile judged (catalog references only). */
  readonly selection?: SelectionResult;
  /** Memory the model needs with `parameters`' context and sequences. */
  readonly memory: MemoryEstimate;
  /** llamacpp config parameters (`context_size`, `max_sequences`, `gpu`, `embedding`) as strings. */
  readonly parameters: Record<string, string>;
  readonly warnings: readonly string[];
}

/** Turns a file name into a servable model name (letters, digits, `_`, `.`, `-`). */
export function servedNameFromFile(file: string): string {
  const base = path.basename(file).replace(/-\d{5}-of-\d{5}\.gguf$/i, '').replace(/\.gguf$/i, '');
  return base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64) || 'model';
}

function hubContext(options: ResolveOptions): HubContext {
  const env = catalogSettingsFromEnv(options.env ?? process.env);
  return {
    client: new HubClient({ endpoint: options.endpoint ?? env.endpoint, token: options.token ?? env.token }),
    cache: new HubCache(options.cacheDir ?? env.cacheDir),
    offline: options.offline ?? env.offline,
    signal: options.signal,
    onProgress: options.onProgress,
    retries: options.retries,
    retryBaseMs: options.retryBaseMs,
  };
}

/** Parameters for a file resolved outside the catalog: only what the caller set, plus embedding. */
function fileParameters(options: ResolveOptions, facts: GgufModelFacts): Record<string, string> {
  const p: Record<string, string> = {};
  if (options.contextSize !== undefined) p.context_size = String(options.contextSize);
  if (options.maxSequences !== undefined && facts.task !== 'embedding') p.max_sequences = String(options.maxSequences);
  if (facts.task === 'embedding') p.embedding = 'true';
  return p;
}

async function resolveFile(file: string, files: readonly string[], source: 'hub' | 'local', options: ResolveOptions): Promise<ResolvedModel> {
  if (!/\.gguf$/i.test(file)) throw new CatalogError('INVALID_REFERENCE', `${file}: inferd serves LLMs from GGUF files only`);
  const estimate = await estimateGgufFileMemory(file, { contextSize: options.contextSize, maxSequences: options.maxSequences }).catch((err: Error) => {
    throw new CatalogError('INVALID_REFERENCE', `${file} is not a usable GGUF model: ${err.message}`, { cause: err });
  });
  const { facts, ...memory } = estimate;
  return { servedModelName: servedNameFromFile(file), file, files, source, memory, parameters: fileParameters(options, facts), warnings: [] };
}

async function repoFiles(ctx: HubContext, repo: string, revision: string): Promise<string[]> {
  const cached = (): Promise<string[] | undefined> => ctx.cache.listSnapshot(repo, revision);
  if (ctx.offline) {
    const files = await cached();
    if (!files) throw new CatalogError('OFFLINE', `${repo}@${revision} is not in the cache at ${ctx.cache.root} and offline mode is on`);
    return files;
  }
  try {
    return (await ctx.client.modelInfo(repo, revision, ctx.signal)).siblings.map((s) => s.path);
  } catch (err) {
    const files = err instanceof CatalogError && err.code === 'NETWORK' ? await cached() : undefined;
    if (files) return files;
    throw err;
  }
}

async function resolveHub(ref: Extract<ModelReference, { kind: 'hub-file' | 'hub-repo' }>, options: ResolveOptions): Promise<ResolvedModel> {
  const ctx = hubContext(options);
  let parts: string[] = [ref.kind === 'hub-file' ? ref.path : ''];
  if (ref.kind === 'hub-repo' || /-\d{5}-of-\d{5}\.gguf$/i.test(parts[0]!)) {
    const listing = await repoFiles(ctx, ref.repo, ref.revision);
    const quant = ref.kind === 'hub-repo' ? ref.quant : undefined;
    const picked = ref.kind === 'hub-file' ? ref.path : pickGgufFile(listing, quant);
    if (!picked) {
      const have = listing.filter((f) => /\.gguf$/i.test(f));
      throw new CatalogError('NOT_FOUND', `${ref.repo}@${ref.revision} has no GGUF file${quant ? ` for ${quant}` : ''}${have.length ? `; it has ${have.join(', ')}` : ''}`);
    }
    parts = splitParts(picked, listing);
  }
  const local: string[] = [];
  for (const p of parts) {
    const r = await downloadHubFile(ref.repo, ref.revision, p, {
      client: ctx.client, cache: ctx.cache, offline: ctx.offline, signal: ctx.signal, onProgress: ctx.onProgress, retries: ctx.retries, retryBaseMs: ctx.retryBaseMs,
    });
    local.push(r.file);
  }
  return resolveFile(local[0]!, local, 'hub', options);
}

async function resolveCatalog(ref: Extract<ModelReference, { kind: 'catalog' }>, options: ResolveOptions): Promise<ResolvedModel> {
  const env = catalogSettingsFromEnv(options.env ?? process.env);
  const catalog = options.catalog ?? (await loadCatalog(options.catalogFile ?? env.catalogFile));
  const model = findModel(catalog, ref.model);
  if (!model) {
    throw new CatalogError('INVALID_REFERENCE', `'${ref.model}' is not a catalog model, a Hub reference (owner/repo[:quant], hf://owner/repo/file.gguf) or a .gguf path; catalog models: ${catalog.models.map((m) => m.name).join(', ')}`);
  }
  const ctx = hubContext(options);
  const [hardware, fileSizes] = await Promise.all([options.hardware ?? inspectHardware(), knownFileSizes(model, ctx)]);
  const selection = selectProfile(model, hardware, {
    contextSize: options.contextSize,
    maxSequences: options.maxSequences,
    profile: ref.profile ?? options.profile ?? env.profile,
    tagsSelector: options.tagsSelector ?? env.tagsSelector,
    fileSizes,
  });
  const { profile, memory } = selection.selected;
  const files = (await downloadProfile(profile, ctx)).map((r) => r.file);
  const size = (await Promise.all(files.map((f) => stat(f).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  const parameters: Record<string, string> = { context_size: String(memory.contextSize) };
  if (model.task === 'embedding') parameters.embedding = 'true';
  else parameters.max_sequences = String(memory.maxSequences);
  if (profile.device === 'cpu') parameters.gpu = 'false';
  const exact = estimateMemory(model.architecture, {
    contextSize: memory.contextSize, maxSequences: memory.maxSequences, task: model.task, precision: profile.precision, weightsBytes: size, minMemoryBytes: profile.minMemoryBytes,
  });
  return {
    servedModelName: model.name, file: files[0]!, files, source: 'catalog', profile, selection, memory: exact, parameters, warnings: selection.warnings,
  };
}

/**
 * Resolves `ref` (catalog name[:profile], owner/repo[:quant], hf://owner/repo[@rev]/file.gguf, or
 * a local .gguf path) to a local GGUF file, downloading into the cache when needed. Throws
 * CatalogError with a code saying what went wrong and a message saying what to do.
 */
export async function resolveModelReference(ref: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const parsed = parseModelReference(ref);
  if (parsed.kind === 'catalog') return resolveCatalog(parsed, options);
  if (parsed.kind === 'local') {
    const st = await stat(parsed.path).catch(() => undefined);
    if (!st?.isFile()) throw new CatalogError('NOT_FOUND', `${parsed.path} does not exist or is not a file`);
    return resolveFile(parsed.path, [parsed.path], 'local', options);
  }
  return resolveHub(parsed, options);
}
