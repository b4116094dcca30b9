/**
 * Describes deterministic random-weight Llama-architecture models as GGUF file specs, with a
 * real SentencePiece tokenizer section and a ChatML chat template. Tests and benchmarks
 * generate these at run time instead of checking in binaries.
 */
import type { GgufFileSpec, GgufTensorSpec } from './gguf-writer.js';
import type { GgufValue, GgufWritableTensorType } from './gguf-types.js';
import { CHATML_END, CHATML_START, buildSpmVocabulary } from './spm-vocabulary.js';
import { mulberry32 } from '../prng.js';

/** The ChatML template generated models carry in `tokenizer.chat_template`. */
export const CHATML_TEMPLATE =
  `{% for message in messages %}{{ '${CHATML_START}' + message['role'] + '\\n' + message['content'] + '${CHATML_END}' + '\\n' }}{% endfor %}` +
  `{% if add_generation_prompt %}{{ '${CHATML_START}assistant\\n' }}{% endif %}`;

/** Shape and storage of a generated model; every field has a small default. */
export interface TinyLlamaOptions {
  readonly name?: string;
  readonly seed?: number;
  /** Vocabulary size; at least the fixed pieces (about 1,000 tokens). */
  readonly vocabSize?: number;
  readonly embeddingLength?: number;
  readonly blockCount?: number;
  readonly headCount?: number;
  readonly headCountKv?: number;
  readonly feedForwardLength?: number;
  readonly contextLength?: number;
  /** Storage of 2-D weights; norms stay F32. Q8_0 needs row lengths divisible by 32. */
  readonly tensorType?: GgufWritableTensorType;
  /** Chat template; null writes none. Defaults to ChatML. */
  readonly chatTemplate?: string | null;
  /** Scale of the uniform initialization relative to 1/sqrt(fan_in). */
  readonly weightScale?: number;
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

const FILE_TYPE: Readonly<Record<GgufWritableTensorType, number>> = { F32: 0, F16: 1, Q8_0: 7 };

const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
const f32 = (value: number): GgufValue => ({ type: 'float32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

/** Total parameter count of a model with these options (for sizing benchmarks). */
export function tinyLlamaParameterCount(options: TinyLlamaOptions = {}): number {
  const r = resolve(options);
  const vocabSize = buildSpmVocabulary({ size: r.vocabSize, chatTokens: r.chatTemplate !== null }).tokens.length;
  return tinyLlamaTensors(r, vocabSize).reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
}

type Resolved = Required<Omit<TinyLlamaOptions, 'chatTemplate'>> & { chatTemplate: string | null };

function resolve(o: TinyLlamaOptions): Resolved {
  const r: Resolved = {
    name: o.name ?? 'tiny-llama',
    seed: o.seed ?? 1,
    vocabSize: o.vocabSize ?? 0,
    embeddingLength: o.embeddingLength ?? 64,
    blockCount: o.blockCount ?? 2,
    headCount: o.headCount ?? 4,
    headCountKv: o.headCountKv ?? 2,
    feedForwardLength: o.feedForwardLength ?? 128,
    contextLength: o.contextLength ?? 512,
    tensorType: o.tensorType ?? 'F32',
    chatTemplate: o.chatTemplate === undefined ? CHATML_TEMPLATE : o.chatTemplate,
    weightScale: o.weightScale ?? 1,
  };
  if (r.embeddingLength % r.headCount !== 0) throw new Error('embeddingLength must be a multiple of headCount');
  if (r.headCount % r.headCountKv !== 0) throw new Error('headCount must be a multiple of headCountKv');
  return r;
}

function tinyLlamaTensors(r: Resolved, vocabSize: number): GgufTensorSpec[] {
  const nEmbd = r.embeddingLength;
  const nKv = (nEmbd / r.headCount) * r.headCountKv;
  const matrixType = (rowLength: number): GgufWritableTensorType =>
    r.tensorType === 'Q8_0' && rowLength % 32 !== 0 ? 'F32' : r.tensorType;
  const random = (name: string, dims: number[], scale: number): GgufTensorSpec => ({
    name,
    dims,
    type: matrixType(dims[0]!),
    values: () => {
      const next = mulberry32(r.seed ^ hashName(name));
      const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
      for (let i = 0; i < out.length; i++) out[i] = (next() * 2 - 1) * scale;
      return out;
    },
  });
  const ones = (name: string, n: number): GgufTensorSpec => ({ name, dims: [n], type: 'F32', values: () => new Float32Array(n).fill(1) });
  const w = (fanIn: number): number => r.weightScale / Math.sqrt(fanIn);
  const tensors: GgufTensorSpec[] = [
    random('token_embd.weight', [nEmbd, vocabSize], 1),
    ones('output_norm.weight', nEmbd),
    random('output.weight', [nEmbd, vocabSize], w(nEmbd) * 4),
  ];
  for (let b = 0; b < r.blockCount; b++) {
    const p = `blk.${b}`;
    tensors.push(
      ones(`${p}.attn_norm.weight`, nEmbd),
      random(`${p}.attn_q.weight`, [nEmbd, nEmbd], w(nEmbd)),
      random(`${p}.attn_k.weight`, [nEmbd, nKv], w(nEmbd)),
      random(`${p}.attn_v.weight`, [nEmbd, nKv], w(nEmbd)),
      random(`${p}.attn_output.weight`, [nEmbd, nEmbd], w(nEmbd)),
      ones(`${p}.ffn_norm.weight`, nEmbd),
      random(`${p}.ffn_gate.weight`, [nEmbd, r.feedForwardLength], w(nEmbd)),
      random(`${p}.ffn_up.weight`, [nEmbd, r.feedForwardLength], w(nEmbd)),
      random(`${p}.ffn_down.weight`, [r.feedForwardLength, nEmbd], w(r.feedForwardLength)),
    );
  }
  return tensors;
}

/** The GGUF spec of a random-weight Llama model; write it with `encodeGguf` or `writeGgufFile`. */
export function tinyLlamaGguf(options: TinyLlamaOptions = {}): GgufFileSpec {
  const r = resolve(options);
  const vocab = buildSpmVocabulary({ size: r.vocabSize, chatTokens: r.chatTemplate !== null });
  const metadata: [string, GgufValue][] = [
    ['general.architecture', str('llama')],
    ['general.name', str(r.name)],
    ['general.file_type', u32(FILE_TYPE[r.tensorType])],
    ['general.alignment', u32(32)],
    ['llama.vocab_size', u32(vocab.tokens.length)],
    ['llama.context_length', u32(r.contextLength)],
    ['llama.embedding_length', u32(r.embeddingLength)],
    ['llama.block_count', u32(r.blockCount)],
    ['llama.feed_forward_length', u32(r.feedForwardLength)],
    ['llama.attention.head_count', u32(r.headCount)],
    ['llama.attention.head_count_kv', u32(r.headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.rope.dimension_count', u32(r.embeddingLength / r.headCount)],
    ['llama.rope.freq_base', f32(10000)],
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', values: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', u32(vocab.unknownId)],
    ['tokenizer.ggml.bos_token_id', u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eosId)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  if (r.chatTemplate !== null) metadata.push(['tokenizer.chat_template', str(r.chatTemplate)]);
  return { metadata, tensors: tinyLlamaTensors(r, vocab.tokens.length) };
}
