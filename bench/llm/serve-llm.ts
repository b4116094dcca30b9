/**
 * A standalone inferd LLM server for the benchmark: one GGUF model loaded through the llamacpp
 * backend, the core's continuous batcher (createLlmModel) and the OpenAI front-end, on its own
 * process like a deployment. Usage:
 *   node --import tsx bench/llm/serve-llm.ts --model FILE [--name NAME] [--param key=value ...]
 * Prints `listening <url>` once ready; exits on SIGTERM.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { IterativeInstance } from '../../src/backends/backend.js';
import { llamaCppBackend } from '../../src/backends/llamacpp/index.js';
import { InferError } from '../../src/core/errors.js';
import { createLlmModel } from '../../src/core/llm/index.js';
import { openAiRoutes } from '../../src/protocols/openai/index.js';

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const modelFile = value('--model');
if (!modelFile) {
  process.stderr.write('usage: serve-llm --model FILE [--name NAME] [--param key=value ...] [--max-queue N]\n');
  process.exit(2);
}
const name = value('--name') ?? 'bench';
const parameters: Record<string, { string_value: string }> = {};
args.forEach((a, i) => {
  if (a !== '--param') return;
  const [k, ...v] = (args[i + 1] ?? '').split('=');
  parameters[k!] = { string_value: v.join('=') };
});

const log = { debug() {}, info() {}, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
const repo = await mkdtemp(join(tmpdir(), 'inferd-bench-'));
const versionDir = join(repo, name, '1');
await mkdir(versionDir, { recursive: true });
await symlink(resolve(modelFile), join(versionDir, 'model.gguf'));
const loaded = await llamaCppBackend.loadModel({ config: { name, backend: 'llamacpp', parameters }, modelDir: join(repo, name), versionDir, version: 1, autoCompleteConfig: true, log });
const instance = (await loaded.createInstance({ index: 0, groupName: name, device: 'cpu' })) as IterativeInstance;
const model = createLlmModel({ name, version: 1, config: loaded.config, instances: [instance], maxQueue: Number(value('--max-queue') ?? 1024), log });
const app = Fastify({ logger: false });
await app.register(openAiRoutes, {
  inference: {
    isLive: () => true,
    isReady: () => true,
    serverMetadata: () => ({ name: 'inferd', version: 'bench' }),
    llmModel: (n: string) => {
      if (n !== name) throw new InferError('NOT_FOUND', `Unknown model '${n}'`);
      return model;
    },
    listLlmModels: () => [{ name, version: 1, model }],
  },
});
const url = await app.listen({ host: '127.0.0.1', port: Number(value('--port') ?? 0) });
process.stdout.write(`listening ${url}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await model.close();
    await instance.dispose();
    await loaded.unload();
    await rm(repo, { recursive: true, force: true });
    process.exit(0);
  })();
});
