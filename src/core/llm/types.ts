/**
 * The core's LLM surface: what front-ends (OpenAI, KServe generate) call through the facade's
 * `llmModel(name)`. No engine and no wire format appears here; every failure is an InferError
 * (INVALID_ARGUMENT for bad requests, RATE_LIMITED when the waiting queue is full, CANCELLED when
 * the request's signal aborted, UNAVAILABLE while draining).
 */

/** Chat roles; `developer` is OpenAI's newer name for `system`. */
export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** A function call the assistant made. `arguments` is JSON text, as OpenAI carries it. */
export interface ChatToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** One chat message with text content (text parts already joined by the front-end). */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  readonly name?: string;
  /** Calls an assistant message made. */
  readonly toolCalls?: readonly ChatToolCall[];
  /** For `tool` messages: the call this message answers. */
  readonly toolCallId?: string;
}

/** A function the model may call; `parameters` is a JSON schema for its arguments. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** OpenAI's tool_choice: never, model's choice, at least one call, or one named function. */
export type ToolChoice = 'none' | 'auto' | 'required' | { readonly name: string };

/** The prompt: raw text, token ids, or chat messages rendered with the model's chat template. */
export type LlmPrompt =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'tokens'; readonly tokens: readonly number[] }
  | {
      readonly kind: 'chat';
      readonly messages: readonly ChatMessage[];
      readonly tools?: readonly ToolDefinition[];
      readonly toolChoice?: ToolChoice;
    };

/** Constrains output by grammar; JSON results are validated again after parsing. */
export type OutputConstraint =
  | { readonly kind: 'json_object' }
  | { readonly kind: 'json_schema'; readonly schema: Readonly<Record<string, unknown>> }
  | { readonly kind: 'grammar'; readonly gbnf: string }
  | { readonly kind: 'choice'; readonly choices: readonly string[] };

/** Sampling settings with OpenAI/vLLM meaning; the front-end fills defaults. */
export interface LlmSampling {
  /** 0 means greedy. */
  readonly temperature: number;
  readonly topP: number;
  /** 0 or less means no top-k cut. */
  readonly topK: number;
  readonly minP: number;
  readonly seed?: number;
  /** Multiplicative penalty; 1 disables. */
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  /** Token id → additive logit bias (OpenAI's -100..100; -100 bans). */
  readonly logitBias: ReadonlyMap<number, number>;
}

/** One generation request, already validated at the edge. */
export interface GenerateRequest {
  /** For logs only. */
  readonly id: string;
  readonly prompt: LlmPrompt;
  readonly sampling: LlmSampling;
  /** Most tokens to generate; absent means until the context is full. */
  readonly maxTokens?: number;
  /** End-of-generation tokens are suppressed until this many tokens were generated. */
  readonly minTokens: number;
  /** Keeps generating through end-of-generation tokens. */
  readonly ignoreEos: boolean;
  /** Stop strings; the output ends before the first one and never contains it. */
  readonly stop: readonly string[];
  readonly constraint?: OutputConstraint;
  /** Alternatives per token to report; absent reports no log-probabilities. */
  readonly logprobs?: number;
  /** Lower values are served first (vLLM's convention); FCFS within one value. */
  readonly priority: number;
  readonly signal: AbortSignal;
}

/** Why a generation ended. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** A generated token with its log-probability and alternatives (natural log). */
export interface TokenLogprob {
  readonly token: number;
  /** The token's text (lossy for tokens that are part of a UTF-8 character). */
  readonly text: string;
  readonly bytes: readonly number[];
  readonly logprob: number;
  readonly top: readonly { readonly token: number; readonly text: string; readonly bytes: readonly number[]; readonly logprob: number }[];
}

/** Token counts of one request. */
export interface LlmUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Prompt tokens served from a reused KV-cache prefix. */
  readonly cachedPromptTokens: number;
}

/** One event of a generation stream: text, tool calls, or the end (always last). */
export type GenerationEvent =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'tool_calls'; readonly calls: readonly ChatToolCall[] }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: LlmUsage };

/** Embedding vectors with the tokens they consumed. */
export interface EmbeddingResult {
  readonly vectors: readonly Float32Array[];
  readonly promptTokens: number;
}

/** Static facts about a served LLM. */
export interface LlmModelInfo {
  readonly name: string;
  readonly version: number;
  /** Tokens one sequence holds (prompt plus output). */
  readonly contextLength: number;
  readonly maxSequences: number;
  readonly vocabSize: number;
  /** 0 when the model cannot embed. */
  readonly embeddingSize: number;
  readonly ownedBy: string;
  /** Unix seconds when the model was loaded. */
  readonly created: number;
  /** Settings worth showing in metadata endpoints (context size, batch size, threads, ...). */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Live scheduler figures, for metrics and health. */
export interface LlmStats {
  readonly running: number;
  readonly waiting: number;
  readonly maxSequences: number;
  readonly maxQueue: number;
  /** Fraction (0..1) of KV-cache cells holding tokens, running or cached for reuse. */
  readonly kvCacheUsage: number;
  /** Requests that reused a cached prefix, and the prompt tokens that saved. */
  readonly prefixCacheHits: number;
  readonly prefixCachedTokens: number;
  readonly promptTokensTotal: number;
  readonly generationTokensTotal: number;
  /** Requests ended by the batcher, by reason (tool calls count as `stop`: they end on a stop). */
  readonly requestsFinished: Readonly<Record<'stop' | 'length' | 'aborted' | 'error', number>>;
  readonly stepsTotal: number;
}

/**
 * A loaded LLM. `generate` resolves once the request is validated and queued (so front-ends can
 * still answer 400/429 with a status) and yields events until `done`; breaking out of the
 * iteration or aborting the request's signal frees its sequence within one step.
 */
export interface LlmModel {
  readonly info: LlmModelInfo;
  generate(request: GenerateRequest): Promise<AsyncIterable<GenerationEvent>>;
  /** Embeds each input (text or token ids); INVALID_ARGUMENT for inputs longer than the context. */
  embed(inputs: readonly (string | readonly number[])[], signal?: AbortSignal): Promise<EmbeddingResult>;
  /** Token ids of `text` as a prompt would start (with BOS when the model adds it). */
  tokenize(text: string): number[];
  /** Text of token ids (lossy where they split a UTF-8 character). */
  detokenize(tokens: readonly number[]): string;
  stats(): LlmStats;
  /** Stops admitting requests (UNAVAILABLE) and resolves when running and queued ones finished. */
  drain(): Promise<void>;
  /** Fails everything queued or running and stops the batcher; the caller then disposes the instances. */
  close(): Promise<void>;
}
