/**
 * A scripted LlmModel for front-end tests that need no engine: it "generates" the words of a
 * fixed reply (one text event per word), honours max_tokens and abort, and records requests.
 */
import { InferError } from '../../src/core/errors.js';
import type { EmbeddingResult, GenerateRequest, GenerationEvent, LlmModel, LlmModelInfo, LlmStats } from '../../src/core/llm/index.js';

/** The fake model; `requests` holds every GenerateRequest it received. */
export class FakeLlmModel implements LlmModel {
  readonly requests: GenerateRequest[] = [];
  readonly info: LlmModelInfo;

  constructor(
    name: string,
    private readonly reply = 'one two three four five',
  ) {
    this.info = { name, version: 1, contextLength: 128, maxSequences: 2, vocabSize: 100, embeddingSize: 3, ownedBy: 'test', created: 1, parameters: {} };
  }

  async generate(request: GenerateRequest): Promise<AsyncIterable<GenerationEvent>> {
    if (request.prompt.kind === 'text' && request.prompt.text === 'overload') throw new InferError('RATE_LIMITED', 'queue full');
    this.requests.push(request);
    const words = this.reply.split(' ').map((w, i) => (i === 0 ? w : ` ${w}`));
    const limit = request.maxTokens ?? words.length;
    const promptTokens = request.prompt.kind === 'text' ? request.prompt.text.split(' ').length : 1;
    return (async function* () {
      let n = 0;
      for (const w of words.slice(0, limit)) {
        if (request.signal.aborted) throw new InferError('CANCELLED', 'request cancelled');
        n++;
        yield { type: 'text', text: w } satisfies GenerationEvent;
        await new Promise((r) => setImmediate(r));
      }
      yield { type: 'done', finishReason: n < words.length ? 'length' : 'stop', usage: { promptTokens, completionTokens: n, cachedPromptTokens: 0 } } satisfies GenerationEvent;
    })();
  }

  async embed(inputs: readonly (string | readonly number[])[]): Promise<EmbeddingResult> {
    return { vectors: inputs.map((_, i) => Float32Array.of(i, 0.5, -1)), promptTokens: inputs.length };
  }

  tokenize(text: string): number[] {
    return text.split(' ').map((_, i) => i + 1);
  }

  detokenize(tokens: readonly number[]): string {
    return tokens.join(' ');
  }

  stats(): LlmStats {
    return { running: 0, waiting: 0, maxSequences: 2, maxQueue: 1, kvCacheUsage: 0, prefixCacheHits: 0, prefixCachedTokens: 0, promptTokensTotal: 0, generationTokensTotal: 0, requestsFinished: { stop: 0, length: 0, aborted: 0, error: 0 }, stepsTotal: 0 };
  }

  async drain(): Promise<void> {}
  async close(): Promise<void> {}
}
