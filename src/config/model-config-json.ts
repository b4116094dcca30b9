/**
 * Reads a model config given as JSON in Triton's /config shape (the `config` parameter of the
 * repository load API). Follows protobuf's JSON mapping: snake_case or lowerCamelCase keys,
 * integers as numbers or decimal strings, enums by name or number, null meaning "not set".
 */
import { InferError } from '../core/errors.js';
import type { ModelConfig } from './model-config.js';
import {
  isEnum,
  isMessage,
  MODEL_CONFIG_SCHEMA,
  setEntry,
  type FieldSchema,
  type MessageSchema,
  type ScalarType,
  type ValueType,
} from './model-config-schema.js';
import { checkInteger, isIntegerType } from './schema-scalars.js';

/** Protobuf's default json_name: `max_batch_size` → `maxBatchSize`. */
function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const nameTables = new WeakMap<MessageSchema, ReadonlyMap<string, string>>();

/** Maps both spellings of every field of `schema` to the proto field name. */
function fieldNames(schema: MessageSchema): ReadonlyMap<string, string> {
  let table = nameTables.get(schema);
  if (!table) {
    const m = new Map<string, string>();
    for (const name of Object.keys(schema.fields)) {
      m.set(name, name);
      m.set(jsonName(name), name);
    }
    nameTables.set(schema, (table = m));
  }
  return table;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class JsonReader {
  constructor(private readonly source: string | undefined) {}

  private fail(path: string, reason: string): never {
    throw new InferError('INVALID_ARGUMENT', `${this.source ? `${this.source}: ` : ''}${path}: ${reason}`);
  }

  message(value: unknown, schema: MessageSchema, path: string): Record<string, unknown> {
    if (!isObject(value)) this.fail(path, `expected a JSON object for ${schema.name}`);
    const names = fieldNames(schema);
    const out: Record<string, unknown> = {};
    const oneofs = new Map<string, string>();
    for (const [key, v] of Object.entries(value)) {
      const name = names.get(key);
      const at = `${path}.${key}`;
      if (name === undefined) this.fail(at, `unknown field '${key}' in ${schema.name}`);
      if (Object.hasOwn(out, name)) this.fail(at, `field '${name}' in ${schema.name} is specified more than once`);
      if (v === null) continue;
      const spec = schema.fields[name]!;
      if (spec.oneof) {
        const other = oneofs.get(spec.oneof);
        if (other) this.fail(at, `field '${name}' conflicts with '${other}': both belong to oneof '${spec.oneof}'`);
        oneofs.set(spec.oneof, name);
      }
      out[name] = this.field(v, spec, at);
    }
    return out;
  }

  private field(v: unknown, spec: FieldSchema, path: string): unknown {
    if (spec.label === 'repeated') {
      if (!Array.isArray(v)) this.fail(path, 'expected a JSON array');
      return v.map((item, i) => this.value(item, spec.type, `${path}[${i}]`));
    }
    if (spec.label === 'map') {
      if (!isObject(v)) this.fail(path, 'expected a JSON object (map)');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const key = spec.key === 'string' ? k : String(this.integer(k, spec.key!, `${path} key '${k}'`));
        setEntry(out, key, this.value(item, spec.type, `${path}.${k}`));
      }
      return out;
    }
    return this.value(v, spec.type, path);
  }

  private value(v: unknown, t: ValueType, path: string): unknown {
    if (isMessage(t)) return this.message(v, t, path);
    if (isEnum(t)) {
      // NOTE: Triton parses JSON configs with case_insensitive_enum_parsing, so `type_fp32` is accepted.
      if (typeof v === 'string' && t.values.includes(v.toUpperCase())) return v.toUpperCase();
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < t.values.length) return t.values[v];
      return this.fail(path, `invalid value ${JSON.stringify(v)}: expected one of ${t.values.join(', ')} (enum ${t.name})`);
    }
    return this.scalar(v, t, path);
  }

  private scalar(v: unknown, t: ScalarType, path: string): unknown {
    if (t === 'string') {
      if (typeof v !== 'string') this.fail(path, 'expected a string');
      return v;
    }
    if (t === 'bool') {
      if (typeof v !== 'boolean') this.fail(path, 'expected true or false');
      return v;
    }
    if (isIntegerType(t)) return this.integer(v, t, path);
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v);
    }
    return this.fail(path, `expected a number (${t})`);
  }

  private integer(v: unknown, t: ScalarType, path: string): number {
    let n: bigint | undefined;
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (!Number.isSafeInteger(v)) this.fail(path, `${t} value ${v} is beyond 2^53-1 and cannot be read exactly; send it as a string`);
      n = BigInt(v);
    } else if (typeof v === 'string' && /^-?\d+$/.test(v)) {
      n = BigInt(v);
    }
    if (n === undefined) this.fail(path, `expected an integer (${t}), as a number or a decimal string`);
    const checked = checkInteger(t, n);
    if ('error' in checked) this.fail(path, checked.error);
    return checked.value;
  }
}

/** Reads any schema message from parsed JSON; throws INVALID_ARGUMENT naming the JSON path. */
export function messageFromJson(value: unknown, schema: MessageSchema, source?: string): Record<string, unknown> {
  return new JsonReader(source).message(value, schema, schema === MODEL_CONFIG_SCHEMA ? 'config' : schema.name);
}

/**
 * Validates and converts a JSON model config (already parsed, e.g. `JSON.parse` of the load API's
 * `config` parameter). Throws INVALID_ARGUMENT like `config.input[0].foo: unknown field 'foo' in ModelInput`.
 */
export function modelConfigFromJson(value: unknown, source?: string): ModelConfig {
  const config = messageFromJson(value, MODEL_CONFIG_SCHEMA, source);
  return { ...config, name: typeof config.name === 'string' ? config.name : '' } as ModelConfig;
}

/** Parses JSON text, then `modelConfigFromJson`; malformed JSON is INVALID_ARGUMENT too. */
export function modelConfigFromJsonText(text: string, source?: string): ModelConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InferError('INVALID_ARGUMENT', `${source ? `${source}: ` : ''}invalid JSON: ${(err as Error).message}`);
  }
  return modelConfigFromJson(value, source);
}
