import { describe, expect, it } from 'vitest';
import { decodeOutputParameters, decodeRequestParameters, encodeParameters } from './parameter-codec.js';

describe('decodeRequestParameters', () => {
  it('splits reserved keys from pass-through ones', () => {
    const decoded = decodeRequestParameters({
      sequence_id: { parameter_choice: 'int64_param', int64_param: '9223372036854775807' },
      sequence_start: { parameter_choice: 'bool_param', bool_param: true },
      priority: { parameter_choice: 'uint64_param', uint64_param: '18446744073709551615' },
      timeout: { parameter_choice: 'int64_param', int64_param: '0' },
      triton_enable_empty_final_response: { parameter_choice: 'bool_param', bool_param: true },
      temperature: { parameter_choice: 'double_param', double_param: 0.5 },
    });
    expect(decoded).toEqual({
      parameters: { temperature: 0.5 },
      sequence: { id: '9223372036854775807', start: true, end: false },
      priority: Number.MAX_SAFE_INTEGER,
      timeoutUs: 0,
      enableEmptyFinalResponse: true,
    });
  });

  it('keeps a "__proto__" key as a plain parameter', () => {
    const map = Object.defineProperty({}, '__proto__', {
      value: { parameter_choice: 'string_param', string_param: 'x' },
      enumerable: true,
    });
    const { parameters } = decodeRequestParameters(map);
    expect(Object.keys(parameters)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parameters)).toBe(Object.prototype);
  });

  it('refuses a parameter with no value set', () => {
    expect(() => decodeRequestParameters({ k: {} })).toThrow(/invalid value type for 'k'/);
  });
});

describe('output parameters', () => {
  it('reads classification, treating 0 as none', () => {
    expect(decodeOutputParameters({ classification: { parameter_choice: 'int64_param', int64_param: '5' } }, 'o')).toEqual({ classification: 5 });
    expect(decodeOutputParameters({ classification: { parameter_choice: 'int64_param', int64_param: '0' } }, 'o')).toEqual({});
    expect(() => decodeOutputParameters({ classification: { parameter_choice: 'string_param', string_param: '5' } }, 'o')).toThrow();
    expect(decodeOutputParameters({ binary_data: { parameter_choice: 'bool_param', bool_param: true } }, 'o')).toEqual({});
  });
});

describe('encodeParameters', () => {
  it('encodes integers as int64, other numbers as double', () => {
    expect(encodeParameters({ a: 1, b: 1.5, c: 'x', d: true, e: 2 ** 60 })).toEqual({
      a: { int64_param: 1 },
      b: { double_param: 1.5 },
      c: { string_param: 'x' },
      d: { bool_param: true },
      e: { double_param: 2 ** 60 },
    });
  });
});
