/**
 * Writes a ModelConfig as config.pbtxt text in Triton's usual layout. Walks the same schema as
 * the readers, so `parseModelConfig(formatModelConfig(c))` gives `c` back for any config the
 * schema can hold, empty lists and maps included.
 */
import type { ModelConfig } from './model-config.js';
import {
  isEnum,
  isMessage,
  MODEL_CONFIG_SCHEMA,
  type FieldSchema,
  type MessageSchema,
  type ValueType,
} from './model-config-schema.js';
import { isIntegerType } from './schema-scalars.js';

const INDENT = '  ';

/** Quotes `s` as a protobuf text string; non-ASCII stays as UTF-8, control characters become octal escapes. */
export function quotePbtxtString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return Object.is(n, -0) ? '-0' : String(n);
}

class Writer {
  private readonly lines: string[] = [];

  private fail(path: string, reason: string): never {
    throw new Error(`cannot format ${path}: ${reason}`);
  }

  scalar(value: unknown, t: ValueType, path: string): string {
    if (isEnum(t)) {
      if (typeof value !== 'string' || !t.values.includes(value)) this.fail(path, `expected a ${t.name} name`);
      return value as string;
    }
    if (t === 'string') {
      if (typeof value !== 'string') this.fail(path, 'expected a string');
      return quotePbtxtString(value as string);
    }
    if (t === 'bool') {
      if (typeof value !== 'boolean') this.fail(path, 'expected a boolean');
      return String(value);
    }
    if (isMessage(t)) return this.fail(path, `expected a ${t.name} message`);
    if (typeof value !== 'number') this.fail(path, `expected a number (${t})`);
    if (isIntegerType(t) && !Number.isSafeInteger(value)) this.fail(path, `expected a safe integer (${t})`);
    return formatFloat(value as number);
  }

  message(obj: unknown, schema: MessageSchema, depth: number, path: string): void {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) this.fail(path, `expected a ${schema.name} object`);
    const record = obj as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(schema.fields, key) && record[key] !== undefined) this.fail(`${path}.${key}`, `unknown field in ${schema.name}`);
    }
    for (const [name, spec] of Object.entries(schema.fields)) {
      const value = record[name];
      if (value !== undefined) this.field(name, value, spec, depth, `${path}.${name}`);
    }
  }

  private line(depth: number, text: string): void {
    this.lines.push(INDENT.repeat(depth) + text);
  }

  private block(depth: number, head: string, body: () => void, tail = ''): void {
    this.line(depth, `${head} {`);
    body();
    this.line(depth, `}${tail}`);
  }

  private field(name: string, value: unknown, spec: FieldSchema, depth: number, path: string): void {
    const t = spec.type;
    if (spec.label === 'map') return this.map(name, value, spec, depth, path);
    if (spec.label !== 'repeated') {
      if (isMessage(t)) return this.block(depth, name, () => this.message(value, t, depth + 1, path));
      return this.line(depth, `${name}: ${this.scalar(value, t, path)}`);
    }
    if (!Array.isArray(value)) this.fail(path, 'expected an array');
    const items = value as unknown[];
    if (items.length === 0) return this.line(depth, `${name}: []`);
    if (!isMessage(t)) {
      return this.line(depth, `${name}: [ ${items.map((v, i) => this.scalar(v, t, `${path}[${i}]`)).join(', ')} ]`);
    }
    this.line(depth, `${name} [`);
    items.forEach((item, i) => {
      this.line(depth + 1, '{');
      this.message(item, t, depth + 2, `${path}[${i}]`);
      this.line(depth + 1, i === items.length - 1 ? '}' : '},');
    });
    this.line(depth, ']');
  }

  private map(name: string, value: unknown, spec: FieldSchema, depth: number, path: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'expected an object (map)');
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return this.line(depth, `${name}: []`);
    const t = spec.type;
    for (const [key, v] of entries) {
      const keyText = spec.key === 'string' ? quotePbtxtString(key) : key;
      if (spec.key !== 'string' && !/^(0|[1-9][0-9]*)$/.test(key)) this.fail(`${path}.${key}`, 'map key must be a decimal integer');
      this.block(depth, name, () => {
        this.line(depth + 1, `key: ${keyText}`);
        if (isMessage(t)) this.block(depth + 1, 'value', () => this.message(v, t, depth + 2, `${path}.${key}`));
        else this.line(depth + 1, `value: ${this.scalar(v, t, `${path}.${key}`)}`);
      });
    }
  }

  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

/** Formats any schema message as protobuf text; throws an Error naming the path of a value the schema cannot hold. */
export function formatPbtxt(value: unknown, schema: MessageSchema): string {
  const w = new Writer();
  w.message(value, schema, 0, schema.name);
  return w.text();
}

/** Writes `config` as config.pbtxt text (fields in model_config.proto order, two-space indents). */
export function formatModelConfig(config: ModelConfig): string {
  return formatPbtxt(config, MODEL_CONFIG_SCHEMA);
}
