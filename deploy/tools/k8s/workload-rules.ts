/**
 * Pod-level policy the schema cannot express: hardened security contexts, pinned images, probes
 * on long-running servers, GPU resources as limits, a shutdown budget that outlasts preStop plus
 * inferd's exit timeout, and volume mounts that resolve.
 */
import { containersOf, finding, get, getArray, getObj, isObj, podSpecOf, type Finding, type Manifest, type Obj, type PodSpecRef } from './manifest.js';

const SERVER_WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const DEFAULT_GRACE_SECONDS = 30;
const DEFAULT_EXIT_TIMEOUT_SECONDS = 30;

/** Effective container security setting: the container's own value, else the pod's. */
function effective(container: Obj, pod: Obj, key: string): unknown {
  return get(container, `securityContext.${key}`) ?? get(pod, `securityContext.${key}`);
}

function checkSecurity(doc: Obj, pod: PodSpecRef): Finding[] {
  const out: Finding[] = [];
  for (const { container, path } of containersOf(pod)) {
    const sc = path + '.securityContext';
    if (!isObj(container['securityContext'])) {
      out.push(finding('error', 'container-security-context', doc, sc, `container "${String(container['name'])}" has no securityContext`));
      continue;
    }
    const problems: string[] = [];
    if (effective(container, pod.spec, 'runAsNonRoot') !== true) problems.push('runAsNonRoot must be true');
    if (get(container, 'securityContext.allowPrivilegeEscalation') !== false) problems.push('allowPrivilegeEscalation must be false');
    if (get(container, 'securityContext.privileged') === true) problems.push('privileged must not be true');
    if (get(container, 'securityContext.readOnlyRootFilesystem') !== true) problems.push('readOnlyRootFilesystem must be true');
    if (!getArray(container, 'securityContext.capabilities.drop').includes('ALL')) problems.push('capabilities.drop must include ALL');
    if (getArray(container, 'securityContext.capabilities.add').length > 0) problems.push('capabilities.add must be empty');
    if (effective(container, pod.spec, 'runAsUser') === 0) problems.push('runAsUser must not be 0');
    for (const p of problems) out.push(finding('error', 'container-security-context', doc, sc, p));
  }
  return out;
}

function checkImages(doc: Obj, pod: PodSpecRef): Finding[] {
  const out: Finding[] = [];
  for (const { container, path } of containersOf(pod)) {
    const image = container['image'];
    if (typeof image !== 'string' || image === '') {
      out.push(finding('error', 'image-pinned', doc, `${path}.image`, 'container has no image'));
      continue;
    }
    if (/@sha256:[a-f0-9]{64}$/.test(image)) continue;
    const lastSegment = image.split('/').at(-1) ?? '';
    const tag = lastSegment.includes(':') ? lastSegment.split(':').at(-1)! : '';
    if (tag === '' || tag === 'latest') out.push(finding('error', 'image-pinned', doc, `${path}.image`, `image "${image}" is not pinned to a version tag or digest`));
  }
  return out;
}

/** Named probe ports must be declared; a numeric one must be declared or be a `--*-port=N` the server is given. */
function portExists(container: Obj, port: unknown): boolean {
  const ports = getArray(container, 'ports').filter(isObj);
  if (typeof port !== 'number') return ports.some((p) => p['name'] === port);
  const flagPorts = getArray(container, 'args').map(String).flatMap((a) => /^--[a-z-]*port=(\d+)$/.exec(a)?.[1] ?? []).map(Number);
  if (ports.length === 0 && flagPorts.length === 0) return true;
  return ports.some((p) => p['containerPort'] === port) || flagPorts.includes(port);
}

function checkProbes(doc: Obj, pod: PodSpecRef): Finding[] {
  const out: Finding[] = [];
  const server = SERVER_WORKLOADS.has(String(doc['kind']));
  for (const { container, path, init } of containersOf(pod)) {
    if (init) continue;
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const spec = container[probe];
      if (!isObj(spec)) {
        if (server && probe !== 'startupProbe') out.push(finding('error', 'probes', doc, `${path}.${probe}`, `server container "${String(container['name'])}" has no ${probe}`));
        if (server && probe === 'startupProbe') out.push(finding('warning', 'probes', doc, `${path}.${probe}`, 'no startupProbe: a slow model download will trip the liveness probe'));
        continue;
      }
      const port = get(spec, 'httpGet.port') ?? get(spec, 'tcpSocket.port') ?? get(spec, 'grpc.port');
      if (port !== undefined && !portExists(container, port)) {
        out.push(finding('error', 'probes', doc, `${path}.${probe}`, `probe port ${JSON.stringify(port)} is not a port of the container`));
      }
    }
  }
  return out;
}

function checkResources(doc: Obj, pod: PodSpecRef): Finding[] {
  const out: Finding[] = [];
  for (const { container, path } of containersOf(pod)) {
    const requests = getObj(container, 'resources.requests');
    const limits = getObj(container, 'resources.limits');
    for (const [name, value] of Object.entries({ ...requests, ...limits })) {
      if (!name.includes('/')) continue;
      // NOTE: extended resources (nvidia.com/gpu) cannot be overcommitted: limits are required and requests must equal them.
      if (!(name in limits)) out.push(finding('error', 'gpu-resources', doc, `${path}.resources`, `${name} must be set in limits`));
      else if (name in requests && String(requests[name]) !== String(limits[name])) out.push(finding('error', 'gpu-resources', doc, `${path}.resources`, `${name} requests must equal limits`));
      if (!/^\d+$/.test(String(value))) out.push(finding('error', 'gpu-resources', doc, `${path}.resources`, `${name} must be a whole number, got ${String(value)}`));
    }
    if (!('memory' in limits) && SERVER_WORKLOADS.has(String(doc['kind']))) {
      out.push(finding('warning', 'resources', doc, `${path}.resources`, `container "${String(container['name'])}" has no memory limit`));
    }
  }
  return out;
}

/** The exit timeout the server container will use: its env, else a referenced ConfigMap, else inferd's default. */
function exitTimeoutSeconds(container: Obj, manifests: readonly Manifest[]): number {
  const env = getArray(container, 'env').filter(isObj).find((e) => e['name'] === 'INFERD_EXIT_TIMEOUT_SECS');
  if (env && typeof env['value'] === 'string') return Number(env['value']);
  for (const ref of getArray(container, 'envFrom').filter(isObj)) {
    const name = get(ref, 'configMapRef.name');
    const cm = manifests.find((m) => m.doc['kind'] === 'ConfigMap' && get(m.doc, 'metadata.name') === name);
    const value = get(cm?.doc, 'data.INFERD_EXIT_TIMEOUT_SECS');
    if (typeof value === 'string') return Number(value);
  }
  const arg = getArray(container, 'args').find((a) => typeof a === 'string' && a.startsWith('--exit-timeout-secs='));
  return typeof arg === 'string' ? Number(arg.split('=')[1]) : DEFAULT_EXIT_TIMEOUT_SECONDS;
}

function preStopSleepSeconds(container: Obj): number {
  const sleepAction = get(container, 'lifecycle.preStop.sleep.seconds');
  if (typeof sleepAction === 'number') return sleepAction;
  const command = getArray(container, 'lifecycle.preStop.exec.command').map(String);
  const i = command.indexOf('sleep');
  return i >= 0 ? Number(command[i + 1] ?? 0) : 0;
}

function checkShutdown(doc: Obj, pod: PodSpecRef, manifests: readonly Manifest[]): Finding[] {
  if (!SERVER_WORKLOADS.has(String(doc['kind']))) return [];
  const grace = typeof pod.spec['terminationGracePeriodSeconds'] === 'number' ? pod.spec['terminationGracePeriodSeconds'] : DEFAULT_GRACE_SECONDS;
  const out: Finding[] = [];
  for (const { container, path, init } of containersOf(pod)) {
    if (init) continue;
    const preStop = preStopSleepSeconds(container);
    const exit = exitTimeoutSeconds(container, manifests);
    if (preStop === 0) out.push(finding('warning', 'graceful-shutdown', doc, `${path}.lifecycle`, 'no preStop sleep: requests can still be routed to a pod that is shutting down'));
    if (grace <= preStop + exit) {
      out.push(finding('error', 'graceful-shutdown', doc, `${pod.path}.terminationGracePeriodSeconds`, `grace period ${grace}s does not exceed preStop ${preStop}s + exit timeout ${exit}s: in-flight requests would be killed`));
    }
  }
  return out;
}

function checkVolumes(doc: Obj, pod: PodSpecRef): Finding[] {
  const out: Finding[] = [];
  const names = new Set(getArray(pod.spec, 'volumes').filter(isObj).map((v) => v['name']));
  for (const t of getArray(doc, 'spec.volumeClaimTemplates').filter(isObj)) names.add(get(t, 'metadata.name'));
  for (const { container, path } of containersOf(pod)) {
    const mounts = getArray(container, 'volumeMounts').filter(isObj);
    mounts.forEach((m, i) => {
      if (!names.has(m['name'])) out.push(finding('error', 'volume-mounts', doc, `${path}.volumeMounts[${i}]`, `volume "${String(m['name'])}" is not defined in the pod`));
    });
    const readOnlyRoot = get(container, 'securityContext.readOnlyRootFilesystem') === true;
    if (readOnlyRoot && !mounts.some((m) => m['mountPath'] === '/tmp')) {
      out.push(finding('warning', 'writable-paths', doc, `${path}.volumeMounts`, 'read-only root filesystem without a /tmp volume'));
    }
  }
  return out;
}

/** Runs every pod-level rule over every manifest that runs pods. */
export function checkWorkloads(manifests: readonly Manifest[]): Finding[] {
  return manifests.flatMap(({ doc }) => {
    const pod = podSpecOf(doc);
    if (!pod) return [];
    return [
      ...checkSecurity(doc, pod),
      ...checkImages(doc, pod),
      ...checkProbes(doc, pod),
      ...checkResources(doc, pod),
      ...checkShutdown(doc, pod, manifests),
      ...checkVolumes(doc, pod),
    ];
  });
}
