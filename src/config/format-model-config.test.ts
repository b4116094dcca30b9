import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatModelConfig, quotePbtxtString } from './format-model-config.js';
import type { ModelConfig } from './model-config.js';
import { isEnum, isMessage, MODEL_CONFIG_SCHEMA, type FieldSchema, type MessageSchema, type ScalarType } from './model-config-schema.js';
import { parseModelConfig } from './pbtxt/parse-model-config.js';

const scalars: Record<ScalarType, fc.Arbitrary<unknown>> = {
  string: fc.string({ unit: 'binary', maxLength: 8 }),
  bool: fc.boolean(),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  int64: fc.maxSafeInteger(),
  uint64: fc.maxSafeNat(),
  float: fc.double(),
  double: fc.double(),
};

function valueArb(spec: FieldSchema): fc.Arbitrary<unknown> {
  const t = spec.type;
  if (isMessage(t)) return messageArb(t);
  if (isEnum(t)) return fc.constantFrom(...t.values);
  return scalars[t];
}

const cache = new Map<MessageSchema, fc.Arbitrary<Record<string, unknown>>>();

/** Any message the schema allows: each field optional, at most one member per oneof. */
function messageArb(schema: MessageSchema): fc.Arbitrary<Record<string, unknown>> {
  const cached = cache.get(schema);
  if (cached) return cached;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const oneofs = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(schema.fields)) {
    if (spec.oneof) oneofs.set(spec.oneof, [...(oneofs.get(spec.oneof) ?? []), name]);
    if (spec.label === 'repeated') model[name] = fc.array(valueArb(spec), { maxLength: 3 });
    else if (spec.label === 'map') {
      const key = spec.key === 'string' ? fc.string({ unit: 'binary', maxLength: 6 }) : fc.maxSafeNat().map(String);
      model[name] = fc.uniqueArray(fc.tuple(key, valueArb(spec)), { maxLength: 3, selector: ([k]) => k }).map((e) => Object.fromEntries(e));
    } else model[name] = valueArb(spec);
  }
  const arb = fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.tuple(...[...oneofs.values()].map((names) => fc.constantFrom(...names))))
    .map(([obj, keep]) => {
      for (const names of oneofs.values()) for (const n of names) if (!keep.includes(n)) delete obj[n];
      return obj;
    });
  cache.set(schema, arb);
  return arb;
}

const configArb: fc.Arbitrary<ModelConfig> = fc
  .tuple(messageArb(MODEL_CONFIG_SCHEMA), fc.string({ unit: 'binary', maxLength: 10 }))
  .map(([c, name]) => ({ ...c, name }) as ModelConfig);

describe('formatModelConfig', () => {
  it('round-trips every generated config through parseModelConfig', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        expect(parseModelConfig(formatModelConfig(config))).toEqual(config);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the real Triton fixtures', () => {
    for (const name of ['simple', 'simple_dyna_sequence', 'implicit_state', 'priority_batching', 'preprocess_resnet50_ensemble']) {
      const parsed = parseModelConfig(readFileSync(new URL(`./testdata/${name}.pbtxt`, import.meta.url), 'utf8'));
      expect(parseModelConfig(formatModelConfig(parsed))).toEqual(parsed);
    }
  });

  it('writes Triton-style text', () => {
    const text = formatModelConfig({
      name: 'm',
      max_batch_size: 4,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1, 3] }],
      parameters: { k: { string_value: 'v' } },
      dynamic_batching: { priority_queue_policy: { '1': { max_queue_size: 2 } } },
      version_policy: { all: {} },
      batch_output: [],
    });
    expect(text).toBe(
      [
        'name: "m"',
        'version_policy {',
        '  all {',
        '  }',
        '}',
        'max_batch_size: 4',
        'input [',
        '  {',
        '    name: "INPUT0"',
        '    data_type: TYPE_FP32',
        '    dims: [ -1, 3 ]',
        '  }',
        ']',
        'batch_output: []',
        'dynamic_batching {',
        '  priority_queue_policy {',
        '    key: 1',
        '    value {',
        '      max_queue_size: 2',
        '    }',
        '  }',
        '}',
        'parameters {',
        '  key: "k"',
        '  value {',
        '    string_value: "v"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('quotes strings with escapes for quotes, backslashes and control characters', () => {
    expect(quotePbtxtString('a"b\\c\nd\te\x01\x7fé')).toBe('"a\\"b\\\\c\\nd\\te\\001\\177é"');
  });

  it('refuses values the schema cannot hold, naming the path', () => {
    expect(() => formatModelConfig({ name: 'm', max_batch_size: 1.5 })).toThrow(/ModelConfig\.max_batch_size: expected a safe integer/);
    expect(() => formatModelConfig({ name: 'm', input: [{ name: 'a', data_type: 'FP32' as never, dims: [] }] })).toThrow(
      /ModelConfig\.input\[0\]\.data_type: expected a DataType name/,
    );
    expect(() => formatModelConfig({ name: 'm', extra: 1 } as never)).toThrow(/ModelConfig\.extra: unknown field/);
    expect(() => formatModelConfig({ name: 'm', dynamic_batching: { priority_queue_policy: { high: {} } } })).toThrow(
      /map key must be a decimal integer/,
    );
  });
});
