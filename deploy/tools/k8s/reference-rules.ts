/**
 * Cross-object consistency a cluster would only reveal at run time: names are valid and unique,
 * selectors select the pods they are meant for, named ports exist, and ConfigMap/Secret/claim
 * references resolve to objects in the same set (or are flagged as expected to pre-exist).
 */
import { containersOf, finding, get, getArray, getObj, isObj, podSpecOf, selectorMatches, type Finding, type Manifest, type Obj } from './manifest.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function named(manifests: readonly Manifest[], kind: string, name: unknown): Obj | undefined {
  return manifests.find((m) => m.doc['kind'] === kind && get(m.doc, 'metadata.name') === name)?.doc;
}

function podsOf(manifests: readonly Manifest[]): { doc: Obj; labels: Obj; containers: Obj[] }[] {
  return manifests.flatMap(({ doc }) => {
    const pod = podSpecOf(doc);
    if (!pod || doc['kind'] === 'ServingRuntime' || doc['kind'] === 'ClusterServingRuntime') return [];
    return [{ doc, labels: pod.labels, containers: containersOf(pod).map((c) => c.container) }];
  });
}

function checkNames(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const { doc } of manifests) {
    const name = get(doc, 'metadata.name');
    if (typeof name !== 'string' || name === '') {
      out.push(finding('error', 'names', doc, 'metadata.name', 'metadata.name is required'));
      continue;
    }
    const limit = doc['kind'] === 'Service' ? 63 : 253;
    const pattern = doc['kind'] === 'Service' ? DNS_LABEL_1035 : DNS_SUBDOMAIN;
    if (name.length > limit || !pattern.test(name)) out.push(finding('error', 'names', doc, 'metadata.name', `"${name}" is not a valid ${String(doc['kind'])} name`));
    const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}/${String(get(doc, 'metadata.namespace') ?? '')}/${name}`;
    if (seen.has(key)) out.push(finding('error', 'names', doc, 'metadata.name', 'duplicate object'));
    seen.add(key);
    for (const labelsPath of ['metadata.labels', 'spec.template.metadata.labels']) {
      for (const [k, v] of Object.entries(getObj(doc, labelsPath))) {
        if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) out.push(finding('error', 'names', doc, `${labelsPath}.${k}`, `invalid label value ${JSON.stringify(v)}`));
      }
    }
  }
  return out;
}

function checkWorkloadSelectors(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(String(doc['kind']))) continue;
    const selector = getObj(doc, 'spec.selector.matchLabels');
    if (!selectorMatches(selector, getObj(doc, 'spec.template.metadata.labels'))) {
      out.push(finding('error', 'selectors', doc, 'spec.selector', 'selector does not match the pod template labels'));
    }
    if (doc['kind'] === 'StatefulSet') {
      const svc = named(manifests, 'Service', get(doc, 'spec.serviceName'));
      if (!svc) out.push(finding('error', 'statefulset-service', doc, 'spec.serviceName', `governing Service "${String(get(doc, 'spec.serviceName'))}" is not among the manifests`));
      else if (get(svc, 'spec.clusterIP') !== 'None') out.push(finding('error', 'statefulset-service', doc, 'spec.serviceName', 'the governing Service must be headless (clusterIP: None)'));
    }
  }
  return out;
}

function checkServices(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  const pods = podsOf(manifests);
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'Service') continue;
    const selected = pods.filter((p) => selectorMatches(getObj(doc, 'spec.selector'), p.labels));
    if (selected.length === 0) {
      out.push(finding('error', 'service-selector', doc, 'spec.selector', 'selects no pod template among the manifests'));
      continue;
    }
    getArray(doc, 'spec.ports').forEach((port, i) => {
      const target = isObj(port) ? (port['targetPort'] ?? port['port']) : undefined;
      const found = selected.some((p) => p.containers.some((c) => getArray(c, 'ports').some((cp) => isObj(cp) && (cp['name'] === target || cp['containerPort'] === target))));
      if (!found) out.push(finding('error', 'service-ports', doc, `spec.ports[${i}].targetPort`, `no selected container exposes port ${JSON.stringify(target)}`));
    });
  }
  return out;
}

function checkPodSelectors(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  const pods = podsOf(manifests);
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'PodDisruptionBudget') continue;
    if (!pods.some((p) => selectorMatches(getObj(doc, 'spec.selector.matchLabels'), p.labels))) out.push(finding('error', 'pdb-selector', doc, 'spec.selector', 'selects no pod template among the manifests'));
  }
  return out;
}

function checkServiceMonitors(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'ServiceMonitor') continue;
    const services = manifests.filter((m) => m.doc['kind'] === 'Service' && selectorMatches(getObj(doc, 'spec.selector.matchLabels'), getObj(m.doc, 'metadata.labels')));
    if (services.length === 0) {
      out.push(finding('error', 'servicemonitor-selector', doc, 'spec.selector', 'selects no Service among the manifests'));
      continue;
    }
    if (services.length > 1) out.push(finding('warning', 'servicemonitor-selector', doc, 'spec.selector', `selects ${services.length} Services: the same pods would be scraped twice`));
    getArray(doc, 'spec.endpoints').forEach((ep, i) => {
      const port = get(ep, 'port');
      if (port !== undefined && !services.every((s) => getArray(s.doc, 'spec.ports').some((p) => isObj(p) && p['name'] === port))) {
        out.push(finding('error', 'servicemonitor-port', doc, `spec.endpoints[${i}].port`, `selected Service has no port named ${JSON.stringify(port)}`));
      }
      for (const key of ['interval', 'scrapeTimeout']) {
        const v = get(ep, key);
        if (v !== undefined && !/^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$/.test(String(v))) out.push(finding('error', 'servicemonitor-duration', doc, `spec.endpoints[${i}].${key}`, `"${String(v)}" is not a Prometheus duration`));
      }
    });
  }
  return out;
}

function checkIngresses(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'Ingress') continue;
    getArray(doc, 'spec.rules').forEach((rule, r) => {
      getArray(rule, 'http.paths').forEach((p, i) => {
        const path = `spec.rules[${r}].http.paths[${i}].backend.service`;
        const svc = named(manifests, 'Service', get(p, 'backend.service.name'));
        if (!svc) return out.push(finding('error', 'ingress-backend', doc, path, `Service "${String(get(p, 'backend.service.name'))}" is not among the manifests`));
        const port = get(p, 'backend.service.port.name') ?? get(p, 'backend.service.port.number');
        if (!getArray(svc, 'spec.ports').some((sp) => isObj(sp) && (sp['name'] === port || sp['port'] === port))) out.push(finding('error', 'ingress-backend', doc, path, `Service has no port ${JSON.stringify(port)}`));
        return undefined;
      });
    });
  }
  return out;
}

/** ConfigMap, Secret and claim references: keys must exist in objects of this set; outside ones must pre-exist. */
function checkConfigReferences(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    const pod = podSpecOf(doc);
    if (!pod) continue;
    const refer = (kind: 'ConfigMap' | 'Secret', name: unknown, key: unknown, optional: unknown, path: string): void => {
      const target = named(manifests, kind, name);
      if (!target) {
        if (optional !== true) out.push(finding('warning', 'references', doc, path, `${kind} "${String(name)}" is not among the manifests: it must exist in the cluster`));
        return;
      }
      const data = { ...getObj(target, 'data'), ...getObj(target, 'stringData') };
      if (key !== undefined && !(String(key) in data) && optional !== true) out.push(finding('error', 'references', doc, path, `${kind} "${String(name)}" has no key "${String(key)}"`));
    };
    for (const { container, path } of containersOf(pod)) {
      getArray(container, 'envFrom').forEach((e, i) => {
        if (!isObj(e)) return;
        if (isObj(e['configMapRef'])) refer('ConfigMap', get(e, 'configMapRef.name'), undefined, get(e, 'configMapRef.optional'), `${path}.envFrom[${i}]`);
        if (isObj(e['secretRef'])) refer('Secret', get(e, 'secretRef.name'), undefined, get(e, 'secretRef.optional'), `${path}.envFrom[${i}]`);
      });
      getArray(container, 'env').forEach((e, i) => {
        for (const [field, kind] of [['configMapKeyRef', 'ConfigMap'], ['secretKeyRef', 'Secret']] as const) {
          const ref = get(e, `valueFrom.${field}`);
          if (isObj(ref)) refer(kind, ref['name'], ref['key'], ref['optional'], `${path}.env[${i}]`);
        }
      });
    }
    getArray(pod.spec, 'volumes').forEach((v, i) => {
      const path = `${pod.path}.volumes[${i}]`;
      if (isObj(get(v, 'configMap'))) refer('ConfigMap', get(v, 'configMap.name'), undefined, get(v, 'configMap.optional'), path);
      if (isObj(get(v, 'secret'))) {
        refer('Secret', get(v, 'secret.secretName'), undefined, get(v, 'secret.optional'), path);
        for (const item of getArray(v, 'secret.items')) refer('Secret', get(v, 'secret.secretName'), get(item, 'key'), get(v, 'secret.optional'), path);
      }
      const claim = get(v, 'persistentVolumeClaim.claimName');
      if (claim !== undefined && !named(manifests, 'PersistentVolumeClaim', claim)) out.push(finding('warning', 'references', doc, path, `claim "${String(claim)}" is not among the manifests: it must exist in the cluster`));
    });
  }
  return out;
}

/** Several pods of one Deployment on a ReadWriteOnce claim only start when they land on the same node. */
function checkSharedClaims(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'Deployment') continue;
    const autoscaled = manifests.some((m) => m.doc['kind'] === 'HorizontalPodAutoscaler' && get(m.doc, 'spec.scaleTargetRef.name') === get(doc, 'metadata.name'));
    const replicas = get(doc, 'spec.replicas') ?? 1;
    if (!autoscaled && typeof replicas === 'number' && replicas <= 1) continue;
    getArray(doc, 'spec.template.spec.volumes').forEach((v, i) => {
      const claim = named(manifests, 'PersistentVolumeClaim', get(v, 'persistentVolumeClaim.claimName'));
      const modes = getArray(claim, 'spec.accessModes');
      if (claim && modes.length > 0 && modes.every((m) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod')) {
        out.push(finding('warning', 'shared-rwo-claim', doc, `spec.template.spec.volumes[${i}]`, `replicas share ReadWriteOnce claim "${String(get(claim, 'metadata.name'))}": pods on other nodes cannot attach it`));
      }
    });
  }
  return out;
}

/** Runs every cross-object rule. */
export function checkReferences(manifests: readonly Manifest[]): Finding[] {
  return [
    ...checkNames(manifests),
    ...checkWorkloadSelectors(manifests),
    ...checkServices(manifests),
    ...checkPodSelectors(manifests),
    ...checkServiceMonitors(manifests),
    ...checkIngresses(manifests),
    ...checkConfigReferences(manifests),
    ...checkSharedClaims(manifests),
  ];
}
