import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { splitManifests } from '../../deploy/tools/helm/chart-renderer.js';
import { flagValue } from '../../deploy/tools/k8s/kserve-rules.js';
import { get, getArray, type Manifest, type Obj } from '../../deploy/tools/k8s/manifest.js';
import { formatFindings, validateManifests } from '../../deploy/tools/k8s/validate-manifests.js';
import { lintYaml } from '../../deploy/tools/yaml-lint.js';

function load(dir: string): Manifest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => splitManifests(`${dir}/${f}`, readFileSync(`${dir}/${f}`, 'utf8')));
}

const kserve = load('deploy/kserve');
const examples = load('deploy/examples');

function runtime(name: string): Obj {
  return kserve.find((m) => m.doc['kind'] === 'ClusterServingRuntime' && get(m.doc, 'metadata.name') === name)!.doc;
}

describe('KServe manifests', () => {
  it('validate with no errors or warnings and lint clean', async () => {
    expect(formatFindings(await validateManifests(kserve))).toBe('');
    for (const f of readdirSync('deploy/kserve')) expect(lintYaml(readFileSync(`deploy/kserve/${f}`, 'utf8')), f).toEqual([]);
  });

  it('ship a runtime for ONNX and GGUF over v2 REST and gRPC', () => {
    for (const name of ['inferd', 'inferd-multimodel']) {
      const doc = runtime(name);
      expect(getArray(doc, 'spec.supportedModelFormats').map((f) => get(f, 'name'))).toEqual(['onnx', 'gguf']);
      expect(get(doc, 'spec.protocolVersions')).toEqual(['v2', 'grpc-v2']);
      expect(get(doc, 'spec.annotations')).toEqual({ 'prometheus.kserve.io/port': '8002', 'prometheus.kserve.io/path': '/metrics' });
      const args = getArray(getArray(doc, 'spec.containers')[0], 'args') as string[];
      expect(flagValue(args, '--http-port')).toBe('8080');
      expect(flagValue(args, '--grpc-port')).toBe('9000');
      expect(flagValue(args, '--model-repository')).toBe('/mnt/models');
      expect(flagValue(args, '--model-control-mode')).toBe('explicit');
    }
    expect(get(runtime('inferd-multimodel'), 'spec.multiModel')).toBe(true);
  });

  it('give every InferenceService a runtime and every TrainedModel a multi-model parent', () => {
    const kinds = kserve.map((m) => m.doc['kind']);
    expect(kinds.filter((k) => k === 'InferenceService')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'TrainedModel')).toHaveLength(2);
  });
});

describe('examples', () => {
  it('the air-gapped cache Job validates and runs download-to-cache into a shared claim', async () => {
    expect(formatFindings(await validateManifests(examples))).toBe('');
    const job = examples.find((m) => m.doc['kind'] === 'Job')!.doc;
    const container = getArray(job, 'spec.template.spec.containers')[0] as Obj;
    expect((container['args'] as string[])[0]).toBe('download-to-cache');
    expect(get(examples.find((m) => m.doc['kind'] === 'PersistentVolumeClaim')!.doc, 'spec.accessModes')).toEqual(['ReadWriteMany']);
  });
});

describe('systemd unit', () => {
  const unit = readFileSync('deploy/systemd/inferd.service', 'utf8');
  const env = readFileSync('deploy/systemd/inferd.env', 'utf8');
  const setting = (text: string, key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];

  it('runs the same entry point as the image, unprivileged, with the cache writable', () => {
    expect(setting(unit, 'ExecStart')).toBe('/usr/bin/node /opt/inferd/dist/src/main.js serve');
    expect(setting(unit, 'User')).toBe('inferd');
    expect(setting(unit, 'NoNewPrivileges')).toBe('yes');
    expect(setting(unit, 'ProtectSystem')).toBe('strict');
    expect(setting(unit, 'ReadWritePaths')).toBe(setting(unit, 'Environment=INFERD_CACHE_DIR'));
  });

  it('lets the drain finish before systemd kills the server', () => {
    expect(Number(setting(unit, 'TimeoutStopSec'))).toBeGreaterThan(Number(setting(env, 'INFERD_EXIT_TIMEOUT_SECS')));
  });
});

describe('prometheus-adapter rules', () => {
  const adapter = parse(readFileSync('deploy/prometheus-adapter/values.yaml', 'utf8')) as { rules: { default: boolean; custom: Obj[] } };
  const served = adapter.rules.custom.map((r) => String(get(r, 'name.as')));

  it('serve every Pods metric the chart can autoscale on', () => {
    for (const file of ['deploy/helm/inferd/values.yaml', 'deploy/helm/inferd/values-gpu-autoscaling.yaml']) {
      const values = parse(readFileSync(file, 'utf8')) as Obj;
      for (const metric of getArray(values, 'autoscaling.podsMetrics')) expect(served, file).toContain(get(metric, 'name'));
    }
  });

  it('map series to pods and aggregate per pod', () => {
    expect(adapter.rules.default).toBe(false);
    for (const rule of adapter.rules.custom) {
      expect(String(rule['seriesQuery'])).toMatch(/^[a-z_:]+\{namespace!="",pod!=""\}$/);
      expect(get(rule, 'resources.overrides')).toEqual({ namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
      expect(String(rule['metricsQuery'])).toMatch(/<<\.Series>>\{<<\.LabelMatchers>>\}.*by \(<<\.GroupBy>>\)/);
      expect(new RegExp(String(get(rule, 'name.matches'))).test(String(rule['seriesQuery']).split('{')[0]!)).toBe(true);
    }
  });
});
