/**
 * The kinds our manifests may use and where their TypeScript types live: built-in kinds come from
 * kubernetes-models (`kubernetes-models/<apiVersion>/<Kind>`, interface `I<Kind>`), custom
 * resources from ./crd-types.ts. A manifest of any other kind is rejected rather than skipped.
 */
import type { Obj } from './manifest.js';

/** Where the TypeScript type of a kind is declared. */
export interface KindType {
  /** Module specifier as written in an import, relative to this directory for CRDs. */
  readonly module: string;
  readonly typeName: string;
  /** Built-in kinds also have a runtime JSON-schema validator in kubernetes-models. */
  readonly builtin: boolean;
}

const BUILTIN_KINDS = [
  'v1/ConfigMap',
  'v1/Secret',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/PersistentVolumeClaim',
  'v1/Pod',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
] as const;

const CRD_KINDS: Record<string, string> = {
  'monitoring.coreos.com/v1/ServiceMonitor': 'IServiceMonitor',
  'serving.kserve.io/v1alpha1/ServingRuntime': 'IServingRuntime',
  'serving.kserve.io/v1alpha1/ClusterServingRuntime': 'IClusterServingRuntime',
  'serving.kserve.io/v1beta1/InferenceService': 'IInferenceService',
  'serving.kserve.io/v1alpha1/TrainedModel': 'ITrainedModel',
};

/** `apiVersion/kind` of a manifest, e.g. `apps/v1/Deployment`. */
export function kindKey(doc: Obj): string {
  return `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
}

/** Every supported kind with its type location. */
export function supportedKinds(): ReadonlyMap<string, KindType> {
  const out = new Map<string, KindType>();
  for (const key of BUILTIN_KINDS) {
    const kind = key.split('/').at(-1)!;
    out.set(key, { module: `kubernetes-models/${key}`, typeName: `I${kind}`, builtin: true });
  }
  for (const [key, typeName] of Object.entries(CRD_KINDS)) out.set(key, { module: './crd-types.js', typeName, builtin: false });
  return out;
}
