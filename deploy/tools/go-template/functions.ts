/**
 * The Go template builtins plus the Sprig and Helm functions our chart uses, with their Go
 * semantics (argument order, int vs float64, what counts as empty). Anything outside this list
 * fails with "function not defined", which keeps the chart inside the subset we can verify.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { TemplateFunction } from './executor.js';
import { isEmpty, isMap, isTrue, kindOf, sprint, toInt, toStr, goQuote, formatValue, type GoValue } from './go-values.js';
import { sprintf } from './sprintf.js';

function basicKind(v: GoValue): string {
  const k = kindOf(v);
  if (k === 'invalid' || k === 'slice' || k === 'map') throw new Error('invalid type for comparison');
  return k;
}

/** Go's eq/lt rules: operands must be of the same basic kind (an int literal never equals a float64 value). */
function compare(a: GoValue, b: GoValue): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'bool') {
    if (a === b) return 0;
    throw new Error('invalid type for comparison');
  }
  return (a as string | number | bigint) < (b as string | number | bigint) ? -1 : (a as string | number | bigint) > (b as string | number | bigint) ? 1 : 0;
}

function lengthOf(v: GoValue): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  throw new Error(`len of type ${kindOf(v)}`);
}

function indent(spaces: GoValue, text: GoValue): string {
  const pad = ' '.repeat(Number(toInt(spaces)));
  return pad + toStr(text).replaceAll('\n', `\n${pad}`);
}

/** Helm's toYaml: sorted keys as Go's JSON marshalling gives them, YAML 1.1 quoting, no trailing newline. */
export function toYaml(v: GoValue): string {
  if (v === null || v === undefined) return 'null';
  const text = stringify(jsonSafe(v), { version: '1.1', sortMapEntries: true, lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
  return text.replace(/\n$/, '');
}

/** Converts bigint to number so YAML/JSON encoders accept the value. */
function jsonSafe(v: GoValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/** Go's json.Marshal escapes <, > and & for HTML safety. */
function toJson(v: GoValue): string {
  return (JSON.stringify(jsonSafe(v ?? null)) ?? 'null').replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function indexOf(collection: GoValue, ...keys: GoValue[]): GoValue {
  let v = collection;
  for (const key of keys) {
    if (v === null || v === undefined) throw new Error('index of untyped nil');
    if (Array.isArray(v)) {
      if (typeof key !== 'bigint') throw new Error('cannot index slice with non-int');
      const i = Number(key);
      if (i < 0 || i >= v.length) throw new Error(`index out of range: ${i}`);
      v = v[i];
    } else if (isMap(v)) {
      v = v[toStr(key)];
    } else {
      throw new Error(`can't index item of type ${kindOf(v)}`);
    }
  }
  return v;
}

const arith = (op: (a: bigint, b: bigint) => bigint): TemplateFunction => (...args) => args.map(toInt).reduce(op);

/** Every function available to chart templates (`include` is added by the TemplateSet). */
export const templateFunctions: Record<string, TemplateFunction> = {
  // Go text/template builtins.
  not: (v) => !isTrue(v),
  len: (v) => lengthOf(v),
  index: (c, ...keys) => indexOf(c, ...keys),
  print: (...args) => sprint(args),
  println: (...args) => `${args.map(formatValue).join(' ')}\n`,
  printf: (format, ...args) => sprintf(toStr(format), args),
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new Error('missing argument for comparison');
    return bs.some((b) => compare(a, b) === 0);
  },
  ne: (a, b) => compare(a, b) !== 0,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  // Sprig.
  default: (dflt, ...given) => (given.length === 0 || isEmpty(given[0]) ? dflt : given[0]),
  empty: (v) => isEmpty(v),
  coalesce: (...vs) => vs.find((v) => !isEmpty(v)) ?? null,
  ternary: (a, b, cond) => (isTrue(cond) ? a : b),
  quote: (...vs) => vs.filter((v) => v !== null && v !== undefined).map((v) => goQuote(toStr(v))).join(' '),
  squote: (...vs) => vs.filter((v) => v !== null && v !== undefined).map((v) => `'${toStr(v)}'`).join(' '),
  toString: (v: GoValue) => toStr(v),
  int: (v) => toInt(v),
  int64: (v) => toInt(v),
  add: arith((a, b) => a + b),
  sub: arith((a, b) => a - b),
  mul: arith((a, b) => a * b),
  max: arith((a, b) => (a > b ? a : b)),
  min: arith((a, b) => (a < b ? a : b)),
  trunc: (n, s) => {
    const c = Number(toInt(n));
    const str = toStr(s);
    if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
    if (c >= 0 && str.length > c) return str.slice(0, c);
    return str;
  },
  trimSuffix: (suffix, s) => (toStr(s).endsWith(toStr(suffix)) && toStr(suffix) !== '' ? toStr(s).slice(0, -toStr(suffix).length) : toStr(s)),
  trimPrefix: (prefix, s) => (toStr(s).startsWith(toStr(prefix)) ? toStr(s).slice(toStr(prefix).length) : toStr(s)),
  trim: (s) => toStr(s).trim(),
  upper: (s) => toStr(s).toUpperCase(),
  lower: (s) => toStr(s).toLowerCase(),
  replace: (oldS, newS, s) => toStr(s).replaceAll(toStr(oldS), toStr(newS)),
  contains: (sub, s) => toStr(s).includes(toStr(sub)),
  hasPrefix: (prefix, s) => toStr(s).startsWith(toStr(prefix)),
  hasSuffix: (suffix, s) => toStr(s).endsWith(toStr(suffix)),
  join: (sep, list) => (Array.isArray(list) ? list.map(toStr).join(toStr(sep)) : toStr(list)),
  b64enc: (s) => Buffer.from(toStr(s), 'utf8').toString('base64'),
  sha256sum: (s) => createHash('sha256').update(toStr(s), 'utf8').digest('hex'),
  list: (...vs) => vs,
  dict: (...kv) => {
    const out: Record<string, GoValue> = {};
    for (let i = 0; i < kv.length; i += 2) out[toStr(kv[i])] = kv[i + 1] ?? '';
    return out;
  },
  hasKey: (m, key) => isMap(m) && Object.hasOwn(m, toStr(key)),
  has: (needle, list) => Array.isArray(list) && list.some((x) => x === needle),
  keys: (...maps) => maps.flatMap((m) => (isMap(m) ? Object.keys(m) : [])),
  kindIs: (kind, v) => kindOf(v) === toStr(kind),
  kindOf: (v) => kindOf(v),
  indent: (n, s) => indent(n, s),
  nindent: (n, s) => `\n${indent(n, s)}`,
  // Helm.
  toYaml: (v) => toYaml(v),
  toJson: (v) => toJson(v),
  required: (msg, v) => {
    if (v === null || v === undefined || (typeof v === 'string' && v === '')) throw new Error(toStr(msg));
    return v;
  },
  fail: (msg) => {
    throw new Error(toStr(msg));
  },
};
