/**
 * Several LLMs on one server within a memory budget (Ollama's model manager, on Triton's
 * repository): a request naming a known but unloaded LLM loads it on demand; before a load, idle
 * models are evicted least-recently-used first until the new model's estimate fits; a model that
 * can never fit fails at once with the numbers (507); models idle longer than their keep-alive
 * unload. Loads of different models proceed in parallel; only the memory bookkeeping is serial.
 */
import { InferError } from '../errors.js';

/** What the manager needs from the repository. */
export interface LlmResidencyPort {
  /** True when `name` is an LLM this server may load (loaded or not). */
  isKnownLlm(name: string): Promise<boolean>;
  /** Estimated bytes `name` needs once loaded. */
  estimateBytes(name: string): Promise<number>;
  isLoaded(name: string): boolean;
  /** True while the model has requests running or waiting. */
  isBusy(name: string): boolean;
  load(name: string): Promise<void>;
  unload(name: string): Promise<void>;
}

/** Settings of the manager. */
export interface LlmResidencyOptions {
  readonly port: LlmResidencyPort;
  readonly budgetBytes: number;
  /** Idle time before an on-demand model unloads; negative keeps models loaded. */
  readonly defaultKeepAliveMs: number;
  readonly now?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** One model's residency as reported by `/v1/models`. */
export type ResidencyState = 'loaded' | 'loading' | 'unloaded';

interface Resident {
  bytes: number;
  lastUsed: number;
  keepAliveMs: number;
  loading?: Promise<void>;
}

const GiB = 2 ** 30;
const gib = (n: number): string => `${(n / GiB).toFixed(2)} GiB`;

/** Keeps LLMs loaded within a memory budget. */
export class LlmResidency {
  private readonly residents = new Map<string, Resident>();
  private bookkeeping: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly opts: LlmResidencyOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Bytes held or reserved by loaded and loading models. */
  residentBytes(): number {
    let n = 0;
    for (const r of this.residents.values()) n += r.bytes;
    return n;
  }

  /** The residency of `name`. */
  state(name: string): ResidencyState {
    const r = this.residents.get(name);
    if (r?.loading) return 'loading';
    return r || this.opts.port.isLoaded(name) ? 'loaded' : 'unloaded';
  }

  /** Records a model loaded outside the manager (at start-up); it never idles out (keep-alive < 0). */
  async adopt(name: string): Promise<void> {
    if (this.residents.has(name)) return;
    const bytes = await this.opts.port.estimateBytes(name);
    this.residents.set(name, { bytes, lastUsed: this.now(), keepAliveMs: -1 });
  }

  /** Makes sure `name` is loaded, loading it (and evicting idle models) when needed; `keepAliveMs` overrides its keep-alive. */
  async acquire(name: string, keepAliveMs?: number): Promise<void> {
    let known = this.residents.get(name);
    if (known && !known.loading && !this.opts.port.isLoaded(name)) {
      // NOTE: unloaded behind the manager's back (model-control API); its bytes are free again.
      this.residents.delete(name);
      known = undefined;
    }
    if (known && !known.loading && this.opts.port.isLoaded(name)) {
      known.lastUsed = this.now();
      if (keepAliveMs !== undefined) known.keepAliveMs = keepAliveMs;
      return;
    }
    if (known?.loading) {
      await known.loading;
      return this.acquire(name, keepAliveMs);
    }
    if (this.opts.port.isLoaded(name)) {
      await this.adopt(name);
      return this.acquire(name, keepAliveMs);
    }
    if (!(await this.opts.port.isKnownLlm(name))) throw new InferError('NOT_FOUND', `The model '${name}' does not exist`);
    const resident = await this.reserve(name, keepAliveMs ?? this.opts.defaultKeepAliveMs);
    await resident.loading;
  }

  /** Unloads every model idle longer than its keep-alive; returns the names unloaded. */
  async sweep(): Promise<string[]> {
    const now = this.now();
    const expired: string[] = [];
    for (const [name, r] of this.residents) {
      if (r.loading) continue;
      if (!this.opts.port.isLoaded(name)) {
        this.residents.delete(name);
        continue;
      }
      if (this.opts.port.isBusy(name)) r.lastUsed = now;
      else if (r.keepAliveMs >= 0 && now - r.lastUsed >= r.keepAliveMs) expired.push(name);
    }
    for (const name of expired) await this.evict(name, 'keep_alive expired');
    return expired;
  }

  /** Reserves memory for `name` (evicting as needed) and starts its load; serialised with other reservations. */
  private reserve(name: string, keepAliveMs: number): Promise<Resident> {
    const run = this.bookkeeping.then(async () => {
      const again = this.residents.get(name);
      if (again) return again;
      const bytes = await this.opts.port.estimateBytes(name);
      const budget = this.opts.budgetBytes;
      if (bytes > budget) {
        throw new InferError('INSUFFICIENT_MEMORY', `model '${name}' needs about ${gib(bytes)} but the memory budget is ${gib(budget)} (--max-memory)`);
      }
      while (this.residentBytes() + bytes > budget) {
        const victim = this.leastRecentlyUsedIdle();
        if (!victim) {
          throw new InferError(
            'UNAVAILABLE',
            `model '${name}' needs about ${gib(bytes)}; ${gib(this.residentBytes())} of the ${gib(budget)} budget is held by models serving requests — retry later`,
          );
        }
        await this.evict(victim, `making room for '${name}'`);
      }
      const resident: Resident = { bytes, lastUsed: this.now(), keepAliveMs };
      resident.loading = this.opts.port.load(name).then(
        () => {
          delete resident.loading;
          resident.lastUsed = this.now();
          this.opts.log?.('model loaded on demand', { model: name, bytes });
        },
        (err: unknown) => {
          this.residents.delete(name);
          throw err;
        },
      );
      resident.loading.catch(() => undefined);
      this.residents.set(name, resident);
      return resident;
    });
    this.bookkeeping = run.catch(() => undefined);
    return run;
  }

  private leastRecentlyUsedIdle(): string | undefined {
    let best: [string, Resident] | undefined;
    for (const entry of this.residents) {
      const [name, r] = entry;
      if (r.loading || this.opts.port.isBusy(name)) continue;
      if (!best || r.lastUsed < best[1].lastUsed) best = entry;
    }
    return best?.[0];
  }

  private async evict(name: string, why: string): Promise<void> {
    const r = this.residents.get(name);
    this.residents.delete(name);
    this.opts.log?.('unloading model', { model: name, reason: why, bytes: r?.bytes });
    await this.opts.port.unload(name);
  }
}
