import { describe, expect, it } from 'vitest';
import { DATA_TYPES } from '../core/types.js';
import {
  CONFIG_DATA_TYPES,
  configDataTypeToDataType,
  dataTypeByteSize,
  dataTypeToConfigDataType,
  isDataType,
} from './datatypes.js';

describe('datatypes', () => {
  it('maps TYPE_STRING to BYTES and back', () => {
    expect(configDataTypeToDataType('TYPE_STRING')).toBe('BYTES');
    expect(dataTypeToConfigDataType('BYTES')).toBe('TYPE_STRING');
  });
  it('round-trips every KServe datatype', () => {
    for (const dt of DATA_TYPES) expect(configDataTypeToDataType(dataTypeToConfigDataType(dt))).toBe(dt);
    expect(CONFIG_DATA_TYPES).toHaveLength(DATA_TYPES.length);
  });
  it('prefixes TYPE_ for fixed-size types', () => {
    expect(dataTypeToConfigDataType('FP32')).toBe('TYPE_FP32');
    expect(dataTypeToConfigDataType('BF16')).toBe('TYPE_BF16');
    expect(configDataTypeToDataType('TYPE_UINT64')).toBe('UINT64');
  });
  it('rejects TYPE_INVALID and unknown names', () => {
    expect(() => configDataTypeToDataType('TYPE_INVALID')).toThrow(/TYPE_INVALID/);
    expect(() => dataTypeToConfigDataType('FP8' as never)).toThrow(/FP8/);
    expect(() => configDataTypeToDataType('constructor' as never)).toThrow();
    expect(() => dataTypeToConfigDataType('toString' as never)).toThrow();
    expect(() => dataTypeByteSize('toString' as never)).toThrow();
  });
  it('knows element sizes', () => {
    expect(dataTypeByteSize('BOOL')).toBe(1);
    expect(dataTypeByteSize('FP16')).toBe(2);
    expect(dataTypeByteSize('INT32')).toBe(4);
    expect(dataTypeByteSize('FP64')).toBe(8);
    expect(dataTypeByteSize('BYTES')).toBe(0);
  });
  it('recognises datatype names', () => {
    expect(isDataType('FP32')).toBe(true);
    expect(isDataType('TYPE_FP32')).toBe(false);
    expect(isDataType('constructor')).toBe(false);
  });
});
