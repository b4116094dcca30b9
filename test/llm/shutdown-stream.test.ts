/**
 * Graceful shutdown with LLM streams open: `close()` lets a running SSE completion finish every
 * token and its `[DONE]`, and resolves only once the stream has ended.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

describe('shutdown with open SSE streams', () => {
  it('finishes running streams before the server closes', async () => {
    const t = await tempDir('inferd-shutdown-sse-');
    await writeModel(t.dir, 'tiny', 'name: "tiny"\nbackend: "llamacpp"\nparameters { key: "context_size" value: { string_value: "512" } }\nparameters { key: "gpu" value: { string_value: "false" } }\n');
    await writeFile(path.join(t.dir, 'tiny', '1', 'model.gguf'), encodeGguf(tinyLlamaGguf({ name: 'tiny', seed: 4 })));
    const server = await startTestServer({ modelRepository: t.dir });
    try {
      const url = `http://127.0.0.1:${server.httpPort}`;
      const res = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny', prompt: 'Once', max_tokens: 300, ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);
      await waitFor(async () => (await server.inference.listLlmModels())[0]?.model?.stats().running === 1);
      const closed = server.close();
      let closedEarly = false;
      void closed.then(() => (closedEarly = !text.includes('[DONE]')));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      await closed;
      expect(closedEarly).toBe(false);
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const usage = text
        .split('\n\n')
        .map((e) => e.replace(/^data: /, ''))
        .filter((e) => e.startsWith('{'))
        .map((e) => JSON.parse(e) as { usage?: { completion_tokens: number } })
        .find((e) => e.usage)?.usage;
      expect(usage?.completion_tokens).toBe(300);
    } finally {
      await server.close();
      await t.cleanup();
    }
  }, 60_000);
});
