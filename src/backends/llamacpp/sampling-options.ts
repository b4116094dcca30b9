/**
 * Translates the core's sampling settings into node-llama-cpp evaluation options for one
 * generation. Settings that change per step (the end-of-generation ban the batcher decides) are
 * read through callbacks, which node-llama-cpp resolves right before each sample.
 */
import { TokenBias, type LlamaContextSequence, type LlamaGrammarEvaluationState, type LlamaModel, type SequenceEvaluateOptions } from 'node-llama-cpp';
import type { SamplingParams } from '../backend.js';

/** Tokens considered by the repetition penalties (llama.cpp's default `penalty_last_n`). */
const PENALTY_WINDOW = 64;

/**
 * A TokenBias holding raw logit offsets. `TokenBias.set` refuses end-of-generation tokens and
 * converts probabilities, but OpenAI's logit_bias and min_tokens need both, so the bias map is
 * filled directly; node-llama-cpp 3.x reads exactly this map when sampling.
 */
function logitBias(model: LlamaModel, biases: ReadonlyMap<number, number>): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  const map = (bias as unknown as { _biases?: unknown })._biases;
  if (!(map instanceof Map)) throw new Error('this node-llama-cpp version does not expose token biases; logit_bias and min_tokens are unavailable');
  for (const [token, value] of biases) map.set(token, value);
  return bias;
}

/** What a generation's options depend on. */
export interface SamplingContext {
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
  readonly eog: readonly number[];
  readonly grammar?: LlamaGrammarEvaluationState;
  /** Whether the next sample must avoid end-of-generation tokens. */
  readonly banEog: () => boolean;
}

/** node-llama-cpp options equivalent to `params`. */
export function evaluateOptions(params: SamplingParams, ctx: SamplingContext): SequenceEvaluateOptions {
  const plain = params.logitBias.size > 0 ? logitBias(ctx.model, params.logitBias) : undefined;
  const banned = logitBias(ctx.model, new Map([...params.logitBias, ...ctx.eog.map((t) => [t, -Infinity] as const)]));
  const penalize = params.repetitionPenalty !== 1 || params.presencePenalty !== 0 || params.frequencyPenalty !== 0;
  return {
    temperature: params.temperature,
    topK: params.topK,
    topP: params.topP,
    minP: params.minP,
    ...(params.seed !== undefined ? { seed: params.seed } : {}),
    ...(ctx.grammar ? { grammarEvaluationState: ctx.grammar } : {}),
    tokenBias: () => (ctx.banEog() ? banned : (plain ?? noBias(ctx.model))),
    ...(penalize
      ? {
          repeatPenalty: {
            punishTokens: () => ctx.sequence.contextTokens.slice(-PENALTY_WINDOW),
            maxPunishTokens: PENALTY_WINDOW,
            penalty: params.repetitionPenalty,
            presencePenalty: params.presencePenalty,
            frequencyPenalty: params.frequencyPenalty,
          },
        }
      : {}),
    yieldEogToken: true,
  };
}

const emptyBiases = new WeakMap<LlamaModel, TokenBias>();

function noBias(model: LlamaModel): TokenBias {
  let bias = emptyBiases.get(model);
  if (!bias) {
    bias = new TokenBias(model.tokenizer);
    emptyBiases.set(model, bias);
  }
  return bias;
}
