/**
 * The process-wide node-llama-cpp runtime. Loading the native binding is costly and holds
 * global state, so one `Llama` per GPU mode is created lazily and shared by every model. The
 * prebuilt binaries are used as they are (`build: "never"`), so loading never compiles or
 * downloads anything; `gpu: "auto"` picks a GPU build when one is installed and works.
 */
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import type { BackendLogger } from '../backend.js';

const runtimes = new Map<string, Promise<Llama>>();
let logSink: BackendLogger | undefined;

function forward(level: LlamaLogLevel, message: string): void {
  const text = message.trim();
  if (!text || !logSink) return;
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logSink.error(text, { source: 'llama.cpp' });
  else if (level === LlamaLogLevel.warn) logSink.warn(text, { source: 'llama.cpp' });
  else logSink.debug(text, { source: 'llama.cpp' });
}

/** The shared runtime for `gpu`; its log lines go to the most recent `log` given. */
export function llamaRuntime(gpu: 'auto' | false, log: BackendLogger): Promise<Llama> {
  logSink = log;
  const key = String(gpu);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.warn, logger: forward, progressLogs: false });
    runtime.catch(() => runtimes.delete(key));
    runtimes.set(key, runtime);
  }
  return runtime;
}
