import { describe, expect, it } from 'vitest';
import { goStruct, TemplateExecError, TemplateSet } from '../../deploy/tools/go-template/executor.js';
import { templateFunctions } from '../../deploy/tools/go-template/functions.js';
import { formatFloat } from '../../deploy/tools/go-template/go-values.js';
import { TemplateSyntaxError } from '../../deploy/tools/go-template/lexer.js';
import { sprintf } from '../../deploy/tools/go-template/sprintf.js';

function render(src: string, data: unknown = {}, extra: Record<string, string> = {}): string {
  const set = new TemplateSet(templateFunctions);
  for (const [name, text] of Object.entries(extra)) set.add(name, text);
  set.add('main', src);
  return set.execute('main', data);
}

describe('Go template syntax', () => {
  it('trims whitespace only on the marked side', () => {
    expect(render('a  {{- "b" -}}  c')).toBe('abc');
    expect(render('a  {{- "b" }}  c')).toBe('ab  c');
    expect(render('a\n\n  {{- /* note */ -}}\n\nb')).toBe('ab');
  });

  it('keeps {{-3}} as a number, not a trim marker', () => {
    expect(render('x{{-3}}')).toBe('x-3');
  });

  it('parses string escapes, raw strings and char constants like Go', () => {
    expect(render('{{ "a\\tb\\x41\\u00e9" }}')).toBe('a\tbA\u00e9');
    expect(render('{{ `raw\\n` }}')).toBe('raw\\n');
    expect(render("{{ 'a' }}")).toBe('97');
  });

  it('rejects malformed actions with the template name and line', () => {
    expect(() => render('ok\n{{ if .x }}')).toThrow(TemplateSyntaxError);
    expect(() => render('{{ "unterminated }}')).toThrow(/main:1: unterminated quoted string/);
    expect(() => render('{{ break }}')).toThrow(/outside \{\{range\}\}/);
  });
});

describe('control structures', () => {
  it('if / else if / else', () => {
    const tpl = '{{ if eq .n "a" }}A{{ else if eq .n "b" }}B{{ else }}C{{ end }}';
    expect(['a', 'b', 'z'].map((n) => render(tpl, { n }))).toEqual(['A', 'B', 'C']);
  });

  it('range over lists, sorted maps, with else, break and continue', () => {
    expect(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['x', 'y'] })).toBe('0=x;1=y;');
    expect(render('{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}', { m: { b: 2, a: 1 } })).toBe('a1b2');
    expect(render('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] })).toBe('empty');
    expect(render('{{ range .l }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ if eq . 4.0 }}{{ break }}{{ end }}{{ . }}{{ end }}', { l: [1, 2, 3, 4, 5] })).toBe('13');
  });

  it('with rebinds dot and scopes variables to the block', () => {
    expect(render('{{ with .a }}{{ .b }}{{ end }}', { a: { b: 'x' } })).toBe('x');
    expect(render('{{ with .missing }}x{{ else }}none{{ end }}')).toBe('none');
    expect(() => render('{{ if true }}{{ $v := 1 }}{{ end }}{{ $v }}')).toThrow(/undefined variable: \$v/);
    expect(render('{{ $v := 1 }}{{ if true }}{{ $v = 2 }}{{ end }}{{ $v }}')).toBe('2');
  });

  it('define, template and include with $ bound to the passed data', () => {
    const helpers = { helpers: '{{ define "greet" }}hi {{ .name }}{{ end }}{{ define "root" }}{{ $.name }}{{ end }}' };
    expect(render('{{ template "greet" . }}', { name: 'bob' }, helpers)).toBe('hi bob');
    expect(render('{{ include "greet" . | upper }}', { name: 'bob' }, helpers)).toBe('HI BOB');
    expect(render('{{ include "root" .inner }}', { name: 'outer', inner: { name: 'inner' } }, helpers)).toBe('inner');
  });

  it('and/or short-circuit and return an operand', () => {
    expect(render('{{ or .a "fallback" }}')).toBe('fallback');
    expect(render('{{ and .a .a.b }}')).toBe('');
    expect(render('{{ and 1 "x" }}')).toBe('x');
  });
});

describe('Helm data semantics', () => {
  it('prints missing keys as nothing but fails on a field of nil', () => {
    expect(render('[{{ .missing }}]')).toBe('[]');
    expect(() => render('{{ .a.b.c }}', { a: {} })).toThrow(/nil pointer evaluating interface \{\}\.c/);
  });

  it('fails on unknown fields of built-in objects (structs)', () => {
    expect(() => render('{{ .Release.name }}', { Release: goStruct({ Name: 'r' }) })).toThrow(TemplateExecError);
  });

  it('treats values numbers as float64 and literals as int, as helm does', () => {
    expect(render('{{ .n }}', { n: 1000000 })).toBe('1e+06');
    expect(render('{{ .n }} {{ int .n }}', { n: 123456 })).toBe('123456 123456');
    expect(() => render('{{ eq .n 1 }}', { n: 1 })).toThrow(/incompatible types for comparison/);
    expect(render('{{ eq (int .n) 1 }}', { n: 1 })).toBe('true');
    expect(render('{{ printf "%d" .n }}', { n: 3 })).toBe('%!d(float64=3)');
  });

  it('formats floats with Go %v rules', () => {
    expect([0.0001, 0.00001, 100000, 1234567, 1.5, -2e21].map(formatFloat)).toEqual(['0.0001', '1e-05', '100000', '1.234567e+06', '1.5', '-2e+21']);
  });
});

describe('Sprig and Helm functions', () => {
  it('default, empty, required, fail', () => {
    expect(render('{{ .x | default "d" }} {{ .y | default "d" }}', { x: '', y: 'v' })).toBe('d v');
    expect(render('{{ empty .l }} {{ empty .m }}', { l: [], m: { a: 1 } })).toBe('true false');
    expect(() => render('{{ required "need x" .x }}')).toThrow(/need x/);
    expect(() => render('{{ fail "stop" }}')).toThrow(/stop/);
  });

  it('string helpers', () => {
    expect(render('{{ "release-name-inferd-" | trunc 63 | trimSuffix "-" }}')).toBe('release-name-inferd');
    expect(render('{{ trunc -3 "abcdef" }}')).toBe('def');
    expect(render('{{ "a\\"b" | quote }} {{ squote "x" }}')).toBe('"a\\"b" \'x\'');
    expect(render('{{ "s3cret" | b64enc }}')).toBe('czNjcmV0');
    expect(render('{{ "abc" | sha256sum }}')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(render('{{ printf "%s-%s" "a" "b" | replace "-" "_" }}')).toBe('a_b');
    expect(render('{{ contains "inf" "inferd" }} {{ hasPrefix "x" "inferd" }}')).toBe('true false');
  });

  it('toYaml sorts keys, quotes YAML 1.1 booleans and pairs with nindent', () => {
    const out = render('spec:\n  {{- toYaml .v | nindent 2 }}', { v: { z: 1, a: 'on', list: ['x'] } });
    expect(out).toBe('spec:\n  a: "on"\n  list:\n  - x\n  z: 1');
  });

  it('dict, list, has, hasKey, index, len, add, ternary', () => {
    expect(render('{{ (dict "a" "b").a }} {{ len (list 1 2 3) }} {{ index .l 1 }}', { l: ['x', 'y'] })).toBe('b 3 y');
    expect(render('{{ has "b" .l }} {{ hasKey .m "k" }} {{ add 1 2 .n }}', { l: ['a', 'b'], m: { k: 1 }, n: 3.9 })).toBe('true true 6');
    expect(render('{{ ternary "yes" "no" .t }}', { t: false })).toBe('no');
  });

  it('refuses functions outside the supported subset', () => {
    expect(() => render('{{ lookup "v1" "Secret" "ns" "name" }}')).toThrow(/function "lookup" not defined/);
  });
});

describe('sprintf', () => {
  it('handles widths, verbs and bad operands like Go', () => {
    expect(sprintf('%5s|%-3d|%03d|%%|%q|%v', ['ab', 7n, 5n, 'x', [1n, 'a']])).toBe('   ab|7  |005|%|"x"|[1 a]');
    expect(sprintf('%s', [1n])).toBe('%!s(int=1)');
    expect(sprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
  });
});
