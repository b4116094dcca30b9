/**
 * What the sequence batcher hands a backend: each client request plus its control and state
 * inputs and the state outputs it must produce; padding requests for idle direct-strategy slots;
 * and the client's view of the outputs afterwards (state outputs hidden unless requested).
 */
import type { InferenceRequest, RequestedOutput, Tensor } from '../types.js';
import { controlTensors, type SequenceControlPlan } from './sequence-controls.js';
import { zeros } from './sequence-state.js';

/** Output names to ask a backend for: the client's (or all non-state outputs) plus every state output. */
export function backendOutputs(request: InferenceRequest, allOutputs: readonly string[], stateOutputs: ReadonlySet<string>): RequestedOutput[] {
  const wanted: RequestedOutput[] = request.outputs ? [...request.outputs] : allOutputs.filter((n) => !stateOutputs.has(n)).map((name) => ({ name }));
  for (const name of stateOutputs) if (!wanted.some((o) => o.name === name)) wanted.push({ name });
  return wanted;
}

/** The request a backend executes: client inputs, then controls, then state inputs. */
export function backendRequest(
  request: InferenceRequest,
  controls: readonly Tensor[],
  state: readonly Tensor[],
  outputs: readonly RequestedOutput[],
): InferenceRequest {
  return { ...request, inputs: [...request.inputs, ...controls, ...state], outputs };
}

const neverAborted = new AbortController().signal;

/**
 * A padding request for a direct-strategy batch slot that has nothing ready (Triton's null
 * request): the template's inputs zero-filled, controls saying "not ready"; its answer is dropped.
 */
export function paddingRequest(template: InferenceRequest, plan: SequenceControlPlan, modelName: string): InferenceRequest {
  const notReady = new Map(controlTensors(plan, { start: false, end: false, ready: false }, '0', modelName).map((t) => [t.name, t]));
  const inputs = template.inputs.map((t) => notReady.get(t.name) ?? { ...t, data: zeros(t.datatype, t.data.length) });
  return { ...template, id: '', inputs, sequence: undefined, signal: neverAborted };
}

/** The outputs the client sees: those it requested, or all except the state outputs. */
export function clientOutputs(outputs: readonly Tensor[], request: InferenceRequest, stateOutputs: ReadonlySet<string>): Tensor[] {
  if (request.outputs) {
    const names = new Set(request.outputs.map((o) => o.name));
    return outputs.filter((t) => names.has(t.name));
  }
  return outputs.filter((t) => !stateOutputs.has(t.name));
}
