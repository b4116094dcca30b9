import { describe, expect, it } from 'vitest';
import { encodeGguf } from './gguf-writer.js';
import { SPM_SPACE, buildSpmVocabulary } from './spm-vocabulary.js';
import { tinyLlamaGguf, tinyLlamaParameterCount } from './tiny-llama.js';

describe('generated Llama models', () => {
  it('are deterministic per seed and differ across seeds', () => {
    const a = encodeGguf(tinyLlamaGguf({ seed: 5 }));
    expect(Buffer.compare(Buffer.from(a), Buffer.from(encodeGguf(tinyLlamaGguf({ seed: 5 }))))).toBe(0);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(encodeGguf(tinyLlamaGguf({ seed: 6 }))))).not.toBe(0);
  });

  it('count parameters like a Llama (about 134M for the benchmark shape)', () => {
    const n = tinyLlamaParameterCount({ vocabSize: 32000, embeddingLength: 768, blockCount: 12, headCount: 12, headCountKv: 12, feedForwardLength: 2048 });
    expect(n).toBeGreaterThan(130e6);
    expect(n).toBeLessThan(140e6);
  });
});

describe('SentencePiece vocabulary', () => {
  it('has unk/bos/eos, all 256 byte tokens, chat markers and word pieces with all prefixes', () => {
    const v = buildSpmVocabulary({ chatTokens: true, size: 3000 });
    expect(v.tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(v.tokens[3]).toBe('<0x00>');
    expect(v.tokens[258]).toBe('<0xFF>');
    expect(v.types[258]).toBe(6);
    expect(v.tokens).toContain('<|im_end|>');
    const piece = `${SPM_SPACE}little`;
    for (let len = 2; len <= piece.length; len++) expect(v.tokens).toContain(piece.slice(0, len));
    expect(new Set(v.tokens).size).toBe(3000);
    expect(v.scores[10]!).toBeGreaterThan(v.scores[11]!);
  });
});
