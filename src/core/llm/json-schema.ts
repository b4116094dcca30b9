/**
 * The JSON Schema subset inferd enforces for `response_format: json_schema`, tool arguments and
 * `guided_json`: structural checks of a client's schema (so a malformed one is a 400, not a
 * silently ignored keyword), and validation of the parsed output, because a grammar built from
 * a schema cannot express every keyword (a random model can emit `94958e-9` for an integer).
 */

/** A schema problem or validation failure, with a JSON-pointer-like path. */
export class JsonSchemaError extends Error {
  override readonly name = 'JsonSchemaError';
}

type Schema = Readonly<Record<string, unknown>>;

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const SCHEMA_LISTS = ['oneOf', 'anyOf', 'allOf', 'prefixItems'] as const;
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const;
/** Keywords that need a real implementation to be honoured; refusing them beats ignoring them. */
const UNSUPPORTED = ['pattern', 'patternProperties', 'if', 'then', 'else', 'not', 'dependentSchemas', 'dependentRequired', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'propertyNames', 'multipleOf'];

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, message: string): never {
  throw new JsonSchemaError(`${path || '/'}: ${message}`);
}

function resolveRef(root: Schema, ref: string, path: string): Schema {
  const m = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  const defs = m ? root[m[1]!] : undefined;
  const target = m && isObject(defs) ? defs[decodeURIComponent(m[2]!)] : undefined;
  if (!isObject(target)) fail(path, `$ref '${ref}' does not name an entry of $defs`);
  return target;
}

function checkNode(node: unknown, root: Schema, path: string, depth: number): void {
  if (depth > 64) fail(path, 'schema nests deeper than 64 levels');
  if (typeof node === 'boolean') return;
  if (!isObject(node)) fail(path, 'a schema must be an object');
  for (const key of UNSUPPORTED) if (key in node) fail(path, `keyword '${key}' is not supported`);
  const type = node.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || types.some((t) => typeof t !== 'string' || !TYPES.has(t))) fail(`${path}/type`, `unknown type ${JSON.stringify(type)}`);
  }
  if ('enum' in node && (!Array.isArray(node.enum) || node.enum.length === 0)) fail(`${path}/enum`, 'enum must be a non-empty array');
  if ('required' in node && (!Array.isArray(node.required) || node.required.some((r) => typeof r !== 'string'))) fail(`${path}/required`, 'required must be an array of strings');
  for (const key of COUNTS) {
    const v = node[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) fail(`${path}/${key}`, 'must be a non-negative integer');
  }
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
    if (node[key] !== undefined && typeof node[key] !== 'number') fail(`${path}/${key}`, 'must be a number');
  }
  if ('properties' in node) {
    if (!isObject(node.properties)) fail(`${path}/properties`, 'properties must be an object');
    for (const [k, v] of Object.entries(node.properties)) checkNode(v, root, `${path}/properties/${k}`, depth + 1);
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    if (node[key] !== undefined && typeof node[key] !== 'boolean') checkNode(node[key], root, `${path}/${key}`, depth + 1);
  }
  for (const key of SCHEMA_LISTS) {
    if (node[key] === undefined) continue;
    if (!Array.isArray(node[key]) || (node[key] as unknown[]).length === 0) fail(`${path}/${key}`, `${key} must be a non-empty array`);
    (node[key] as unknown[]).forEach((s, i) => checkNode(s, root, `${path}/${key}/${i}`, depth + 1));
  }
  for (const defs of ['$defs', 'definitions']) {
    if (node[defs] === undefined) continue;
    if (!isObject(node[defs])) fail(`${path}/${defs}`, `${defs} must be an object`);
    for (const [k, v] of Object.entries(node[defs])) checkNode(v, root, `${path}/${defs}/${k}`, depth + 1);
  }
  if ('$ref' in node) {
    if (typeof node.$ref !== 'string') fail(`${path}/$ref`, '$ref must be a string');
    resolveRef(root, node.$ref, path);
  }
}

/** Throws JsonSchemaError when `schema` is malformed or uses an unsupported keyword. */
export function checkJsonSchema(schema: unknown): asserts schema is Schema {
  if (!isObject(schema)) throw new JsonSchemaError('/: a schema must be an object');
  checkNode(schema, schema, '', 0);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function validateNode(value: unknown, node: unknown, root: Schema, path: string): void {
  if (node === true || node === undefined) return;
  if (node === false) fail(path, 'no value is allowed here');
  const s = node as Schema;
  if (typeof s.$ref === 'string') return validateNode(value, resolveRef(root, s.$ref, path), root, path);
  const actual = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) fail(path, `expected ${types.join(' or ')}, got ${actual}`);
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) fail(path, `value is not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && !deepEqual(s.const, value)) fail(path, `value must be ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    const n = [...value].length;
    if (typeof s.minLength === 'number' && n < s.minLength) fail(path, `string shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && n > s.maxLength) fail(path, `string longer than ${s.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(path, `below minimum ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) fail(path, `above maximum ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(path, `not above ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(path, `not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) validateArray(value, s, root, path);
  if (actual === 'object') validateObject(value as Record<string, unknown>, s, root, path);
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) validateNode(value, sub, root, path);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    const matches = list.filter((sub) => {
      try {
        validateNode(value, sub, root, path);
        return true;
      } catch {
        return false;
      }
    }).length;
    if (matches === 0 || (key === 'oneOf' && matches > 1)) fail(path, `value matches ${matches} of the ${key} schemas`);
  }
}

function validateArray(value: unknown[], s: Schema, root: Schema, path: string): void {
  if (typeof s.minItems === 'number' && value.length < s.minItems) fail(path, `fewer than ${s.minItems} items`);
  if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(path, `more than ${s.maxItems} items`);
  const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
  value.forEach((item, i) => validateNode(item, i < prefix.length ? prefix[i] : s.items, root, `${path}/${i}`));
}

function validateObject(value: Record<string, unknown>, s: Schema, root: Schema, path: string): void {
  const props = isObject(s.properties) ? s.properties : {};
  const keys = Object.keys(value);
  if (Array.isArray(s.required)) for (const r of s.required as string[]) if (!(r in value)) fail(path, `missing required property '${r}'`);
  if (typeof s.minProperties === 'number' && keys.length < s.minProperties) fail(path, `fewer than ${s.minProperties} properties`);
  if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) fail(path, `more than ${s.maxProperties} properties`);
  for (const k of keys) {
    if (k in props) validateNode(value[k], props[k], root, `${path}/${k}`);
    else if (s.additionalProperties === false) fail(path, `unexpected property '${k}'`);
    else validateNode(value[k], s.additionalProperties, root, `${path}/${k}`);
  }
}

/** Throws JsonSchemaError naming the first place where `value` does not match `schema`. */
export function validateJson(value: unknown, schema: Schema): void {
  validateNode(value, schema, schema, '');
}

/** The schema as node-llama-cpp's grammar generator understands it (`anyOf` becomes `oneOf`). */
export function grammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(grammarSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    const named = (k === 'properties' || k === '$defs' || k === 'definitions') && isObject(v);
    out[k === 'anyOf' ? 'oneOf' : k] = named ? Object.fromEntries(Object.entries(v).map(([n, sub]) => [n, grammarSchema(sub)])) : grammarSchema(v);
  }
  return out;
}
