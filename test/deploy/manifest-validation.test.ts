/**
 * Proves the offline validation catches broken manifests: each case takes the chart's valid
 * rendering (or the shipped KServe manifests), breaks one thing, and expects the matching error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChart, splitManifests } from '../../deploy/tools/helm/chart-renderer.js';
import type { Finding, Manifest, Obj } from '../../deploy/tools/k8s/manifest.js';
import { errorsOf, formatFindings, validateManifests } from '../../deploy/tools/k8s/validate-manifests.js';

const chart = renderChart('deploy/helm/inferd', { releaseName: 'demo', valuesFiles: ['deploy/helm/inferd/values-gpu-autoscaling.yaml'] }).manifests;
const kserve = readdirSync('deploy/kserve').flatMap((f) => splitManifests(f, readFileSync(`deploy/kserve/${f}`, 'utf8')));

type Mutation = (doc: Record<string, any>) => void;

/** A copy of `base` with one manifest of `kind` changed by `mutate`. */
function broken(base: readonly Manifest[], kind: string, mutate: Mutation, name?: string): Manifest[] {
  let hit = false;
  const out = base.map((m) => {
    if (m.doc['kind'] !== kind || (name !== undefined && (m.doc['metadata'] as Obj)['name'] !== name) || hit) return m;
    hit = true;
    const doc = structuredClone(m.doc);
    mutate(doc);
    return { source: m.source, doc };
  });
  expect(hit, `no ${kind} to break`).toBe(true);
  return out;
}

async function expectError(manifests: readonly Manifest[], rule: string, pathPart: string, message: RegExp): Promise<Finding[]> {
  const errors = errorsOf(await validateManifests(manifests));
  const match = errors.find((f) => f.rule === rule && f.path.includes(pathPart) && message.test(f.message));
  expect(match, `expected ${rule} at ${pathPart} matching ${message}; got:\n${formatFindings(errors)}`).toBeDefined();
  return errors;
}

describe('baselines', () => {
  it('the chart and the KServe manifests validate cleanly before being broken', async () => {
    expect(formatFindings(errorsOf(await validateManifests(chart)))).toBe('');
    expect(formatFindings(errorsOf(await validateManifests(kserve)))).toBe('');
  });
});

describe('schema and shape', () => {
  it('catches a misspelled field the API server would silently drop', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.containers[0].livenesProbe = d.spec.template.spec.containers[0].livenessProbe;
      delete d.spec.template.spec.containers[0].livenessProbe;
    });
    await expectError(m, 'type-shape', 'containers[0].livenesProbe', /unknown field "livenesProbe" \(did you mean "livenessProbe"\?\)/);
  });

  it('catches a wrong scalar type through the Kubernetes schema', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.containers[0].ports[0].containerPort = '8000';
    });
    await expectError(m, 'schema', 'ports[0].containerPort', /must be integer/);
  });

  it('catches a missing required field', async () => {
    const m = broken(chart, 'HorizontalPodAutoscaler', (d) => {
      delete d.spec.maxReplicas;
    });
    await expectError(m, 'type-shape', 'spec.maxReplicas', /missing required field/);
  });

  it('checks CRDs (ServiceMonitor) by their own types', async () => {
    const m = broken(chart, 'ServiceMonitor', (d) => {
      d.spec.endpoint = d.spec.endpoints;
      delete d.spec.endpoints;
    });
    const errors = await expectError(m, 'type-shape', 'spec.endpoint', /unknown field "endpoint"/);
    expect(errors.some((f) => f.path === 'spec.endpoints' && /missing required/.test(f.message))).toBe(true);
  });

  it('rejects kinds it has no types for', async () => {
    await expectError([...chart, { source: 'x', doc: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } }], 'kind', 'apiVersion', /unsupported/);
  });
});

describe('autoscaler semantics', () => {
  it('rejects a Utilization target on a Pods metric', async () => {
    const m = broken(chart, 'HorizontalPodAutoscaler', (d) => {
      d.spec.metrics[0].pods.target = { type: 'Utilization', averageUtilization: 80 };
    });
    await expectError(m, 'hpa-pods-average-value', 'spec.metrics[0].pods.target.type', /Pods metrics need target.type AverageValue, got Utilization/);
  });

  it('rejects a metric whose source field does not match its type', async () => {
    const m = broken(chart, 'HorizontalPodAutoscaler', (d) => {
      d.spec.metrics[0].type = 'Resource';
    });
    await expectError(m, 'hpa-metric-source', 'spec.metrics[0]', /Resource metric/);
  });

  it('rejects CPU Utilization when the target pods request no CPU', async () => {
    let m = broken(chart, 'HorizontalPodAutoscaler', (d) => {
      d.spec.metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } });
    });
    m = broken(m, 'StatefulSet', (d) => {
      delete d.spec.template.spec.containers[0].resources.requests.cpu;
    });
    await expectError(m, 'hpa-utilization-requests', 'spec.metrics[2]', /cpu Utilization needs cpu requests/);
  });

  it('rejects fixed replicas on an autoscaled workload', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.replicas = 2;
    });
    await expectError(m, 'hpa-scale-target', 'spec.scaleTargetRef', /sets spec.replicas/);
  });
});

describe('workload policy', () => {
  it('requires a hardened securityContext on every container', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      delete d.spec.template.spec.containers[0].securityContext;
    });
    await expectError(m, 'container-security-context', 'containers[0].securityContext', /has no securityContext/);
    const weak = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true;
    });
    await expectError(weak, 'container-security-context', 'initContainers[0]', /allowPrivilegeEscalation must be false/);
  });

  it('requires pinned images', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.containers[0].image = 'ghcr.io/inferd/inferd:latest';
    });
    await expectError(m, 'image-pinned', 'containers[0].image', /not pinned/);
  });

  it('requires a grace period longer than preStop plus the exit timeout', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.terminationGracePeriodSeconds = 60;
    });
    await expectError(m, 'graceful-shutdown', 'terminationGracePeriodSeconds', /grace period 60s does not exceed preStop 15s \+ exit timeout 90s/);
  });

  it('requires GPUs as limits', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      const r = d.spec.template.spec.containers[0].resources;
      r.requests['nvidia.com/gpu'] = 1;
      delete r.limits['nvidia.com/gpu'];
    });
    await expectError(m, 'gpu-resources', 'containers[0].resources', /nvidia.com\/gpu must be set in limits/);
  });

  it('requires mounts to name a volume of the pod', async () => {
    const m = broken(chart, 'StatefulSet', (d) => {
      d.spec.template.spec.containers[0].volumeMounts[0].name = 'scratch';
    });
    await expectError(m, 'volume-mounts', 'volumeMounts[0]', /volume "scratch" is not defined/);
  });
});

describe('references between objects', () => {
  it('catches a Service that selects no pods', async () => {
    const m = broken(chart, 'Service', (d) => {
      d.spec.selector['app.kubernetes.io/name'] = 'inferd-typo';
    }, 'demo-inferd');
    await expectError(m, 'service-selector', 'spec.selector', /selects no pod/);
  });

  it('catches a ServiceMonitor scraping a port the Service lacks', async () => {
    const m = broken(chart, 'ServiceMonitor', (d) => {
      d.spec.endpoints[0].port = 'prometheus';
    });
    await expectError(m, 'servicemonitor-port', 'spec.endpoints[0].port', /no port named "prometheus"/);
  });

  it('warns when Deployment replicas share a ReadWriteOnce claim', async () => {
    const base = renderChart('deploy/helm/inferd', {}).manifests;
    const m = broken(base, 'Deployment', (d) => {
      d.spec.replicas = 2;
    });
    const findings = await validateManifests(m);
    expect(findings.find((f) => f.rule === 'shared-rwo-claim')?.message).toMatch(/pods on other nodes cannot attach it/);
  });

  it('catches a missing key of a Secret the release creates', async () => {
    const base = renderChart('deploy/helm/inferd', { overrides: [{ secrets: { hfToken: 'hf_x' } }] }).manifests;
    const m = broken(base, 'Deployment', (d) => {
      d.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef = { name: 'release-name-inferd', key: 'HF-TOKEN' };
    });
    await expectError(m, 'references', 'env[0]', /has no key "HF-TOKEN"/);
  });
});

describe('KServe wiring', () => {
  it('requires the runtime to listen where KServe routes', async () => {
    const m = broken(kserve, 'ClusterServingRuntime', (d) => {
      d.spec.containers[0].args = d.spec.containers[0].args.map((a: string) => (a === '--http-port=8080' ? '--http-port=8000' : a));
    }, 'inferd');
    await expectError(m, 'kserve-runtime', 'spec.containers[0].args', /--http-port must be 8080/);
  });

  it('requires explicit model control on the multi-model runtime', async () => {
    const m = broken(kserve, 'ClusterServingRuntime', (d) => {
      d.spec.containers[0].args = d.spec.containers[0].args.filter((a: string) => !a.startsWith('--model-control-mode'));
    }, 'inferd-multimodel');
    await expectError(m, 'kserve-runtime', 'args', /--model-control-mode must be explicit/);
  });

  it('catches an InferenceService format or protocol the runtime does not serve', async () => {
    const format = broken(kserve, 'InferenceService', (d) => {
      d.spec.predictor.model.modelFormat.name = 'tensorflow';
    }, 'densenet-onnx');
    await expectError(format, 'kserve-isvc', 'modelFormat', /does not serve format "tensorflow"/);
    const grpc = broken(kserve, 'InferenceService', (d) => {
      delete d.spec.predictor.model.ports;
    }, 'densenet-onnx-grpc');
    await expectError(grpc, 'kserve-isvc', 'model.ports', /h2c on 9000/);
  });

  it('catches a misspelled InferenceService field and a bad protocol name', async () => {
    const m = broken(kserve, 'InferenceService', (d) => {
      d.spec.predictor.model.storageURI = d.spec.predictor.model.storageUri;
      delete d.spec.predictor.model.storageUri;
      d.spec.predictor.model.protocolVersion = 'v3';
    }, 'densenet-onnx');
    await expectError(m, 'type-shape', 'model.storageURI', /did you mean "storageUri"/);
    await expectError(m, 'type-shape', 'model.protocolVersion', /"v1" \| "v2" \| "grpc-v1" \| "grpc-v2"/);
  });

  it('catches a TrainedModel placed on a single-model runtime', async () => {
    const m = broken(kserve, 'InferenceService', (d) => {
      d.spec.predictor.model.runtime = 'inferd';
    }, 'inferd-mms');
    await expectError(m, 'kserve-trainedmodel', 'spec.inferenceService', /single-model runtime/);
  });
});
