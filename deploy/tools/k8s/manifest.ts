/**
 * Shared vocabulary of the manifest checks: a manifest with where it came from, a finding, and
 * accessors for the pod specs and containers inside workloads and KServe resources.
 */

/** One Kubernetes object and the file or template that produced it. */
export interface Manifest {
  readonly source: string;
  readonly doc: Record<string, unknown>;
}

/** A problem found in a manifest; errors fail validation, warnings are reported only. */
export interface Finding {
  readonly level: 'error' | 'warning';
  /** Stable rule id, e.g. `hpa-pods-average-value`. */
  readonly rule: string;
  /** `Kind/name` of the manifest. */
  readonly manifest: string;
  /** Dotted path inside the manifest, e.g. `spec.template.spec.containers[0].image`. */
  readonly path: string;
  readonly message: string;
}

/** A plain JSON object. */
export type Obj = Record<string, unknown>;

/** True for a plain (non-array) object. */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a dotted path (`spec.template.spec`), returning undefined when any step is missing. */
export function get(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (!isObj(v)) return undefined;
    v = v[key];
  }
  return v;
}

/** The object at `path`, or an empty object. */
export function getObj(obj: unknown, path: string): Obj {
  const v = get(obj, path);
  return isObj(v) ? v : {};
}

/** The array at `path`, or an empty array. */
export function getArray(obj: unknown, path: string): unknown[] {
  const v = get(obj, path);
  return Array.isArray(v) ? v : [];
}

/** `Kind/name` for messages. */
export function manifestId(doc: Obj): string {
  return `${String(doc['kind'] ?? '?')}/${String(get(doc, 'metadata.name') ?? '?')}`;
}

/** Builds a finding for a manifest. */
export function finding(level: Finding['level'], rule: string, doc: Obj, path: string, message: string): Finding {
  return { level, rule, manifest: manifestId(doc), path, message };
}

/** A pod spec found inside a manifest, with its path. */
export interface PodSpecRef {
  readonly spec: Obj;
  readonly path: string;
  /** Labels of the pod template, when the manifest has one. */
  readonly labels: Obj;
}

const TEMPLATED_WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** The pod spec a manifest runs, if any: workloads, Pods, CronJobs, KServe runtimes and predictors. */
export function podSpecOf(doc: Obj): PodSpecRef | undefined {
  const kind = String(doc['kind']);
  if (TEMPLATED_WORKLOADS.has(kind)) {
    return { spec: getObj(doc, 'spec.template.spec'), path: 'spec.template.spec', labels: getObj(doc, 'spec.template.metadata.labels') };
  }
  if (kind === 'Pod') return { spec: getObj(doc, 'spec'), path: 'spec', labels: getObj(doc, 'metadata.labels') };
  if (kind === 'CronJob') {
    const path = 'spec.jobTemplate.spec.template.spec';
    return { spec: getObj(doc, path), path, labels: getObj(doc, 'spec.jobTemplate.spec.template.metadata.labels') };
  }
  if (kind === 'ServingRuntime' || kind === 'ClusterServingRuntime') return { spec: getObj(doc, 'spec'), path: 'spec', labels: getObj(doc, 'spec.labels') };
  return undefined;
}

/** One container of a pod spec with its path and whether it is an init container. */
export interface ContainerRef {
  readonly container: Obj;
  readonly path: string;
  readonly init: boolean;
}

/** Every container and init container of a pod spec. */
export function containersOf(pod: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const [field, init] of [['initContainers', true], ['containers', false]] as const) {
    getArray(pod.spec, field).forEach((c, i) => {
      if (isObj(c)) out.push({ container: c, path: `${pod.path}.${field}[${i}]`, init });
    });
  }
  return out;
}

/** True when every key/value of `selector` appears in `labels`. */
export function selectorMatches(selector: Obj, labels: Obj): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}
