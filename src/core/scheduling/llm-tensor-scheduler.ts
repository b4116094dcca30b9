/**
 * KServe inference on an LLM, the way Triton's vLLM backend shapes it: one-element input tensors
 * (`text_input`, `max_tokens`, `stream`, `sampling_parameters`, ...) become one generation on the
 * model's continuous batcher, and `text_output` comes back as one response (`stream` false) or one
 * response per text delta (`stream` true). Optional `finish_reason`, `num_input_tokens` and
 * `num_output_tokens` outputs follow the backend's `return_*` switches.
 */
import { InferError, invalidArgument, toInferError } from '../errors.js';
import type { GenerationEvent, LlmModel, LlmUsage } from '../llm/types.js';
import { parseTritonLlmRequest, type GenerateCall } from '../llm/triton-llm-request.js';
import { nowNs, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, Tensor } from '../types.js';
import type { Scheduler } from './scheduler.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The value of a one-element input tensor, as the settings parser reads it. */
function scalarOf(tensor: Tensor): unknown {
  if (tensor.data.length !== 1) {
    throw invalidArgument(`input '${tensor.name}' must hold exactly one element (one prompt per request), got ${tensor.data.length}`);
  }
  if (tensor.datatype === 'BYTES') {
    try {
      return utf8Decoder.decode((tensor.data as readonly Uint8Array[])[0]);
    } catch {
      throw invalidArgument(`input '${tensor.name}' is not valid UTF-8`);
    }
  }
  const v = (tensor.data as ArrayLike<number | bigint>)[0]!;
  if (tensor.datatype === 'BOOL') return v !== 0;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** The settings object of a KServe request: one key per input tensor, then request parameters. */
function callOf(request: InferenceRequest): GenerateCall {
  const body: Record<string, unknown> = {};
  const parameters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request.parameters)) {
    // NOTE: these parameters belong to the protocol (Triton's reserved names), not to generation.
    if (!k.startsWith('triton_') && k !== 'binary_data_output' && k !== 'priority' && k !== 'timeout') parameters[k] = v;
  }
  body.parameters = parameters;
  for (const t of request.inputs) body[t.name] = scalarOf(t);
  return parseTritonLlmRequest(body, request.id || 'kserve-llm');
}

function bytesTensor(name: string, text: string): Tensor {
  return { name, datatype: 'BYTES', shape: [1], data: [utf8.encode(text)] };
}

function countTensor(name: string, n: number): Tensor {
  return { name, datatype: 'UINT32', shape: [1], data: Uint32Array.of(n) };
}

function finalOutputs(call: GenerateCall, text: string, finishReason: string, usage: LlmUsage): Tensor[] {
  const out = [bytesTensor('text_output', text)];
  if (call.returns.finishReason) out.push(bytesTensor('finish_reason', finishReason));
  if (call.returns.inputTokens) out.push(countTensor('num_input_tokens', usage.promptTokens));
  if (call.returns.outputTokens) out.push(countTensor('num_output_tokens', usage.completionTokens));
  return out;
}

/** The Scheduler of an LLM model version; the LlmModel owns queueing and batching. */
export class LlmTensorScheduler implements Scheduler {
  private active = 0;

  constructor(
    private readonly llm: LlmModel,
    private readonly stats: VersionStatistics,
  ) {}

  get inflight(): number {
    return this.active;
  }

  get queued(): number {
    return this.llm.stats().waiting;
  }

  async enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    let last: readonly Tensor[] = [];
    await this.run(request, (outputs) => (last = outputs), false);
    return last;
  }

  enqueueStream(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void): Promise<void> {
    return this.run(request, emit, true);
  }

  drain(): Promise<void> {
    return this.llm.drain();
  }

  private async run(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void, streaming: boolean): Promise<void> {
    const startNs = nowNs();
    this.active++;
    try {
      const call = callOf(request);
      const events = await this.llm.generate({ ...call.request, priority: call.request.priority || request.priority, signal: request.signal });
      const stream = streaming && call.stream;
      let text = !stream && !call.excludeInput ? call.text : '';
      let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
      for await (const event of events) {
        if (event.type === 'text') {
          if (stream && event.text.length > 0) emit([bytesTensor('text_output', event.text)]);
          else text += event.text;
        } else if (event.type === 'tool_calls') {
          throw new InferError('INTERNAL', 'tool calls are not expressible as KServe text_output');
        } else {
          done = event;
        }
      }
      if (!done) throw new InferError('INTERNAL', 'generation ended without a finish reason');
      const wantsSummary = call.returns.finishReason || call.returns.inputTokens || call.returns.outputTokens;
      if (!stream || wantsSummary) emit(finalOutputs(call, stream ? '' : text, done.finishReason, done.usage));
      // NOTE: the batcher interleaves waiting, prefill and decoding per step, so the whole request counts as compute.
      const totalNs = nowNs() - startNs;
      this.stats.recordExecution(1, 0, totalNs, 0);
      this.stats.recordSuccess({ totalNs, queueNs: 0, computeInputNs: 0, computeInferNs: totalNs, computeOutputNs: 0 }, 1, request);
    } catch (err) {
      const error = toInferError(err);
      const reason = error.code === 'CANCELLED' ? 'CANCELED' : error.code === 'RATE_LIMITED' || error.code === 'QUEUE_FULL' ? 'REJECTED' : 'BACKEND';
      this.stats.recordFailure(nowNs() - startNs, reason, request);
      throw error;
    } finally {
      this.active--;
    }
  }
}
