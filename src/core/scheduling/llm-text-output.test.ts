import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LlmTextOutput } from './llm-text-output.js';

function run(chunks: Uint8Array[], stop: string[]): { parts: string[]; stopped: boolean } {
  const out = new LlmTextOutput(stop);
  const parts: string[] = [];
  for (const c of chunks) {
    const r = out.push(c);
    parts.push(r.text);
    if (r.stopped) return { parts, stopped: true };
  }
  parts.push(out.flush());
  return { parts, stopped: false };
}

const text = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '€', '😀', ' '), maxLength: 30 });

describe('LlmTextOutput', () => {
  it('reassembles any byte split of UTF-8 text exactly, with no replacement characters', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(6), { maxLength: 40 }), (s, cuts) => {
        const bytes = Buffer.from(s, 'utf8');
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const c of cuts) {
          chunks.push(bytes.subarray(at, Math.min(bytes.length, at + c)));
          at = Math.min(bytes.length, at + c);
        }
        chunks.push(bytes.subarray(at));
        const { parts } = run(chunks, []);
        expect(parts.join('')).toBe(s);
        for (const p of parts) expect(p).not.toContain('\uFFFD');
      }),
    );
  });

  it('ends exactly before the first stop string and never releases any of it', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('ab', 'é ', '😀a', 'b'), (s, stop) => {
        const chunks = [...Buffer.from(s, 'utf8')].map((b) => Uint8Array.of(b));
        const { parts, stopped } = run(chunks, [stop]);
        const at = s.indexOf(stop);
        expect(parts.join('')).toBe(at >= 0 ? s.slice(0, at) : s);
        expect(stopped).toBe(at >= 0);
      }),
    );
  });

  it('replaces invalid bytes instead of failing', () => {
    expect(run([Uint8Array.of(0x80), Uint8Array.of(0x61), Uint8Array.of(0xe2, 0x82)], []).parts.join('')).toBe('\uFFFDa\uFFFD');
  });
});
