/**
 * LLMs served by the real server (`startServer`, and the `inferd serve --model` CLI): a model
 * repository holding an ONNX-free identity model and a generated GGUF LLM answers on the OpenAI
 * API, the generate extension, KServe metadata and the NIM/vLLM metrics; the waiting queue
 * answers 429 with Retry-After when full; unloading drains running generations.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { client, identityConfig, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function llmConfig(name: string, params: Record<string, string>): string {
  const p = Object.entries(params)
    .map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`)
    .join('\n');
  return `name: "${name}"\nbackend: "llamacpp"\n${p}\n`;
}

async function writeLlm(repo: string, name: string, params: Record<string, string>, seed: number): Promise<void> {
  await writeModel(repo, name, llmConfig(name, params));
  await writeFile(path.join(repo, name, '1', 'model.gguf'), encodeGguf(tinyLlamaGguf({ name, seed })));
}

describe('a repository with an LLM and a Triton model', () => {
  let server: RunningServer;
  let openai: OpenAI;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('inferd-serve-llm-');
    cleanup = t.cleanup;
    await writeModel(t.dir, 'simple', identityConfig('simple'));
    await writeLlm(t.dir, 'tiny', { context_size: '256', max_sequences: '2', gpu: 'false' }, 5);
    server = await startTestServer({ modelRepository: t.dir });
    openai = new OpenAI({ baseURL: `http://127.0.0.1:${server.httpPort}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('lists only the LLM on /v1/models and answers chat completions through the SDK', async () => {
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
    const chat = await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, temperature: 0 });
    expect(chat.choices[0]!.message.role).toBe('assistant');
    expect(chat.usage!.completion_tokens).toBeGreaterThan(0);
    expect((await client(server)('/v1/health/ready')).status).toBe(200);
  });

  it('refuses a Triton model on the OpenAI API and an unknown model with 404', async () => {
    await expect(openai.completions.create({ model: 'simple', prompt: 'x', max_tokens: 2 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(openai.completions.create({ model: 'nope', prompt: 'x', max_tokens: 2 })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('serves the generate extension and KServe metadata in Triton LLM shape', async () => {
    const gen = await postJson(server, '/v2/models/tiny/generate', { text_input: 'Once', max_tokens: 5, temperature: 0 });
    expect(gen.status).toBe(200);
    expect(gen.body).toMatchObject({ model_name: 'tiny', model_version: '1' });
    expect(typeof gen.body.text_output).toBe('string');
    const meta = (await (await client(server)('/v2/models/tiny')).json()) as { inputs: { name: string }[]; outputs: { name: string }[] };
    expect(meta.inputs.map((i) => i.name)).toContain('text_input');
    expect(meta.outputs.map((o) => o.name)).toContain('text_output');
    const infer = await postJson(server, '/v2/models/tiny/infer', { inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [1], data: ['Once'] }] });
    expect(infer.status).toBe(400);
    expect(infer.body.error).toMatch(/decoupled/);
  });

  it('exports NIM/vLLM metrics for the LLM', async () => {
    await openai.completions.create({ model: 'tiny', prompt: 'Count', max_tokens: 4, temperature: 0 });
    const text = await (await client(server)('/metrics')).text();
    const value = (name: string): number => Number(new RegExp(`^${name}\\{[^}]*model_name="tiny"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('prompt_tokens_total')).toBeGreaterThan(0);
    expect(value('generation_tokens_total')).toBeGreaterThan(0);
    expect(value('time_to_first_token_seconds_count')).toBeGreaterThan(0);
    expect(value('num_request_max')).toBe(2);
  });
});

describe('LLM admission and lifecycle', () => {
  let server: RunningServer;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('inferd-serve-llm-queue-');
    cleanup = t.cleanup;
    await writeLlm(t.dir, 'one', { context_size: '512', max_sequences: '1', gpu: 'false' }, 9);
    server = await startTestServer({ modelRepository: t.dir, maxQueue: 1, modelControlMode: 'explicit', loadModels: ['one'] });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const long = { model: 'one', prompt: 'Once upon a time', max_tokens: 400, ignore_eos: true, temperature: 0 };

  it('answers 429 with Retry-After once one request runs and one waits', async () => {
    const calls = Array.from({ length: 4 }, () => client(server)('/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(long) }));
    const responses = await Promise.all(calls);
    const limited = responses.filter((r) => r.status === 429);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(2);
    expect(limited).toHaveLength(2);
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited[0]!.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.text()));
  }, 60_000);

  it('lets a running generation finish when its model is unloaded; the next request loads it again', async () => {
    const running = postJson(server, '/v1/completions', { ...long, max_tokens: 120 });
    await waitFor(async () => (await server.inference.listLlmModels())[0]?.model?.stats().running === 1);
    const unloaded = postJson(server, '/v2/repository/models/one/unload', {});
    const done = await running;
    expect(done.status).toBe(200);
    expect(done.body.usage.completion_tokens).toBe(120);
    expect((await unloaded).status).toBe(200);
    expect((await server.inference.listLlmModels()).map((m) => m.state)).toEqual(['unloaded']);
    const again = await postJson(server, '/v1/completions', { ...long, max_tokens: 4 });
    expect(again.status).toBe(200);
    expect((await server.inference.listLlmModels()).map((m) => m.state)).toEqual(['loaded']);
  }, 60_000);
});

describe('inferd serve --model FILE.gguf', () => {
  it('serves one GGUF under --served-model-name with no repository', async () => {
    const t = await tempDir('inferd-serve-model-');
    const file = path.join(t.dir, 'My Model.Q8_0.gguf');
    await writeFile(file, encodeGguf(tinyLlamaGguf({ name: 'cli', seed: 3 })));
    const port = 19000 + Math.floor(Math.random() * 500);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'serve', '--model', file, '--served-model-name', 'storyteller', '--llm-parameter', 'context_size=128', '--http-port', String(port), '--grpc-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/v1/health/ready`).then((r) => r.ok, () => false), 60_000);
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string; max_model_len: number }[] };
      expect(models.data).toMatchObject([{ id: 'storyteller', max_model_len: 128 }]);
      const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'storyteller', prompt: 'Hi', max_tokens: 3 }) });
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      await t.cleanup();
      expect(code, stderr).toBe(0);
    }
  }, 90_000);

  it('refuses --model together with --model-repository, and a missing file', async () => {
    const run = (args: string[]): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'serve', ...args, '--http-port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const both = await run(['--model', 'x.gguf', '--model-repository', '.']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/cannot be used together/);
    const missing = await run(['--model', '/nonexistent/model.gguf']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  }, 60_000);
});
