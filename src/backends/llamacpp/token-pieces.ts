/**
 * The bytes each token contributes to generated text, built from the GGUF vocabulary.
 * llama.cpp's detokenizer returns JavaScript strings through N-API, which replaces the lone
 * bytes of byte-fallback tokens with U+FFFD and strips a first token's leading space; streaming
 * needs the raw bytes, so they are rebuilt here the way llama.cpp's `token_to_piece` does:
 * SentencePiece ("llama") pieces turn "▁" into a space and `<0xNN>` into byte NN; GPT-2 BPE
 * pieces map each character back through the byte-to-unicode table; control tokens add nothing.
 */
import { GGUF_TOKEN_TYPE, ggufArray, ggufString, type GgufHeader } from '../../formats/gguf/index.js';

/** Raw bytes and prompt text per token id. */
export interface TokenPieces {
  readonly pieces: readonly Uint8Array[];
  readonly texts: readonly string[];
  readonly types: readonly number[];
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** GPT-2's reversible byte ↔ printable-unicode table, inverted: code point → byte. */
function gpt2UnicodeToByte(): Map<number, number> {
  const map = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    map.set(printable ? b : 256 + extra++, b);
  }
  return map;
}

function spmPiece(text: string, type: number): Uint8Array {
  if (type === GGUF_TOKEN_TYPE.byte) {
    const m = BYTE_TOKEN.exec(text);
    return m ? Uint8Array.of(parseInt(m[1]!, 16)) : EMPTY;
  }
  if (type === GGUF_TOKEN_TYPE.unknown) return encoder.encode('\u2585');
  if (type === GGUF_TOKEN_TYPE.userDefined) return encoder.encode(text);
  if (type !== GGUF_TOKEN_TYPE.normal) return EMPTY;
  return encoder.encode(text.replaceAll('\u2581', ' '));
}

function bpePiece(text: string, type: number, table: Map<number, number>): Uint8Array {
  if (type === GGUF_TOKEN_TYPE.userDefined) return encoder.encode(text);
  if (type !== GGUF_TOKEN_TYPE.normal) return EMPTY;
  const out: number[] = [];
  for (const ch of text) {
    const b = table.get(ch.codePointAt(0)!);
    if (b === undefined) return encoder.encode(text);
    out.push(b);
  }
  return Uint8Array.from(out);
}

/** Builds the piece table of a GGUF file's vocabulary; throws when the file has none. */
export function tokenPiecesFromGguf(header: GgufHeader): TokenPieces {
  const texts = ggufArray(header, 'tokenizer.ggml.tokens');
  if (!texts || texts.some((t) => typeof t !== 'string')) throw new Error('GGUF file has no tokenizer.ggml.tokens string array');
  const rawTypes = ggufArray(header, 'tokenizer.ggml.token_type');
  const types = texts.map((_, i) => Number(rawTypes?.[i] ?? GGUF_TOKEN_TYPE.normal));
  const model = ggufString(header, 'tokenizer.ggml.model') ?? 'llama';
  const table = model === 'gpt2' ? gpt2UnicodeToByte() : undefined;
  const pieces = (texts as string[]).map((text, i) => {
    const type = types[i]!;
    if (table) return bpePiece(text, type, table);
    if (model === 'llama') return spmPiece(text, type);
    return type === GGUF_TOKEN_TYPE.normal || type === GGUF_TOKEN_TYPE.userDefined ? encoder.encode(text.replaceAll('\u2581', ' ')) : EMPTY;
  });
  return { pieces, texts: texts as string[], types };
}
