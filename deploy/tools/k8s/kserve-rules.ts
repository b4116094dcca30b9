/**
 * KServe wiring that the CRD schemas leave open: a runtime's container must be the one KServe
 * patches (`kserve-container`), listen where KServe routes (HTTP 8080, gRPC 9000), read models
 * from the storage initializer's /mnt/models, and expose metrics where its Prometheus annotations
 * say; multi-model runtimes need explicit model control for the model agent's load/unload calls;
 * InferenceServices and TrainedModels must reference a runtime that serves their format and protocol.
 */
import { finding, get, getArray, getObj, isObj, type Finding, type Manifest, type Obj } from './manifest.js';

const KSERVE_CONTAINER = 'kserve-container';
const HTTP_PORT = '8080';
const GRPC_PORT = '9000';
const MODEL_DIR = '/mnt/models';

/** Value of `--flag=value` or `--flag value` in an argument list. */
export function flagValue(args: readonly unknown[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1] === undefined ? '' : String(args[i + 1]);
  }
  return undefined;
}

function isRuntime(doc: Obj): boolean {
  return doc['kind'] === 'ServingRuntime' || doc['kind'] === 'ClusterServingRuntime';
}

function checkRuntime(doc: Obj): Finding[] {
  const out: Finding[] = [];
  const containers = getArray(doc, 'spec.containers').filter(isObj);
  const index = containers.findIndex((c) => c['name'] === KSERVE_CONTAINER);
  if (index < 0) return [finding('error', 'kserve-runtime', doc, 'spec.containers', `no container named "${KSERVE_CONTAINER}" for KServe to patch`)];
  const container = containers[index]!;
  const path = `spec.containers[${index}]`;
  const args = [...getArray(container, 'command'), ...getArray(container, 'args')];
  const expect = (flag: string, want: string, why: string): void => {
    const got = flagValue(args, flag);
    if (got !== want) out.push(finding('error', 'kserve-runtime', doc, `${path}.args`, `${flag} must be ${want} (${why}), got ${got ?? 'nothing'}`));
  };
  expect('--http-port', HTTP_PORT, 'KServe routes HTTP to 8080');
  expect('--grpc-port', GRPC_PORT, 'KServe routes gRPC to 9000');
  expect('--model-repository', MODEL_DIR, 'the storage initializer downloads there');
  expect('--host', '0.0.0.0', 'the pod is reached over its IP');
  if (get(doc, 'spec.multiModel') === true) expect('--model-control-mode', 'explicit', 'the model agent loads and unloads through the repository API');
  const metricsPort = getObj(doc, 'spec.annotations')['prometheus.kserve.io/port'];
  if (metricsPort === undefined) out.push(finding('warning', 'kserve-metrics', doc, 'spec.annotations', 'no prometheus.kserve.io/port annotation: KServe will not scrape the runtime'));
  else if (String(metricsPort) !== (flagValue(args, '--metrics-port') ?? '8002')) out.push(finding('error', 'kserve-metrics', doc, 'spec.annotations', `prometheus.kserve.io/port ${String(metricsPort)} is not the server's --metrics-port`));
  if (getArray(doc, 'spec.supportedModelFormats').length === 0) out.push(finding('error', 'kserve-runtime', doc, 'spec.supportedModelFormats', 'a runtime must list the model formats it serves'));
  return out;
}

function findRuntime(manifests: readonly Manifest[], name: unknown, namespace: unknown): Obj | undefined {
  return manifests.find(({ doc }) => {
    if (!isRuntime(doc) || get(doc, 'metadata.name') !== name) return false;
    return doc['kind'] === 'ClusterServingRuntime' || (get(doc, 'metadata.namespace') ?? 'default') === (namespace ?? 'default');
  })?.doc;
}

function checkInferenceService(doc: Obj, manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  const model = getObj(doc, 'spec.predictor.model');
  const runtimeName = model['runtime'];
  if (runtimeName === undefined) return [finding('error', 'kserve-isvc', doc, 'spec.predictor.model.runtime', 'name the runtime: auto-selection may pick a different server for this format')];
  const runtime = findRuntime(manifests, runtimeName, get(doc, 'metadata.namespace'));
  if (!runtime) return [finding('warning', 'kserve-isvc', doc, 'spec.predictor.model.runtime', `runtime "${String(runtimeName)}" is not among the manifests: it must exist in the cluster`)];
  const format = get(model, 'modelFormat.name');
  if (!getArray(runtime, 'spec.supportedModelFormats').some((f) => get(f, 'name') === format)) {
    out.push(finding('error', 'kserve-isvc', doc, 'spec.predictor.model.modelFormat', `runtime "${String(runtimeName)}" does not serve format "${String(format)}"`));
  }
  const protocol = model['protocolVersion'];
  const protocols = getArray(runtime, 'spec.protocolVersions');
  if (protocol !== undefined && protocols.length > 0 && !protocols.includes(protocol)) {
    out.push(finding('error', 'kserve-isvc', doc, 'spec.predictor.model.protocolVersion', `runtime "${String(runtimeName)}" does not speak ${String(protocol)}`));
  }
  if (typeof protocol === 'string' && protocol.startsWith('grpc') && !getArray(model, 'ports').some((p) => get(p, 'name') === 'h2c' && String(get(p, 'containerPort')) === GRPC_PORT)) {
    out.push(finding('error', 'kserve-isvc', doc, 'spec.predictor.model.ports', `gRPC needs a container port named h2c on ${GRPC_PORT}`));
  }
  const multi = get(runtime, 'spec.multiModel') === true;
  if (multi && model['storageUri'] !== undefined) out.push(finding('error', 'kserve-isvc', doc, 'spec.predictor.model.storageUri', 'a multi-model runtime gets its models from TrainedModels, not storageUri'));
  if (!multi && model['storageUri'] === undefined && getArray(doc, 'spec.predictor.storageUris').length === 0) out.push(finding('error', 'kserve-isvc', doc, 'spec.predictor.model', 'a single-model InferenceService needs storageUri'));
  return out;
}

function checkTrainedModel(doc: Obj, manifests: readonly Manifest[]): Finding[] {
  const isvcName = get(doc, 'spec.inferenceService');
  const isvc = manifests.find((m) => m.doc['kind'] === 'InferenceService' && get(m.doc, 'metadata.name') === isvcName)?.doc;
  if (!isvc) return [finding('warning', 'kserve-trainedmodel', doc, 'spec.inferenceService', `InferenceService "${String(isvcName)}" is not among the manifests`)];
  const runtime = findRuntime(manifests, get(isvc, 'spec.predictor.model.runtime'), get(isvc, 'metadata.namespace'));
  if (!runtime) return [];
  const out: Finding[] = [];
  if (get(runtime, 'spec.multiModel') !== true) out.push(finding('error', 'kserve-trainedmodel', doc, 'spec.inferenceService', `InferenceService "${String(isvcName)}" uses a single-model runtime`));
  const framework = get(doc, 'spec.model.framework');
  if (!getArray(runtime, 'spec.supportedModelFormats').some((f) => get(f, 'name') === framework)) out.push(finding('error', 'kserve-trainedmodel', doc, 'spec.model.framework', `runtime does not serve "${String(framework)}"`));
  return out;
}

/** Runs the KServe rules over runtimes, InferenceServices and TrainedModels. */
export function checkKServe(manifests: readonly Manifest[]): Finding[] {
  return manifests.flatMap(({ doc }) => {
    if (isRuntime(doc)) return checkRuntime(doc);
    if (doc['kind'] === 'InferenceService') return checkInferenceService(doc, manifests);
    if (doc['kind'] === 'TrainedModel') return checkTrainedModel(doc, manifests);
    return [];
  });
}
