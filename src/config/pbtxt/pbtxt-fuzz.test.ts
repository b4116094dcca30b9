import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './parse-model-config.js';
import { PbtxtError } from './pbtxt-error.js';

const testdata = new URL('../testdata/', import.meta.url);
const fixtures = readdirSync(testdata)
  .filter((f) => f.endsWith('.pbtxt'))
  .map((f) => readFileSync(new URL(f, testdata), 'utf8'));

/** Parsing either succeeds or fails with a PbtxtError located at a real line:column of the text. */
function parsesCleanly(text: string): void {
  try {
    parseModelConfig(text, 'fuzz.pbtxt');
  } catch (err) {
    if (!(err instanceof PbtxtError)) throw new Error(`non-PbtxtError for ${JSON.stringify(text)}: ${String(err)}`);
    expect(err.message).toMatch(/^fuzz\.pbtxt:\d+:\d+: \S/);
    const lines = text.split('\n');
    expect(err.pos.line).toBeGreaterThanOrEqual(1);
    expect(err.pos.line).toBeLessThanOrEqual(lines.length);
    expect(err.pos.column).toBeGreaterThanOrEqual(1);
    expect(err.pos.column).toBeLessThanOrEqual((lines[err.pos.line - 1]?.length ?? 0) + 1);
  }
}

/** Characters that matter to the grammar, so random text reaches deep into the parser. */
const syntaxChar = fc.constantFrom(
  ...'{}[]<>:;,"\'\\#-.+0123456789xefinatTF_ \n\t'.split(''),
  'name', 'input', 'dims', 'data_type', 'TYPE_FP32', 'key', 'value', 'parameters', 'inf', 'nan', '\\x4', '\\u12', '0x',
);

/** An edit applied to a valid config: delete a span, insert grammar-heavy text, or duplicate a span. */
const edit = fc.tuple(
  fc.constantFrom('delete', 'insert', 'duplicate'),
  fc.nat(),
  fc.nat({ max: 40 }),
  fc.string({ unit: syntaxChar, maxLength: 6 }),
);

function applyEdits(text: string, edits: readonly (readonly [string, number, number, string])[]): string {
  let out = text;
  for (const [kind, at, len, insert] of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    if (kind === 'delete') out = out.slice(0, i) + out.slice(i + len);
    else if (kind === 'insert') out = out.slice(0, i) + insert + out.slice(i);
    else out = out.slice(0, i) + out.slice(i, i + len) + out.slice(i);
  }
  return out;
}

describe('pbtxt parser fuzzing', () => {
  it('never throws anything but a located PbtxtError on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), parsesCleanly), { numRuns: 500 });
  });

  it('never throws anything but a located PbtxtError on grammar-heavy random text', () => {
    fc.assert(fc.property(fc.string({ unit: syntaxChar, maxLength: 120 }), parsesCleanly), { numRuns: 1000 });
  });

  it('never throws anything but a located PbtxtError on mutated real configs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(edit, { minLength: 1, maxLength: 4 }), (text, edits) => {
        parsesCleanly(applyEdits(text, edits));
      }),
      { numRuns: 1000 },
    );
  });

  it('stays linear on large and pathological inputs', () => {
    const big = `input [ ${Array.from({ length: 20_000 }, (_, i) => `{ name: "t${i}" data_type: TYPE_FP32 dims: [ 1, -1 ] }`).join(', ')} ]`;
    const started = performance.now();
    expect(parseModelConfig(big).input).toHaveLength(20_000);
    parsesCleanly('"'.repeat(100_000));
    parsesCleanly('#'.repeat(100_000));
    parsesCleanly('{'.repeat(100_000));
    parsesCleanly(`name: ${'"a" '.repeat(50_000)}`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
