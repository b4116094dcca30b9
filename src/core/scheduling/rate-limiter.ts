/**
 * Triton's rate limiter (`--rate-limit execution_count`): each model instance declares the
 * resources one execution needs (`instance_group.rate_limiter.resources`), and may execute only
 * while the server holds that many units free. Non-global resources exist once per device,
 * global ones once per server. A resource's capacity is the `--rate-limit-resource` count when
 * given, else the largest count any registered instance needs (so every instance can run).
 * Among waiting instances, `priority` weights the choice: an instance with priority 2 gets half
 * the grants of one with priority 1 (stride scheduling). Single-threaded: event loop only.
 */

/** Triton's --rate-limit modes. */
export type RateLimitMode = 'off' | 'execution_count';

/** A `--rate-limit-resource NAME:COUNT[:DEVICE]` entry; no device = every device and global. */
export interface ResourceLimit {
  readonly name: string;
  readonly count: number;
  /** `cpu` or `gpu:N` (a bare number N means `gpu:N`); undefined applies everywhere. */
  readonly device?: string;
}

/** What one instance needs per execution. */
export interface InstanceNeeds {
  /** The instance's device (`cpu`, `gpu:N`); non-global resources are counted per device. */
  readonly device: string;
  readonly resources: readonly { readonly name: string; readonly global?: boolean; readonly count: number }[];
  /** Triton's rate-limiter priority; 0 and 1 both mean the highest weight. */
  readonly priority: number;
}

interface Waiter {
  readonly slot: RateLimiterSlot;
  readonly seq: number;
  readonly grant: (release: () => void) => void;
}

/** Resource accounting and the wait list shared by every instance of every model. */
export class RateLimiter {
  private readonly inUse = new Map<string, number>();
  private readonly defaults = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private nextSeq = 0;
  /** The pass of the last grant: the stride scheduler's virtual time. */
  private virtualTime = 0;

  constructor(private readonly limits: readonly ResourceLimit[] = []) {
    for (const l of limits) {
      if (!l.name || !Number.isSafeInteger(l.count) || l.count < 0) throw new Error(`invalid rate-limit resource '${l.name}:${l.count}'`);
    }
  }

  /**
   * Registers an instance and returns its slot. Throws when an explicit resource limit is below
   * what the instance needs, since it could then never run (Triton refuses such a load too).
   */
  register(needs: InstanceNeeds): RateLimiterSlot {
    const demand = new Map<string, number>();
    for (const r of needs.resources) {
      const key = resourceKey(r.name, r.global === true, needs.device);
      demand.set(key, (demand.get(key) ?? 0) + r.count);
    }
    for (const [key, count] of demand) {
      const explicit = this.explicitCapacity(key);
      if (explicit !== undefined && explicit < count) {
        throw new Error(`resource count for '${key}' is limited to ${explicit}, which prevents scheduling an instance that needs ${count}`);
      }
      this.defaults.set(key, Math.max(this.defaults.get(key) ?? 0, count));
    }
    return new RateLimiterSlot(this, demand, Math.max(1, needs.priority));
  }

  /** Units of `key` currently held by executing instances. */
  used(key: string): number {
    return this.inUse.get(key) ?? 0;
  }

  /** Units of `key` the server has in all. */
  capacity(key: string): number {
    return this.explicitCapacity(key) ?? this.defaults.get(key) ?? 0;
  }

  /** Queues `slot` for its resources; called by RateLimiterSlot.acquire. */
  enqueue(slot: RateLimiterSlot): Promise<() => void> {
    return new Promise((grant) => {
      this.waiters.push({ slot, seq: this.nextSeq++, grant });
      this.dispatch();
    });
  }

  /** Grants waiting slots in stride order while their resources are free. */
  private dispatch(): void {
    this.waiters.sort((a, b) => a.slot.pass - b.slot.pass || a.seq - b.seq);
    // NOTE: resources wanted by a blocked earlier waiter are reserved for it, so a large request
    // is not starved by a stream of smaller ones; waiters on other resources still proceed.
    const reserved = new Set<string>();
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as Waiter;
      const keys = [...w.slot.demand.keys()];
      const free = keys.every((k) => !reserved.has(k) && this.used(k) + (w.slot.demand.get(k) ?? 0) <= this.capacity(k));
      if (!free) {
        for (const k of keys) reserved.add(k);
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      for (const [k, n] of w.slot.demand) this.inUse.set(k, this.used(k) + n);
      this.virtualTime = w.slot.pass;
      w.slot.pass += w.slot.stride;
      w.grant(this.releaser(w.slot));
    }
  }

  private releaser(slot: RateLimiterSlot): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [k, n] of slot.demand) this.inUse.set(k, this.used(k) - n);
      this.dispatch();
    };
  }

  /** Current virtual time, where an idle slot re-enters the competition. */
  now(): number {
    return this.virtualTime;
  }

  private explicitCapacity(key: string): number | undefined {
    const [scope, name] = splitKey(key);
    const exact = this.limits.find((l) => l.name === name && l.device !== undefined && normalizeDevice(l.device) === scope);
    return (exact ?? this.limits.find((l) => l.name === name && l.device === undefined))?.count;
  }
}

/** One registered instance's claim on the rate limiter. */
export class RateLimiterSlot {
  /** Stride-scheduling position; lower goes first. */
  pass: number;

  constructor(
    private readonly limiter: RateLimiter,
    /** Units per resource key needed for one execution. */
    readonly demand: ReadonlyMap<string, number>,
    /** Pass increment per grant: the priority. */
    readonly stride: number,
  ) {
    this.pass = limiter.now();
  }

  /** Resolves with a release function once this instance may execute; call it when done. */
  acquire(): Promise<() => void> {
    // NOTE: a slot that sat idle re-enters at the current virtual time instead of cashing in
    // the turns it skipped.
    this.pass = Math.max(this.pass, this.limiter.now());
    return this.limiter.enqueue(this);
  }
}

/** Parses `NAME:COUNT[:DEVICE]` as --rate-limit-resource takes it. */
export function parseResourceLimit(text: string): ResourceLimit {
  const m = /^([^:\s]+):([0-9]+)(?::([^:\s]+))?$/.exec(text.trim());
  if (!m) throw new Error(`expected NAME:COUNT[:DEVICE] for --rate-limit-resource, got '${text}'`);
  const device = m[3];
  return { name: m[1] as string, count: Number(m[2]), ...(device !== undefined ? { device: normalizeDevice(device) } : {}) };
}

function normalizeDevice(device: string): string {
  return /^[0-9]+$/.test(device) ? `gpu:${device}` : device;
}

/** `global/NAME` or `DEVICE/NAME`. */
export function resourceKey(name: string, global: boolean, device: string): string {
  return `${global ? 'global' : device}/${name}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}
