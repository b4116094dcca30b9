/**
 * bench/kserve-grpc: infer/s and p50/p99 latency of inferd's KServe v2 gRPC endpoint for `simple`
 * and `mlp` at concurrency 1, 8 and 32, next to a bare grpc-js server answering the same RPC with
 * fixed response bytes (the transport's own ceiling) and next to the HTTP endpoint of the same
 * server process, all in one run. gRPC requests use raw_input_contents (as tritonclient.grpc
 * does) and a closed-loop grpc-js client; HTTP requests use JSON bodies and autocannon, as
 * bench/kserve-http does. The servers run in a child process (this file with --serve) so client
 * and servers do not share an event loop. Writes the table to bench/kserve-grpc.RESULTS.md.
 *
 * Usage: node --import tsx bench/kserve-grpc.ts [--duration SECONDS]
 */
import autocannon from 'autocannon';
import {
  credentials,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type Client,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startServer } from '../src/app.js';
import { generateExampleRepository, MLP_SIZES } from '../src/examples/index.js';
import type { InferenceServer } from '../src/core/inference-server.js';
import { decodeInferRequest, encodeInferResponse } from '../src/protocols/kserve-grpc/infer-codec.js';
import { loadInferencePackage, SERVICE_NAME, startGrpcServer } from '../src/protocols/kserve-grpc/index.js';
import { percentile, ROOT, spawnServer } from './lib/processes.js';

const durationArg = process.argv.indexOf('--duration');
const DURATION_S = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 5;
const WARMUP_S = 1;
const CONCURRENCY = [1, 8, 32];
const GRPC_PORT = 18200;
const HTTP_PORT = 18201;
const BARE_GRPC_PORT = 18202;

/** A measured cell: requests per second, latency percentiles in ms, failed requests. */
interface Cell {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Workload {
  readonly grpc: object;
  readonly http: string;
}

function workloads(): Record<string, Workload> {
  const ints = Array.from({ length: 16 }, (_, i) => i);
  const pixels = Array.from({ length: MLP_SIZES.input }, (_, i) => ((i * 37) % 255) / 255);
  const rawInts = Buffer.from(Int32Array.from(ints).buffer);
  return {
    simple: {
      grpc: {
        model_name: 'simple',
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
        ],
        raw_input_contents: [rawInts, rawInts],
      },
      http: JSON.stringify({
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: ints },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ints },
        ],
      }),
    },
    mlp: {
      grpc: {
        model_name: 'mlp',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, pixels.length] }],
        raw_input_contents: [Buffer.from(Float32Array.from(pixels).buffer)],
      },
      http: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, pixels.length], data: pixels }] }),
    },
  };
}

type InferClient = Client & { ModelInfer(req: object, cb: (err: ServiceError | null) => void): void };

function connect(port: number): InferClient {
  const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
    inference: { GRPCInferenceService: new (address: string, creds: unknown) => InferClient };
  };
  return new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, credentials.createInsecure());
}

function modelInferMethod(): MethodDefinition<{ model_name: string }, unknown> {
  const service = loadInferencePackage()[SERVICE_NAME] as ServiceDefinition;
  return service['ModelInfer'] as MethodDefinition<{ model_name: string }, unknown>;
}

/** inferd's serialized ModelInfer response per workload, computed once through the real codec and core. */
async function capturedReplies(inference: InferenceServer): Promise<Map<string, Buffer>> {
  const method = modelInferMethod();
  const replies = new Map<string, Buffer>();
  for (const [model, w] of Object.entries(workloads())) {
    const message = method.requestDeserialize(method.requestSerialize(w.grpc as { model_name: string }));
    const { request } = decodeInferRequest(message as never, new AbortController().signal);
    replies.set(model, method.responseSerialize(encodeInferResponse(await inference.infer(request))));
  }
  return replies;
}

/** The baseline: grpc-js decoding each request, then answering with fixed bytes and doing no work. */
async function startBareGrpc(replies: ReadonlyMap<string, Buffer>): Promise<Server> {
  const server = new Server();
  const method = modelInferMethod();
  const passthrough = { ...method, responseSerialize: (b: Buffer) => b } as unknown as MethodDefinition<{ model_name: string }, Buffer>;
  server.addService({ ModelInfer: passthrough }, {
    ModelInfer: (call: { request: { model_name: string } }, cb: (err: null, res?: Buffer) => void) =>
      cb(null, replies.get(call.request.model_name)),
  });
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${BARE_GRPC_PORT}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  return server;
}

/** Closed loop: `concurrency` callers, each sending its next request when the last one returns. */
async function grpcLoad(client: InferClient, request: object, concurrency: number, seconds: number): Promise<Cell> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => client.ModelInfer(request, (err) => resolve(err === null)));
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - started) / 1000;
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

async function httpLoad(model: string, body: string, connections: number, seconds: number): Promise<Cell> {
  const result = await autocannon({
    url: `http://127.0.0.1:${HTTP_PORT}/v2/models/${model}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/** Child-process mode: serve the example repository over HTTP and gRPC, plus the bare baseline, until SIGTERM. */
async function serve(repo: string): Promise<void> {
  const server = await startServer({ modelRepository: repo, host: '127.0.0.1', httpPort: HTTP_PORT, logger: pino({ level: 'warn' }) });
  const grpc = await startGrpcServer({ inference: server.inference, host: '127.0.0.1', port: GRPC_PORT });
  const bare = await startBareGrpc(await capturedReplies(server.inference));
  process.once('SIGTERM', () => {
    bare.forceShutdown();
    void grpc
      .close(1000)
      .then(() => server.close())
      .then(() => process.exit(0));
  });
}

const fmt = (c: Cell) => `${c.rps.toFixed(0)} | ${c.p50.toFixed(2)} | ${c.p99.toFixed(2)}`;

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const work = await mkdtemp(path.join(tmpdir(), 'inferd-bench-grpc-'));
  const repo = path.join(work, 'repo');
  await generateExampleRepository(repo);
  const child = await spawnServer('bench/kserve-grpc.ts', ['--serve', repo], HTTP_PORT, '/v2/health/ready');
  const client = connect(GRPC_PORT);
  const bareClient = connect(BARE_GRPC_PORT);
  const rows: string[] = [];
  try {
    for (const [model, w] of Object.entries(workloads())) {
      for (const c of CONCURRENCY) {
        await grpcLoad(client, w.grpc, c, WARMUP_S);
        const g = await grpcLoad(client, w.grpc, c, DURATION_S);
        await grpcLoad(bareClient, w.grpc, c, WARMUP_S);
        const b = await grpcLoad(bareClient, w.grpc, c, DURATION_S);
        await httpLoad(model, w.http, c, WARMUP_S);
        const h = await httpLoad(model, w.http, c, DURATION_S);
        const errors = g.errors + b.errors + h.errors;
        const row = `| ${model} | ${c} | ${fmt(g)} | ${fmt(b)} | ${(g.rps / b.rps).toFixed(2)} | ${fmt(h)} | ${(g.rps / h.rps).toFixed(2)} | ${errors} |`;
        rows.push(row);
        process.stderr.write(`${row}\n`);
      }
    }
  } finally {
    client.close();
    bareClient.close();
    await child.stop();
    await rm(work, { recursive: true, force: true });
  }
  const cpu = cpus();
  const report = [
    '# bench/kserve-grpc results',
    '',
    `Run ${new Date().toISOString()} on ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ` +
      `${DURATION_S} s per cell after ${WARMUP_S} s warm-up; server and load generator share the machine ` +
      `(1-minute load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after).`,
    '',
    'gRPC: ModelInfer with raw_input_contents, closed-loop grpc-js client on one channel. ' +
      'Bare gRPC: a grpc-js server in the same process answering with inferd\'s response bytes, doing no work. ' +
      'HTTP: the same inferd process, JSON bodies, autocannon (whole-millisecond latencies). Latencies in ms.',
    '',
    '| model | concurrency | gRPC infer/s | gRPC p50 | gRPC p99 | bare gRPC infer/s | bare p50 | bare p99 | gRPC/bare | HTTP infer/s | HTTP p50 | HTTP p99 | gRPC/HTTP | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  await writeFile(path.join(ROOT, 'bench', 'kserve-grpc.RESULTS.md'), report);
  console.log(report);
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string);
else await main();
