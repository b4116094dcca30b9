/**
 * Triton's sequence batcher for stateful models. Requests carry a correlation id with START/END
 * flags; each sequence is bound to one slot of one instance for its lifetime (a batch position
 * under `direct`, one of `max_candidate_sequences` candidates under `oldest`). New sequences wait
 * in a backlog while every slot is taken. Requests of one sequence run strictly in order, one at
 * a time; the batcher fills the control inputs and carries implicit state between them. A slot
 * is freed when its sequence's END has executed, or when the sequence has been idle for
 * `max_sequence_idle_microseconds`.
 */
import type { BatchInstance, ModelInstance } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import { InferError, invalidArgument, toInferError } from '../errors.js';
import { failureReasonOf, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, Tensor } from '../types.js';
import { systemClock, type Clock } from './clock.js';
import type { Scheduler } from './scheduler.js';
import { controlTensors, sequenceControlPlan, sequenceStateOutputs, type SequenceControlPlan } from './sequence-controls.js';
import { backendOutputs, backendRequest, clientOutputs, paddingRequest } from './sequence-requests.js';
import { loadStateSlots, SequenceStateStore, type StateSlot } from './sequence-state.js';

/** Options of a sequence batcher. */
export interface SequenceBatcherOptions {
  /** The normalized config; `sequence_batching` must be set. */
  readonly config: ModelConfig;
  readonly instances: readonly ModelInstance[];
  readonly stats: VersionStatistics;
  /** Model directory, where `initial_state/<data_file>` lives. */
  readonly modelDir: string;
  readonly clock?: Clock;
}

interface Item {
  readonly request: InferenceRequest;
  readonly sequence: Sequence;
  /** Control tensors, fixed by the request's flags at enqueue time. */
  readonly controls: readonly Tensor[];
  readonly enqueuedUs: number;
  /** Arrival order, which breaks ties between equal timestamps. */
  readonly arrival: number;
  readonly resolve: (outputs: readonly Tensor[]) => void;
  readonly reject: (err: InferError) => void;
  readonly onAbort: () => void;
}

interface Sequence {
  readonly id: string;
  readonly queue: Item[];
  running: boolean;
  /** Set once its END was enqueued: the id no longer routes here. */
  ended: boolean;
  lastUs: number;
  slot: Slot | undefined;
  state: SequenceStateStore | undefined;
}

interface Slot {
  readonly instance: InstanceSlots;
  /** Batch position under `direct`. */
  readonly index: number;
  sequence: Sequence | undefined;
}

interface InstanceSlots {
  readonly instance: BatchInstance;
  readonly slots: Slot[];
  busy: boolean;
}

/** A batch member: a client request, or padding for an empty direct slot. */
type Entry = { readonly item: Item } | { readonly item?: undefined };

/** The sequence batcher of one model version. */
export class SequenceBatcher implements Scheduler {
  private readonly clock: Clock;
  private readonly plan: SequenceControlPlan;
  private readonly stateSlots: readonly StateSlot[];
  private readonly stateOutputs: ReadonlySet<string>;
  private readonly allOutputs: readonly string[];
  private readonly instances: InstanceSlots[];
  private readonly direct: boolean;
  private readonly maxBatch: number;
  private readonly delayUs: number;
  private readonly minUtilization: number;
  private readonly preferred: readonly number[];
  private readonly idleUs: number;
  /** Correlation id → sequence, for sequences whose END has not been enqueued. */
  private readonly active = new Map<string, Sequence>();
  /** Sequences waiting for a slot, in START order. */
  private readonly backlog: Sequence[] = [];
  private numQueued = 0;
  private arrivals = 0;
  private running = 0;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: SequenceBatcherOptions) {
    const config = opts.config;
    const sb = config.sequence_batching;
    if (!sb) throw new Error(`model '${config.name}' has no sequence_batching`);
    this.clock = opts.clock ?? systemClock;
    this.plan = sequenceControlPlan(config);
    this.stateSlots = loadStateSlots(config, opts.modelDir);
    this.stateOutputs = sequenceStateOutputs(config);
    this.allOutputs = (config.output ?? []).map((o) => o.name);
    this.direct = !sb.oldest;
    this.maxBatch = Math.max(1, config.max_batch_size ?? 0);
    this.delayUs = (this.direct ? sb.direct?.max_queue_delay_microseconds : sb.oldest?.max_queue_delay_microseconds) ?? 0;
    this.minUtilization = sb.direct?.minimum_slot_utilization ?? 0;
    this.preferred = sb.oldest?.preferred_batch_size ?? [];
    this.idleUs = sb.max_sequence_idle_microseconds ?? 1_000_000;
    const perInstance = this.direct ? this.maxBatch : sb.oldest?.max_candidate_sequences || this.maxBatch;
    this.instances = opts.instances.map((instance) => {
      if (instance.kind !== 'batch') throw new Error('sequence batching needs batch (non-decoupled) instances');
      const entry: InstanceSlots = { instance, slots: [], busy: false };
      for (let i = 0; i < perInstance; i++) entry.slots.push({ instance: entry, index: i, sequence: undefined });
      return entry;
    });
  }

  /** Requests queued or executing. */
  get inflight(): number {
    return this.numQueued + this.running;
  }

  /** Requests waiting, in slots or in the backlog. */
  get queued(): number {
    return this.numQueued;
  }

  enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    const model = request.model.name;
    if (this.draining) return Promise.reject(new InferError('UNAVAILABLE', `model '${model}' is unloading`));
    if (request.signal.aborted) return Promise.reject(new InferError('CANCELLED', 'request cancelled by the client'));
    const info = request.sequence;
    if (!info || info.id === '' || info.id === '0') {
      return Promise.reject(invalidArgument(`inference request to model '${model}' must specify a non-zero or non-empty correlation ID`));
    }
    if (this.plan.batching && (request.inputs[0]?.shape[0] ?? 1) > 1) {
      return Promise.reject(invalidArgument(`inference request to model '${model}' must specify batch-size 1 due to requirements of sequence batcher`));
    }
    let sequence = this.active.get(info.id);
    if (!info.start && !sequence) {
      return Promise.reject(
        invalidArgument(`inference request for sequence ${info.id} to model '${model}' must specify the START flag on the first request of the sequence`),
      );
    }
    let controls: Tensor[];
    try {
      controls = controlTensors(this.plan, { start: info.start, end: info.end, ready: true }, info.id, model);
    } catch (err) {
      return Promise.reject(toInferError(err));
    }
    const now = this.clock.nowUs();
    if (!sequence) {
      sequence = { id: info.id, queue: [], running: false, ended: false, lastUs: now, slot: undefined, state: undefined };
      this.active.set(info.id, sequence);
      this.bindOrBacklog(sequence);
    }
    const seq = sequence;
    seq.lastUs = now;
    if (info.end) {
      // NOTE: like Triton, END stops routing the id here; a later START opens a new sequence.
      seq.ended = true;
      this.active.delete(info.id);
    }
    return new Promise((resolve, reject) => {
      const item: Item = { request, sequence: seq, controls, enqueuedUs: now, arrival: this.arrivals++, resolve, reject, onAbort: () => this.cancel(item) };
      seq.queue.push(item);
      this.numQueued += 1;
      request.signal.addEventListener('abort', item.onAbort, { once: true });
      this.schedule();
    });
  }

  enqueueStream(request: InferenceRequest): Promise<void> {
    return Promise.reject(new InferError('UNSUPPORTED', `model '${request.model.name}' is not decoupled`));
  }

  drain(): Promise<void> {
    this.draining = true;
    // NOTE: backlogged sequences might never get a slot (active ones need not end), so they fail now.
    for (const seq of this.backlog.splice(0)) {
      for (const item of seq.queue.splice(0)) this.fail(item, new InferError('UNAVAILABLE', `model '${item.request.model.name}' is unloading`), true);
    }
    this.schedule();
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Reap idle sequences, then send a batch on every free instance that has one ready. */
  private schedule(): void {
    const now = this.clock.nowUs();
    this.reapIdle(now);
    let wakeAt = Infinity;
    for (const inst of this.instances) {
      if (inst.busy) continue;
      const picked = this.direct ? this.pickDirect(inst, now) : this.pickOldest(inst, now);
      if (Array.isArray(picked)) this.execute(inst, picked);
      else wakeAt = Math.min(wakeAt, picked);
    }
    this.armTimer(Math.min(wakeAt, this.nextIdleDeadline()));
    this.checkDrained();
  }

  /** Direct: one request per ready slot, padding below the highest ready position; or when to look again. */
  private pickDirect(inst: InstanceSlots, now: number): Entry[] | number {
    const ready = inst.slots.filter((s) => s.sequence && !s.sequence.running && s.sequence.queue.length > 0);
    if (ready.length === 0) return Infinity;
    const oldest = Math.min(...ready.map((s) => (s.sequence as Sequence).queue[0]!.enqueuedUs));
    const underused = ready.length / inst.slots.length < this.minUtilization;
    if (this.delayUs > 0 && underused && now - oldest < this.delayUs && !this.draining) return oldest + this.delayUs;
    const last = Math.max(...ready.map((s) => s.index));
    return inst.slots.slice(0, last + 1).map((s) => (ready.includes(s) ? { item: (s.sequence as Sequence).queue[0]! } : {}));
  }

  /** Oldest: the oldest ready heads of this instance's sequences, sent under the batching rules. */
  private pickOldest(inst: InstanceSlots, now: number): Entry[] | number {
    const heads = inst.slots
      .flatMap((s) => (s.sequence && !s.sequence.running && s.sequence.queue.length > 0 ? [s.sequence.queue[0]!] : []))
      .sort((a, b) => a.arrival - b.arrival)
      .slice(0, this.maxBatch);
    if (heads.length === 0) return Infinity;
    const due = heads[0]!.enqueuedUs + this.delayUs;
    const send = heads.length >= this.maxBatch || this.delayUs === 0 || this.preferred.includes(heads.length) || now >= due || this.draining;
    return send ? heads.map((item) => ({ item })) : due;
  }

  private execute(inst: InstanceSlots, entries: Entry[]): void {
    inst.busy = true;
    const items = entries.flatMap((e) => (e.item ? [e.item] : []));
    const requests: InferenceRequest[] = [];
    for (const item of items) {
      item.sequence.queue.shift();
      item.sequence.running = true;
      item.request.signal.removeEventListener('abort', item.onAbort);
      requests.push(this.prepare(item));
    }
    this.numQueued -= items.length;
    this.running += items.length;
    const template = requests[0] as InferenceRequest;
    let next = 0;
    const batch = entries.map((e) => (e.item ? (requests[next++] as InferenceRequest) : paddingRequest(template, this.plan, template.model.name)));
    const startUs = this.clock.nowUs();
    const finish = (outcome: (item: Item, position: number) => void): void => {
      this.running -= items.length;
      inst.busy = false;
      entries.forEach((e, position) => e.item && outcome(e.item, position));
      for (const item of items) this.afterRun(item.sequence);
      this.schedule();
    };
    void inst.instance.execute(batch).then(
      (responses) => {
        const inferNs = (this.clock.nowUs() - startUs) * 1000;
        this.opts.stats.recordExecution(items.length, 0, inferNs, 0);
        finish((item, position) => {
          const r = responses[position];
          if (!r) return this.fail(item, new InferError('INTERNAL', 'backend returned too few responses'));
          if (!r.ok) return this.fail(item, r.error);
          item.sequence.state?.update(r.outputs, this.plan.batching);
          this.succeed(item, clientOutputs(r.outputs, item.request, this.stateOutputs), startUs, inferNs);
        });
      },
      (err: unknown) => finish((item) => this.fail(item, toInferError(err))),
    );
  }

  /** The backend request of a queued item; a START (or a first request) begins from the initial state. */
  private prepare(item: Item): InferenceRequest {
    const seq = item.sequence;
    if (this.stateSlots.length > 0) {
      if (!seq.state) seq.state = new SequenceStateStore(this.stateSlots);
      else if (item.request.sequence?.start) seq.state.reset();
    }
    const state = seq.state?.inputs(this.plan.batching) ?? [];
    return backendRequest(item.request, item.controls, state, backendOutputs(item.request, this.allOutputs, this.stateOutputs));
  }

  /** After a request of `seq` ran: its slot is freed once the sequence has ended and drained. */
  private afterRun(seq: Sequence): void {
    seq.running = false;
    seq.lastUs = this.clock.nowUs();
    if (seq.ended && seq.queue.length === 0) this.release(seq);
  }

  private bindOrBacklog(seq: Sequence): void {
    const free = this.freeSlot();
    if (free) this.bind(seq, free);
    else this.backlog.push(seq);
  }

  /** The free slot with the lowest position, spreading sequences over instances. */
  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const inst of this.instances) {
      for (const slot of inst.slots) {
        if (!slot.sequence && (!best || slot.index < best.index)) best = slot;
      }
    }
    return best;
  }

  private bind(seq: Sequence, slot: Slot): void {
    slot.sequence = seq;
    seq.slot = slot;
  }

  /** Frees the sequence's slot (or backlog place) and hands the slot to the oldest backlogged sequence. */
  private release(seq: Sequence): void {
    seq.state = undefined;
    const at = this.backlog.indexOf(seq);
    if (at >= 0) this.backlog.splice(at, 1);
    const slot = seq.slot;
    if (!slot) return;
    slot.sequence = undefined;
    seq.slot = undefined;
    const next = this.backlog.shift();
    if (next) this.bind(next, slot);
  }

  /** Releases slots of sequences idle for max_sequence_idle_microseconds; their ids then need a new START. */
  private reapIdle(now: number): void {
    for (const [id, seq] of this.active) {
      if (!seq.slot || seq.running || seq.queue.length > 0 || now - seq.lastUs < this.idleUs) continue;
      this.active.delete(id);
      this.release(seq);
    }
  }

  private nextIdleDeadline(): number {
    let at = Infinity;
    for (const seq of this.active.values()) {
      if (seq.slot && !seq.running && seq.queue.length === 0) at = Math.min(at, seq.lastUs + this.idleUs);
    }
    return at;
  }

  private cancel(item: Item): void {
    const seq = item.sequence;
    const at = seq.queue.indexOf(item);
    if (at < 0) return;
    seq.queue.splice(at, 1);
    this.fail(item, new InferError('CANCELLED', 'request cancelled by the client'), true);
    if (seq.ended && seq.queue.length === 0 && !seq.running) this.release(seq);
    this.schedule();
  }

  private succeed(item: Item, outputs: readonly Tensor[], startUs: number, inferNs: number): void {
    const totalNs = (this.clock.nowUs() - item.enqueuedUs) * 1000;
    this.opts.stats.recordSuccess({ totalNs, queueNs: (startUs - item.enqueuedUs) * 1000, computeInputNs: 0, computeInferNs: inferNs, computeOutputNs: 0 }, 1, item.request);
    item.resolve(outputs);
  }

  /** Fails one item; `queued` says it is still counted as waiting. */
  private fail(item: Item, err: InferError, queued = false): void {
    if (queued) this.numQueued -= 1;
    item.request.signal.removeEventListener('abort', item.onAbort);
    this.opts.stats.recordFailure((this.clock.nowUs() - item.enqueuedUs) * 1000, failureReasonOf(err.code), item.request);
    item.reject(err);
  }

  private armTimer(wanted: number): void {
    const at = this.draining && this.inflight === 0 ? Infinity : wanted;
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.schedule();
    }, at - this.clock.nowUs());
  }

  private checkDrained(): void {
    if (this.draining && this.inflight === 0 && this.drained) {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.drained();
      this.drained = undefined;
    }
  }
}
