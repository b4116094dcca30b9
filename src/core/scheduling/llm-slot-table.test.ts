import { describe, expect, it } from 'vitest';
import { LlmSlotTable } from './llm-slot-table.js';
import { LlmWaitingQueue } from './llm-waiting-queue.js';

describe('LlmSlotTable', () => {
  it('picks the free slot with the longest cached prefix, else the least recently used', () => {
    const t = new LlmSlotTable(3);
    const a = t.acquire([1, 2, 3])!;
    t.append(a.slot, [1, 2, 3, 9]);
    t.release(a.slot);
    const b = t.acquire([5, 6])!;
    t.append(b.slot, [5, 6]);
    t.release(b.slot);
    expect(t.acquire([1, 2, 3, 4])).toEqual({ slot: a.slot, reused: 3 });
    expect(t.tokens(a.slot)).toEqual([1, 2, 3]);
    expect(t.acquire([7])!.slot).toBe(2);
    expect(t.acquire([7])).toEqual({ slot: b.slot, reused: 0 });
    expect(t.acquire([7])).toBeUndefined();
  });

  it('always leaves one prompt token to evaluate, and forgets discarded slots', () => {
    const t = new LlmSlotTable(1);
    t.acquire([1, 2]);
    t.append(0, [1, 2]);
    t.release(0);
    expect(t.acquire([1, 2])).toEqual({ slot: 0, reused: 1 });
    t.discard(0);
    expect(t.usedCells()).toBe(0);
  });
});

describe('LlmWaitingQueue', () => {
  it('is bounded, ordered by priority then arrival, and supports removal', () => {
    const q = new LlmWaitingQueue<string>(4);
    expect(q.push('a', 1) && q.push('b', 0) && q.push('c', 1) && q.push('d', -2)).toBe(true);
    expect(q.push('e', 0)).toBe(false);
    expect(q.remove('b', 0)).toBe(true);
    expect(q.remove('b', 0)).toBe(false);
    expect(q.peek()).toBe('d');
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual(['d', 'a', 'c', undefined]);
    expect(q.size).toBe(0);
  });
});
