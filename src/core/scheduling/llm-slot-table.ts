/**
 * The batcher's view of one instance's KV-cache slots: which are free, and which tokens each
 * holds. A new request takes the free slot whose cached tokens share the longest prefix with its
 * prompt (a system prompt, earlier chat turns), so only the rest is evaluated; ties go to the
 * least recently used slot.
 */

/** Where a request will run and how much of its prompt is already cached there. */
export interface SlotChoice {
  readonly slot: number;
  /** Prompt tokens already in the slot's KV cache and kept. */
  readonly reused: number;
}

interface Slot {
  busy: boolean;
  /** Tokens whose keys/values the slot holds, in position order. */
  tokens: number[];
  lastUsed: number;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Slot bookkeeping for one instance. Not thread-safe; owned by one engine loop. */
export class LlmSlotTable {
  private readonly slots: Slot[];
  private clock = 0;

  constructor(count: number) {
    this.slots = Array.from({ length: count }, () => ({ busy: false, tokens: [], lastUsed: 0 }));
  }

  get numFree(): number {
    return this.slots.filter((s) => !s.busy).length;
  }

  /**
   * Takes a free slot for `prompt`, keeping its longest cached prefix; at least one prompt token is
   * always left to evaluate, because sampling needs the logits of the last one.
   */
  acquire(prompt: readonly number[]): SlotChoice | undefined {
    let best: { slot: number; match: number; lastUsed: number } | undefined;
    this.slots.forEach((s, slot) => {
      if (s.busy) return;
      const match = commonPrefix(s.tokens, prompt);
      if (!best || match > best.match || (match === best.match && s.lastUsed < best.lastUsed)) best = { slot, match, lastUsed: s.lastUsed };
    });
    if (!best) return undefined;
    const s = this.slots[best.slot]!;
    const reused = Math.min(best.match, prompt.length - 1);
    s.busy = true;
    s.tokens.length = Math.max(reused, 0);
    return { slot: best.slot, reused: Math.max(reused, 0) };
  }

  /** Records that `tokens` were evaluated into `slot` after its current tokens. */
  append(slot: number, tokens: readonly number[]): void {
    const s = this.slots[slot]!;
    for (const t of tokens) s.tokens.push(t);
  }

  /** Frees `slot`, keeping its tokens for reuse. */
  release(slot: number): void {
    const s = this.slots[slot]!;
    s.busy = false;
    s.lastUsed = ++this.clock;
  }

  /** Frees `slot` and forgets its contents (after an engine error). */
  discard(slot: number): void {
    this.slots[slot]!.tokens = [];
    this.release(slot);
  }

  /** Tokens cached in `slot`. */
  tokens(slot: number): readonly number[] {
    return this.slots[slot]!.tokens;
  }

  /** KV cells in use across all slots, busy or cached. */
  usedCells(): number {
    return this.slots.reduce((n, s) => n + s.tokens.length, 0);
  }
}
