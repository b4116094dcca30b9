/**
 * Renders a Helm chart without helm, like `helm template`, with the Go-template subset in
 * deploy/tools/go-template. With --validate it also lints the output and validates every manifest
 * offline (kubernetes-models schemas, unknown fields, HPA/KServe/workload rules); exits 1 on errors.
 *
 *   node --import tsx scripts/render-chart.ts [CHART_DIR] [-f values.yaml]... [--set key=value]...
 *        [--release NAME] [--namespace NS] [--validate]
 */
import { parseArgs } from 'node:util';
import { ChartRenderError, formatRender, renderChart } from '../deploy/tools/helm/chart-renderer.js';
import { parseSetArgument } from '../deploy/tools/helm/values.js';
import { errorsOf, formatFindings, validateManifests } from '../deploy/tools/k8s/validate-manifests.js';
import { lintYaml } from '../deploy/tools/yaml-lint.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    values: { type: 'string', short: 'f', multiple: true, default: [] },
    set: { type: 'string', multiple: true, default: [] },
    release: { type: 'string', default: 'release-name' },
    namespace: { type: 'string', short: 'n', default: 'default' },
    validate: { type: 'boolean', default: false },
  },
});

try {
  const render = renderChart(positionals[0] ?? 'deploy/helm/inferd', {
    releaseName: values.release,
    namespace: values.namespace,
    valuesFiles: values.values,
    overrides: values.set.map(parseSetArgument),
  });
  process.stdout.write(formatRender(render));
  if (values.validate) {
    const lint = [...render.files].flatMap(([name, text]) => lintYaml(text).map((i) => `${name}:${i.line}: error [yaml-${i.rule}] ${i.message}`));
    const findings = await validateManifests(render.manifests);
    if (lint.length > 0) console.error(lint.join('\n'));
    if (findings.length > 0) console.error(formatFindings(findings));
    const failed = lint.length + errorsOf(findings).length;
    console.error(failed === 0 ? `validated ${render.manifests.length} manifests: ok` : `${failed} error(s)`);
    process.exitCode = failed === 0 ? 0 : 1;
  }
} catch (err) {
  if (!(err instanceof ChartRenderError)) throw err;
  console.error(`Error: ${err.message}`);
  process.exitCode = 1;
}
