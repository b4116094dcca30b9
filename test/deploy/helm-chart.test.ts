import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChart, type ChartRender } from '../../deploy/tools/helm/chart-renderer.js';
import type { Values } from '../../deploy/tools/helm/values.js';
import { get, getArray, type Obj } from '../../deploy/tools/k8s/manifest.js';
import { formatFindings, validateManifests } from '../../deploy/tools/k8s/validate-manifests.js';
import { lintYaml } from '../../deploy/tools/yaml-lint.js';

const CHART = 'deploy/helm/inferd';
const GPU_VALUES = `${CHART}/values-gpu-autoscaling.yaml`;

/** Exercises the optional parts the two shipped values files leave off. */
const KITCHEN_SINK: Values = {
  cache: { persistence: { accessModes: ['ReadWriteMany'], storageClass: 'nfs' } },
  replicaCount: 3,
  server: { model: '', modelControlMode: 'explicit', loadModels: ['densenet_onnx'], extraEnv: [{ name: 'INFERD_LOG_FORMAT', value: 'pretty' }], hfEndpoint: 'https://hf-mirror.internal' },
  modelRepository: { enabled: true, existingClaim: 'model-repo', subPath: 'triton' },
  auth: { enabled: true },
  secrets: { hfToken: 'hf_dummy', apiKeys: JSON.stringify([{ key: 'key-a', name: 'helm-test', scopes: ['inference'] }]), testApiKey: 'key-a' },
  metrics: { podAnnotations: true },
  serviceMonitor: { enabled: true, metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_.*' }] },
  ingress: { enabled: true, className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/proxy-buffering': 'off' }, tls: [{ hosts: ['inferd.example.com'], secretName: 'inferd-tls' }] },
  autoscaling: { enabled: true, targetCPUUtilizationPercentage: 80, extraMetrics: [{ type: 'Pods', pods: { metric: { name: 'num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '2' } } }] },
};

function one(render: ChartRender, kind: string, name?: string): Obj {
  const found = render.manifests.filter((m) => m.doc['kind'] === kind && (name === undefined || get(m.doc, 'metadata.name') === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!.doc;
}

function mainContainer(workload: Obj): Obj {
  return getArray(workload, 'spec.template.spec.containers')[0] as Obj;
}

/** Each render with the findings it must produce: only the pre-existing claim the optional set mounts. */
const renders: [string, ChartRender, string][] = [
  ['default values', renderChart(CHART, { releaseName: 'demo', namespace: 'ml' }), ''],
  ['GPU + autoscaling values', renderChart(CHART, { releaseName: 'demo', namespace: 'ml', valuesFiles: [GPU_VALUES] }), ''],
  [
    'optional features',
    renderChart(CHART, { releaseName: 'demo', namespace: 'ml', overrides: [KITCHEN_SINK] }),
    'warning [references] Deployment/demo-inferd spec.template.spec.volumes[2]: claim "model-repo" is not among the manifests: it must exist in the cluster',
  ],
];

describe.each(renders)('chart rendered with %s', (_label, render, expectedFindings) => {
  it('validates every manifest with no errors and only the expected warnings', async () => {
    expect(render.manifests.length).toBeGreaterThan(4);
    expect(formatFindings(await validateManifests(render.manifests))).toBe(expectedFindings);
  });

  it('renders lint-clean YAML', () => {
    const issues = [...render.files].flatMap(([name, text]) => lintYaml(text).map((i) => `${name}:${i.line} ${i.rule} ${i.message}`));
    expect(issues).toEqual([]);
  });

  it('hardens and probes the server container', () => {
    const workload = render.manifests.find((m) => ['Deployment', 'StatefulSet'].includes(String(m.doc['kind'])))!.doc;
    const c = mainContainer(workload);
    expect(get(c, 'livenessProbe.httpGet.path')).toBe('/v1/health/live');
    expect(get(c, 'readinessProbe.httpGet.path')).toMatch(/^\/v[12]\/health\/ready$/);
    const startupBudget = Number(get(c, 'startupProbe.periodSeconds')) * Number(get(c, 'startupProbe.failureThreshold'));
    expect(startupBudget).toBeGreaterThanOrEqual(1800);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(workload, 'spec.template.spec.automountServiceAccountToken')).toBe(false);
    expect(getArray(c, 'ports').map((p) => get(p, 'name'))).toEqual(['http', 'grpc', 'metrics']);
  });
});

describe('default values', () => {
  const [, render] = renders[0]!;

  it('renders a single CPU Deployment with a kept cache claim and no autoscaler', () => {
    expect(render.manifests.map((m) => m.doc['kind']).sort()).toEqual(['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Pod', 'Service', 'ServiceAccount']);
    const deployment = one(render, 'Deployment');
    expect(get(deployment, 'spec.replicas')).toBe(1);
    expect(get(deployment, 'spec.strategy.type')).toBe('Recreate');
    expect(get(one(render, 'PersistentVolumeClaim'), 'metadata.annotations')).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(get(mainContainer(deployment), 'resources.limits')).toEqual({ memory: '4Gi' });
  });

  it('configures the server through a ConfigMap of INFERD_* variables', () => {
    const data = get(one(render, 'ConfigMap'), 'data') as Obj;
    expect(data).toMatchObject({ INFERD_HOST: '0.0.0.0', INFERD_HTTP_PORT: '8000', INFERD_MODEL: 'smollm2-135m-instruct', INFERD_EXIT_TIMEOUT_SECS: '30', INFERD_CACHE_DIR: '/var/cache/inferd' });
    expect(Object.values(data).every((v) => typeof v === 'string')).toBe(true);
  });

  it('keeps the image tag in step with the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(render.chart.appVersion).toBe(pkg.version);
    expect(get(mainContainer(one(render, 'Deployment')), 'image')).toBe(`ghcr.io/inferd/inferd:${pkg.version}`);
  });

  it('rolls pods when the configuration changes', () => {
    const other = renderChart(CHART, { overrides: [{ server: { logLevel: 'debug' } }] });
    const checksum = (r: ChartRender): unknown => get(one(r, 'Deployment'), 'spec.template.metadata.annotations.checksum/config');
    expect(checksum(render)).toMatch(/^[a-f0-9]{64}$/);
    expect(checksum(other)).not.toBe(checksum(renderChart(CHART)));
  });

  it('renders NOTES with the port-forward command', () => {
    expect(render.notes).toContain('kubectl -n ml port-forward svc/demo-inferd 8000:8000');
  });
});

describe('GPU + autoscaling values', () => {
  const [, render] = renders[1]!;

  it('scales a StatefulSet on Pods custom metrics with AverageValue targets', () => {
    const hpa = one(render, 'HorizontalPodAutoscaler');
    expect(hpa['apiVersion']).toBe('autoscaling/v2');
    expect(get(hpa, 'spec.scaleTargetRef')).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'demo-inferd' });
    expect(getArray(hpa, 'spec.metrics')).toEqual([
      { type: 'Pods', pods: { metric: { name: 'num_requests_running' }, target: { type: 'AverageValue', averageValue: '8' } } },
      { type: 'Pods', pods: { metric: { name: 'num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '2' } } },
    ]);
    expect(get(one(render, 'StatefulSet'), 'spec.replicas')).toBeUndefined();
  });

  it('requests a GPU as a limit and uses the CUDA image', () => {
    const c = mainContainer(one(render, 'StatefulSet'));
    expect((get(c, 'resources.limits') as Obj)['nvidia.com/gpu']).toBe(1);
    expect(get(c, 'image')).toBe('ghcr.io/inferd/inferd:0.1.0-cuda');
  });

  it('gives each replica its own cache claim and pre-downloads the model', () => {
    const sts = one(render, 'StatefulSet');
    expect(getArray(sts, 'spec.volumeClaimTemplates').map((t) => get(t, 'metadata.name'))).toEqual(['cache']);
    expect(get(sts, 'spec.serviceName')).toBe('demo-inferd-headless');
    const init = getArray(sts, 'spec.template.spec.initContainers')[0] as Obj;
    expect(init['args']).toEqual(['download-to-cache', '--model', 'smollm2-1.7b-instruct']);
  });

  it('outlasts preStop plus the exit timeout on shutdown', () => {
    const spec = get(one(render, 'StatefulSet'), 'spec.template.spec') as Obj;
    expect(spec['terminationGracePeriodSeconds']).toBe(120);
    expect(get(mainContainer(one(render, 'StatefulSet')), 'lifecycle.preStop.exec.command')).toEqual(['sleep', '15']);
  });

  it('scrapes the metrics port of the API Service only', () => {
    const sm = one(render, 'ServiceMonitor');
    expect(get(sm, 'metadata.labels.release')).toBe('kube-prometheus-stack');
    expect(getArray(sm, 'spec.endpoints')[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    expect(get(one(render, 'PodDisruptionBudget'), 'spec.minAvailable')).toBe(1);
  });
});

describe('optional features', () => {
  const [, render] = renders[2]!;

  it('mounts API keys and the model repository read-only', () => {
    const deployment = one(render, 'Deployment');
    const c = mainContainer(deployment);
    expect(getArray(c, 'volumeMounts')).toContainEqual({ name: 'auth', mountPath: '/etc/inferd/auth', readOnly: true });
    expect(getArray(c, 'volumeMounts')).toContainEqual({ name: 'model-repository', mountPath: '/models', readOnly: true, subPath: 'triton' });
    expect(get(c, 'args')).toEqual(['serve', '--load-model=densenet_onnx']);
    expect(get(one(render, 'ConfigMap'), 'data.INFERD_API_KEYS_FILE')).toBe('/etc/inferd/auth/api-keys');
    expect(get(deployment, 'spec.strategy')).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(get(deployment, 'spec.template.metadata.annotations.checksum/secret')).toMatch(/^[a-f0-9]{64}$/);
  });

  it('stores secrets base64-encoded and hands the test pod its key', () => {
    const secret = one(render, 'Secret');
    expect(Buffer.from(String(get(secret, 'data.HF_TOKEN')), 'base64').toString()).toBe('hf_dummy');
    const testPod = one(render, 'Pod');
    const env = getArray(getArray(testPod, 'spec.containers')[0], 'env');
    expect(env).toContainEqual({ name: 'INFERD_TEST_API_KEY', valueFrom: { secretKeyRef: { name: 'demo-inferd', key: 'test-api-key', optional: true } } });
  });

  it('routes the ingress to the http port', () => {
    const ingress = one(render, 'Ingress');
    expect(get(ingress, 'spec.ingressClassName')).toBe('nginx');
    expect(getArray(ingress, 'spec.rules')[0]).toMatchObject({ host: 'inferd.example.com' });
  });
});
