/**
 * ModelStreamInfer with the llamacpp backend (Triton's LLM shape: `text_input` in, streamed
 * `text_output` out) on the real core, using the shared TinyStories model. Skips, saying why,
 * when ../shared/models/stories260K.gguf is absent or the llamacpp backend is not registered.
 */
import { status } from '@grpc/grpc-js';
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { BackendRegistry } from '../../src/backends/backend-registry.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/protocols/kserve-grpc/index.js';
import { startTestServer, tempDir, writeModel } from '../support/server.js';
import { connect, openStream, param, type InferenceClient } from './support/grpc-client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GGUF = path.resolve(ROOT, '../shared/models/stories260K.gguf');
const skipReason = !existsSync(GGUF)
  ? `${GGUF} is absent`
  : !new BackendRegistry().names().includes('llamacpp')
    ? 'the llamacpp backend is not registered'
    : undefined;
if (skipReason) console.warn(`test/grpc/llm-stream.test.ts skipped: ${skipReason}`);

/** Splits raw BYTES contents into strings. */
function strings(raw: Buffer): string[] {
  const out: string[] = [];
  for (let p = 0; p < raw.length; ) {
    const len = raw.readUInt32LE(p);
    out.push(raw.subarray(p + 4, p + 4 + len).toString('utf8'));
    p += 4 + len;
  }
  return out;
}

function bytes(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(Uint32Array.of(b.length).buffer), b]);
}

function generate(id: string, prompt: string, maxTokens: number, stream = true) {
  return {
    model_name: 'tinystories',
    id,
    parameters: { triton_enable_empty_final_response: { bool_param: true } },
    inputs: [
      { name: 'text_input', datatype: 'BYTES', shape: [1] },
      { name: 'max_tokens', datatype: 'INT32', shape: [1] },
      { name: 'temperature', datatype: 'FP32', shape: [1] },
      { name: 'stream', datatype: 'BOOL', shape: [1] },
    ],
    raw_input_contents: [bytes(prompt), Buffer.from(Int32Array.of(maxTokens).buffer), Buffer.from(Float32Array.of(0).buffer), Buffer.from([stream ? 1 : 0])],
  };
}

describe.skipIf(skipReason !== undefined)('ModelStreamInfer with the llamacpp backend', () => {
  let server: RunningServer;
  let grpc: GrpcServerHandle;
  let client: InferenceClient;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('inferd-grpc-llm-');
    cleanup = t.cleanup;
    await writeModel(t.dir, 'tinystories', 'name: "tinystories"\nbackend: "llamacpp"\nparameters { key: "gpu" value: { string_value: "false" } }\n');
    await copyFile(GGUF, path.join(t.dir, 'tinystories', '1', 'model.gguf'));
    server = await startTestServer({ modelRepository: t.dir });
    grpc = await startGrpcServer({ inference: server.inference, host: '127.0.0.1', port: 0 });
    client = connect(grpc.port);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await grpc?.close(1000);
    await server?.close();
    await cleanup?.();
  });

  it('streams text_output pieces, then the flagged final response', async () => {
    const s = openStream(client, 60_000);
    s.send(generate('story', 'Once upon a time', 24));
    expect(await s.end()).toMatchObject({ code: status.OK });
    expect(s.responses.every((r) => r.error_message === '')).toBe(true);
    const parts = s.responses.slice(0, -1);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((r) => param(r.infer_response, 'triton_final_response') === false)).toBe(true);
    const last = s.responses.at(-1);
    expect(param(last.infer_response, 'triton_final_response')).toBe(true);
    const text = parts
      .map((r) => {
        const i = r.infer_response.outputs.findIndex((o: { name: string }) => o.name === 'text_output');
        return strings(r.infer_response.raw_output_contents[i]).join('');
      })
      .join('');
    // Greedy decoding of this prompt continues ", there was a little girl named Lily." (shared/README.md).
    expect(text).toContain('Lily');
  });

  it('answers stream=false with one response holding the whole text and the requested counts', async () => {
    const request = generate('whole', 'Once upon a time', 12, false);
    request.inputs.push({ name: 'return_finish_reason', datatype: 'BOOL', shape: [1] }, { name: 'return_num_output_tokens', datatype: 'BOOL', shape: [1] });
    request.raw_input_contents.push(Buffer.from([1]), Buffer.from([1]));
    const s = openStream(client, 60_000);
    s.send(request);
    expect(await s.end()).toMatchObject({ code: status.OK });
    expect(s.responses).toHaveLength(2);
    const whole = s.responses[0].infer_response;
    const output = (name: string): Buffer => whole.raw_output_contents[whole.outputs.findIndex((o: { name: string }) => o.name === name)];
    expect(strings(output('text_output'))[0]).toContain('there was');
    expect(strings(output('finish_reason'))).toEqual(['length']);
    expect(output('num_output_tokens').readUInt32LE(0)).toBe(12);
    expect(param(s.responses[1].infer_response, 'triton_final_response')).toBe(true);
  });

  it('a cancel mid-generation ends the stream and leaves the model serving', async () => {
    const s = openStream(client, 60_000);
    s.send(generate('long', 'Once upon a time', 400));
    await s.waitFor(2, 30_000);
    s.cancel();
    expect((await s.status).code).toBe(status.CANCELLED);
    const next = openStream(client, 60_000);
    next.send(generate('after', 'Once upon a time', 4));
    expect(await next.end()).toMatchObject({ code: status.OK });
    expect(next.responses.at(-1).error_message).toBe('');
    expect(param(next.responses.at(-1).infer_response, 'triton_final_response')).toBe(true);
  });
});
