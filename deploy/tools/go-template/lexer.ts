/**
 * Lexer for the subset of Go's text/template that Helm charts use. It splits a template into text
 * and actions, applies the `{{-` / `-}}` whitespace trimming, drops comments, and tokenizes each
 * action. Behaviour follows Go's text/template/parse/lex.go so that what renders here renders the
 * same under a real `helm`.
 */

/** A token inside an action; `adjacent` is true when no whitespace separates it from the previous token. */
export type Token = { readonly adjacent: boolean } & (
  | { readonly type: 'field'; readonly names: readonly string[] }
  | { readonly type: 'variable'; readonly name: string; readonly names: readonly string[] }
  | { readonly type: 'dot' }
  | { readonly type: 'ident'; readonly name: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number | bigint }
  | { readonly type: 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' }
);

/** Literal text, or the tokens of one `{{ ... }}` action, with the 1-based line it starts on. */
export type Segment =
  | { readonly kind: 'text'; readonly text: string; readonly line: number }
  | { readonly kind: 'action'; readonly tokens: readonly Token[]; readonly line: number };

/** A template syntax error with the template name and line. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.has(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
const NUMBER_RE = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)/;

function trimLeadingSpace(s: string): string {
  let i = 0;
  while (isSpace(s[i])) i++;
  return s.slice(i);
}

function trimTrailingSpace(s: string): string {
  let i = s.length;
  while (i > 0 && isSpace(s[i - 1])) i--;
  return s.slice(0, i);
}

/** Splits template source into segments; throws TemplateSyntaxError on malformed actions. */
export function lex(src: string, templateName: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  const advanceLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (src[i] === '\n') line++;
  };
  for (;;) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNext) text = trimLeadingSpace(text);
    const trimLeft = open >= 0 && src[open + 2] === '-' && isSpace(src[open + 3]);
    if (trimLeft) text = trimTrailingSpace(text);
    if (text !== '') segments.push({ kind: 'text', text, line });
    if (open < 0) break;
    advanceLines(pos, open);
    const actionLine = line;
    const bodyStart = open + (trimLeft ? 3 : 2);
    const commentAt = open + (trimLeft ? 4 : 2);
    let end: number;
    if (src.startsWith('/*', commentAt)) {
      const close = src.indexOf('*/', commentAt + 2);
      if (close < 0) throw new TemplateSyntaxError(`${templateName}:${actionLine}: unclosed comment`);
      const after = close + 2;
      if (src.startsWith('}}', after)) {
        end = after + 2;
        trimNext = false;
      } else if (isSpace(src[after]) && src.startsWith('-}}', after + 1)) {
        end = after + 4;
        trimNext = true;
      } else {
        throw new TemplateSyntaxError(`${templateName}:${actionLine}: comment ends before closing delimiter`);
      }
    } else {
      const action = tokenizeAction(src, bodyStart, templateName, actionLine);
      segments.push({ kind: 'action', tokens: action.tokens, line: actionLine });
      end = action.end;
      trimNext = action.trimRight;
    }
    advanceLines(open, end);
    pos = end;
  }
  return segments;
}

interface ActionScan {
  tokens: Token[];
  end: number;
  trimRight: boolean;
}

function tokenizeAction(src: string, start: number, templateName: string, line: number): ActionScan {
  const tokens: Token[] = [];
  let i = start;
  let adjacent = false;
  const fail = (msg: string): never => {
    throw new TemplateSyntaxError(`${templateName}:${line}: ${msg}`);
  };
  for (;;) {
    if (i >= src.length) fail('unclosed action');
    if (src.startsWith('}}', i)) return { tokens, end: i + 2, trimRight: false };
    const c = src[i] as string;
    if (isSpace(c)) {
      if (src[i + 1] === '-' && src.startsWith('}}', i + 2)) return { tokens, end: i + 4, trimRight: true };
      i++;
      adjacent = false;
      continue;
    }
    const push = (t: Record<string, unknown>, next: number): void => {
      tokens.push({ ...t, adjacent } as Token);
      i = next;
      adjacent = true;
    };
    if (c === '|') push({ type: 'pipe' }, i + 1);
    else if (c === '(') push({ type: 'lparen' }, i + 1);
    else if (c === ')') push({ type: 'rparen' }, i + 1);
    else if (c === ',') push({ type: 'comma' }, i + 1);
    else if (c === ':' && src[i + 1] === '=') push({ type: 'declare' }, i + 2);
    else if (c === '=') push({ type: 'assign' }, i + 1);
    else if (c === '"' || c === '`') {
      const { value, next } = c === '"' ? readQuoted(src, i, fail) : readRaw(src, i, fail);
      push({ type: 'string', value }, next);
    } else if (c === "'") {
      const { value, next } = readQuoted(src, i, fail, "'");
      push({ type: 'number', value: BigInt(value.codePointAt(0) ?? 0) }, next);
    } else if (c === '$') {
      let j = i + 1;
      while (isAlnum(src[j])) j++;
      const { names, next } = readFieldChain(src, j);
      push({ type: 'variable', name: src.slice(i, j), names }, next);
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      if (!isAlnum(src[i + 1])) push({ type: 'dot' }, i + 1);
      else {
        const { names, next } = readFieldChain(src, i);
        push({ type: 'field', names }, next);
      }
    } else if (/[0-9.+-]/.test(c)) {
      const m = NUMBER_RE.exec(src.slice(i));
      const text = m?.[0] ?? '';
      if (!/[0-9]/.test(text) || isAlnum(src[i + text.length])) fail(`bad number syntax: ${src.slice(i, i + text.length + 1)}`);
      push({ type: 'number', value: parseNumber(text) }, i + text.length);
    } else if (isAlnum(c)) {
      let j = i;
      while (isAlnum(src[j])) j++;
      push({ type: 'ident', name: src.slice(i, j) }, j);
    } else {
      fail(`unexpected ${JSON.stringify(c)} in action`);
    }
  }
}

function readFieldChain(src: string, start: number): { names: string[]; next: number } {
  const names: string[] = [];
  let i = start;
  while (src[i] === '.' && isAlnum(src[i + 1])) {
    let j = i + 1;
    while (isAlnum(src[j])) j++;
    names.push(src.slice(i + 1, j));
    i = j;
  }
  return { names, next: i };
}

/** Go's rule: a literal without '.', exponent or hex-float marks is an int constant, otherwise float64. */
function parseNumber(text: string): number | bigint {
  const clean = text.replace(/_/g, '');
  const isFloat = !/^[+-]?0[xXbBoO]/.test(clean) && /[.eE]/.test(clean);
  if (isFloat) return Number(clean);
  const neg = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  const value = /^0[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  return neg ? -value : value;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

function readQuoted(src: string, start: number, fail: (m: string) => never, quote = '"'): { value: string; next: number } {
  let out = '';
  let i = start + 1;
  for (;;) {
    const c = src[i];
    if (c === undefined || c === '\n') fail('unterminated quoted string');
    if (c === quote) return { value: out, next: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1] ?? '';
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`invalid escape \\${e}${hex}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 2 + len;
    } else if (/[0-7]/.test(e)) {
      const oct = src.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) fail(`invalid escape \\${oct}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else {
      fail(`invalid escape \\${e}`);
    }
  }
}

function readRaw(src: string, start: number, fail: (m: string) => never): { value: string; next: number } {
  const close = src.indexOf('`', start + 1);
  if (close < 0) fail('unterminated raw quoted string');
  return { value: src.slice(start + 1, close), next: close + 1 };
}
