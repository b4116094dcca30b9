/**
 * One model instance: a session in its own worker thread. Batching models get the whole batch
 * concatenated into a single run; non-batching models run their requests one by one. When the
 * worker dies the requests in flight fail with INTERNAL and the next execute starts a new worker.
 * When that restart fails the instance is lost for good: this and every later execute reject
 * with UNAVAILABLE, which tells the scheduler to stop sending it work.
 */
import { InferError, toInferError } from '../../core/errors.js';
import type { InferenceRequest, InstanceResponse } from '../../core/types.js';
import type { BackendLogger, BatchInstance } from '../backend.js';
import { fetchesOf, gatherFeeds, partitionByLayout, prepareRequest, scatterOutputs, type PreparedRequest } from './batch-codec.js';
import type { ModelPlan } from './model-plan.js';
import type { SessionHost } from './session-host.js';

/** Starts a fresh session worker for this instance (used after a worker death). */
export type HostFactory = () => Promise<SessionHost>;

/** A BatchInstance backed by a SessionHost. At most one execute is in flight (the scheduler's rule). */
export class OnnxRuntimeInstance implements BatchInstance {
  readonly kind = 'batch';
  private host: SessionHost | undefined;
  private disposed = false;
  /** Set once a worker restart failed; every later execute rejects with it. */
  private lost: InferError | undefined;

  constructor(
    private readonly plan: ModelPlan,
    host: SessionHost,
    private readonly spawn: HostFactory,
    private readonly log: BackendLogger,
  ) {
    this.host = host;
  }

  /** Answers each request once, in order; validation failures and run failures are per-request errors. */
  async execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]> {
    if (this.disposed) throw new InferError('UNAVAILABLE', `an instance of model '${this.plan.modelName}' was disposed`);
    if (this.lost) throw this.lost;
    const responses = new Array<InstanceResponse>(batch.length);
    const ready: PreparedRequest[] = [];
    batch.forEach((req, i) => {
      const prepared = prepareRequest(this.plan, req, i);
      if (prepared instanceof InferError) responses[i] = { ok: false, error: prepared };
      else ready.push(prepared);
    });
    if (this.plan.maxBatchSize > 0) {
      const { fit, misfit } = partitionByLayout(ready);
      for (const m of misfit) {
        responses[m.index] = { ok: false, error: new InferError('INVALID_ARGUMENT', 'input shapes differ from the other requests of the batch') };
      }
      if (fit.length > 0) await this.runGroup(fit, responses);
    } else {
      for (const m of ready) await this.runGroup([m], responses);
    }
    return responses;
  }

  /** Stops the worker; later executes fail with UNAVAILABLE. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const host = this.host;
    this.host = undefined;
    await host?.terminate();
  }

  private async runGroup(members: readonly PreparedRequest[], responses: InstanceResponse[]): Promise<void> {
    // NOTE: outside the try on purpose: an instance that cannot get a worker fails the whole execute.
    const host = await this.liveHost();
    let results: readonly InstanceResponse[];
    try {
      const outputs = await host.run(gatherFeeds(this.plan, members), fetchesOf(this.plan, members));
      results = scatterOutputs(this.plan, members, outputs);
    } catch (err) {
      const error = toInferError(err);
      if (error.code === 'INTERNAL') this.log.warn('onnxruntime run failed', { model: this.plan.modelName, error: error.message });
      results = members.map(() => ({ ok: false, error }));
    }
    members.forEach((m, i) => (responses[m.index] = results[i]!));
  }

  private async liveHost(): Promise<SessionHost> {
    if (this.host?.alive) return this.host;
    const death = this.host?.failure ?? 'the onnxruntime worker is gone';
    this.log.warn('restarting the onnxruntime worker', { model: this.plan.modelName, reason: death });
    this.host = undefined;
    let host: SessionHost;
    try {
      host = await this.spawn();
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      this.lost = new InferError(
        'UNAVAILABLE',
        `an instance of model '${this.plan.modelName}' is lost: ${death}, and restarting its worker failed: ${cause}`,
        { cause: err },
      );
      this.log.error('onnxruntime instance lost', { model: this.plan.modelName, reason: this.lost.message });
      throw this.lost;
    }
    if (this.disposed) {
      await host.terminate();
      throw new InferError('UNAVAILABLE', `an instance of model '${this.plan.modelName}' was disposed`);
    }
    this.host = host;
    return host;
  }
}
