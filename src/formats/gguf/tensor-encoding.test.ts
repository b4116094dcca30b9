import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dequantizeQ8_0, float16BitsToFloat32, float32ToFloat16Bits, quantizeQ8_0 } from './tensor-encoding.js';

describe('float16', () => {
  it('encodes exact values and specials', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(0)).toBe(0);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to the nearest half within half an ulp', () => {
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true }), (x) => {
        const back = float16BitsToFloat32(float32ToFloat16Bits(x));
        const ulp = Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(x) || 1)) - 10));
        expect(Math.abs(back - x)).toBeLessThanOrEqual(ulp / 2 + 1e-12);
      }),
    );
  });
});

describe('Q8_0', () => {
  it('stores 34 bytes per 32 values and round-trips within one quantization step', () => {
    const values = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i) * (i % 32 === 0 ? 3 : 1));
    const q = quantizeQ8_0(values);
    expect(q.length).toBe(3 * 34);
    const back = dequantizeQ8_0(q);
    for (let b = 0; b < 3; b++) {
      const block = values.subarray(b * 32, b * 32 + 32);
      const step = Math.max(...Array.from(block, Math.abs)) / 127;
      for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * 0.51 + 1e-3);
    }
  });

  it('encodes an all-zero block as zero scale and zero quants', () => {
    expect(Array.from(quantizeQ8_0(new Float32Array(32)))).toEqual(new Array(34).fill(0));
  });

  it('rejects lengths that are not whole blocks', () => {
    expect(() => quantizeQ8_0(new Float32Array(31))).toThrow(/multiple of 32/);
  });
});
