import { describe, expect, it } from 'vitest';
import { checkJsonSchema, grammarSchema, validateJson } from './json-schema.js';

describe('checkJsonSchema', () => {
  it('accepts the supported subset', () => {
    expect(() =>
      checkJsonSchema({
        type: 'object',
        properties: { a: { type: ['string', 'null'] }, b: { $ref: '#/$defs/b' }, c: { anyOf: [{ type: 'integer', minimum: 0 }, { enum: ['x'] }] } },
        required: ['a'],
        additionalProperties: false,
        $defs: { b: { type: 'array', items: { type: 'number' }, minItems: 1 } },
      }),
    ).not.toThrow();
  });

  it('rejects malformed schemas with the path of the problem', () => {
    expect(() => checkJsonSchema({ type: 'wat' })).toThrow(/\/type: unknown type/);
    expect(() => checkJsonSchema({ properties: { a: 5 } })).toThrow(/\/properties\/a: a schema must be an object/);
    expect(() => checkJsonSchema({ $ref: '#/$defs/missing' })).toThrow(/does not name/);
    expect(() => checkJsonSchema({ type: 'string', pattern: '^a' })).toThrow(/'pattern' is not supported/);
    expect(() => checkJsonSchema({ required: 'a' })).toThrow(/required/);
    expect(() => checkJsonSchema({ minItems: -1 })).toThrow(/non-negative/);
    expect(() => checkJsonSchema([])).toThrow(/must be an object/);
  });
});

describe('validateJson', () => {
  const schema = {
    type: 'object',
    properties: { n: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 2 }, o: { oneOf: [{ type: 'string' }, { type: 'null' }] } },
    required: ['n'],
    additionalProperties: false,
  };

  it('accepts matching values', () => {
    expect(() => validateJson({ n: 3, tags: ['a'], o: null }, schema)).not.toThrow();
  });

  it('names the first mismatch', () => {
    expect(() => validateJson({ n: 9.5e-3 }, schema)).toThrow(/\/n: expected integer, got number/);
    expect(() => validateJson({ n: 0 }, schema)).toThrow(/below minimum/);
    expect(() => validateJson({}, schema)).toThrow(/missing required property 'n'/);
    expect(() => validateJson({ n: 1, x: 1 }, schema)).toThrow(/unexpected property 'x'/);
    expect(() => validateJson({ n: 1, tags: ['c'] }, schema)).toThrow(/\/tags\/0: value is not one of/);
    expect(() => validateJson({ n: 1, tags: ['a', 'a', 'b'] }, schema)).toThrow(/more than 2 items/);
    expect(() => validateJson({ n: 1, o: 5 }, schema)).toThrow(/matches 0 of the oneOf/);
  });
});

describe('grammarSchema', () => {
  it('maps anyOf to oneOf without renaming properties called anyOf', () => {
    expect(grammarSchema({ anyOf: [{ type: 'string' }], properties: { anyOf: { anyOf: [{ type: 'null' }] } } })).toEqual({
      oneOf: [{ type: 'string' }],
      properties: { anyOf: { oneOf: [{ type: 'null' }] } },
    });
  });
});
