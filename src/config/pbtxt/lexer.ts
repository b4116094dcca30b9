/**
 * Tokenizer for the protobuf text format: identifiers, numbers, quoted strings with C escapes,
 * one-character symbols, and `#` comments. Strings are decoded to bytes here; the typed layer
 * decides whether they must be UTF-8.
 */
import { PbtxtError, type TextPos } from './pbtxt-error.js';

/** Token categories. */
export type TokenKind = 'identifier' | 'number' | 'string' | 'symbol' | 'eof';

/** One token with the position of its first character. */
export interface Token {
  readonly kind: TokenKind;
  /** Source text of identifiers, numbers and symbols; empty for strings and eof. */
  readonly text: string;
  /** Decoded bytes of a string token. */
  readonly bytes?: Uint8Array;
  readonly pos: TextPos;
}

const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-']);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[fF]?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63,
};

function utf8(codePoint: number, out: number[]): void {
  out.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
}

/** Splits `text` into tokens; the last token is always `eof`. Throws PbtxtError on bad input. */
export function tokenize(text: string, source?: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): TextPos => ({ line, column: i - lineStart + 1 });
  const fail = (reason: string, pos: TextPos = here()): never => {
    throw new PbtxtError(reason, pos, source);
  };

  const readEscape = (out: number[]): void => {
    const at: TextPos = { line, column: i - lineStart };
    const fail = (reason: string, pos: TextPos = at): never => {
      throw new PbtxtError(reason, pos, source);
    };
    const c = text[i];
    if (c === undefined || c === '\n') fail('unterminated string', here());
    i++;
    const readHex = (count: number, min: number): number => {
      let digits = '';
      while (digits.length < count && /[0-9a-fA-F]/.test(text[i] ?? '')) digits += text[i++];
      if (digits.length < min) fail('invalid hex escape in string');
      return parseInt(digits, 16);
    };
    if (Object.hasOwn(SIMPLE_ESCAPES, c!)) return void out.push(SIMPLE_ESCAPES[c!]!);
    if (c === 'x' || c === 'X') return void out.push(readHex(2, 1));
    if (/[0-7]/.test(c!)) {
      let digits = c!;
      while (digits.length < 3 && /[0-7]/.test(text[i] ?? '')) digits += text[i++];
      const value = parseInt(digits, 8);
      if (value > 255) fail(`octal escape \\${digits} is out of range`);
      return void out.push(value);
    }
    if (c === 'u' || c === 'U') {
      let cp = readHex(c === 'u' ? 4 : 8, c === 'u' ? 4 : 8);
      if (cp >= 0xd800 && cp <= 0xdbff && text.startsWith('\\u', i)) {
        i += 2;
        const low = readHex(4, 4);
        if (low < 0xdc00 || low > 0xdfff) fail('unpaired surrogate in \\u escape');
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      }
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) fail('invalid code point in unicode escape');
      return void utf8(cp, out);
    }
    fail(`invalid escape '\\${c}' in string`);
  };

  const readString = (): Uint8Array => {
    const quote = text[i++];
    const out: number[] = [];
    for (;;) {
      const cp = text.codePointAt(i);
      if (cp === undefined || cp === 10) fail('unterminated string');
      const ch = String.fromCodePoint(cp!);
      i += ch.length;
      if (ch === quote) return Uint8Array.from(out);
      if (ch === '\\') readEscape(out);
      else utf8(cp!, out);
    }
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (IDENT_START.test(c)) {
      const pos = here();
      const start = i;
      while (i < text.length && IDENT_PART.test(text[i]!)) i++;
      tokens.push({ kind: 'identifier', text: text.slice(start, i), pos });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const pos = here();
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text)!;
      i += m[0].length;
      if (/[A-Za-z0-9_.]/.test(text[i] ?? '')) fail(`invalid number '${m[0]}${text[i]}'`, pos);
      tokens.push({ kind: 'number', text: m[0], pos });
    } else if (c === '"' || c === "'") {
      const pos = here();
      tokens.push({ kind: 'string', text: '', bytes: readString(), pos });
    } else if (SYMBOLS.has(c)) {
      tokens.push({ kind: 'symbol', text: c, pos: here() });
      i++;
    } else {
      fail(`unexpected character ${JSON.stringify(String.fromCodePoint(text.codePointAt(i)!))}`);
    }
  }
  tokens.push({ kind: 'eof', text: '', pos: here() });
  return tokens;
}
