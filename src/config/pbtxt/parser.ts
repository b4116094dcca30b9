/**
 * Parses protobuf text format into an untyped tree: fields in text order with their raw values.
 * Accepts everything Triton's configs use: `{}` or `<>` messages, optional `:` before messages,
 * `[ ... ]` lists of scalars or messages, `,`/`;` separators, signed numbers, adjacent strings.
 * The typed layer (read-message.ts) gives the tree meaning through the schema.
 */
import { tokenize, type Token } from './lexer.js';
import { PbtxtError, type TextPos } from './pbtxt-error.js';

/** A scalar or message value as written. */
export type TextValue =
  | { readonly kind: 'identifier'; readonly text: string; readonly negative: boolean; readonly pos: TextPos }
  | { readonly kind: 'number'; readonly text: string; readonly negative: boolean; readonly pos: TextPos }
  | { readonly kind: 'string'; readonly bytes: Uint8Array; readonly pos: TextPos }
  | { readonly kind: 'message'; readonly fields: readonly TextField[]; readonly pos: TextPos };

/** One `name: value` or `name [v, ...]` occurrence. */
export interface TextField {
  readonly name: string;
  readonly pos: TextPos;
  readonly values: readonly TextValue[];
  /** True when written as a `[ ... ]` list. */
  readonly list: boolean;
}

/** Deepest message nesting accepted; real configs stay below 10, and it keeps recursion bounded. */
const MAX_DEPTH = 64;

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string | undefined,
  ) {}

  private get token(): Token {
    return this.tokens[this.index]!;
  }

  private fail(reason: string, pos: TextPos = this.token.pos): never {
    throw new PbtxtError(reason, pos, this.source);
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    if (t.kind === 'string') return 'a string';
    return `'${t.text}'`;
  }

  private isSymbol(s: string): boolean {
    return this.token.kind === 'symbol' && this.token.text === s;
  }

  private accept(s: string): boolean {
    if (!this.isSymbol(s)) return false;
    this.index++;
    return true;
  }

  private expect(s: string, what: string): void {
    if (!this.accept(s)) this.fail(`expected '${s}' ${what}, found ${this.describe(this.token)}`);
  }

  /** Reads fields until `end` (a closing symbol) or end of input when `end` is undefined. */
  body(end: string | undefined, depth: number): TextField[] {
    const fields: TextField[] = [];
    for (;;) {
      if (end === undefined ? this.token.kind === 'eof' : this.isSymbol(end)) return fields;
      if (this.token.kind === 'eof') this.fail(`expected '${end}' before end of input`);
      fields.push(this.field(depth));
      if (!this.accept(',')) this.accept(';');
    }
  }

  private field(depth: number): TextField {
    const t = this.token;
    if (t.kind === 'symbol' && t.text === '[') this.fail('extension and Any fields are not supported');
    if (t.kind !== 'identifier') this.fail(`expected a field name, found ${this.describe(t)}`);
    this.index++;
    const colon = this.accept(':');
    if (this.isSymbol('[')) {
      const values = this.list(depth);
      if (!colon && values.some((v) => v.kind !== 'message')) this.fail(`expected ':' after field name '${t.text}'`, t.pos);
      return { name: t.text, pos: t.pos, values, list: true };
    }
    if (this.isSymbol('{') || this.isSymbol('<')) {
      return { name: t.text, pos: t.pos, values: [this.message(depth)], list: false };
    }
    if (!colon) this.fail(`expected ':' after field name '${t.text}', found ${this.describe(this.token)}`);
    return { name: t.text, pos: t.pos, values: [this.scalar()], list: false };
  }

  private list(depth: number): TextValue[] {
    this.index++;
    const values: TextValue[] = [];
    if (this.accept(']')) return values;
    for (;;) {
      values.push(this.isSymbol('{') || this.isSymbol('<') ? this.message(depth) : this.scalar());
      if (this.accept(']')) return values;
      this.expect(',', 'between list values');
    }
  }

  private message(depth: number): TextValue {
    const open = this.token;
    if (depth >= MAX_DEPTH) this.fail(`messages nested deeper than ${MAX_DEPTH} levels`);
    this.index++;
    const close = open.text === '{' ? '}' : '>';
    const fields = this.body(close, depth + 1);
    this.index++;
    return { kind: 'message', fields, pos: open.pos };
  }

  private scalar(): TextValue {
    const start = this.token;
    if (start.kind === 'string') {
      const parts: Uint8Array[] = [];
      while (this.token.kind === 'string') parts.push(this.tokens[this.index++]!.bytes!);
      return { kind: 'string', bytes: Buffer.concat(parts), pos: start.pos };
    }
    const negative = this.accept('-');
    const t = this.token;
    if (t.kind === 'number' || t.kind === 'identifier') {
      this.index++;
      return { kind: t.kind, text: t.text, negative, pos: start.pos };
    }
    return this.fail(`expected a value, found ${this.describe(t)}`);
  }
}

/** Parses protobuf text into its fields; throws PbtxtError (with line:column) on syntax errors. */
export function parseText(text: string, source?: string): TextField[] {
  return new Parser(tokenize(text, source), source).body(undefined, 0);
}
