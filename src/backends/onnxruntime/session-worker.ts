/**
 * Worker-thread entry: owns one onnxruntime InferenceSession so that `session.run`, which blocks
 * its thread for the whole run, never blocks the main event loop. Started by SessionHost; it
 * leaves only on a `close` message, after its run in flight, so it is never stopped mid-run.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { readOnnxInfo } from '../../formats/onnx/onnx-reader.js';
import { transferList, type RunMessage, type ToWorkerMessage, type WireTensor, type WorkerInit, type WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('session-worker must run in a worker thread');
const init = workerData as WorkerInit;

let session: ort.InferenceSession | undefined;
let current: Promise<void> = Promise.resolve();
let closing = false;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function openSession(): Promise<ort.InferenceSession> {
  // NOTE: validate untrusted bytes with our own decoder first, so a malformed file gets a clear
  // message instead of whatever the native parser reports.
  readOnnxInfo(await readFile(init.modelPath));
  const { executionProviders, extra, ...rest } = init.options;
  return ort.InferenceSession.create(init.modelPath, {
    ...rest,
    executionProviders: executionProviders.map((ep) => ({ ...ep })),
    ...(extra ? { extra: { ...extra } } : {}),
  } as ort.InferenceSession.SessionOptions);
}

function fromOrtTensor(t: ort.Tensor): WireTensor {
  return { type: t.type as WireTensor['type'], dims: [...t.dims], data: t.data as WireTensor['data'] };
}

async function run(s: ort.InferenceSession, msg: RunMessage): Promise<void> {
  let outputs: Record<string, WireTensor>;
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.data as never, t.dims as number[]);
    const results = await s.run(feeds, [...msg.fetches]);
    outputs = {};
    for (const name of msg.fetches) {
      const value = results[name];
      if (!value) throw new Error(`onnxruntime returned no value for output '${name}'`);
      outputs[name] = fromOrtTensor(value);
    }
  } catch (err) {
    post({ op: 'run-failed', id: msg.id, message: errorText(err) });
    return;
  }
  post({ op: 'result', id: msg.id, outputs }, transferList(Object.values(outputs)));
}

async function shutdown(loading: Promise<unknown>): Promise<void> {
  await loading;
  await current;
  await session?.release().catch(() => undefined);
  process.exit(0);
}

const loading = openSession().then(
  (s) => {
    session = s;
    if (!closing) post({ op: 'loaded', inputs: s.inputMetadata as never, outputs: s.outputMetadata as never });
  },
  (err: unknown) => post({ op: 'load-failed', message: errorText(err) }),
);

port.on('message', (msg: ToWorkerMessage) => {
  if (msg.op === 'close') {
    if (!closing) void shutdown(loading);
    closing = true;
    return;
  }
  if (closing || !session) return;
  const s = session;
  current = current.then(() => run(s, msg));
});
