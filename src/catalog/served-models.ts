/**
 * The catalog side of `inferd serve --model`: resolves each `--model` value (catalog name, Hub
 * reference, local file) into the generated repository, remembers what was selected for
 * `/v1/manifest` and `/v1/metadata`, and serves pulls while running (download, then add the model
 * to the repository so the first request loads it on demand).
 */
import type { ModelResolver, SingleModelRepository } from '../config/single-model-repository.js';
import { InferError } from '../core/errors.js';
import { CatalogError } from './catalog-errors.js';
import type { DownloadEvent } from './hub/download-file.js';
import { resolveModelReference, type ResolvedModel } from './resolve-model-reference.js';

/** Where served-model events are logged. */
export interface ServedModelsLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** One progress line, as `/api/pull` streams it. */
export interface PullLine {
  readonly status: string;
  readonly file?: string;
  readonly completed?: number;
  readonly total?: number;
}

function pullLine(e: DownloadEvent): PullLine {
  const file = `${e.repo}/${e.path}`;
  switch (e.type) {
    case 'progress':
      return { status: 'downloading', file, completed: e.bytesDone, total: e.bytesTotal };
    case 'start':
      return { status: 'downloading', file, completed: e.resumeFrom, total: e.bytesTotal };
    case 'done':
      return { status: 'verified', file, completed: e.bytesTotal, total: e.bytesTotal };
    case 'cached':
      return { status: 'cached', file, ...(e.bytesTotal !== undefined ? { completed: e.bytesTotal, total: e.bytesTotal } : {}) };
    case 'waiting':
      return { status: 'waiting for another download', file };
    case 'retry':
      return { status: `retrying (${e.reason})`, file };
  }
}

function asInferError(err: unknown): unknown {
  return err instanceof CatalogError ? new InferError(err.inferCode, err.message, { cause: err }) : err;
}

/** The served models' catalog state. */
export class ServedModels {
  private readonly resolved = new Map<string, ResolvedModel>();
  private readonly byReference = new Map<string, ResolvedModel>();
  private readonly lastLog = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly repository: SingleModelRepository;
      /** Real paths of the weights; the repository's symlinks may point only at these. */
      readonly trustedFiles: string[];
      readonly llmParameters: Readonly<Record<string, string>>;
      readonly log: ServedModelsLog;
    },
  ) {}

  /** The resolver `populate` uses; every download is logged at most once a second per file. */
  resolver(): ModelResolver {
    return async (reference) => {
      const r = await this.resolve(reference, (e) => this.logProgress(e));
      return { file: r.file, name: r.servedModelName, parameters: r.parameters };
    };
  }

  /** Records what a served name was resolved from (after `populate` picked the final names). */
  record(name: string, reference: string): void {
    const r = this.byReference.get(reference);
    if (r) this.resolved.set(name, r);
  }

  /** `/v1/manifest`: for each served model, its source, selected profile and every profile judged. */
  manifest(): unknown {
    return {
      models: [...this.resolved].map(([name, r]) => ({
        name,
        source: r.source,
        file: r.file,
        memory: r.memory,
        ...(r.profile ? { selected_profile: { id: r.profile.id, name: r.profile.name } } : {}),
        profiles: (r.selection?.evaluations ?? []).map((e) => ({
          id: e.profile.id,
          name: e.profile.name,
          engine: e.profile.engine,
          device: e.profile.device,
          precision: e.profile.precision,
          status: e.status,
          reasons: e.reasons,
          memory_bytes: e.memory.totalBytes,
        })),
      })),
    };
  }

  /** The selected profile of a served model, for `/v1/metadata`. */
  profileOf(name: string): { id: string; name: string } | undefined {
    const p = this.resolved.get(name)?.profile;
    return p ? { id: p.id, name: p.name } : undefined;
  }

  /** Downloads `reference` and adds it to the repository (loadable on demand); an already served one is only re-checked. */
  async pull(reference: string, onProgress: (line: PullLine) => void, signal: AbortSignal): Promise<{ name: string }> {
    try {
      onProgress({ status: 'resolving' });
      const r = await this.resolve(reference, (e) => onProgress(pullLine(e)), signal);
      if (!this.resolved.has(r.servedModelName)) {
        const written = await this.options.repository.add({ file: r.file, name: r.servedModelName, parameters: r.parameters });
        this.options.trustedFiles.push(written.file);
        this.resolved.set(written.name, r);
      }
      return { name: r.servedModelName };
    } catch (err) {
      throw asInferError(err);
    }
  }

  private async resolve(reference: string, onProgress: (e: DownloadEvent) => void, signal?: AbortSignal): Promise<ResolvedModel> {
    const contextSize = Number(this.options.llmParameters.context_size) || undefined;
    const maxSequences = Number(this.options.llmParameters.max_sequences) || undefined;
    const r = await resolveModelReference(reference, {
      ...(contextSize ? { contextSize } : {}),
      ...(maxSequences ? { maxSequences } : {}),
      ...(signal ? { signal } : {}),
      onProgress,
    });
    for (const warning of r.warnings) this.options.log.warn({ model: reference }, warning);
    this.byReference.set(reference, r);
    return r;
  }

  private logProgress(e: DownloadEvent): void {
    const key = `${e.repo}/${e.path}`;
    const now = Date.now();
    if (e.type === 'progress' && now - (this.lastLog.get(key) ?? 0) < 1000) return;
    this.lastLog.set(key, now);
    this.options.log.info({ download: pullLine(e) }, `model download: ${e.type}`);
  }
}
