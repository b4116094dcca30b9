/**
 * `POST /v1/completions`: every prompt gets `n` choices (index = prompt × n + choice), answered
 * as one `text_completion` or streamed; `echo` puts the prompt text in front of each choice.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationEvent, LlmModel, LlmPrompt, LlmUsage } from '../../core/llm/index.js';
import { sendOpenAiError, toOpenAiError } from './errors.js';
import { collectAll, forwardAll, startAll } from './generation-runner.js';
import type { OpenAiInference } from './inference.js';
import { abortOnClose, SseWriter } from './sse.js';
import { acquireOptions, sumUsage } from './translate-common.js';
import { completionChunkJson, completionFromWire, completionGenerateRequest, completionJson, completionUsageChunkJson, type CompletionCall } from './translate-completion.js';

function promptText(model: LlmModel, prompt: LlmPrompt): string {
  if (prompt.kind === 'text') return prompt.text;
  if (prompt.kind === 'tokens') return model.detokenize(prompt.tokens);
  return '';
}

/** Usage of all prompts: each prompt's tokens count once however many choices it has. */
function totalUsage(usages: readonly LlmUsage[], n: number): LlmUsage {
  const perPrompt: LlmUsage[] = [];
  for (let p = 0; p < usages.length; p += n) perPrompt.push(sumUsage(usages.slice(p, p + n)));
  return {
    promptTokens: perPrompt.reduce((s, u) => s + u.promptTokens, 0),
    completionTokens: perPrompt.reduce((s, u) => s + u.completionTokens, 0),
    cachedPromptTokens: perPrompt.reduce((s, u) => s + u.cachedPromptTokens, 0),
  };
}

async function streamCompletion(reply: FastifyReply, call: CompletionCall, echoes: readonly string[], id: string, created: number, streams: AsyncIterable<GenerationEvent>[], abort: AbortController): Promise<void> {
  const sse = new SseWriter(reply.raw);
  sse.open();
  const usages: LlmUsage[] = new Array(streams.length);
  const offsets = echoes.map((e) => e.length);
  const withUsage = call.includeUsage;
  try {
    for (let i = 0; i < streams.length; i++) {
      if (echoes[i]) await sse.send(completionChunkJson(id, call.model, created, i, { text: echoes[i]!, offset: 0 }, withUsage));
    }
    await forwardAll(streams, abort, async (index, e) => {
      if (e.type === 'text') {
        await sse.send(completionChunkJson(id, call.model, created, index, { text: e.text, offset: offsets[index]!, ...(e.logprobs ? { logprobs: e.logprobs } : {}) }, withUsage));
        offsets[index]! += e.text.length;
      } else if (e.type === 'done') {
        usages[index] = e.usage;
        await sse.send(completionChunkJson(id, call.model, created, index, { text: '', finishReason: e.finishReason, offset: offsets[index]! }, withUsage));
      }
    });
    if (withUsage) await sse.send(completionUsageChunkJson(id, call.model, created, totalUsage(usages, call.n)));
  } catch (err) {
    if (!sse.closed) await sse.send(toOpenAiError(err).body);
  }
  await sse.end();
}

async function handleCompletion(inference: OpenAiInference, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const abort = abortOnClose(reply.raw);
  const id = `cmpl-${randomUUID().replaceAll('-', '')}`;
  let call: CompletionCall;
  let streams: AsyncIterable<GenerationEvent>[];
  let echoes: string[];
  try {
    call = completionFromWire(request.body);
    const model = await inference.llmModel(call.model, acquireOptions(request.body));
    const requests = call.prompts.flatMap((prompt, p) => Array.from({ length: call.n }, (_, i) => completionGenerateRequest(call, id, prompt, p * call.n + i, abort.signal)));
    echoes = call.prompts.flatMap((prompt) => Array.from({ length: call.n }, () => (call.echo ? promptText(model, prompt) : '')));
    streams = await startAll(model, requests, abort);
  } catch (err) {
    await sendOpenAiError(reply, err);
    return;
  }
  const created = Math.floor(Date.now() / 1000);
  if (call.stream) {
    reply.hijack();
    await streamCompletion(reply, call, echoes, id, created, streams, abort);
    return;
  }
  try {
    const collected = await collectAll(streams, abort);
    const choices = collected.map((c, i) => ({ ...c, text: echoes[i]! + c.text, echoLength: echoes[i]!.length }));
    const usage = totalUsage(collected.map((c) => c.usage), call.n);
    await reply.type('application/json').send(JSON.stringify(completionJson(id, call.model, created, choices, usage)));
  } catch (err) {
    await sendOpenAiError(reply, err);
  }
}

/** Registers the text completions route on an OpenAI plugin instance. */
export function registerCompletionRoutes(app: FastifyInstance, inference: OpenAiInference): void {
  app.post('/completions', (request, reply) => handleCompletion(inference, request, reply));
}
