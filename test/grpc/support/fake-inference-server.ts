/**
 * An in-memory InferenceServer for protocol tests: it records what the front-end decoded and
 * answers with behaviour chosen per model, so every wire path can be reached without the core.
 *   echo    returns its inputs as outputs (same names), request parameters as result parameters;
 *           parameter `delay_ms` delays the answer.
 *   repeat  decoupled: one INT32 [1] result per element of input IN, `delay_ms` apart, then an
 *           empty final result.
 *   fail    throws InferError with the code named by parameter `code`.
 *   crash   throws a plain Error (whose message must never reach the client).
 *   hang    never answers until the request's signal aborts.
 */
import type { ModelConfig } from '../../../src/config/model-config.js';
import { InferError, type ErrorCode } from '../../../src/core/errors.js';
import type {
  InferenceServer,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../../../src/core/inference-server.js';
import type { InferenceRequest, InferenceResult, Tensor } from '../../../src/core/types.js';

const MODELS: Record<string, ModelConfig> = {
  echo: { name: 'echo', backend: 'fake', max_batch_size: 0 },
  repeat: { name: 'repeat', backend: 'fake', model_transaction_policy: { decoupled: true } },
  fail: { name: 'fail', backend: 'fake' },
  crash: { name: 'crash', backend: 'fake' },
  hang: { name: 'hang', backend: 'fake' },
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Every stat set to one recognisable value, with a count past 2^32 to prove 64-bit transport. */
function stats(name: string): ModelStatistics {
  const d = () => ({ count: 5_000_000_000, ns: 123_456_789 });
  return {
    name,
    version: '1',
    last_inference: 1_700_000_000_123,
    inference_count: 7,
    execution_count: 3,
    inference_stats: {
      success: d(), fail: d(), queue: d(), compute_input: d(), compute_infer: d(), compute_output: d(), cache_hit: d(), cache_miss: d(),
    },
    batch_stats: [{ batch_size: 4, compute_input: d(), compute_infer: d(), compute_output: d() }],
  };
}

/** The fake. Public fields record what arrived so tests can assert on the decoded requests. */
export class FakeInferenceServer implements InferenceServer {
  llmModel(name: string): never {
    throw new InferError('NOT_FOUND', `no LLM '${name}'`);
  }
  async listLlmModels(): Promise<[]> {
    return [];
  }
  readonly requests: InferenceRequest[] = [];
  /** Ids of requests whose AbortSignal fired. */
  readonly aborted: string[] = [];
  readonly loads: { name: string; options?: LoadOptions }[] = [];
  readonly unloads: { name: string; options?: { unloadDependents?: boolean } }[] = [];
  ready = true;

  isLive(): boolean {
    return true;
  }

  isReady(): boolean {
    return this.ready;
  }

  serverMetadata(): ServerMetadata {
    return { name: 'inferd', version: '9.9.9', extensions: ['classification', 'statistics'] };
  }

  private config(name: string, version?: number): ModelConfig {
    const config = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
    if (!config || (version !== undefined && version !== 1)) {
      throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' version ${version ?? '-'} is not found`);
    }
    return config;
  }

  modelMetadata(name: string, version?: number): ModelMetadata {
    this.config(name, version);
    return {
      name,
      versions: ['1'],
      platform: 'fake',
      inputs: [{ name: 'IN', datatype: 'INT32', shape: [-1, 16] }],
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: [-1, 16] }],
    };
  }

  isModelReady(name: string, version?: number): boolean {
    try {
      this.config(name, version);
      return true;
    } catch {
      return false;
    }
  }

  modelConfig(name: string, version?: number): ModelConfig {
    return this.config(name, version);
  }

  private watch(request: InferenceRequest): void {
    this.requests.push(request);
    request.signal.addEventListener('abort', () => this.aborted.push(request.id), { once: true });
  }

  async infer(request: InferenceRequest): Promise<InferenceResult> {
    this.watch(request);
    const config = this.config(request.model.name, request.model.version);
    if (config.model_transaction_policy?.decoupled) throw new InferError('UNSUPPORTED', `model '${config.name}' is decoupled`);
    const model = { name: config.name, version: 1 };
    switch (config.name) {
      case 'fail':
        throw new InferError(String(request.parameters['code'] ?? 'INTERNAL') as ErrorCode, 'fake failure');
      case 'crash':
        throw new Error('secret internal detail');
      case 'hang':
        await sleep(60_000, request.signal);
        break;
      default:
        await sleep(Number(request.parameters['delay_ms'] ?? 0), request.signal);
    }
    const wanted = request.outputs?.map((o) => o.name);
    const outputs: Tensor[] = request.inputs.filter((t) => !wanted || wanted.includes(t.name));
    const parameters = Object.keys(request.parameters).length > 0 ? request.parameters : undefined;
    return { id: request.id, model, outputs, final: true, ...(parameters && { parameters }) };
  }

  async *inferStream(request: InferenceRequest): AsyncIterable<InferenceResult> {
    const config = this.config(request.model.name, request.model.version);
    if (!config.model_transaction_policy?.decoupled) {
      yield await this.infer(request);
      return;
    }
    this.watch(request);
    const model = { name: config.name, version: 1 };
    const input = request.inputs.find((t) => t.name === 'IN');
    if (!input || input.datatype !== 'INT32') throw new InferError('INVALID_ARGUMENT', "repeat needs INT32 input 'IN'");
    const delay = Number(request.parameters['delay_ms'] ?? 0);
    for (const value of input.data as Int32Array) {
      await sleep(delay, request.signal);
      const out: Tensor = { name: 'OUT', datatype: 'INT32', shape: [1], data: Int32Array.of(value) };
      yield { id: request.id, model, outputs: [out], final: false };
    }
    yield { id: request.id, model, outputs: [], final: true };
  }

  async repositoryIndex(options?: { readyOnly?: boolean }): Promise<readonly RepositoryIndexEntry[]> {
    const ready = Object.keys(MODELS).map((name) => ({ name, version: '1', state: 'READY' as const }));
    if (options?.readyOnly) return ready;
    return [...ready, { name: 'broken', version: '1', state: 'UNAVAILABLE', reason: 'no backend' }, { name: 'never_loaded' }];
  }

  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    this.loads.push({ name, options });
    if (name === 'missing') throw new InferError('NOT_FOUND', `failed to load '${name}', no version is available`);
  }

  async unloadModel(name: string, options?: { unloadDependents?: boolean }): Promise<void> {
    this.unloads.push({ name, options });
  }

  modelStatistics(name?: string, version?: number): readonly ModelStatistics[] {
    if (name === undefined) return Object.keys(MODELS).map(stats);
    this.config(name, version);
    return [stats(name)];
  }
}
