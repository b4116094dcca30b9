import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ChartRenderError, loadChartMetadata, renderChart } from '../../deploy/tools/helm/chart-renderer.js';
import { LOG_LEVELS } from '../../src/config/server-options.js';
import { mergeValues, parseSetArgument, type Values } from '../../deploy/tools/helm/values.js';
import { lintYaml } from '../../deploy/tools/yaml-lint.js';

const CHART = 'deploy/helm/inferd';

function renderError(overrides: Values): string {
  try {
    renderChart(CHART, { overrides: [overrides] });
  } catch (err) {
    expect(err).toBeInstanceOf(ChartRenderError);
    return (err as Error).message;
  }
  throw new Error('render succeeded');
}

describe('values.schema.json', () => {
  it('rejects misspelled keys, bad enums and weakened hardening', () => {
    expect(renderError({ replicaCont: 2 })).toMatch(/unknown key "replicaCont"/);
    expect(renderError({ workload: 'DaemonSet' })).toMatch(/\/workload: must be equal to one of the allowed values/);
    expect(renderError({ securityContext: { runAsNonRoot: false } })).toMatch(/\/securityContext\/runAsNonRoot/);
    expect(renderError({ image: { tag: 'latest' } })).toMatch(/\/image\/tag/);
    expect(renderError({ server: { ports: { http: 70000 } } })).toMatch(/\/server\/ports\/http/);
    expect(renderError({ autoscaling: { podsMetrics: [{ name: 'num_requests_running', averageValue: 'lots' }] } })).toMatch(/averageValue/);
  });

  it('accepts both shipped values files', () => {
    expect(() => renderChart(CHART, { valuesFiles: [`${CHART}/values-gpu-autoscaling.yaml`] })).not.toThrow();
  });

  it('accepts exactly the log levels the server accepts', () => {
    const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8')) as { properties: { server: { properties: { logLevel: { enum: string[] } } } } };
    expect([...schema.properties.server.properties.logLevel.enum].sort()).toEqual([...LOG_LEVELS].sort());
  });

  it('documents every top-level default', () => {
    const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8')) as { properties: Record<string, unknown> };
    const defaults = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as Values;
    expect(Object.keys(defaults).filter((k) => !(k in schema.properties))).toEqual([]);
  });
});

describe('render-time guards', () => {
  it('refuses a grace period that would cut off in-flight requests', () => {
    expect(renderError({ terminationGracePeriodSeconds: 40 })).toMatch(/terminationGracePeriodSeconds \(40\) must exceed .* \(40\)/);
  });

  it('refuses auth without keys, a repository without a claim, autoscaling without metrics', () => {
    expect(renderError({ auth: { enabled: true } })).toMatch(/auth.enabled needs secrets.apiKeys/);
    expect(renderError({ modelRepository: { enabled: true } })).toMatch(/modelRepository.enabled needs modelRepository.existingClaim/);
    expect(renderError({ autoscaling: { enabled: true, podsMetrics: [] } })).toMatch(/needs at least one metric/);
    expect(renderError({ server: { model: '' }, cache: { prefetch: { enabled: true } } })).toMatch(/cache.prefetch.enabled needs server.model/);
    expect(renderError({ server: { offline: true }, cache: { prefetch: { enabled: true } } })).toMatch(/server.offline forbids/);
  });

  it('refuses several Deployment replicas on one ReadWriteOnce claim', () => {
    expect(renderError({ replicaCount: 2 })).toMatch(/cannot share a ReadWriteOnce cache claim/);
    expect(renderError({ autoscaling: { enabled: true } })).toMatch(/cannot share a ReadWriteOnce cache claim/);
    expect(() => renderChart(CHART, { overrides: [{ replicaCount: 2, workload: 'StatefulSet' }] })).not.toThrow();
  });
});

describe('values handling', () => {
  it('deep-merges maps, replaces lists and deletes keys set to null', () => {
    const merged = mergeValues({ a: { b: 1, c: 2 }, l: [1, 2], gone: 'x' }, { a: { c: 3 }, l: [9], gone: null });
    expect(merged).toEqual({ a: { b: 1, c: 3 }, l: [9] });
  });

  it('types --set values like helm (ints, bools, null)', () => {
    expect(parseSetArgument('a.b=3')).toEqual({ a: { b: 3n } });
    expect(parseSetArgument('x=true')).toEqual({ x: true });
    expect(parseSetArgument('s=abc')).toEqual({ s: 'abc' });
    expect(() => parseSetArgument('novalue')).toThrow(/key=value/);
  });

  it('renders with --set style overrides', () => {
    const render = renderChart(CHART, { overrides: [parseSetArgument('replicaCount=3'), parseSetArgument('cache.persistence.enabled=false')] });
    const deployment = render.manifests.find((m) => m.doc['kind'] === 'Deployment')!;
    expect((deployment.doc['spec'] as Values)['replicas']).toBe(3);
  });
});

describe('chart files', () => {
  it('has the metadata helm requires', () => {
    const meta = loadChartMetadata(CHART);
    expect(meta.apiVersion).toBe('v2');
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(meta['kubeVersion']).toBe('>=1.27.0-0');
  });

  it('keeps values files lint-clean', () => {
    for (const file of ['values.yaml', 'values-gpu-autoscaling.yaml', 'Chart.yaml']) {
      expect(lintYaml(readFileSync(`${CHART}/${file}`, 'utf8'), { allowEmptyValues: true }), file).toEqual([]);
    }
  });
});

describe('kubeVersion', () => {
  it('refuses clusters older than Chart.yaml allows', () => {
    expect(() => renderChart(CHART, { kubeVersion: 'v1.26.9' })).toThrow(/requires kubeVersion >=1.27.0-0/);
    expect(() => renderChart(CHART, { kubeVersion: 'v1.27.0' })).not.toThrow();
  });
});
