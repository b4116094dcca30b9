/**
 * Ensemble checks, after Triton's ValidateEnsembleSchedulingConfig and BuildEnsembleGraph: every
 * step is complete, ensemble tensors are written once, every ensemble input is used, every output
 * is reachable from the inputs, and no tensor dangles.
 */
import { invalidArgument } from '../core/errors.js';
import type { ModelConfig } from './model-config.js';

interface TensorNode {
  readonly name: string;
  isOutput: boolean;
  ready: boolean;
  readonly prev: TensorNode[];
  readonly next: TensorNode[];
}

function buildGraph(config: ModelConfig): Map<string, TensorNode> {
  const nodes = new Map<string, TensorNode>();
  const node = (name: string, isOutput: boolean): TensorNode => {
    let n = nodes.get(name);
    if (!n) nodes.set(name, (n = { name, isOutput, ready: false, prev: [], next: [] }));
    return n;
  };
  (config.ensemble_scheduling?.step ?? []).forEach((step, i) => {
    const where = `step ${i} of ensemble '${config.name}'`;
    if (!step.model_name) throw invalidArgument(`must specify 'model_name' in ${where}`);
    const inputs = Object.entries(step.input_map ?? {});
    const outputs = Object.entries(step.output_map ?? {});
    if (inputs.length === 0) throw invalidArgument(`must specify 'input_map' in ${where}`);
    if (outputs.length === 0) throw invalidArgument(`must specify 'output_map' in ${where}`);
    const written: TensorNode[] = [];
    for (const [, tensor] of outputs) {
      const existing = nodes.get(tensor);
      if (existing?.isOutput) {
        throw invalidArgument(`ensemble tensor '${tensor}' can appear in an output map only once for ensemble '${config.name}' step ${i}`);
      }
      const n = existing ?? node(tensor, true);
      n.isOutput = true;
      written.push(n);
    }
    for (const [, tensor] of inputs) {
      const read = node(tensor, false);
      for (const w of written) {
        w.prev.push(read);
        read.next.push(w);
      }
    }
  });
  return nodes;
}

/** Marks every tensor computable from the ensemble inputs as ready (breadth-first). */
function propagate(config: ModelConfig, nodes: Map<string, TensorNode>): void {
  const queue: TensorNode[] = [];
  for (const input of config.input ?? []) {
    const n = nodes.get(input.name);
    if (!n) throw invalidArgument(`ensemble input '${input.name}' for ensemble '${config.name}' is not used`);
    n.ready = true;
    queue.push(n);
  }
  for (let i = 0; i < queue.length; i++) {
    for (const next of queue[i]!.next) {
      if (next.ready || !next.prev.every((p) => p.ready)) continue;
      next.ready = true;
      queue.push(next);
    }
  }
}

/** Names the first not-ready tensor upstream of `start`, following not-ready producers. */
function unconnectedSource(start: TensorNode): TensorNode {
  let last = start;
  let prev: readonly TensorNode[] = start.prev;
  const seen = new Set<string>();
  for (;;) {
    const culprit = prev.find((n) => !n.ready && !seen.has(n.name));
    if (!culprit) return last;
    seen.add(culprit.name);
    last = culprit;
    prev = culprit.prev;
  }
}

/** Throws INVALID_ARGUMENT when the ensemble settings of `config` are invalid; no-op for other models. */
export function validateEnsemble(config: ModelConfig): void {
  const isEnsemblePlatform = config.platform === 'ensemble';
  if (!config.ensemble_scheduling) {
    if (isEnsemblePlatform) {
      throw invalidArgument(`ensemble scheduling must be set for ensemble ${config.name} whose platform is ensemble`);
    }
    return;
  }
  const name = config.name;
  if (!isEnsemblePlatform) {
    throw invalidArgument(`ensemble scheduling cannot be set for model '${name}' whose platform is not ensemble`);
  }
  if (config.instance_group?.length) throw invalidArgument(`instance group should not be specified for ensemble '${name}'`);
  if (config.optimization) throw invalidArgument(`optimization should not be specified for ensemble '${name}'`);
  if (config.model_warmup?.length) throw invalidArgument(`model_warmup can not be specified for ensemble '${name}'`);
  if (!config.ensemble_scheduling.step?.length) throw invalidArgument(`must specify 'step' for ensemble '${name}'`);

  const nodes = buildGraph(config);
  propagate(config, nodes);
  const outputs = new Set<string>();
  for (const output of config.output ?? []) {
    const n = nodes.get(output.name);
    if (!n) throw invalidArgument(`ensemble output '${output.name}' for ensemble '${name}' is not used`);
    if (!n.ready) {
      const source = unconnectedSource(n);
      const detail = source !== n ? `: at least one of its depending tensors, '${source.name}', is not connected` : '';
      throw invalidArgument(`output '${output.name}' for ensemble '${name}' is not written${detail}`);
    }
    outputs.add(output.name);
  }
  for (const n of nodes.values()) {
    if (outputs.has(n.name)) continue;
    if (!n.ready || n.next.length === 0) throw invalidArgument(`ensemble tensor '${n.name}' is unused in ensemble '${name}'`);
  }
}
