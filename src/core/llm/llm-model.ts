/**
 * The core's LlmModel: one model version's iterative instances behind a continuous batcher.
 * Requests are resolved (prompt, limits, constraint) before they are queued, so every request
 * error is known before a front-end starts a response; generation events are then adapted from
 * the batcher's per-token stream. Embeddings bypass the batcher and run on the instances directly.
 */
import type { ModelConfig } from '../../config/model-config.js';
import type { BackendLogger, IterativeInstance } from '../../backends/backend.js';
import { InferError } from '../errors.js';
import type { LlmMetricsHub, LlmRequestRecorder, LlmStatsSnapshot } from '../metrics/llm-metrics.js';
import { ContinuousBatcher } from '../scheduling/continuous-batcher.js';
import { ChatTemplate } from './chat-template.js';
import { generationEvents } from './generation-stream.js';
import { badParam } from './llm-errors.js';
import { prepareRequest, promptTokens } from './prepare-request.js';
import type { EmbeddingResult, GenerateRequest, GenerationEvent, LlmModel, LlmModelInfo, LlmStats } from './types.js';

/** What the core hands `createLlmModel` once a model version's instances exist. */
export interface CreateLlmModelOptions {
  readonly name: string;
  readonly version: number;
  /** The loaded (auto-completed) config; its `parameters` carry the backend's settings. */
  readonly config: ModelConfig;
  readonly instances: readonly IterativeInstance[];
  /** Requests that may wait for a sequence before new ones get RATE_LIMITED. */
  readonly maxQueue: number;
  readonly log: BackendLogger;
  /** Where the model reports NIM/vLLM metrics; none when metrics are off. */
  readonly metrics?: LlmMetricsHub;
}

function stringParameters(config: ModelConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.parameters ?? {})) if (k !== 'chat_template') out[k] = v.string_value;
  return out;
}

function positiveIntParameter(config: ModelConfig, key: string): number | undefined {
  const raw = config.parameters?.[key]?.string_value;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

class BatchedLlmModel implements LlmModel {
  readonly info: LlmModelInfo;
  private readonly batcher?: ContinuousBatcher;
  private readonly primary: IterativeInstance;
  private template?: ChatTemplate;
  private nextEmbedder = 0;
  private draining = false;
  private readonly recorder?: LlmRequestRecorder;

  constructor(private readonly options: CreateLlmModelOptions) {
    const primary = options.instances[0];
    if (!primary) throw new Error(`LLM '${options.name}' has no instances`);
    this.primary = primary;
    const maxSequences = options.instances.reduce((n, i) => n + i.maxSequences, 0);
    const prefill = positiveIntParameter(options.config, 'prefill_chunk');
    if (maxSequences > 0) {
      this.batcher = new ContinuousBatcher({
        instances: options.instances,
        maxQueue: options.maxQueue,
        log: options.log,
        ...(prefill ? { maxPrefillChunk: prefill } : {}),
      });
    }
    this.info = {
      name: options.name,
      version: options.version,
      contextLength: primary.contextSize,
      maxSequences,
      vocabSize: primary.vocabulary.size,
      embeddingSize: primary.embeddingSize,
      ownedBy: options.config.parameters?.owned_by?.string_value || 'inferd',
      created: Math.floor(Date.now() / 1000),
      parameters: stringParameters(options.config),
    };
    this.recorder = options.metrics?.register({ modelName: options.name, snapshot: () => metricsSnapshot(this.stats()) });
  }

  private chatTemplate(): ChatTemplate {
    if (!this.template) {
      const v = this.primary.vocabulary;
      try {
        this.template = new ChatTemplate(v.chatTemplate, {
          bos: v.bos !== undefined ? v.text(v.bos) : '',
          eos: v.eos !== undefined ? v.text(v.eos) : '',
        });
      } catch (err) {
        throw new InferError('INTERNAL', `the model's chat template does not parse: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return this.template;
  }

  async generate(request: GenerateRequest): Promise<AsyncIterable<GenerationEvent>> {
    if (!this.batcher) throw new InferError('UNSUPPORTED', `model '${this.info.name}' only serves embeddings`);
    if (this.draining) throw new InferError('UNAVAILABLE', `model '${this.info.name}' is shutting down`);
    const arrival = performance.now();
    const prepared = await prepareRequest(this.primary, request, () => this.chatTemplate());
    const events = this.batcher.submit(prepared.sequence);
    const generated = generationEvents(events, this.primary.vocabulary, prepared.handling);
    return this.recorder ? observed(generated, arrival, this.recorder) : generated;
  }

  async embed(inputs: readonly (string | readonly number[])[], signal?: AbortSignal): Promise<EmbeddingResult> {
    if (this.info.embeddingSize === 0) throw new InferError('UNSUPPORTED', `model '${this.info.name}' cannot embed`);
    if (this.draining) throw new InferError('UNAVAILABLE', `model '${this.info.name}' is shutting down`);
    const tokenized = inputs.map((input, i) => {
      const tokens = typeof input === 'string' ? promptTokens(this.primary, input) : [...input];
      if (tokens.length === 0) throw badParam(`input ${i} is empty`, 'input');
      if (tokens.length > this.info.contextLength) throw badParam(`input ${i} has ${tokens.length} tokens; the limit is ${this.info.contextLength}`, 'input', 'context_length_exceeded');
      if (tokens.some((t) => !Number.isInteger(t) || t < 0 || t >= this.info.vocabSize)) throw badParam(`input ${i} has a token id outside the vocabulary`, 'input');
      return tokens;
    });
    const vectors: Float32Array[] = [];
    for (const tokens of tokenized) {
      if (signal?.aborted) throw new InferError('CANCELLED', 'request cancelled');
      const instance = this.options.instances[this.nextEmbedder++ % this.options.instances.length]!;
      vectors.push(await instance.embed(tokens));
    }
    return { vectors, promptTokens: tokenized.reduce((n, t) => n + t.length, 0) };
  }

  tokenize(text: string): number[] {
    return promptTokens(this.primary, text);
  }

  detokenize(tokens: readonly number[]): string {
    const decoder = new TextDecoder('utf-8');
    let text = '';
    for (const t of tokens) text += decoder.decode(this.primary.vocabulary.piece(t), { stream: true });
    return text + decoder.decode();
  }

  stats(): LlmStats {
    const s = this.batcher?.snapshot();
    return {
      running: s?.running ?? 0,
      waiting: s?.waiting ?? 0,
      maxSequences: this.info.maxSequences,
      maxQueue: this.options.maxQueue,
      kvCacheUsage: s && s.totalCells > 0 ? s.usedCells / s.totalCells : 0,
      prefixCacheHits: s?.prefixCacheHits ?? 0,
      prefixCachedTokens: s?.prefixCachedTokens ?? 0,
      promptTokensTotal: s?.promptTokensTotal ?? 0,
      generationTokensTotal: s?.generationTokensTotal ?? 0,
      requestsFinished: {
        stop: s?.finished.stop ?? 0,
        length: s?.finished.length ?? 0,
        aborted: s?.finished.aborted ?? 0,
        error: s?.finished.error ?? 0,
      },
      stepsTotal: s?.steps ?? 0,
    };
  }

  async drain(): Promise<void> {
    this.draining = true;
    await this.batcher?.drain();
  }

  async close(): Promise<void> {
    this.draining = true;
    this.recorder?.unregister();
    await this.batcher?.close();
  }
}

function metricsSnapshot(s: LlmStats): LlmStatsSnapshot {
  return {
    running: s.running,
    waiting: s.waiting,
    maxRequests: s.maxSequences,
    kvCacheUsage: s.kvCacheUsage,
    promptTokens: s.promptTokensTotal,
    generationTokens: s.generationTokensTotal,
    successByReason: { stop: s.requestsFinished.stop, length: s.requestsFinished.length, abort: s.requestsFinished.aborted },
    failures: s.requestsFinished.error,
    prefixCacheQueries: s.promptTokensTotal,
    prefixCacheHits: s.prefixCachedTokens,
  };
}

/** Passes `events` through, timing the streamed pieces; a finished request is observed once. */
async function* observed(events: AsyncIterable<GenerationEvent>, arrival: number, recorder: LlmRequestRecorder): AsyncIterable<GenerationEvent> {
  let first: number | undefined;
  let last = 0;
  const gaps: number[] = [];
  for await (const event of events) {
    if (event.type === 'text' && event.text.length > 0) {
      const now = performance.now();
      if (first === undefined) first = now;
      else gaps.push((now - last) / 1000);
      last = now;
    } else if (event.type === 'done') {
      recorder.observe({
        ...(first !== undefined ? { timeToFirstTokenSeconds: (first - arrival) / 1000 } : {}),
        interTokenSeconds: gaps,
        e2eSeconds: (performance.now() - arrival) / 1000,
        promptTokens: event.usage.promptTokens,
        generationTokens: event.usage.completionTokens,
      });
    }
    yield event;
  }
}

/** Builds the LlmModel of one model version over its iterative instances (the caller still owns and disposes them). */
export function createLlmModel(options: CreateLlmModelOptions): LlmModel {
  return new BatchedLlmModel(options);
}
