/**
 * How Go and Helm see template values. Helm decodes values files through JSON, so every number in
 * `.Values` is a float64; template literals such as `1` are ints. We model float64 as JS `number`
 * and Go ints as `bigint` so comparisons and printing behave as they do under a real helm
 * (`eq 1.0 1` is an error there; `1000000` from values prints as `1e+06`).
 */

/** A template value: JSON-like data where ints are bigint and nil is null/undefined. */
export type GoValue = unknown;

/** True for a plain map (Go map[string]interface{}). */
export function isMap(v: GoValue): v is Record<string, GoValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's reflect kind name as Sprig's `kindOf` reports it. */
export function kindOf(v: GoValue): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'function') return 'func';
  return 'map';
}

/** Go template truth: false, 0, nil and empty strings/slices/maps are false. */
export function isTrue(v: GoValue): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Sprig's `empty`: the negation of template truth. */
export function isEmpty(v: GoValue): boolean {
  return !isTrue(v);
}

/** Formats a float64 as Go's %v does: shortest digits, exponent form when the exponent is < -4 or >= 6. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  // NOTE: strconv.FormatFloat(f, 'g', -1, 64) uses precision 6 for this decision, hence Helm's `1e+06`.
  if (exp >= -4 && exp < 6) return String(f);
  const sign = exp < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** fmt.Sprint of one value (`%v`); nil prints as `<nil>`. */
export function formatValue(v: GoValue): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isMap(v)) {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${k}:${formatValue(v[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(v);
}

/** What an action prints: like %v, but Helm replaces `<no value>` (missing data) with nothing. */
export function formatForOutput(v: GoValue): string {
  return v === null || v === undefined ? '' : formatValue(v);
}

/** fmt.Sprint over several operands: a space goes between operands when neither is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    const prev = args[i - 1];
    if (i > 0 && typeof a !== 'string' && typeof prev !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** Go's strconv.Quote, used by `%q` and Sprig's `quote`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go type name used in fmt's bad-verb output, e.g. `%!d(float64=1.5)`. */
export function goTypeName(v: GoValue): string {
  const k = kindOf(v);
  if (k === 'slice') return '[]interface {}';
  if (k === 'map') return 'map[string]interface {}';
  return k;
}

/** cast.ToInt64 as Sprig uses it: floats truncate, strings parse, anything else is 0. */
export function toInt(v: GoValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[+-]?\d+$/.test(t)) return BigInt(t);
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return BigInt(t.replace(/^([+-]?)0[xX]/, '$10x'));
    return 0n;
  }
  return 0n;
}

/** Sprig's strval: strings as they are, everything else through %v. */
export function toStr(v: GoValue): string {
  return typeof v === 'string' ? v : formatValue(v);
}
