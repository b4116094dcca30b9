import { describe, expect, it } from 'vitest';
import { parseText, type TextField, type TextValue } from './parser.js';

/** A compact view of the tree: scalars as text, strings quoted, messages as nested arrays. */
function show(fields: readonly TextField[]): unknown[] {
  const value = (v: TextValue): unknown => {
    if (v.kind === 'message') return show(v.fields);
    if (v.kind === 'string') return JSON.stringify(Buffer.from(v.bytes).toString('utf8'));
    return (v.negative ? '-' : '') + v.text;
  };
  return fields.map((f) => [f.name, f.list ? f.values.map(value) : value(f.values[0]!)]);
}

describe('pbtxt parser', () => {
  it('parses scalars, messages with {} and <>, and optional colons before messages', () => {
    expect(show(parseText('a: 1 b { c: "x" } d: < e: f > g: { }'))).toEqual([
      ['a', '1'],
      ['b', [['c', '"x"']]],
      ['d', [['e', 'f']]],
      ['g', []],
    ]);
  });

  it('parses lists of scalars and of messages, empty lists included', () => {
    expect(show(parseText('dims: [ 1, -2, 3 ] input [ { name: "a" }, < name: "b" > ] e: [] m []'))).toEqual([
      ['dims', ['1', '-2', '3']],
      ['input', [[['name', '"a"']], [['name', '"b"']]]],
      ['e', []],
      ['m', []],
    ]);
  });

  it('accepts , and ; separators between fields', () => {
    expect(show(parseText('a: 1, b: 2; c { d: 3, e: 4; }'))).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', [['d', '3'], ['e', '4']]],
    ]);
  });

  it('concatenates adjacent strings across lines and comments', () => {
    expect(show(parseText('s: "ab" \'cd\'\n # note\n "ef"'))).toEqual([['s', '"abcdef"']]);
  });

  it('keeps the sign of numbers and of inf/nan identifiers, with whitespace after the minus', () => {
    expect(show(parseText('a: - 5 b: -inf c: -nan'))).toEqual([
      ['a', '-5'],
      ['b', '-inf'],
      ['c', '-nan'],
    ]);
  });

  it('records positions of fields and values', () => {
    const [f] = parseText('\n  input {\n    name: "x"\n  }');
    expect(f?.pos).toEqual({ line: 2, column: 3 });
    expect(f?.values[0]?.pos).toEqual({ line: 2, column: 9 });
  });

  it.each([
    ['a 1', /cfg:1:3: expected ':' after field name 'a', found '1'/],
    ['a: ', /1:4: expected a value, found end of input/],
    ['a { b: 1', /1:9: expected '}' before end of input/],
    ['a { b: 1 >', /1:10: expected a field name, found '>'/],
    ['a: [1 2]', /1:7: expected ',' between list values, found '2'/],
    ['a: [1,]', /expected a value, found '\]'/],
    ['a [1, 2]', /expected ':' after field name 'a'/],
    ['a: -"x"', /expected a value, found a string/],
    ['}', /1:1: expected a field name, found '}'/],
    ['[ext]: 1', /extension and Any fields are not supported/],
    ['a: {', /1:5: expected '}' before end of input/],
  ])('rejects %j', (src, message) => {
    expect(() => parseText(src, 'cfg')).toThrow(message);
  });

  it('bounds nesting depth instead of overflowing the stack', () => {
    const deep = 'a {'.repeat(10_000);
    expect(() => parseText(deep)).toThrow(/nested deeper than 64 levels/);
    const ok = `${'a {'.repeat(60)}${'}'.repeat(60)}`;
    expect(parseText(ok)).toHaveLength(1);
  });
});
