/**
 * The benchmark targets: (a) inferd over HTTP, streaming OpenAI completions from a server in its
 * own process; (b) node-llama-cpp driven directly in-process with one context of N sequences,
 * either the plain way (one `evaluate` loop per request, node-llama-cpp batching whatever is
 * queued when it dispatches) or in lock-step (every active sequence advanced together each
 * step, new requests joining at the next step: the engine ceiling, with no HTTP and no
 * scheduler of ours). All decode greedily, ignore end-of-sequence, and use the same context
 * size, batch size and thread count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getLlama, LlamaLogLevel, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import type { RequestRecord, StreamTarget } from './load-generator.js';

/** Engine settings both targets share. */
export interface EngineSettings {
  readonly sequences: number;
  /** llama.cpp contexts inferd splits the sequences over (its instance_group count); the direct target always uses one. */
  readonly instances?: number;
  readonly contextSize: number;
  readonly batchSize: number;
  readonly threads: number;
}

/** A free TCP port on 127.0.0.1 (the server binds it right after). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `inferd serve --model FILE` in a child process, like a deployment, and resolves once it is ready. */
export async function startInferdServer(modelFile: string, engine: EngineSettings): Promise<{ url: string; child: ChildProcess }> {
  const instances = engine.instances ?? 1;
  const params = { max_sequences: Math.ceil(engine.sequences / instances), context_size: engine.contextSize, batch_size: engine.batchSize, threads: engine.threads, gpu: 'false' };
  const port = await freePort();
  const argv = ['--import', 'tsx', 'src/main.ts', 'serve', '--model', modelFile, '--served-model-name', 'bench', '--http-port', String(port), '--allow-grpc', 'false', '--max-queue', '1024', '--log-level', 'warn', '--model-instances', String(instances)];
  for (const [k, v] of Object.entries(params)) argv.push('--llm-parameter', `${k}=${v}`);
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`inferd exited with ${code}`))));
  // NOTE: the later, deliberate exit at close() must not surface as an unhandled rejection.
  exited.catch(() => undefined);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await Promise.race([fetch(`${url}/v1/health/ready`).then((r) => r.ok, () => false), exited]);
    if (ready) return { url, child };
    if (Date.now() > deadline) throw new Error('inferd did not become ready within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Streams `POST /v1/completions` and records token arrival times (usage gives the exact count). */
export function inferdTarget(url: string, model: string, child?: ChildProcess): StreamTarget {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return {
    name: 'inferd (HTTP)',
    send(prompt, maxTokens) {
      const body = JSON.stringify({ model, prompt, max_tokens: maxTokens, temperature: 0, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
      const start = performance.now();
      return new Promise<RequestRecord>((resolve) => {
        const tokenTimes: number[] = [];
        let outputTokens = 0;
        let buffer = '';
        const fail = (error: string) => resolve({ start, tokenTimes, end: performance.now(), outputTokens, error });
        const req = request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            return fail(`HTTP ${res.statusCode}`);
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = performance.now();
            buffer += chunk;
            let at: number;
            while ((at = buffer.indexOf('\n\n')) >= 0) {
              const data = buffer.slice(6, at);
              buffer = buffer.slice(at + 2);
              if (data === '[DONE]') continue;
              const event = JSON.parse(data) as { choices: { text: string }[]; usage?: { completion_tokens: number } | null };
              if (event.usage) outputTokens = event.usage.completion_tokens;
              if (event.choices[0]?.text) tokenTimes.push(now);
            }
          });
          res.on('end', () => resolve({ start, tokenTimes, end: performance.now(), outputTokens: outputTokens || tokenTimes.length }));
          res.on('error', (e) => fail(String(e)));
        });
        req.on('error', (e) => fail(String(e)));
        req.end(body);
      });
    },
    async close() {
      agent.destroy();
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

type Generation = AsyncGenerator<Token, void, void | Token | Token[]>;

/** Advances every active generation together, one batched decode per step. */
class LockStep {
  private readonly active: { gen: Generation; onToken: () => boolean; done: () => void }[] = [];
  private running = false;

  /** Runs `gen` until `onToken` returns false. */
  run(gen: Generation, onToken: () => boolean): Promise<void> {
    return new Promise((done) => {
      this.active.push({ gen, onToken, done });
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.active.length > 0) {
      const batch = [...this.active];
      const results = await Promise.all(batch.map((a) => a.gen.next()));
      batch.forEach((a, i) => {
        if (!results[i]!.done && a.onToken()) return;
        this.active.splice(this.active.indexOf(a), 1);
        void a.gen.return();
        a.done();
      });
    }
    this.running = false;
  }
}

/** node-llama-cpp in this process: one context with `sequences` sequences, one request per free sequence. */
export async function directTarget(modelFile: string, engine: EngineSettings, lockStep = false): Promise<StreamTarget> {
  const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error });
  const model: LlamaModel = await llama.loadModel({ modelPath: modelFile, gpuLayers: llama.gpu === false ? 0 : 'auto' });
  const context: LlamaContext = await model.createContext({ contextSize: engine.contextSize, sequences: engine.sequences, batchSize: engine.batchSize, threads: engine.threads });
  const free: LlamaContextSequence[] = Array.from({ length: engine.sequences }, () => context.getSequence());
  const waiting: ((s: LlamaContextSequence) => void)[] = [];
  const acquire = (): Promise<LlamaContextSequence> => (free.length > 0 ? Promise.resolve(free.pop()!) : new Promise((r) => waiting.push(r)));
  const release = (s: LlamaContextSequence): void => {
    const w = waiting.shift();
    if (w) w(s);
    else free.push(s);
  };
  const stepper = lockStep ? new LockStep() : undefined;
  return {
    name: lockStep ? 'node-llama-cpp (direct, lock-step)' : 'node-llama-cpp (direct)',
    async send(prompt, maxTokens) {
      const start = performance.now();
      const seq = await acquire();
      const tokenTimes: number[] = [];
      try {
        await seq.eraseContextTokenRanges([{ start: 0, end: seq.nextTokenIndex }]);
        const tokens = [model.tokens.bos!, ...model.tokenize(prompt)] as Token[];
        const gen = seq.evaluate(tokens, { temperature: 0, yieldEogToken: true });
        if (stepper) {
          await stepper.run(gen, () => tokenTimes.push(performance.now()) < maxTokens);
        } else {
          for await (const _token of gen) {
            tokenTimes.push(performance.now());
            if (tokenTimes.length >= maxTokens) break;
          }
        }
        return { start, tokenTimes, end: performance.now(), outputTokens: tokenTimes.length };
      } catch (err) {
        return { start, tokenTimes, end: performance.now(), outputTokens: tokenTimes.length, error: String(err) };
      } finally {
        release(seq);
      }
    },
    async close() {
      await context.dispose();
      await model.dispose();
    },
  };
}
