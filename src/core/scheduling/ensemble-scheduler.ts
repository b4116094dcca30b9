/**
 * Triton's ensemble scheduler: runs `ensemble_scheduling.step` as a data-flow graph. A step starts
 * as soon as every ensemble tensor its `input_map` reads exists, so independent steps run in
 * parallel; its outputs are renamed through `output_map` into ensemble tensors. Composing models
 * run through the facade's infer path (their own validation, schedulers and statistics).
 */
import type { EnsembleStep, ModelConfig } from '../../config/model-config.js';
import { InferError, toInferError } from '../errors.js';
import { nowNs, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InferenceResult, Tensor } from '../types.js';
import type { Scheduler } from './scheduler.js';

/** Runs one request on a composing model; the facade's `infer`. */
export type ComposingInfer = (request: InferenceRequest) => Promise<InferenceResult>;

/** Options of an ensemble scheduler. */
export interface EnsembleSchedulerOptions {
  /** The ensemble's normalized config. */
  readonly config: ModelConfig;
  readonly infer: ComposingInfer;
  readonly stats: VersionStatistics;
  /** Batch size of a request (first dim when the ensemble batches, else 1). */
  readonly batchSizeOf: (request: InferenceRequest) => number;
}

/** One ensemble request in flight: the tensors made so far and the steps still to run. */
interface Run {
  readonly request: InferenceRequest;
  readonly tensors: Map<string, Tensor>;
  readonly started: Set<number>;
  /** Aborts every running step when the ensemble fails or the client goes away. */
  readonly controller: AbortController;
  /** Summed duration of step calls, reported as the ensemble's compute time. */
  stepNs: number;
  running: number;
  failed: boolean;
}

/** The scheduler of one ensemble version. */
export class EnsembleScheduler implements Scheduler {
  private readonly steps: readonly EnsembleStep[];
  private readonly outputNames: readonly string[];
  private active = 0;
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: EnsembleSchedulerOptions) {
    this.steps = opts.config.ensemble_scheduling?.step ?? [];
    if (this.steps.length === 0) throw new Error(`model '${opts.config.name}' has no ensemble steps`);
    this.outputNames = (opts.config.output ?? []).map((o) => o.name);
  }

  /** Ensemble requests in flight. */
  get inflight(): number {
    return this.active;
  }

  async enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    if (this.draining) throw new InferError('UNAVAILABLE', `model '${request.model.name}' is unloading`);
    if (request.signal.aborted) throw new InferError('CANCELLED', 'request cancelled by the client');
    const startNs = nowNs();
    const run: Run = {
      request,
      tensors: new Map(request.inputs.map((t) => [t.name, t])),
      started: new Set(),
      controller: new AbortController(),
      stepNs: 0,
      running: 0,
      failed: false,
    };
    const onAbort = (): void => run.controller.abort();
    request.signal.addEventListener('abort', onAbort, { once: true });
    this.active += 1;
    try {
      await this.execute(run);
      const outputs = this.outputNames.flatMap((name) => {
        const t = run.tensors.get(name);
        return t ? [t] : [];
      });
      const totalNs = nowNs() - startNs;
      const batchSize = this.opts.batchSizeOf(request);
      this.opts.stats.recordExecution(Math.max(1, batchSize), 0, run.stepNs, 0);
      this.opts.stats.recordSuccess({ totalNs, queueNs: 0, computeInputNs: 0, computeInferNs: run.stepNs, computeOutputNs: 0 }, batchSize);
      return outputs;
    } catch (err) {
      this.opts.stats.recordFailure(nowNs() - startNs);
      throw err;
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      this.active -= 1;
      this.checkDrained();
    }
  }

  enqueueStream(request: InferenceRequest): Promise<void> {
    return Promise.reject(new InferError('UNSUPPORTED', `ensemble '${request.model.name}' is not decoupled`));
  }

  drain(): Promise<void> {
    this.draining = true;
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Resolves when every step has run; rejects with the first step's error, naming the step. */
  private execute(run: Run): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: InferError): void => {
        if (run.failed) return;
        run.failed = true;
        run.controller.abort();
        reject(err);
      };
      const launchReady = (): void => {
        if (run.failed) return;
        this.steps.forEach((step, index) => {
          if (run.started.has(index) || !Object.values(step.input_map).every((t) => run.tensors.has(t))) return;
          run.started.add(index);
          run.running += 1;
          const stepStart = nowNs();
          this.opts
            .infer(this.stepRequest(run, step))
            .then(
              (result) => {
                run.stepNs += nowNs() - stepStart;
                run.running -= 1;
                this.collect(run, step, index, result);
                launchReady();
                if (!run.failed && run.running === 0) this.finish(run, resolve, fail);
              },
              (err: unknown) => {
                run.running -= 1;
                fail(this.stepError(run, step, index, err));
              },
            )
            .catch((err: unknown) => fail(this.stepError(run, step, index, err)));
        });
      };
      launchReady();
      if (run.running === 0) this.finish(run, resolve, fail);
    });
  }

  /** Called when no step runs: every output must exist, or the graph could not complete. */
  private finish(run: Run, resolve: () => void, fail: (err: InferError) => void): void {
    const missing = this.outputNames.filter((n) => !run.tensors.has(n));
    if (missing.length === 0) return resolve();
    const name = this.opts.config.name;
    if (run.request.signal.aborted) return fail(new InferError('CANCELLED', `in ensemble '${name}', request cancelled by the client`));
    fail(new InferError('INTERNAL', `in ensemble '${name}', output(s) ${missing.map((m) => `'${m}'`).join(', ')} were never produced`));
  }

  /** The request sent to a step's model: mapped inputs, only the mapped outputs, the ensemble's options. */
  private stepRequest(run: Run, step: EnsembleStep): InferenceRequest {
    const inputs = Object.entries(step.input_map).map(([modelInput, tensor]) => ({ ...(run.tensors.get(tensor) as Tensor), name: modelInput }));
    const version = step.model_version === -1 || step.model_version === undefined ? undefined : step.model_version;
    const { request } = run;
    return {
      id: request.id,
      model: version === undefined ? { name: step.model_name } : { name: step.model_name, version },
      inputs,
      outputs: Object.keys(step.output_map).map((name) => ({ name })),
      parameters: request.parameters,
      ...(request.sequence ? { sequence: request.sequence } : {}),
      priority: request.priority,
      ...(request.timeoutUs !== undefined ? { timeoutUs: request.timeoutUs } : {}),
      signal: run.controller.signal,
    };
  }

  /** Stores a step's outputs under their ensemble names. */
  private collect(run: Run, step: EnsembleStep, index: number, result: InferenceResult): void {
    for (const [modelOutput, tensor] of Object.entries(step.output_map)) {
      const out = result.outputs.find((t) => t.name === modelOutput);
      if (!out) {
        throw new InferError('INTERNAL', `in ensemble '${this.opts.config.name}', step ${index} ('${step.model_name}') did not return output '${modelOutput}'`);
      }
      run.tensors.set(tensor, { ...out, name: tensor });
    }
  }

  private stepError(run: Run, step: EnsembleStep, index: number, err: unknown): InferError {
    const e = toInferError(err);
    if (e.message.startsWith(`in ensemble '${this.opts.config.name}'`)) return e;
    const code = run.request.signal.aborted ? 'CANCELLED' : e.code;
    return new InferError(code, `in ensemble '${this.opts.config.name}', step ${index} ('${step.model_name}'): ${e.message}`, { cause: e });
  }

  private checkDrained(): void {
    if (this.draining && this.active === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }
}
