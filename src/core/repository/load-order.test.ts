import { describe, expect, it } from 'vitest';
import { dependencyWaves } from './load-order.js';

describe('dependencyWaves', () => {
  it('puts ensembles after the models they use, nested ensembles after those', () => {
    const deps: Record<string, string[]> = { a_ens: ['m1', 'm2'], b_outer: ['a_ens', 'm1'], m1: [], m2: [] };
    expect(dependencyWaves(['a_ens', 'b_outer', 'm1', 'm2'], (n) => deps[n] ?? [])).toEqual([['m1', 'm2'], ['a_ens'], ['b_outer']]);
  });

  it('ignores dependencies outside the set and puts cycles last', () => {
    const deps: Record<string, string[]> = { e: ['missing'], x: ['y'], y: ['x'], m: [] };
    expect(dependencyWaves(['e', 'x', 'y', 'm'], (n) => deps[n] ?? [])).toEqual([['e', 'm'], ['x', 'y']]);
  });
});
