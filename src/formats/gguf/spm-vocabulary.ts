/**
 * Builds a SentencePiece-style (llama.cpp "llama" tokenizer) vocabulary: `<unk>`, `<s>`,
 * `</s>`, the 256 byte-fallback tokens `<0x00>`..`<0xFF>`, optional ChatML control tokens,
 * then word pieces with "▁" marking a leading space. Every prefix of a word piece is in the
 * vocabulary, so SentencePiece's score-ordered bigram merges can always reach whole words.
 */
import { ENGLISH_WORDS } from './english-words.js';
import { GGUF_TOKEN_TYPE } from './gguf-types.js';

/** SentencePiece's visible space. */
export const SPM_SPACE = '\u2581';

/** The ChatML markers generated chat models use. */
export const CHATML_START = '<|im_start|>';
/** End-of-turn marker of ChatML; llama.cpp treats it as an end-of-generation token. */
export const CHATML_END = '<|im_end|>';

/** A vocabulary in GGUF's parallel-array form. */
export interface SpmVocabulary {
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly types: Int32Array;
  readonly unknownId: number;
  readonly bosId: number;
  readonly eosId: number;
}

/** Options of `buildSpmVocabulary`. */
export interface SpmVocabularyOptions {
  /** Total vocabulary size; the minimum is whatever the fixed pieces need. */
  readonly size?: number;
  /** Adds `<|im_start|>` and `<|im_end|>` as control tokens. */
  readonly chatTokens?: boolean;
}

const SINGLE_CHARS = `${SPM_SPACE}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'"-:;()[]{}<>/\\_*#@&%$+=~\`|\n`;
const CONSONANTS = 'bcdfghjklmnprstvwz';
const VOWELS = 'aeiouy';

/** Pieces that only fill a large vocabulary: syllable chains, deterministic and unique. */
function* fillerPieces(): Generator<string> {
  for (const c1 of CONSONANTS) for (const v1 of VOWELS) yield `${c1}${v1}`;
  for (const c1 of CONSONANTS) for (const v1 of VOWELS) yield `${SPM_SPACE}${c1}${v1}`;
  for (const c1 of CONSONANTS) for (const v1 of VOWELS) for (const c2 of CONSONANTS) yield `${c1}${v1}${c2}`;
  for (const c1 of CONSONANTS) for (const v1 of VOWELS) for (const c2 of CONSONANTS) yield `${SPM_SPACE}${c1}${v1}${c2}`;
  for (const c1 of CONSONANTS) for (const v1 of VOWELS) for (const c2 of CONSONANTS) for (const v2 of VOWELS) {
    yield `${c1}${v1}${c2}${v2}`;
    yield `${SPM_SPACE}${c1}${v1}${c2}${v2}`;
  }
  for (let i = 0; ; i++) yield `${SPM_SPACE}tok${i}`;
}

/** Builds the vocabulary. Deterministic: the same options always give the same tokens. */
export function buildSpmVocabulary(options: SpmVocabularyOptions = {}): SpmVocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: number): void => {
    if (seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    types.push(type);
  };
  add('<unk>', GGUF_TOKEN_TYPE.unknown);
  add('<s>', GGUF_TOKEN_TYPE.control);
  add('</s>', GGUF_TOKEN_TYPE.control);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, GGUF_TOKEN_TYPE.byte);
  if (options.chatTokens) {
    add(CHATML_START, GGUF_TOKEN_TYPE.control);
    add(CHATML_END, GGUF_TOKEN_TYPE.control);
  }
  for (const ch of SINGLE_CHARS) add(ch, GGUF_TOKEN_TYPE.normal);
  for (const word of ENGLISH_WORDS) {
    for (const form of [`${SPM_SPACE}${word}`, word, `${SPM_SPACE}${word[0]!.toUpperCase()}${word.slice(1)}`]) {
      for (let len = 2; len <= form.length; len++) add(form.slice(0, len), GGUF_TOKEN_TYPE.normal);
    }
  }
  const size = Math.max(options.size ?? tokens.length, tokens.length);
  const filler = fillerPieces();
  while (tokens.length < size) add(filler.next().value as string, GGUF_TOKEN_TYPE.normal);
  tokens.length = size;
  types.length = size;
  // NOTE: SentencePiece merges the highest-scoring pair first; earlier (shorter) pieces score higher.
  const scores = Float32Array.from(tokens, (_, i) => -i);
  return { tokens, scores, types: Int32Array.from(types), unknownId: 0, bosId: 1, eosId: 2 };
}
