/**
 * Fills protobuf's implicit defaults the way Triton's `/config` JSON shows them: Triton prints the
 * config with `always_print_primitive_fields`, so every scalar, enum, repeated and map field of a
 * message that is present appears with its default ("", 0, false, first enum value, [], {}), while
 * unset sub-messages and unset oneof members stay absent.
 */
import { isEnum, isMessage, setEntry, type FieldSchema, type MessageSchema } from './model-config-schema.js';

function scalarDefault(spec: FieldSchema): unknown {
  const t = spec.type;
  if (isEnum(t)) return t.values[0];
  if (t === 'string') return '';
  if (t === 'bool') return false;
  return 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fillValue(v: unknown, spec: FieldSchema): unknown {
  const t = spec.type;
  if (spec.label === 'repeated') {
    if (!Array.isArray(v)) return v;
    return isMessage(t) ? v.map((item) => (isRecord(item) ? withSchemaDefaults(item, t) : item)) : [...v];
  }
  if (spec.label === 'map') {
    if (!isRecord(v)) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, item]) => [k, isMessage(t) && isRecord(item) ? withSchemaDefaults(item, t) : item]),
    );
  }
  return isMessage(t) && isRecord(v) ? withSchemaDefaults(v, t) : v;
}

/**
 * Returns a deep copy of `value` with implicit defaults filled, keys in schema (proto declaration)
 * order. Keys the schema does not know are kept, after the known ones.
 */
export function withSchemaDefaults(value: Readonly<Record<string, unknown>>, schema: MessageSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema.fields)) {
    const v = value[name];
    if (v !== undefined) out[name] = fillValue(v, spec);
    else if (spec.label === 'repeated') out[name] = [];
    else if (spec.label === 'map') out[name] = {};
    else if (!spec.oneof && !isMessage(spec.type)) out[name] = scalarDefault(spec);
  }
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(schema.fields, k) && v !== undefined) setEntry(out, k, structuredClone(v));
  }
  return out;
}
