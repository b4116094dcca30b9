/**
 * The main-thread side of one session worker: starts it, waits until its session is loaded,
 * forwards runs, and turns a worker death into a failure of the run in flight. One run at a time;
 * the instance that owns the host guarantees it.
 */
import { Worker } from 'node:worker_threads';
import { InferError } from '../../core/errors.js';
import {
  transferList,
  type CloseMessage,
  type RunMessage,
  type WireTensor,
  type WireValueMeta,
  type WorkerInit,
  type WorkerMessage,
} from './worker-protocol.js';

/** Longest a worker may take to load its session before the load counts as failed. */
const LOAD_TIMEOUT_MS = 120_000;
/** Longest `terminate` waits for the worker to finish its run and exit before leaving it behind. */
const CLOSE_TIMEOUT_MS = 30_000;

// NOTE: under vitest/tsx this module is TypeScript and so is its sibling worker file; compiled
// into dist/ both are JavaScript. Node 20 ignores `--import tsx` in a worker's execArgv (measured
// on 20.20: "Unknown file extension .ts"), so from sources a one-line bootstrap registers tsx's
// loader inside the worker before importing the .ts entry.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './session-worker.ts' : './session-worker.js', import.meta.url);

function newWorker(init: WorkerInit): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: init });
  const tsxApi = import.meta.resolve?.('tsx/esm/api') ?? 'tsx/esm/api';
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

/** Asks a worker to exit once it is idle, and stops it from keeping the process alive meanwhile. */
function close(worker: Worker): void {
  worker.postMessage({ op: 'close' } satisfies CloseMessage);
  worker.unref();
}

interface PendingRun {
  readonly id: number;
  resolve(outputs: Readonly<Record<string, WireTensor>>): void;
  reject(err: InferError): void;
}

/** A loaded session in its own worker thread. */
export class SessionHost {
  private pending: PendingRun | undefined;
  private nextId = 1;
  private deathReason: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    /** Graph inputs as onnxruntime reports them. */
    readonly inputs: readonly WireValueMeta[],
    /** Graph outputs as onnxruntime reports them. */
    readonly outputs: readonly WireValueMeta[],
  ) {
    worker.on('message', (msg: WorkerMessage) => this.onMessage(msg));
    // NOTE: an 'error' (uncaught in the worker) only marks the worker dead; the run in flight fails
    // at 'exit', which Node emits after delivering what the worker posted before it died, so a
    // result computed just before a crash is not thrown away.
    worker.on('error', (err) => {
      this.deathReason ??= `onnxruntime worker failed: ${err.message}`;
    });
    this.exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        this.die(`onnxruntime worker exited with code ${code}`);
        resolve();
      });
    });
    worker.unref();
  }

  /** Starts a worker and loads the model; rejects with onnxruntime's (or the validator's) message. */
  static start(init: WorkerInit): Promise<SessionHost> {
    const worker = newWorker(init);
    return new Promise<SessionHost>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        close(worker);
        reject(new Error(`loading the session took longer than ${LOAD_TIMEOUT_MS} ms`));
      }, LOAD_TIMEOUT_MS);
      const onMessage = (msg: WorkerMessage): void => {
        settle();
        if (msg.op === 'loaded') {
          resolve(new SessionHost(worker, msg.inputs, msg.outputs));
        } else {
          close(worker);
          reject(new Error(msg.op === 'load-failed' ? msg.message : `unexpected worker message '${msg.op}'`));
        }
      };
      const onError = (err: Error): void => {
        settle();
        reject(new Error(`the onnxruntime worker failed to start: ${err.message}`));
      };
      const onExit = (code: number): void => {
        settle();
        reject(new Error(`the onnxruntime worker exited with code ${code} while loading`));
      };
      function settle(): void {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      }
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    });
  }

  /** False once the worker has died or been terminated. */
  get alive(): boolean {
    return this.deathReason === undefined;
  }

  /** Why the worker is gone (exit code or uncaught error); undefined while it is alive. */
  get failure(): string | undefined {
    return this.deathReason;
  }

  /**
   * Runs the session on `feeds` (whose buffers are transferred, so the caller must not reuse
   * them) and resolves with the `fetches` outputs. Rejects with INTERNAL when onnxruntime
   * fails or the worker dies.
   */
  run(feeds: Readonly<Record<string, WireTensor>>, fetches: readonly string[]): Promise<Readonly<Record<string, WireTensor>>> {
    if (this.deathReason !== undefined) return Promise.reject(new InferError('INTERNAL', this.deathReason));
    if (this.pending) return Promise.reject(new InferError('INTERNAL', 'a run is already in flight on this session'));
    const id = this.nextId++;
    const message: RunMessage = { op: 'run', id, feeds, fetches };
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      // NOTE: keep the process alive only while work is in flight; an idle worker must not.
      this.worker.ref();
      this.worker.postMessage(message, transferList(Object.values(feeds)));
    });
  }

  /**
   * Stops the worker: a run in flight fails at once, while the worker itself finishes it, releases
   * its session and exits; resolves when it has exited (or after CLOSE_TIMEOUT_MS, leaving it unref'd).
   */
  async terminate(): Promise<void> {
    const wasAlive = this.alive;
    this.die('the onnxruntime session was disposed');
    if (wasAlive) this.worker.postMessage({ op: 'close' } satisfies CloseMessage);
    // NOTE: stay referenced until the worker is gone, so a process that is shutting down waits for
    // the run in flight instead of tearing the thread down inside onnxruntime.
    this.worker.ref();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    this.worker.unref();
  }

  private onMessage(msg: WorkerMessage): void {
    const pending = this.pending;
    if (!pending || (msg.op !== 'result' && msg.op !== 'run-failed') || msg.id !== pending.id) return;
    this.settle();
    if (msg.op === 'result') pending.resolve(msg.outputs);
    else pending.reject(new InferError('INTERNAL', `onnxruntime run failed: ${msg.message}`));
  }

  /** Marks the worker dead (keeping the first reason) and fails the run in flight with that reason. */
  private die(reason: string): void {
    this.deathReason ??= reason;
    const pending = this.pending;
    if (!pending) return;
    this.settle();
    pending.reject(new InferError('INTERNAL', this.deathReason));
  }

  private settle(): void {
    this.pending = undefined;
    this.worker.unref();
  }
}
