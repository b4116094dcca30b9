/**
 * Fuzzes OpenAI request validation over real HTTP against a tiny generated GGUF model: random
 * JSON, raw text, and valid chat/completion requests with fuzzed fields. Each answer is a 200
 * (the request happened to be valid) or a 4xx in OpenAI's error shape; never a 5xx or a hang.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmFixture, type LlmFixture } from '../llm/llm-fixture.js';
import { NUM_RUNS } from './support/fuzz-server.js';

/** Generation is real work: a valid fuzzed request may decode up to its max_tokens. */
const OPENAI_TIMEOUT_MS = 15_000;

let fixture: LlmFixture;
beforeAll(async () => {
  fixture = await startLlmFixture([{ name: 'tiny', gguf: { seed: 11 }, parameters: { context_size: '256', max_sequences: '4' } }], { maxQueue: 8 });
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

async function post(path: string, body: string): Promise<Answer> {
  const res = await fetch(`${fixture.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(OPENAI_TIMEOUT_MS),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** 200, or a 4xx whose body is `{"error": {"message", "type", "param", "code"}}`. */
function expectOpenAiOutcome(answer: Answer, what: string): void {
  if (answer.status >= 500) throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status === 200) return;
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  const body = JSON.parse(answer.text) as { error?: Record<string, unknown> };
  expect(body.error, `${what}: ${answer.text.slice(0, 200)}`).toBeDefined();
  expect(typeof body.error!['message']).toBe('string');
  expect(typeof body.error!['type']).toBe('string');
  expect(body.error!['param'] === null || typeof body.error!['param'] === 'string').toBe(true);
  expect(body.error!['code'] === null || typeof body.error!['code'] === 'string').toBe(true);
}

/** Values that stress field validation. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer({ min: -3, max: 8 }),
  fc.constantFrom(0, -1, 1e9, 2 ** 53, 1.5, '', 'tiny', null, true, [], {}, ['a', 'b'], { type: 'json_object' }, { type: 'json_schema', json_schema: { schema: { type: 'object' } } }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const CHAT_FIELDS = [
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'n', 'stop', 'stream', 'stream_options',
  'logprobs', 'top_logprobs', 'response_format', 'tools', 'tool_choice', 'seed', 'presence_penalty', 'frequency_penalty', 'repetition_penalty',
  'logit_bias', 'user', 'min_tokens', 'ignore_eos', 'nvext', 'guided_json', 'guided_regex', 'guided_choice', 'priority',
] as const;
const COMPLETION_FIELDS = [
  'model', 'prompt', 'max_tokens', 'temperature', 'top_p', 'n', 'stop', 'stream', 'stream_options', 'logprobs', 'echo', 'suffix', 'best_of',
  'seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'min_tokens', 'ignore_eos',
] as const;

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool', 'developer'), fc.string({ maxLength: 6 })),
    content: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'x'), text: fc.string({ maxLength: 8 }) }), { maxLength: 2 }), fieldValue),
    name: fc.string({ maxLength: 6 }),
    tool_calls: fieldValue,
    tool_call_id: fc.string({ maxLength: 6 }),
  },
  { requiredKeys: ['role'] },
);

/** A valid request with up to three fields replaced (or removed) by fuzzed values. */
function mutated(base: Record<string, unknown>, fields: readonly string[], extra: Record<string, fc.Arbitrary<unknown>> = {}) {
  const change = fc.tuple(fc.constantFrom(...fields), fc.option(fc.oneof(fieldValue, ...(Object.values(extra) as fc.Arbitrary<unknown>[])), { freq: 6 }));
  return fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => {
    const body: Record<string, unknown> = { ...base };
    for (const [field, value] of changes) {
      if (value === null) delete body[field];
      else body[field] = value;
    }
    return body;
  });
}

const chatBody = mutated({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }, CHAT_FIELDS, { messages: fc.array(message, { maxLength: 3 }) });
const completionBody = mutated({ model: 'tiny', prompt: 'Once', max_tokens: 2 }, COMPLETION_FIELDS, {
  prompt: fc.oneof(fc.array(fc.integer({ min: -5, max: 100_000 }), { maxLength: 6 }), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 })),
});

describe('OpenAI request validation (fuzzed over HTTP)', () => {
  for (const [path, arb] of [['/v1/chat/completions', chatBody], ['/v1/completions', completionBody]] as const) {
    it(`${path}: fuzzed fields give 200 or an OpenAI-shaped 4xx, and both outcomes occur`, async () => {
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(arb, async (body) => {
          const answer = await post(path, JSON.stringify(body));
          expectOpenAiOutcome(answer, `${path} ${JSON.stringify(body).slice(0, 300)}`);
          seen.add(answer.status);
        }),
        { numRuns: NUM_RUNS },
      );
      expect(seen.has(200)).toBe(true);
      expect(seen.has(400)).toBe(true);
    }, 60_000);
  }

  it('arbitrary JSON and raw text bodies get an OpenAI-shaped 4xx', async () => {
    const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ unit: 'binary', maxLength: 80 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/chat/completions', '/v1/completions'), body, async (path, text) => {
        const answer = await post(path, text);
        expectOpenAiOutcome(answer, `${path} ${JSON.stringify(text.slice(0, 200))}`);
        expect(answer.status).not.toBe(200);
      }),
      { numRuns: NUM_RUNS },
    );
    const ok = await post('/v1/completions', JSON.stringify({ model: 'tiny', prompt: 'Once', max_tokens: 2 }));
    expect(ok.status).toBe(200);
  });
});
