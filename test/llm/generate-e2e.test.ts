/**
 * Triton's generate extension end to end: the KServe generate routes over a generated llamacpp
 * model, plain and streamed, agree with each other and with the OpenAI completions route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRoutes } from '../../src/protocols/kserve-http/generate-routes.js';
import { openSse, postRaw } from './http-client.js';
import { startLlmFixture, type LlmFixture } from './llm-fixture.js';

let fixture: LlmFixture;
beforeAll(async () => {
  fixture = await startLlmFixture([{ name: 'tiny', gguf: { seed: 5 } }], {
    extraRoutes: async (app, inference) => {
      await app.register(generateRoutes, { inference });
    },
  });
});
afterAll(() => fixture?.close());

describe('generate extension over a llamacpp model', () => {
  it('answers, streams and matches the OpenAI completion of the same prompt', async () => {
    const body = { text_input: 'Once upon a time', parameters: { max_tokens: 10, temperature: 0, ignore_eos: true } };
    const plain = await postRaw(`${fixture.baseUrl}/v2/models/tiny/generate`, body);
    expect(plain.status).toBe(200);
    const out = plain.body as { model_name: string; model_version: string; text_output: string; finish_reason: string };
    expect(out).toMatchObject({ model_name: 'tiny', model_version: '1', finish_reason: 'length' });
    const stream = await openSse(`${fixture.baseUrl}/v2/models/tiny/generate_stream`, body);
    let text = '';
    for (let e = await stream.next(); e !== undefined; e = await stream.next()) text += (JSON.parse(e) as { text_output: string }).text_output;
    expect(text).toBe(out.text_output);
    const openai = await postRaw(`${fixture.baseUrl}/v1/completions`, { model: 'tiny', prompt: 'Once upon a time', max_tokens: 10, temperature: 0, ignore_eos: true });
    expect((openai.body as { choices: { text: string }[] }).choices[0]!.text).toBe(out.text_output);
  });

  it('reports request errors in Triton shape', async () => {
    const res = await postRaw(`${fixture.baseUrl}/v2/models/tiny/generate`, { text_input: 'dog '.repeat(700) });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/maximum context length/);
  });
});
