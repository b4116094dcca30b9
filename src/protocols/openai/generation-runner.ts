/**
 * Runs the choices of one request (n per prompt) against an LlmModel: all start before any byte
 * is sent, so a 400/429 still gets its status; then results are collected (plain responses) or
 * forwarded event by event (streams). One AbortController covers every choice: a client that
 * goes away, or one failing choice, stops them all.
 */
import type { GenerateRequest, GenerationEvent, LlmModel, LlmUsage, TokenLogprob, ChatToolCall, FinishReason } from '../../core/llm/index.js';

/** Everything one choice produced. */
export interface CollectedChoice {
  text: string;
  toolCalls?: readonly ChatToolCall[];
  finishReason: FinishReason;
  logprobs?: TokenLogprob[];
  usage: LlmUsage;
}

/** Starts every request; on any failure aborts the started ones and rethrows. */
export async function startAll(model: LlmModel, requests: readonly GenerateRequest[], abort: AbortController): Promise<AsyncIterable<GenerationEvent>[]> {
  const started: AsyncIterable<GenerationEvent>[] = [];
  try {
    for (const r of requests) started.push(await model.generate(r));
    return started;
  } catch (err) {
    abort.abort();
    throw err;
  }
}

/** Drains one choice's events into its final result. */
export async function collect(events: AsyncIterable<GenerationEvent>): Promise<CollectedChoice> {
  const out: CollectedChoice = { text: '', finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0 } };
  for await (const e of events) {
    if (e.type === 'text') {
      out.text += e.text;
      if (e.logprobs) (out.logprobs ??= []).push(...e.logprobs);
    } else if (e.type === 'tool_calls') out.toolCalls = e.calls;
    else {
      out.finishReason = e.finishReason;
      out.usage = e.usage;
    }
  }
  return out;
}

/** Collects every choice concurrently; the first failure aborts the rest. */
export async function collectAll(streams: readonly AsyncIterable<GenerationEvent>[], abort: AbortController): Promise<CollectedChoice[]> {
  try {
    return await Promise.all(streams.map(collect));
  } catch (err) {
    abort.abort();
    throw err;
  }
}

/** Forwards every choice's events (interleaved as they come) to `onEvent`; the first failure aborts the rest. */
export async function forwardAll(
  streams: readonly AsyncIterable<GenerationEvent>[],
  abort: AbortController,
  onEvent: (index: number, event: GenerationEvent) => Promise<void>,
): Promise<void> {
  try {
    await Promise.all(
      streams.map(async (events, index) => {
        for await (const e of events) {
          if (abort.signal.aborted) break;
          await onEvent(index, e);
        }
      }),
    );
  } catch (err) {
    abort.abort();
    throw err;
  }
}
