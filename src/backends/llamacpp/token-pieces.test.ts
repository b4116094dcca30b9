import { describe, expect, it } from 'vitest';
import { encodeGguf, parseGgufHeader, type GgufValue } from '../../formats/gguf/index.js';
import { tokenPiecesFromGguf } from './token-pieces.js';

function vocab(model: string, tokens: string[], types: number[]) {
  const metadata: [string, GgufValue][] = [
    ['tokenizer.ggml.model', { type: 'string', value: model }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: types }],
  ];
  return tokenPiecesFromGguf(parseGgufHeader(encodeGguf({ metadata, tensors: [] })));
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('tokenPiecesFromGguf', () => {
  it('rebuilds SentencePiece pieces: spaces, raw bytes, nothing for control tokens', () => {
    const v = vocab('llama', ['<unk>', '<s>', '<0xC3>', '<0xA9>', '\u2581Once', 'up', '<|im_end|>'], [2, 3, 6, 6, 1, 1, 4]);
    expect(Array.from(v.pieces[2]!)).toEqual([0xc3]);
    expect(text(Buffer.concat([v.pieces[2]!, v.pieces[3]!]))).toBe('é');
    expect(text(v.pieces[4]!)).toBe(' Once');
    expect(v.pieces[1]!.length).toBe(0);
    expect(text(v.pieces[6]!)).toBe('<|im_end|>');
    expect(v.texts[1]).toBe('<s>');
  });

  it('maps GPT-2 byte-level BPE characters back to bytes', () => {
    const v = vocab('gpt2', ['\u0120hello', '\u00c3\u00a9', '<|endoftext|>'], [1, 1, 3]);
    expect(text(v.pieces[0]!)).toBe(' hello');
    expect(text(v.pieces[1]!)).toBe('é');
    expect(v.pieces[2]!.length).toBe(0);
  });

  it('refuses a file without a vocabulary', () => {
    expect(() => tokenPiecesFromGguf(parseGgufHeader(encodeGguf({ metadata: [], tensors: [] })))).toThrow(/tokenizer.ggml.tokens/);
  });
});
