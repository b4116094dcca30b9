/**
 * Helm's values handling: read YAML the way Helm does (YAML 1.1 through JSON, so numbers are
 * float64), merge user values over chart defaults (maps merge deeply, `null` deletes a key), parse
 * `--set a.b=c` strings, and check the result against the chart's values.schema.json.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/** A values tree as Helm holds it. */
export type Values = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses YAML text into a values map; an empty document is an empty map. */
export function parseValues(text: string, source: string): Values {
  const doc: unknown = parse(text, { version: '1.1', uniqueKeys: true });
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new Error(`${source}: values must be a map, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  return doc;
}

/** Reads and parses a values file. */
export function loadValuesFile(path: string): Values {
  return parseValues(readFileSync(path, 'utf8'), path);
}

/** Deep-merges `override` onto `base` without mutating either; lists are replaced, null removes the key. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeValues(out[key], value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Turns `a.b.c=value` (Helm's --set) into a values map; values are typed like Helm's strvals (ints, bools, null). */
export function parseSetArgument(assignment: string): Values {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`--set expects key=value, got ${JSON.stringify(assignment)}`);
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (raw === 'null') value = null;
  else if (/^-?\d+$/.test(raw)) value = BigInt(raw);
  const root: Values = {};
  let node = root;
  path.forEach((segment, i) => {
    if (i === path.length - 1) node[segment] = value;
    else node = node[segment] = {};
  });
  return root;
}

/** One schema violation, with the JSON pointer of the offending value. */
export interface SchemaViolation {
  readonly path: string;
  readonly message: string;
}

const compiled = new Map<string, ValidateFunction>();

/** Validates values against a JSON schema (draft-07, as Helm uses); returns every violation. */
export function validateValuesSchema(schema: object, values: Values): SchemaViolation[] {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(key, validate);
  }
  // NOTE: Helm validates the JSON encoding of the values, where --set ints are plain numbers.
  const asJson: unknown = JSON.parse(JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  if (validate(asJson)) return [];
  return (validate.errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: e.keyword === 'additionalProperties' ? `unknown key ${JSON.stringify(e.params['additionalProperty'])}` : (e.message ?? e.keyword),
  }));
}
