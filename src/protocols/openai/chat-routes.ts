/**
 * `POST /v1/chat/completions`: validates, starts every choice, then answers one
 * `chat.completion` or streams `chat.completion.chunk` events ending with `data: [DONE]`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationEvent, LlmUsage } from '../../core/llm/index.js';
import { sendOpenAiError, toOpenAiError } from './errors.js';
import { collectAll, forwardAll, startAll } from './generation-runner.js';
import type { OpenAiInference } from './inference.js';
import { abortOnClose, SseWriter } from './sse.js';
import { chatChunkJson, chatCompletionJson, chatFromWire, chatGenerateRequest, chatUsageChunkJson, type ChatCall } from './translate-chat.js';
import { acquireOptions, sumUsage } from './translate-common.js';

async function streamChat(reply: FastifyReply, call: ChatCall, id: string, created: number, streams: AsyncIterable<GenerationEvent>[], abort: AbortController): Promise<void> {
  const sse = new SseWriter(reply.raw);
  sse.open();
  const usages: LlmUsage[] = [];
  const withUsage = call.includeUsage;
  for (let i = 0; i < streams.length; i++) await sse.send(chatChunkJson(id, call.model, created, i, { kind: 'role' }, withUsage));
  try {
    await forwardAll(streams, abort, async (index, e) => {
      if (e.type === 'text') await sse.send(chatChunkJson(id, call.model, created, index, { kind: 'text', text: e.text, ...(e.logprobs ? { logprobs: e.logprobs } : {}) }, withUsage));
      else if (e.type === 'tool_calls') await sse.send(chatChunkJson(id, call.model, created, index, { kind: 'tool_calls', calls: e.calls }, withUsage));
      else {
        usages.push(e.usage);
        await sse.send(chatChunkJson(id, call.model, created, index, { kind: 'finish', reason: e.finishReason }, withUsage));
      }
    });
    if (withUsage) await sse.send(chatUsageChunkJson(id, call.model, created, sumUsage(usages)));
  } catch (err) {
    if (!sse.closed) await sse.send(toOpenAiError(err).body);
  }
  await sse.end();
}

async function handleChat(inference: OpenAiInference, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const abort = abortOnClose(reply.raw);
  let streams: AsyncIterable<GenerationEvent>[];
  let call: ChatCall;
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  try {
    call = chatFromWire(request.body);
    const model = await inference.llmModel(call.model, acquireOptions(request.body));
    const requests = Array.from({ length: call.n }, (_, i) => chatGenerateRequest(call, id, i, abort.signal));
    streams = await startAll(model, requests, abort);
  } catch (err) {
    await sendOpenAiError(reply, err);
    return;
  }
  const created = Math.floor(Date.now() / 1000);
  if (call.stream) {
    reply.hijack();
    await streamChat(reply, call, id, created, streams, abort);
    return;
  }
  try {
    const choices = await collectAll(streams, abort);
    const usage = sumUsage(choices.map((c) => c.usage));
    await reply.type('application/json').send(JSON.stringify(chatCompletionJson(id, call.model, created, choices, usage)));
  } catch (err) {
    await sendOpenAiError(reply, err);
  }
}

/** Registers the chat completions route on an OpenAI plugin instance. */
export function registerChatRoutes(app: FastifyInstance, inference: OpenAiInference): void {
  app.post('/chat/completions', (request, reply) => handleChat(inference, request, reply));
}
