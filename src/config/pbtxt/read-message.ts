/**
 * The typed layer of the pbtxt reader: checks the untyped tree against a message schema and
 * builds plain JS values. Repeated fields become arrays, maps become objects, enums their names,
 * 64-bit integers numbers; every error points at the offending text.
 */
import {
  isEnum,
  isMessage,
  setEntry,
  type FieldSchema,
  type MessageSchema,
  type ScalarType,
  type ValueType,
} from '../model-config-schema.js';
import { checkInteger, isIntegerType, parseIntegerText } from '../schema-scalars.js';
import type { TextField, TextValue } from './parser.js';
import { PbtxtError, type TextPos } from './pbtxt-error.js';

const TRUE_WORDS = new Set(['true', 'True', 't']);
const FALSE_WORDS = new Set(['false', 'False', 'f']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Where = { readonly field: string; readonly message: string };

class Reader {
  constructor(private readonly source: string | undefined) {}

  private fail(reason: string, pos: TextPos): never {
    throw new PbtxtError(reason, pos, this.source);
  }

  private label(w: Where): string {
    return `field '${w.field}' in ${w.message}`;
  }

  /** Builds one message object from its fields. */
  message(fields: readonly TextField[], schema: MessageSchema): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const oneofs = new Map<string, string>();
    for (const f of fields) {
      const spec = Object.hasOwn(schema.fields, f.name) ? schema.fields[f.name] : undefined;
      if (!spec) this.fail(`unknown field '${f.name}' in ${schema.name}`, f.pos);
      const where = { field: f.name, message: schema.name };
      if (spec.label === 'repeated') {
        const list = (out[f.name] ??= []) as unknown[];
        for (const v of f.values) list.push(this.value(v, spec.type, where));
      } else if (spec.label === 'map') {
        const entries = (out[f.name] ??= {}) as Record<string, unknown>;
        for (const v of f.values) this.mapEntry(v, spec, where, entries);
      } else {
        if (f.list) this.fail(`${this.label(where)} is not repeated and cannot take a list`, f.pos);
        if (Object.hasOwn(out, f.name)) this.fail(`${this.label(where)} is specified more than once`, f.pos);
        if (spec.oneof) {
          const other = oneofs.get(spec.oneof);
          if (other) this.fail(`${this.label(where)} conflicts with '${other}': both belong to oneof '${spec.oneof}'`, f.pos);
          oneofs.set(spec.oneof, f.name);
        }
        out[f.name] = this.value(f.values[0]!, spec.type, where);
      }
    }
    return out;
  }

  private mapEntry(v: TextValue, spec: FieldSchema, where: Where, into: Record<string, unknown>): void {
    if (v.kind !== 'message') this.fail(`${this.label(where)} is a map; expected { key: ... value: ... }`, v.pos);
    let key: unknown;
    let value: unknown;
    for (const f of v.fields) {
      const entryWhere = { field: f.name, message: `${where.message}.${where.field} entry` };
      if (f.name !== 'key' && f.name !== 'value') this.fail(`unknown field '${f.name}' in map entry of ${this.label(where)}`, f.pos);
      if (f.list || f.values.length !== 1) this.fail(`${this.label(entryWhere)} takes a single value`, f.pos);
      if ((f.name === 'key' ? key : value) !== undefined) this.fail(`${this.label(entryWhere)} is specified more than once`, f.pos);
      if (f.name === 'key') key = this.value(f.values[0]!, spec.key!, entryWhere);
      else value = this.value(f.values[0]!, spec.type, entryWhere);
    }
    setEntry(into, String(key ?? (spec.key === 'string' ? '' : 0)), value ?? this.zero(spec.type));
  }

  private zero(t: ValueType): unknown {
    if (isMessage(t)) return {};
    if (isEnum(t)) return t.values[0];
    if (t === 'string') return '';
    return t === 'bool' ? false : 0;
  }

  private value(v: TextValue, t: ValueType, where: Where): unknown {
    if (isMessage(t)) {
      if (v.kind !== 'message') this.fail(`${this.label(where)} expects a message ({ ... })`, v.pos);
      return this.message(v.fields, t);
    }
    if (v.kind === 'message') this.fail(`${this.label(where)} expects a scalar value, not a message`, v.pos);
    if (isEnum(t)) return this.enumValue(v, t.values, t.name, where);
    return this.scalar(v, t, where);
  }

  private enumValue(v: TextValue, values: readonly string[], name: string, where: Where): string {
    if (v.kind === 'identifier' && !v.negative && values.includes(v.text)) return v.text;
    if (v.kind === 'number' && !v.negative) {
      const n = parseIntegerText(v.text);
      if (n !== undefined && n < BigInt(values.length)) return values[Number(n)]!;
    }
    const shown = v.kind === 'string' || v.kind === 'message' ? `a ${v.kind}` : `'${v.negative ? '-' : ''}${v.text}'`;
    return this.fail(`invalid value ${shown} for ${this.label(where)}: expected one of ${values.join(', ')} (enum ${name})`, v.pos);
  }

  private scalar(v: TextValue, t: ScalarType, where: Where): unknown {
    const wrong = (): never => this.fail(`invalid value for ${this.label(where)}: expected ${t}`, v.pos);
    if (t === 'string') {
      if (v.kind !== 'string') return wrong();
      try {
        return utf8.decode(v.bytes);
      } catch {
        return this.fail(`${this.label(where)} is not valid UTF-8`, v.pos);
      }
    }
    if (v.kind === 'string' || v.kind === 'message') return wrong();
    if (t === 'bool') {
      if (v.negative) return wrong();
      if (TRUE_WORDS.has(v.text) || (v.kind === 'number' && parseIntegerText(v.text) === 1n)) return true;
      if (FALSE_WORDS.has(v.text) || (v.kind === 'number' && parseIntegerText(v.text) === 0n)) return false;
      return wrong();
    }
    if (isIntegerType(t)) {
      const n = v.kind === 'number' ? parseIntegerText(v.text) : undefined;
      if (n === undefined) return wrong();
      const checked = checkInteger(t, v.negative ? -n : n);
      if ('error' in checked) return this.fail(`${this.label(where)}: ${checked.error}`, v.pos);
      return checked.value;
    }
    return this.float(v, wrong);
  }

  private float(v: Extract<TextValue, { text: string }>, wrong: () => never): number {
    const sign = v.negative ? -1 : 1;
    if (v.kind === 'identifier') {
      const word = v.text.toLowerCase();
      if (word === 'inf' || word === 'infinity') return sign * Infinity;
      if (word === 'nan') return NaN;
      return wrong();
    }
    const asInt = parseIntegerText(v.text);
    if (asInt !== undefined) return sign * Number(asInt);
    if (/^0\d/.test(v.text) && !/[.eE]/.test(v.text)) return wrong();
    return sign * Number(v.text.replace(/[fF]$/, ''));
  }
}

/** Reads root `fields` as message `schema`; throws PbtxtError pointing at the offending text. */
export function readMessage(fields: readonly TextField[], schema: MessageSchema, source?: string): Record<string, unknown> {
  return new Reader(source).message(fields, schema);
}
