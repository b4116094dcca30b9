/**
 * Time source for schedulers, injectable so batching rules are tested with a controllable clock.
 */

/** Microsecond clock with one-shot timers. */
export interface Clock {
  /** Monotonic time in microseconds. */
  nowUs(): number;
  /** Calls `fn` after `delayUs`; returns a function that cancels it. */
  setTimer(fn: () => void, delayUs: number): () => void;
}

/** The real clock: hrtime and setTimeout (millisecond resolution, rounded up). */
export const systemClock: Clock = {
  nowUs: () => Number(process.hrtime.bigint() / 1000n),
  setTimer: (fn, delayUs) => {
    const t = setTimeout(fn, Math.max(0, Math.ceil(delayUs / 1000)));
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told to, firing due timers in order. For tests. */
export class ManualClock implements Clock {
  private now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  nowUs(): number {
    return this.now;
  }

  setTimer(fn: () => void, delayUs: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.now + Math.max(0, delayUs), fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Advances time by `us`, running each timer that falls due. */
  advance(us: number): void {
    const target = this.now + us;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = target;
  }
}
