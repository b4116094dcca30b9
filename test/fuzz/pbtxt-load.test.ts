/**
 * Fuzzes model configs end to end: mutated `config.pbtxt` files and random JSON `config`
 * overrides reach the parser through the HTTP load API. A config either loads (200) or is refused
 * with a 4xx JSON error naming the problem; never a 5xx, a hang or a crash, and the server keeps
 * serving. (The parser's own property tests live in src/config/pbtxt/pbtxt-fuzz.test.ts.)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../support/server.js';
import { expectClientErrorOrOk, NUM_RUNS, send } from './support/fuzz-server.js';

let server: RunningServer;
let repo: string;
let cleanup: () => Promise<void>;
let counter = 0;

beforeAll(async () => {
  const t = await tempDir('inferd-fuzz-pbtxt-');
  repo = t.dir;
  cleanup = t.cleanup;
  await writeModel(repo, 'simple', identityConfig('simple'));
  server = await startTestServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['simple'], strictReadiness: false });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

/** Characters and words that matter to the text-format grammar. */
const syntax = fc.constantFrom(...'{}[]<>:;,"\'\\#-.+0123456789 \n\t'.split(''), 'name', 'dims', 'data_type', 'TYPE_FP32', 'TYPE_', 'input', 'output', 'key', 'value', 'inf', 'nan', '0x', '\\x', '-1');

const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'duplicate'), fc.nat(), fc.nat({ max: 30 }), fc.string({ unit: syntax, maxLength: 5 }));

function applyEdits(text: string, edits: readonly (readonly [string, number, number, string])[]): string {
  let out = text;
  for (const [kind, at, len, insert] of edits) {
    const i = at % (out.length + 1);
    if (kind === 'delete') out = out.slice(0, i) + out.slice(i + len);
    else if (kind === 'insert') out = out.slice(0, i) + insert + out.slice(i);
    else out = out.slice(0, i) + out.slice(i, i + len) + out.slice(i);
  }
  return out;
}

async function loadText(name: string, text: string): Promise<number> {
  await mkdir(path.join(repo, name, '1'), { recursive: true });
  await writeFile(path.join(repo, name, 'config.pbtxt'), text);
  const answer = await send(`http://127.0.0.1:${server.httpPort}/v2/repository/models/${name}/load`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expectClientErrorOrOk(answer, `config.pbtxt ${JSON.stringify(text.slice(0, 300))}`);
  if (answer.status !== 200) expect(answer.status).toBe(400);
  return answer.status;
}

async function expectServing(): Promise<void> {
  const res = await postJson(server, '/v2/models/simple/infer', fp32Infer([4, 5]));
  expect(res.body.outputs[0].data).toEqual([4, 5]);
}

describe('model configs through the load API (fuzzed)', () => {
  it('mutated config.pbtxt files load or are refused with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const name = `m${counter++}`;
        await loadText(name, applyEdits(identityConfig(name), edits));
      }),
      { numRuns: NUM_RUNS },
    );
    await expectServing();
  });

  it('deeply nested configs are refused with 400, not a stack overflow; a very wide one is answered too', async () => {
    for (const depth of [1_000, 50_000]) {
      expect(await loadText(`deep${depth}`, `name: "deep${depth}"\n${'parameters { key: "k" value { '.repeat(depth)}${'} } '.repeat(depth)}`)).toBe(400);
      expect(await loadText(`list${depth}`, `name: "list${depth}"\ninput ${'['.repeat(depth)}${']'.repeat(depth)}`)).toBe(400);
    }
    await loadText('wide', `name: "wide"\nbackend: "identity"\n${'parameters { key: "k" value { string_value: "v" } }\n'.repeat(20_000)}`);
    await expectServing();
  });

  it('random JSON config overrides load or are refused with a 4xx', async () => {
    const field = fc.constantFrom('name', 'backend', 'platform', 'max_batch_size', 'input', 'output', 'instance_group', 'dynamic_batching', 'parameters', 'version_policy', 'default_model_filename');
    const config = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(field, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((c) => ({ backend: 'identity', ...c })),
    );
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const name = `j${counter++}`;
        await writeModel(repo, name, identityConfig(name));
        const answer = await send(`http://127.0.0.1:${server.httpPort}/v2/repository/models/${name}/load`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ parameters: { config: JSON.stringify(c) } }),
        });
        expectClientErrorOrOk(answer, `config override ${JSON.stringify(c).slice(0, 300)}`);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectServing();
  });
});
