/**
 * A small `helm template`: loads a chart directory, merges values, checks them against
 * values.schema.json, renders every template with Helm's built-in objects, and splits the output
 * into manifests. Only the Go-template/Sprig subset in ../go-template is supported, so a chart
 * that renders here uses nothing a real helm would render differently.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { goStruct, TemplateSet } from '../go-template/executor.js';
import { templateFunctions } from '../go-template/functions.js';
import { loadValuesFile, mergeValues, parseValues, validateValuesSchema, type Values } from './values.js';

/** Chart.yaml, as the fields templates see under `.Chart`. */
export interface ChartMetadata {
  readonly apiVersion: string;
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  readonly [key: string]: unknown;
}

/** Options of one render, mirroring `helm template NAME CHART -n NS -f ...`. */
export interface RenderOptions {
  readonly releaseName?: string;
  readonly namespace?: string;
  /** Values files applied in order over the chart's values.yaml. */
  readonly valuesFiles?: readonly string[];
  /** Values maps applied after the files (like --set). */
  readonly overrides?: readonly Values[];
  /** Kubernetes version reported by `.Capabilities.KubeVersion`. */
  readonly kubeVersion?: string;
}

/** One manifest from the rendered output. */
export interface RenderedManifest {
  /** Template that produced it, e.g. `inferd/templates/deployment.yaml`. */
  readonly source: string;
  readonly doc: Record<string, unknown>;
  /** The YAML text of this document, for linting. */
  readonly text: string;
}

/** Everything one render produced. */
export interface ChartRender {
  readonly chart: ChartMetadata;
  readonly values: Values;
  /** Rendered text of each non-partial template, by template name. */
  readonly files: ReadonlyMap<string, string>;
  readonly manifests: readonly RenderedManifest[];
  readonly notes: string;
}

/** A chart that cannot be rendered: bad values, schema violations or a template error. */
export class ChartRenderError extends Error {
  override readonly name = 'ChartRenderError';
}

const TEMPLATE_EXTENSIONS = /\.(ya?ml|tpl|txt)$/;
const DEFAULT_KUBE_VERSION = 'v1.31.0';

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = join(dir, entry);
      return statSync(full).isDirectory() ? listFiles(full) : [full];
    });
}

/** Reads Chart.yaml and checks the fields Helm requires. */
export function loadChartMetadata(chartDir: string): ChartMetadata {
  const meta: unknown = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
  if (typeof meta !== 'object' || meta === null) throw new ChartRenderError('Chart.yaml is not a map');
  const m = meta as Record<string, unknown>;
  for (const key of ['apiVersion', 'name', 'version'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') throw new ChartRenderError(`Chart.yaml: ${key} is required`);
  }
  return m as ChartMetadata;
}

/** Helm exposes chart metadata with Go field names (`.Chart.AppVersion`). */
function chartObject(meta: ChartMetadata): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    const goName = key === 'apiVersion' ? 'APIVersion' : key.charAt(0).toUpperCase() + key.slice(1);
    fields[goName] = value;
  }
  for (const name of ['Name', 'Version', 'AppVersion', 'Description', 'Type', 'KubeVersion', 'Home', 'Icon']) fields[name] ??= '';
  return goStruct(fields);
}

function capabilities(kubeVersion: string): Record<string, unknown> {
  const m = /^v?(\d+)\.(\d+)/.exec(kubeVersion);
  if (!m) throw new ChartRenderError(`bad kubeVersion ${kubeVersion}`);
  const version = kubeVersion.startsWith('v') ? kubeVersion : `v${kubeVersion}`;
  return goStruct({
    KubeVersion: goStruct({ Version: version, GitVersion: version, Major: m[1], Minor: m[2] }),
    HelmVersion: goStruct({ Version: 'v3.16.0' }),
  });
}

/** Enforces Chart.yaml's kubeVersion, as helm does; only `>=X.Y.Z[-0]` constraints are supported. */
function checkKubeVersion(chart: ChartMetadata, kubeVersion: string): void {
  const constraint = chart['kubeVersion'];
  if (constraint === undefined) return;
  const want = /^>=\s*v?(\d+)\.(\d+)\.(\d+)(-0)?$/.exec(String(constraint));
  if (!want) throw new ChartRenderError(`unsupported kubeVersion constraint ${String(constraint)}`);
  const have = /^v?(\d+)\.(\d+)\.(\d+)/.exec(kubeVersion);
  if (!have) throw new ChartRenderError(`bad kubeVersion ${kubeVersion}`);
  const cmp = [1, 2, 3].map((i) => Number(have[i]) - Number(want[i])).find((d) => d !== 0) ?? 0;
  if (cmp < 0) throw new ChartRenderError(`chart requires kubeVersion ${String(constraint)} which is incompatible with Kubernetes ${kubeVersion}`);
}

/** Computes the values a render uses: chart defaults, then files, then overrides; then checks the schema. */
export function resolveValues(chartDir: string, options: RenderOptions = {}): Values {
  let values = parseValues(readFileSync(join(chartDir, 'values.yaml'), 'utf8'), 'values.yaml');
  for (const file of options.valuesFiles ?? []) values = mergeValues(values, loadValuesFile(file));
  for (const override of options.overrides ?? []) values = mergeValues(values, override);
  const schemaPath = join(chartDir, 'values.schema.json');
  if (existsSync(schemaPath)) {
    const violations = validateValuesSchema(JSON.parse(readFileSync(schemaPath, 'utf8')) as object, values);
    if (violations.length > 0) {
      throw new ChartRenderError(`values don't meet the specifications of the schema:\n${violations.map((v) => `- ${v.path}: ${v.message}`).join('\n')}`);
    }
  }
  return values;
}

/** Splits rendered text into YAML documents, dropping empty ones as Helm does. */
export function splitManifests(source: string, text: string): RenderedManifest[] {
  const out: RenderedManifest[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', uniqueKeys: true })) {
    if (doc.errors.length > 0) throw new ChartRenderError(`${source}: invalid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new ChartRenderError(`${source}: a manifest must be a map`);
    const [start = 0, , end = text.length] = doc.range;
    out.push({ source, doc: value as Record<string, unknown>, text: text.slice(start, end) });
  }
  return out;
}

/** Renders a chart directory like `helm template`. */
export function renderChart(chartDir: string, options: RenderOptions = {}): ChartRender {
  const chart = loadChartMetadata(chartDir);
  checkKubeVersion(chart, options.kubeVersion ?? DEFAULT_KUBE_VERSION);
  const values = resolveValues(chartDir, options);
  const templatesDir = join(chartDir, 'templates');
  const basePath = `${chart.name}/templates`;
  const set = new TemplateSet(templateFunctions);
  const names: string[] = [];
  for (const file of listFiles(templatesDir).filter((f) => TEMPLATE_EXTENSIONS.test(f))) {
    const name = `${chart.name}/templates/${relative(templatesDir, file).split(sep).join('/')}`;
    set.add(name, readFileSync(file, 'utf8'));
    names.push(name);
  }
  const top = (templateName: string): Record<string, unknown> =>
    goStruct({
      Values: values,
      Release: goStruct({ Name: options.releaseName ?? 'release-name', Namespace: options.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1n }),
      Chart: chartObject(chart),
      Capabilities: capabilities(options.kubeVersion ?? DEFAULT_KUBE_VERSION),
      Template: goStruct({ Name: templateName, BasePath: basePath }),
      Files: goStruct({}),
    });
  const files = new Map<string, string>();
  const manifests: RenderedManifest[] = [];
  let notes = '';
  for (const name of names) {
    const base = name.split('/').at(-1) ?? '';
    if (base.startsWith('_')) continue;
    let text: string;
    try {
      text = set.execute(name, top(name));
    } catch (err) {
      throw new ChartRenderError(err instanceof Error ? err.message : String(err));
    }
    if (base === 'NOTES.txt') {
      notes = text;
      continue;
    }
    files.set(name, text);
    manifests.push(...splitManifests(name, text));
  }
  return { chart, values, files, manifests, notes };
}

/** Formats a render like `helm template` output: each document under a `# Source:` comment. */
export function formatRender(render: ChartRender): string {
  return render.manifests.map((m) => `---\n# Source: ${m.source}\n${m.text.trimEnd()}\n`).join('');
}
