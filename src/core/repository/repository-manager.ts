/**
 * Owns every model and version: reads the repository, applies version policies, loads and
 * unloads in the three model-control modes, and swaps versions so that a reload never drops a
 * request (the old version serves until the new one is READY, then drains).
 */
import type { Backend, BackendLogger } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import { guardBackend } from '../../security/guarded-backend.js';
import { InferError, invalidArgument } from '../errors.js';
import type { LoadOptions, RepositoryIndexEntry } from '../inference-server.js';
import { ENSEMBLE_BACKEND_NAME, ensembleBackend } from './ensemble-model.js';
import { loadWaves } from './load-order.js';
import { isSafeModelName, listModelNames, readModelDir, type ModelDirListing } from './local-storage.js';
import { resolveModelSource, selectVersions, type ModelSource } from './model-source.js';
import { ModelVersion, defaultSchedulerFactory, type SchedulerFactory } from './model-version.js';

/** How models get loaded: Triton's --model-control-mode. */
export type ModelControlMode = 'none' | 'poll' | 'explicit';

/** Looks up backends by name (the backend registry, injected by the composition root). */
export interface BackendResolver {
  get(name: string): Promise<Backend>;
}

/** Options of the repository manager. */
export interface RepositoryManagerOptions {
  readonly repository: string;
  readonly controlMode: ModelControlMode;
  readonly strictModelConfig: boolean;
  readonly backends: BackendResolver;
  readonly log: BackendLogger;
  readonly gpuCount?: number;
  readonly schedulerFactory?: SchedulerFactory;
  /** Real paths outside the repository that model-folder symlinks may point to (the `--model` file); none by default. */
  readonly trustedFiles?: readonly string[];
}

interface ModelRecord {
  readonly name: string;
  /** Versions that serve or failed, by number. */
  versions: Map<number, ModelVersion>;
  /** Signature of the model folder at the last load, for polling. */
  signature?: string;
  /** Serializes loads/unloads of one model. */
  chain: Promise<void>;
  /** Set when the last load attempt failed before any version could be made. */
  reason?: string;
}

/** The repository manager. */
export class RepositoryManager {
  private readonly models = new Map<string, ModelRecord>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly opts: RepositoryManagerOptions) {}

  /** Initial load per control mode: everything (none/poll) or the given names (explicit; `*` = all). */
  async start(loadModels: readonly string[] = []): Promise<{ failed: string[] }> {
    const all = await listModelNames(this.opts.repository);
    const names = this.opts.controlMode === 'explicit' ? (loadModels.includes('*') ? all : loadModels) : all;
    const failed: string[] = [];
    // NOTE: ensembles load in a later wave than the models they use, so they find them READY.
    for (const wave of await loadWaves(this.opts.repository, names)) {
      await Promise.all(
        wave.map((name) =>
          this.load(name).catch((err: unknown) => {
            failed.push(name);
            this.opts.log.error('model failed to load', { model: name, reason: err instanceof Error ? err.message : String(err) });
          }),
        ),
      );
    }
    return { failed };
  }

  /** Starts periodic rescans (poll mode). */
  startPolling(intervalSecs: number): void {
    this.pollTimer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, intervalSecs * 1000);
    this.pollTimer.unref();
  }

  /** One rescan: load new models, reload changed ones, unload removed ones. */
  async poll(): Promise<void> {
    const names = new Set(await listModelNames(this.opts.repository));
    const work: Promise<unknown>[] = [];
    const changed: string[] = [];
    for (const name of names) {
      const record = this.models.get(name);
      const listing = await readModelDir(this.opts.repository, name);
      if (!listing) continue;
      if (!record || record.signature !== listing.signature) changed.push(name);
    }
    for (const wave of await loadWaves(this.opts.repository, changed)) {
      await Promise.all(wave.map((name) => this.load(name).catch(() => undefined)));
    }
    for (const [name, record] of this.models) {
      if (!names.has(name) && [...record.versions.values()].some((v) => v.lifecycle.state === 'READY')) {
        work.push(this.unload(name));
      }
    }
    await Promise.all(work);
  }

  /** Loads or reloads a model; rejects with the reason when any version fails to load. */
  load(name: string, options: LoadOptions = {}): Promise<void> {
    // NOTE: checked before a record exists, so a hostile name never becomes a model, a log field or a label.
    if (!isSafeModelName(name)) return Promise.reject(invalidArgument(`failed to load ${JSON.stringify(name.slice(0, 64))}: invalid model name`));
    const record = this.record(name);
    const run = record.chain.then(() => this.doLoad(record, options));
    record.chain = run.catch(() => undefined);
    return run;
  }

  /** Unloads every version of a model (and, when asked, the ensembles that use it). */
  unload(name: string, options: { unloadDependents?: boolean } = {}): Promise<void> {
    const record = this.models.get(name);
    if (!record) return Promise.reject(new InferError('NOT_FOUND', `failed to unload '${name}', no version is available`));
    const run = record.chain.then(async () => {
      await Promise.all([...record.versions.values()].map((v) => v.unload()));
      record.signature = undefined;
    });
    record.chain = run.catch(() => undefined);
    if (!options.unloadDependents) return run;
    const dependents = this.dependentsOf(name).map((d) => this.unload(d, options));
    return Promise.all([run, ...dependents]).then(() => undefined);
  }

  /** The READY version to serve: the requested one, or the highest READY version. */
  getReady(name: string, version?: number): ModelVersion {
    const record = this.models.get(name);
    if (!record) throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' is not found`);
    if (version !== undefined) {
      const v = record.versions.get(version);
      if (!v) throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' version ${version} is not found`);
      if (v.lifecycle.state !== 'READY') {
        throw new InferError('MODEL_NOT_READY', `Request for unknown model: '${name}' version ${version} is not at ready state`);
      }
      return v;
    }
    const ready = [...record.versions.values()].filter((v) => v.lifecycle.state === 'READY');
    if (ready.length === 0) throw new InferError('MODEL_NOT_READY', `Request for unknown model: '${name}' has no available versions`);
    return ready.reduce((a, b) => (b.version > a.version ? b : a));
  }

  /** Every known version (any state) of a model, for metadata; throws NOT_FOUND when unknown. */
  versionsOf(name: string): ModelVersion[] {
    const record = this.models.get(name);
    if (!record) throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' is not found`);
    return [...record.versions.values()].sort((a, b) => a.version - b.version);
  }

  /** All versions of all models. */
  allVersions(): ModelVersion[] {
    return [...this.models.values()].flatMap((r) => [...r.versions.values()]);
  }

  /** True when every model that was asked to load has at least one READY version. */
  allReady(): boolean {
    return [...this.models.values()].every((r) => r.reason === undefined && [...r.versions.values()].some((v) => v.lifecycle.state === 'READY') || isUnloaded(r));
  }

  /** Repository index: every model on disk plus every model ever loaded. */
  async index(readyOnly = false): Promise<RepositoryIndexEntry[]> {
    const onDisk = await listModelNames(this.opts.repository).catch(() => []);
    const names = [...new Set([...onDisk, ...this.models.keys()])].sort();
    const rows: RepositoryIndexEntry[] = [];
    for (const name of names) {
      const record = this.models.get(name);
      const versions = record ? [...record.versions.values()].sort((a, b) => a.version - b.version) : [];
      if (versions.length === 0) {
        if (!readyOnly) rows.push(record?.reason ? { name, state: 'UNAVAILABLE', reason: record.reason } : { name });
        continue;
      }
      for (const v of versions) {
        if (readyOnly && v.lifecycle.state !== 'READY') continue;
        rows.push({ name, version: String(v.version), state: v.lifecycle.state, reason: v.lifecycle.reason });
      }
    }
    return rows;
  }

  /** Stops polling and unloads everything, letting in-flight requests finish. */
  async shutdown(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.polling;
    await Promise.all([...this.models.keys()].map((name) => this.unload(name).catch(() => undefined)));
  }

  private record(name: string): ModelRecord {
    let record = this.models.get(name);
    if (!record) {
      record = { name, versions: new Map(), chain: Promise.resolve() };
      this.models.set(name, record);
    }
    return record;
  }

  private async doLoad(record: ModelRecord, options: LoadOptions): Promise<void> {
    let listing: ModelDirListing | undefined;
    let source: ModelSource;
    try {
      listing = await readModelDir(this.opts.repository, record.name);
      source = await resolveModelSource(record.name, listing, options, this.opts.strictModelConfig);
    } catch (err) {
      record.reason = err instanceof Error ? err.message : String(err);
      throw err instanceof InferError ? err : new InferError('INVALID_ARGUMENT', `failed to load '${record.name}': ${record.reason}`);
    }
    record.reason = undefined;
    try {
      const engine = source.backend === ENSEMBLE_BACKEND_NAME ? ensembleBackend : await this.opts.backends.get(source.backend);
      // NOTE: override files live in their own temporary folder, which is then the only allowed root.
      const root = options.files && options.files.size > 0 ? source.modelDir : this.opts.repository;
      const backend = guardBackend(engine, { root, ...(this.opts.trustedFiles ? { trustedFiles: this.opts.trustedFiles } : {}) });
      const wanted = selectVersions(source.config.version_policy, source.versions);
      if (wanted.length === 0) throw new Error(`at least one version must be available under the version policy of model '${record.name}'`);
      const fresh = await Promise.all(wanted.map((v) => this.loadVersion(record.name, v, source, backend)));
      await this.swapIn(record, fresh, new Set(wanted));
      record.signature = listing?.signature;
      const failed = fresh.filter((v) => v.lifecycle.state !== 'READY');
      if (failed.length > 0) {
        throw new InferError('INVALID_ARGUMENT', `failed to load '${record.name}' version ${failed.map((v) => `${v.version}: ${v.lifecycle.reason}`).join('; ')}`);
      }
    } catch (err) {
      if (err instanceof InferError) throw err;
      record.reason = err instanceof Error ? err.message : String(err);
      throw new InferError('INVALID_ARGUMENT', `failed to load '${record.name}': ${record.reason}`);
    } finally {
      await source.cleanup();
    }
  }

  private async loadVersion(name: string, version: number, source: ModelSource, backend: Backend): Promise<ModelVersion> {
    const v = new ModelVersion(name, version, source.config);
    await v.load(
      {
        name,
        version,
        modelDir: source.modelDir,
        config: source.config,
        backend,
        strictModelConfig: this.opts.strictModelConfig,
        gpuCount: this.opts.gpuCount ?? 0,
        log: this.opts.log,
      },
      this.opts.schedulerFactory ?? defaultSchedulerFactory,
    );
    return v;
  }

  /** Puts READY new versions in place, keeps old READY ones whose replacement failed, unloads the rest. */
  private async swapIn(record: ModelRecord, fresh: readonly ModelVersion[], wanted: ReadonlySet<number>): Promise<void> {
    const retired: ModelVersion[] = [];
    for (const v of fresh) {
      const old = record.versions.get(v.version);
      if (v.lifecycle.state === 'READY' || !old || old.lifecycle.state !== 'READY') {
        if (old) retired.push(old);
        record.versions.set(v.version, v);
      }
    }
    for (const [num, old] of record.versions) {
      if (!wanted.has(num)) {
        retired.push(old);
        record.versions.delete(num);
      }
    }
    await Promise.all(retired.map((v) => v.unload('replaced')));
  }

  private dependentsOf(name: string): string[] {
    const out: string[] = [];
    for (const record of this.models.values()) {
      const uses = [...record.versions.values()].some((v) =>
        (v.config as ModelConfig).ensemble_scheduling?.step.some((s) => s.model_name === name),
      );
      if (uses) out.push(record.name);
    }
    return out;
  }
}

function isUnloaded(r: ModelRecord): boolean {
  return r.reason === undefined && [...r.versions.values()].every((v) => v.lifecycle.state === 'UNAVAILABLE' && v.lifecycle.reason === 'unloaded');
}
