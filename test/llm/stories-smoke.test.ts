/**
 * Optional smoke test with a real pretrained model (../shared/models/stories260K.gguf): greedy
 * decoding must continue "Once upon a time" the way the TinyStories model does. Skips, visibly,
 * when the file is absent.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmFixture, type LlmFixture } from './llm-fixture.js';

const MODEL = resolve(import.meta.dirname, '../../../shared/models/stories260K.gguf');
const present = existsSync(MODEL);
if (!present) console.warn(`[skipped] stories260K smoke test: ${MODEL} not found`);

describe.skipIf(!present)('stories260K (real model) smoke test', () => {
  let fixture: LlmFixture;
  beforeAll(async () => {
    fixture = await startLlmFixture([{ name: 'stories', file: MODEL, parameters: { context_size: '256', max_sequences: '2' } }]);
  });
  afterAll(() => fixture?.close());

  it('continues "Once upon a time" with the story the model learned', async () => {
    const client = new OpenAI({ baseURL: `${fixture.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    const res = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 24, temperature: 0 });
    expect(res.choices[0]!.text).toContain('there was a little girl named Lily');
    const stream = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 24, temperature: 0, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(res.choices[0]!.text);
  });
});
