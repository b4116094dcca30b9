import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';
import { PbtxtError } from './pbtxt-error.js';

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

function stringToken(src: string): Uint8Array {
  const [t] = tokenize(src);
  expect(t?.kind).toBe('string');
  return t!.bytes!;
}

describe('pbtxt lexer', () => {
  it('splits identifiers, numbers, symbols and strings with 1-based positions', () => {
    const tokens = tokenize('name: "a"\n  dims: [ -1, 0x1F ]  # trailing comment\n}');
    expect(tokens.map((t) => [t.kind, t.text, t.pos.line, t.pos.column])).toEqual([
      ['identifier', 'name', 1, 1],
      ['symbol', ':', 1, 5],
      ['string', '', 1, 7],
      ['identifier', 'dims', 2, 3],
      ['symbol', ':', 2, 7],
      ['symbol', '[', 2, 9],
      ['symbol', '-', 2, 11],
      ['number', '1', 2, 12],
      ['symbol', ',', 2, 13],
      ['number', '0x1F', 2, 15],
      ['symbol', ']', 2, 20],
      ['symbol', '}', 3, 1],
      ['eof', '', 3, 2],
    ]);
  });

  it('reads floats with exponents, leading dots and f suffixes as single tokens', () => {
    for (const n of ['1.5', '.5', '1e10', '2.5E-3', '1.f', '3f', '0', '017', '1.']) {
      const [t] = tokenize(n);
      expect([t?.kind, t?.text]).toEqual(['number', n]);
    }
  });

  it('rejects numbers glued to identifiers', () => {
    expect(() => tokenize('x: 12abc')).toThrow(/1:4: invalid number '12a'/);
    expect(() => tokenize('x: 0x')).toThrow(/invalid number/);
  });

  it('decodes C escapes in both quote styles', () => {
    expect(text(stringToken(String.raw`"a\n\t\\\'\"\?"`))).toBe('a\n\t\\\'"?');
    expect(text(stringToken(String.raw`'\x41\101\7'`))).toBe('AA\x07');
    expect(Array.from(stringToken(String.raw`"\xff\0"`))).toEqual([0xff, 0]);
    expect(text(stringToken(String.raw`"\u00e9\U0001F600"`))).toBe('é😀');
    expect(text(stringToken(String.raw`"\ud83d\ude00"`))).toBe('😀');
    expect(text(stringToken(`"héllo ✓"`))).toBe('héllo ✓');
    expect(text(stringToken(`'say "hi"'`))).toBe('say "hi"');
  });

  it('rejects bad escapes and unterminated strings with their position', () => {
    expect(() => tokenize('a: "x\\q"')).toThrow(/1:6: invalid escape '\\q'/);
    expect(() => tokenize('a: "\\x"')).toThrow(/invalid hex escape/);
    expect(() => tokenize('a: "\\777"')).toThrow(/octal escape \\777 is out of range/);
    expect(() => tokenize('a: "\\ud800"')).toThrow(/invalid code point/);
    expect(() => tokenize('a: "\\ud800\\u0041"')).toThrow(/unpaired surrogate/);
    expect(() => tokenize('a: "abc\n"')).toThrow(/1:8: unterminated string/);
    expect(() => tokenize("a: 'abc")).toThrow(/unterminated string/);
  });

  it('rejects stray characters with line:column and a PbtxtError', () => {
    try {
      tokenize('a: 1\n  b: @', 'm/config.pbtxt');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PbtxtError);
      expect((err as PbtxtError).message).toBe('m/config.pbtxt:2:6: unexpected character "@"');
      expect((err as PbtxtError).pos).toEqual({ line: 2, column: 6 });
      expect((err as PbtxtError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('skips comments, including ones at end of input and inside lists', () => {
    const tokens = tokenize('# only a comment\na: [1, # one\n 2]#end');
    expect(tokens.filter((t) => t.kind === 'number').map((t) => t.text)).toEqual(['1', '2']);
  });
});
