/**
 * `inferd list-models` and `inferd list-model-profiles MODEL`: the catalog, and one model's
 * profiles judged against this machine in three groups (runnable, compatible but low memory,
 * incompatible), NIM style.
 */
import type { Command } from 'commander';
import {
  CatalogError,
  HubCache,
  HubClient,
  catalogSettingsFromEnv,
  evaluateProfiles,
  findModel,
  formatBytes,
  inspectHardware,
  knownFileSizes,
  loadCatalog,
  type CatalogModel,
  type ProfileEvaluation,
} from '../catalog/index.js';
import { addCatalogFlags, reportErrors, type CatalogFlags } from './catalog-cli.js';

function profileJson(e: ProfileEvaluation): Record<string, unknown> {
  const { profile: p } = e;
  return {
    id: p.id, name: p.name, engine: p.engine, device: p.device, precision: p.precision, status: e.status, reasons: e.reasons,
    memoryBytes: e.memory.totalBytes, memory: e.memory, availableBytes: e.availableBytes, source: p.source,
  };
}

function line(e: ProfileEvaluation): string {
  const files = e.profile.source.files.map((f) => f.path).join(', ');
  const detail = e.status === 'runnable' ? `${e.profile.source.repo}/${files}` : e.reasons.join('; ');
  return `  ${e.profile.name.padEnd(26)} ${e.profile.id.slice(0, 12)}  needs ${formatBytes(e.memory.totalBytes).padEnd(9)} ${detail}`;
}

/** Renders the three groups for people. */
export function formatProfiles(model: CatalogModel, evaluations: readonly ProfileEvaluation[]): string {
  const first = evaluations[0]!;
  const group = (title: string, status: ProfileEvaluation['status']): string[] => {
    const rows = evaluations.filter((e) => e.status === status).map(line);
    return [`${title}:`, ...(rows.length ? rows : ['  (none)']), ''];
  };
  return [
    `${model.name} (${model.task})${model.description ? `: ${model.description}` : ''}`,
    `memory estimated for context ${first.memory.contextSize} × ${first.memory.maxSequences} sequences`,
    '',
    ...group('Runnable profiles (best first)', 'runnable'),
    ...group('Compatible but low memory', 'low-memory'),
    ...group('Incompatible', 'incompatible'),
  ].join('\n');
}

/** Adds `list-models` and `list-model-profiles` to `program`. */
export function addProfileCommands(program: Command): void {
  addCatalogFlags(program.command('list-models').description('list the catalog models (built-in plus --catalog)')).action((opts: CatalogFlags) =>
    reportErrors(async () => {
      const catalog = await loadCatalog(opts.catalog);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(catalog.models.map((m) => ({ name: m.name, task: m.task, description: m.description, license: m.license, profiles: m.profiles.length })), null, 2)}\n`);
        return;
      }
      for (const m of catalog.models) process.stdout.write(`${m.name.padEnd(26)} ${m.task.padEnd(10)} ${m.description ?? ''}\n`);
    }),
  );

  addCatalogFlags(
    program
      .command('list-model-profiles')
      .argument('<model>', 'catalog model name')
      .description('show a model\'s profiles: runnable here, compatible but short of memory (with the memory needed), incompatible (with why)'),
  ).action((name: string, opts: CatalogFlags) =>
    reportErrors(async () => {
      const settings = catalogSettingsFromEnv();
      const catalog = await loadCatalog(opts.catalog ?? settings.catalogFile);
      const model = findModel(catalog, name);
      if (!model) throw new CatalogError('INVALID_REFERENCE', `'${name}' is not a catalog model; catalog models: ${catalog.models.map((m) => m.name).join(', ')}`);
      const ctx = { client: new HubClient({ endpoint: settings.endpoint, token: settings.token }), cache: new HubCache(settings.cacheDir), offline: settings.offline };
      const [hw, fileSizes] = await Promise.all([inspectHardware(), knownFileSizes(model, ctx)]);
      const evaluations = evaluateProfiles(model, hw, { contextSize: opts.contextSize, maxSequences: opts.maxSequences, fileSizes });
      if (!opts.json) return void process.stdout.write(`${formatProfiles(model, evaluations)}\n`);
      const of = (s: ProfileEvaluation['status']) => evaluations.filter((e) => e.status === s).map(profileJson);
      const first = evaluations[0]!.memory;
      process.stdout.write(`${JSON.stringify({
        model: model.name, task: model.task, contextSize: first.contextSize, maxSequences: first.maxSequences,
        runnable: of('runnable'), lowMemory: of('low-memory'), incompatible: of('incompatible'),
      }, null, 2)}\n`);
    }),
  );
}
