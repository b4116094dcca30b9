/**
 * A subset of Go's fmt.Sprintf for template `printf`: verbs %s %v %d %q %t %f %x %X %%, with an
 * optional width and `-` / `0` flags and a precision for %f. A verb applied to the wrong type prints
 * Go's `%!verb(type=value)` marker, as it would under a real helm, instead of silently coercing.
 */
import { formatFloat, formatValue, goQuote, goTypeName, type GoValue } from './go-values.js';

function bad(verb: string, v: GoValue): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s.padEnd(width, ' ');
  if (zero && /^[+-]?\d/.test(s)) {
    const sign = /^[+-]/.test(s) ? s.charAt(0) : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width, ' ');
}

function formatVerb(verb: string, v: GoValue, precision: number | undefined): string {
  switch (verb) {
    case 'v':
      return formatValue(v);
    case 's':
      if (typeof v === 'string') return v;
      if (Array.isArray(v)) return `[${v.map((e) => formatVerb('s', e, undefined)).join(' ')}]`;
      return bad('s', v);
    case 'q':
      return typeof v === 'string' ? goQuote(v) : bad('q', v);
    case 'd':
      return typeof v === 'bigint' ? v.toString() : bad('d', v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad('t', v);
    case 'f':
      return typeof v === 'number' ? v.toFixed(precision ?? 6) : bad('f', v);
    case 'g':
      return typeof v === 'number' ? formatFloat(v) : bad('g', v);
    case 'x':
    case 'X': {
      let s: string;
      if (typeof v === 'bigint') s = (v < 0n ? '-' : '') + (v < 0n ? -v : v).toString(16);
      else if (typeof v === 'string') s = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      return verb === 'X' ? s.toUpperCase() : s;
    }
    default:
      return bad(verb, v);
  }
}

/** Go's fmt.Sprintf over template values. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argIndex = 0;
  const re = /%([-0+ #]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', width, precision, verb = ''] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const text = formatVerb(verb, args[argIndex++], precision === undefined ? undefined : Number(precision));
    out += pad(text, width === undefined ? 0 : Number(width), flags.includes('-'), flags.includes('0'));
  }
  out += format.slice(last);
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${goTypeName(a)}=${formatValue(a)}`)
      .join(', ')})`;
  }
  return out;
}
