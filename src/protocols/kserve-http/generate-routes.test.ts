import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import { FakeLlmModel } from '../../../test/llm/fake-llm-model.js';
import { generateFromWire } from './generate-request.js';
import { generateRoutes } from './generate-routes.js';

const model = new FakeLlmModel('llm');
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  await app.register(generateRoutes, {
    inference: {
      llmModel: async (name: string) => {
        if (name !== 'llm') throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' is not found`);
        return model;
      },
    },
  });
});
afterAll(() => app.close());

describe('generate extension routes', () => {
  it('answers the whole text_output', async () => {
    const res = await app.inject({ method: 'POST', url: '/v2/models/llm/generate', payload: { text_input: 'Hi there', parameters: { max_tokens: 3, temperature: 0 } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ model_name: 'llm', model_version: '1', text_output: 'one two three', finish_reason: 'length' });
    expect(model.requests.at(-1)).toMatchObject({ prompt: { kind: 'text', text: 'Hi there' }, maxTokens: 3, sampling: { temperature: 0 } });
  });

  it("reads a body sent without a JSON content type, as Triton's curl examples send it", async () => {
    const body = JSON.stringify({ text_input: 'Hi there', max_tokens: 3 });
    const res = await app.inject({ method: 'POST', url: '/v2/models/llm/generate', payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ text_output: 'one two three' });
    const bad = await app.inject({ method: 'POST', url: '/v2/models/llm/generate', payload: 'text_input=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.statusCode).toBe(400);
  });

  it('streams one SSE event per delta, with a version in the path', async () => {
    const res = await app.inject({ method: 'POST', url: '/v2/models/llm/versions/1/generate_stream', payload: { text_input: 'Hi', max_tokens: 2 } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = res.body.split('\n\n').filter(Boolean).map((b) => JSON.parse(b.replace(/^data: /, '')));
    expect(events.map((e) => e.text_output)).toEqual(['one', ' two', '']);
    expect(events.at(-1).finish_reason).toBe('length');
  });

  it('answers errors in Triton shape with the catalogue status', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/v2/models/nope/generate', payload: { text_input: 'x' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: "Request for unknown model: 'nope' is not found" });
    const wrongVersion = await app.inject({ method: 'POST', url: '/v2/models/llm/versions/7/generate', payload: { text_input: 'x' } });
    expect(wrongVersion.statusCode).toBe(404);
    const noText = await app.inject({ method: 'POST', url: '/v2/models/llm/generate', payload: { prompt: 'x' } });
    expect(noText.statusCode).toBe(400);
    const busy = await app.inject({ method: 'POST', url: '/v2/models/llm/generate_stream', payload: { text_input: 'overload' } });
    expect(busy.statusCode).toBe(429);
    const streamOnPlain = await app.inject({ method: 'POST', url: '/v2/models/llm/generate', payload: { text_input: 'x', stream: true } });
    expect(streamOnPlain.statusCode).toBe(400);
  });
});

describe('generateFromWire', () => {
  it('merges sampling_parameters, parameters and top-level keys, later ones winning', () => {
    const call = generateFromWire({ text_input: ['hi'], sampling_parameters: '{"temperature": 0.5, "top_k": 5}', parameters: { temperature: 0.2, stop: 'x' }, max_tokens: [7], exclude_input_in_output: false }, 'id');
    expect(call.text).toBe('hi');
    expect(call.excludeInput).toBe(false);
    expect(call.request).toMatchObject({ maxTokens: 7, stop: ['x'], sampling: { temperature: 0.2, topK: 5 } });
  });

  it('rejects out-of-range and mistyped settings', () => {
    expect(() => generateFromWire({ text_input: 'x', max_tokens: 0 }, 'id')).toThrow(/max_tokens/);
    expect(() => generateFromWire({ text_input: 'x', temperature: 'hot' }, 'id')).toThrow(/temperature/);
    expect(() => generateFromWire({ text_input: 'x', sampling_parameters: '{' }, 'id')).toThrow(/sampling_parameters/);
    expect(() => generateFromWire('x', 'id')).toThrow(/JSON object/);
  });
});
