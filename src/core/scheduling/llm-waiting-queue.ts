/**
 * The continuous batcher's waiting queue: bounded, ordered by priority (lower value first, as
 * in vLLM) and first-come-first-served within one priority. Removal of a cancelled entry is O(n)
 * in its priority level, which stays short because the queue is bounded.
 */

/** A bounded priority FCFS queue. Not thread-safe; owned by one batcher. */
export class LlmWaitingQueue<T> {
  private readonly levels = new Map<number, T[]>();
  /** Priority values present, ascending. */
  private keys: number[] = [];
  private count = 0;

  constructor(readonly maxSize: number) {}

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.maxSize;
  }

  /** Appends `item` at the end of its priority level; false when the queue is full. */
  push(item: T, priority: number): boolean {
    if (this.full) return false;
    let level = this.levels.get(priority);
    if (!level) {
      level = [];
      this.levels.set(priority, level);
      this.keys = [...this.keys, priority].sort((a, b) => a - b);
    }
    level.push(item);
    this.count++;
    return true;
  }

  /** The next item to serve without removing it. */
  peek(): T | undefined {
    const key = this.keys[0];
    return key === undefined ? undefined : this.levels.get(key)![0];
  }

  /** Removes and returns the next item to serve. */
  shift(): T | undefined {
    const key = this.keys[0];
    if (key === undefined) return undefined;
    const level = this.levels.get(key)!;
    const item = level.shift();
    this.count--;
    if (level.length === 0) this.dropLevel(key);
    return item;
  }

  /** Removes `item` wherever it waits; false when it is not queued. */
  remove(item: T, priority: number): boolean {
    const level = this.levels.get(priority);
    const index = level ? level.indexOf(item) : -1;
    if (!level || index < 0) return false;
    level.splice(index, 1);
    this.count--;
    if (level.length === 0) this.dropLevel(priority);
    return true;
  }

  /** Removes and returns everything, in serving order. */
  clear(): T[] {
    const all: T[] = [];
    for (const key of this.keys) all.push(...this.levels.get(key)!);
    this.levels.clear();
    this.keys = [];
    this.count = 0;
    return all;
  }

  private dropLevel(priority: number): void {
    this.levels.delete(priority);
    this.keys = this.keys.filter((k) => k !== priority);
  }
}
