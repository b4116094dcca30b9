/**
 * Messages between an instance's main-thread SessionHost and its session worker. Exactly one
 * `run` is in flight per worker; tensors travel as typed arrays whose buffers are transferred.
 */
import type { OrtTensorType, WireData } from './tensor-types.js';

/** A tensor on the wire. */
export interface WireTensor {
  readonly type: OrtTensorType;
  readonly dims: readonly number[];
  readonly data: WireData;
}

/** A graph input or output as onnxruntime reports it; symbolic dims are strings. */
export interface WireValueMeta {
  readonly name: string;
  readonly isTensor: boolean;
  /** ORT type name ('float32', ...); absent for non-tensor values. */
  readonly type?: string;
  /** Absent for non-tensor values. */
  readonly shape?: readonly (number | string)[];
}

/** Session options in the JSON-cloneable subset of onnxruntime-node's SessionOptions. */
export interface WorkerSessionOptions {
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly executionMode?: 'sequential' | 'parallel';
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly enableCpuMemArena?: boolean;
  readonly enableMemPattern?: boolean;
  readonly executionProviders: readonly ({ readonly name: 'cpu' } | { readonly name: 'cuda'; readonly deviceId: number })[];
  /** Session config entries (`session.*`, `memory.*` keys). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** What the worker is started with (`workerData`). */
export interface WorkerInit {
  readonly modelPath: string;
  readonly options: WorkerSessionOptions;
}

/** Main thread → worker: run the session once. */
export interface RunMessage {
  readonly op: 'run';
  readonly id: number;
  readonly feeds: Readonly<Record<string, WireTensor>>;
  readonly fetches: readonly string[];
}

/**
 * Main thread → worker: finish the run in flight, release the session and exit. Workers are never
 * terminated from outside while onnxruntime may be running (measured with onnxruntime-node 1.30:
 * `worker.terminate()` during `session.run` aborts the whole process with an uncaught Napi::Error).
 */
export interface CloseMessage {
  readonly op: 'close';
}

/** Everything the main thread sends. */
export type ToWorkerMessage = RunMessage | CloseMessage;

/** Worker → main thread. */
export type WorkerMessage =
  | { readonly op: 'loaded'; readonly inputs: readonly WireValueMeta[]; readonly outputs: readonly WireValueMeta[] }
  | { readonly op: 'load-failed'; readonly message: string }
  | { readonly op: 'result'; readonly id: number; readonly outputs: Readonly<Record<string, WireTensor>> }
  | { readonly op: 'run-failed'; readonly id: number; readonly message: string };

/** The buffers of `tensors` that can be moved instead of copied. */
export function transferList(tensors: Iterable<WireTensor>): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of tensors) {
    if (ArrayBuffer.isView(t.data) && t.data.buffer instanceof ArrayBuffer && !list.includes(t.data.buffer)) {
      list.push(t.data.buffer);
    }
  }
  return list;
}
