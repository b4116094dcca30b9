/**
 * The OpenAI API over raw HTTP: malformed input, client disconnects (cancellation frees the
 * sequence), overload (429 with Retry-After), NIM service endpoints, and UTF-8 safety of
 * streamed byte-fallback tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmFixture, type LlmFixture } from './llm-fixture.js';
import { openSse, postRaw } from './http-client.js';

let fixture: LlmFixture;

beforeAll(async () => {
  fixture = await startLlmFixture(
    [
      { name: 'tiny', gguf: { seed: 3 } },
      { name: 'single', gguf: { seed: 4 }, parameters: { max_sequences: '1' } },
    ],
    { maxQueue: 1 },
  );
});
afterAll(() => fixture?.close());

const url = (path: string) => `${fixture.baseUrl}${path}`;

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('malformed input', () => {
  it('answers malformed JSON, wrong shapes and unknown routes in OpenAI error shape', async () => {
    const bad = await postRaw(url('/v1/chat/completions'), '{"model": "tiny", "messages": [');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { type: 'invalid_request_error' } });
    const notObject = await postRaw(url('/v1/chat/completions'), '[1, 2]');
    expect(notObject.status).toBe(400);
    const noMessages = await postRaw(url('/v1/chat/completions'), { model: 'tiny', messages: [] });
    expect(noMessages.body).toMatchObject({ error: { param: 'messages', code: null } });
    const badRole = await postRaw(url('/v1/chat/completions'), { model: 'tiny', messages: [{ role: 'robot', content: 'x' }] });
    expect(badRole.body).toMatchObject({ error: { param: 'messages[0].role' } });
    const image = await postRaw(url('/v1/chat/completions'), { model: 'tiny', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] });
    expect(image.status).toBe(400);
    const unknown = await postRaw(url('/v1/nothing'), {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { message: expect.stringContaining('/v1/nothing') } });
    const regex = await postRaw(url('/v1/completions'), { model: 'tiny', prompt: 'x', guided_regex: 'a+' });
    expect(regex.body).toMatchObject({ error: { param: 'guided_regex' } });
  });
});

describe('cancellation', () => {
  it('frees the sequence within a step when the client disconnects mid-stream', async () => {
    const model = fixture.models.get('tiny')!;
    const before = model.stats().requestsFinished.aborted;
    const stream = await openSse(url('/v1/completions'), { model: 'tiny', prompt: 'Once upon a time', max_tokens: 400, ignore_eos: true, stream: true });
    expect(stream.status).toBe(200);
    for (let i = 0; i < 3; i++) expect(await stream.next()).toBeDefined();
    expect(model.stats().running).toBe(1);
    stream.request.destroy();
    await until(() => model.stats().running === 0);
    expect(model.stats().requestsFinished.aborted).toBe(before + 1);
    const steps = model.stats().stepsTotal;
    await new Promise((r) => setTimeout(r, 30));
    expect(model.stats().stepsTotal).toBe(steps);
  });
});

describe('overload', () => {
  it('answers 429 with Retry-After when the waiting queue is full', async () => {
    const body = { model: 'single', prompt: 'Once upon a time', max_tokens: 300, ignore_eos: true, stream: true };
    const opened = await Promise.all([0, 1, 2, 3].map(() => openSse(url('/v1/completions'), body)));
    const rejected = opened.filter((s) => s.status === 429);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected[0]!.headers['retry-after']).toBe('1');
    const error = JSON.parse(await rejected[0]!.text());
    expect(error).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    for (const s of opened.filter((o) => o.status === 200)) {
      let last: string | undefined;
      for (let e = await s.next(); e !== undefined; e = await s.next()) last = e;
      expect(last).toBe('[DONE]');
    }
  });
});

describe('NIM service endpoints', () => {
  it('reports live, ready, version and metadata', async () => {
    expect((await postRaw(url('/v1/health/live'), '', 'GET')).status).toBe(200);
    const ready = await postRaw(url('/v1/health/ready'), '', 'GET');
    expect(ready.status).toBe(200);
    expect((await postRaw(url('/v1/version'), '', 'GET')).body).toEqual({ release: '0.1.0-test', api: '1.0.0' });
    const meta = (await postRaw(url('/v1/metadata'), '', 'GET')).body as { models: { name: string; context_length: number; parameters: Record<string, string> }[]; engine: unknown };
    expect(meta.models.map((m) => m.name)).toEqual(['tiny', 'single']);
    expect(meta.models[0]).toMatchObject({ context_length: 512, parameters: { max_sequences: '4' } });
    expect(meta.engine).toMatchObject({ name: 'llama.cpp' });
  });
});

describe('UTF-8 safety', () => {
  it('never splits a character built from byte-fallback tokens across stream events', async () => {
    const stream = await openSse(url('/v1/completions'), { model: 'tiny', prompt: 'x', max_tokens: 12, temperature: 0, stream: true, guided_grammar: 'root ::= "é€"+' });
    let text = '';
    for (let e = await stream.next(); e !== undefined && e !== '[DONE]'; e = await stream.next()) {
      const piece = (JSON.parse(e) as { choices: { text: string }[] }).choices[0]?.text ?? '';
      expect(piece).not.toContain('\uFFFD');
      text += piece;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(text).toMatch(/^(é€)*(é)?$/);
  });
});
