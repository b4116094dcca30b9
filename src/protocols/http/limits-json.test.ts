import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import { assertJsonDepth, jsonDepthExceeds } from './limits-json.js';

/** Nesting depth of a parsed JSON value: scalars 0, each object/array level 1. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays alike', () => {
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(jsonDepthExceeds('1', 0)).toBe(false);
    expect(jsonDepthExceeds('[]', 0)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds('["[[[[", "\\"[[[[\\\\", "{{{"]', 1)).toBe(false);
    expect(jsonDepthExceeds('["\\\\", [[1]]]', 2)).toBe(true);
  });

  it('agrees with the parsed depth of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        const depth = depthOf(JSON.parse(text));
        expect(jsonDepthExceeds(text, depth)).toBe(false);
        if (depth > 0) expect(jsonDepthExceeds(text, depth - 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('throws INVALID_ARGUMENT through assertJsonDepth', () => {
    expect(() => assertJsonDepth('[[[1]]]', 2)).toThrow(InferError);
    expect(() => assertJsonDepth('[[[1]]]', 3)).not.toThrow();
  });
});
