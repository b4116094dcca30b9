/**
 * HorizontalPodAutoscaler (autoscaling/v2) semantics the OpenAPI schema leaves to the API server's
 * validation or to run time: each metric source names exactly its own field, Pods metrics take an
 * AverageValue target (they are averaged over pods, so Utilization is meaningless and rejected),
 * Resource Utilization needs CPU/memory requests on every container, replica bounds are sane, and
 * the scale target exists without a fixed `replicas` that would fight the autoscaler.
 */
import { containersOf, finding, get, getArray, getObj, isObj, podSpecOf, type Finding, type Manifest, type Obj } from './manifest.js';

const SOURCE_FIELDS: Record<string, string> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};

/** Target types each source accepts, per the autoscaling/v2 API validation. */
const ALLOWED_TARGETS: Record<string, readonly string[]> = {
  Resource: ['Utilization', 'AverageValue'],
  ContainerResource: ['Utilization', 'AverageValue'],
  Pods: ['AverageValue'],
  Object: ['Value', 'AverageValue'],
  External: ['Value', 'AverageValue'],
};

const TARGET_FIELDS: Record<string, string> = { Utilization: 'averageUtilization', AverageValue: 'averageValue', Value: 'value' };

function checkMetric(doc: Obj, metric: Obj, path: string, target: Obj | undefined): Finding[] {
  const out: Finding[] = [];
  const type = String(metric['type']);
  const field = SOURCE_FIELDS[type];
  if (!field) return [finding('error', 'hpa-metric-type', doc, `${path}.type`, `unknown metric type "${type}"`)];
  for (const other of Object.values(SOURCE_FIELDS)) {
    if (other !== field && other in metric) out.push(finding('error', 'hpa-metric-source', doc, `${path}.${other}`, `a ${type} metric must not set "${other}"`));
  }
  const source = metric[field];
  if (!isObj(source)) return [...out, finding('error', 'hpa-metric-source', doc, `${path}.${field}`, `a ${type} metric needs "${field}"`)];
  const targetType = String(get(source, 'target.type'));
  const allowed = ALLOWED_TARGETS[type] ?? [];
  if (!allowed.includes(targetType)) {
    const rule = type === 'Pods' ? 'hpa-pods-average-value' : 'hpa-target-type';
    out.push(finding('error', rule, doc, `${path}.${field}.target.type`, `${type} metrics need target.type ${allowed.join(' or ')}, got ${targetType}`));
  } else {
    const valueField = TARGET_FIELDS[targetType]!;
    if (get(source, `target.${valueField}`) === undefined) out.push(finding('error', 'hpa-target-value', doc, `${path}.${field}.target`, `target.type ${targetType} needs target.${valueField}`));
    for (const f of Object.values(TARGET_FIELDS)) {
      if (f !== valueField && get(source, `target.${f}`) !== undefined) out.push(finding('error', 'hpa-target-value', doc, `${path}.${field}.target.${f}`, `target.${f} does not apply to target.type ${targetType}`));
    }
  }
  if ((type === 'Resource' || type === 'ContainerResource') && targetType === 'Utilization' && target) {
    const resource = String(get(source, 'name'));
    const pod = podSpecOf(target);
    for (const { container, path: cPath, init } of pod ? containersOf(pod) : []) {
      if (init) continue;
      if (getObj(container, 'resources.requests')[resource] === undefined) {
        out.push(finding('error', 'hpa-utilization-requests', doc, path, `${resource} Utilization needs ${resource} requests on ${manifestName(target)} ${cPath}`));
      }
    }
  }
  return out;
}

function manifestName(doc: Obj): string {
  return `${String(doc['kind'])}/${String(get(doc, 'metadata.name'))}`;
}

function checkBehavior(doc: Obj): Finding[] {
  const out: Finding[] = [];
  for (const direction of ['scaleUp', 'scaleDown']) {
    getArray(doc, `spec.behavior.${direction}.policies`).forEach((p, i) => {
      const path = `spec.behavior.${direction}.policies[${i}]`;
      if (!isObj(p)) return;
      if (p['type'] !== 'Pods' && p['type'] !== 'Percent') out.push(finding('error', 'hpa-behavior', doc, `${path}.type`, `policy type must be Pods or Percent`));
      if (!(typeof p['value'] === 'number' && p['value'] > 0)) out.push(finding('error', 'hpa-behavior', doc, `${path}.value`, 'policy value must be > 0'));
      const period = p['periodSeconds'];
      if (!(typeof period === 'number' && period > 0 && period <= 1800)) out.push(finding('error', 'hpa-behavior', doc, `${path}.periodSeconds`, 'periodSeconds must be in 1..1800'));
    });
    const window = get(doc, `spec.behavior.${direction}.stabilizationWindowSeconds`);
    if (typeof window === 'number' && (window < 0 || window > 3600)) out.push(finding('error', 'hpa-behavior', doc, `spec.behavior.${direction}.stabilizationWindowSeconds`, 'must be in 0..3600'));
  }
  return out;
}

/** Checks every HorizontalPodAutoscaler against its metrics and its scale target. */
export function checkAutoscalers(manifests: readonly Manifest[]): Finding[] {
  const out: Finding[] = [];
  for (const { doc } of manifests) {
    if (doc['kind'] !== 'HorizontalPodAutoscaler') continue;
    const ref = getObj(doc, 'spec.scaleTargetRef');
    const target = manifests.find((m) => m.doc['kind'] === ref['kind'] && get(m.doc, 'metadata.name') === ref['name'])?.doc;
    if (!target) out.push(finding('error', 'hpa-scale-target', doc, 'spec.scaleTargetRef', `scale target ${String(ref['kind'])}/${String(ref['name'])} is not among the manifests`));
    else if (get(target, 'spec.replicas') !== undefined) {
      out.push(finding('error', 'hpa-scale-target', doc, 'spec.scaleTargetRef', `${manifestName(target)} sets spec.replicas, which every apply would reset under the autoscaler`));
    }
    const min = get(doc, 'spec.minReplicas') ?? 1;
    const max = get(doc, 'spec.maxReplicas');
    if (typeof min === 'number' && min < 1) out.push(finding('error', 'hpa-replicas', doc, 'spec.minReplicas', 'minReplicas must be >= 1 (scale to zero needs the HPAScaleToZero feature gate)'));
    if (typeof min === 'number' && typeof max === 'number' && min > max) out.push(finding('error', 'hpa-replicas', doc, 'spec.maxReplicas', `maxReplicas ${max} is below minReplicas ${min}`));
    const metrics = getArray(doc, 'spec.metrics');
    if (metrics.length === 0) out.push(finding('error', 'hpa-metrics', doc, 'spec.metrics', 'no metrics: the autoscaler would only use its CPU default, which needs CPU requests'));
    metrics.forEach((m, i) => {
      if (isObj(m)) out.push(...checkMetric(doc, m, `spec.metrics[${i}]`, target));
    });
    out.push(...checkBehavior(doc));
  }
  return out;
}
