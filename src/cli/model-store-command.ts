/**
 * NIM's cache utilities under their NIM names: `inferd download-to-cache [-p ID...] [--all]
 * [MODEL]` pre-fills the cache (the best profile by default), and `inferd create-model-store
 * -p ID -m DIR [MODEL]` copies one profile's files out of the cache into a plain folder for an
 * air-gapped machine. MODEL defaults to INFERD_MODEL (what `serve --model` reads); a profile id
 * alone names its model too, since ids cover the model name.
 */
import { Option, type Command } from 'commander';
import {
  CatalogError,
  HubCache,
  HubClient,
  catalogSettingsFromEnv,
  loadCatalog,
  resolveModelReference,
  type DownloadEvent,
  type HubContext,
} from '../catalog/index.js';
import { createModelStore } from '../catalog/model-store.js';
import { downloadProfile } from '../catalog/profile-files.js';
import { lookupProfile, modelProfiles, requireModel, type FoundProfile } from '../catalog/profile-lookup.js';
import { addCacheDirFlag, cacheDirOf } from './cache-command.js';
import { addCatalogFlags, reportErrors, type CatalogFlags } from './catalog-cli.js';
import { jsonProgress, ttyProgress } from './download-progress.js';

interface StoreFlags extends CatalogFlags {
  readonly cacheDir?: string;
}

interface DownloadToCacheFlags extends StoreFlags {
  /** The model as a flag (the Helm chart's init container passes it so), instead of the argument. */
  readonly model?: string;
  readonly profiles?: string[];
  readonly profile?: string[];
  readonly all?: boolean;
}

interface CreateStoreFlags extends StoreFlags {
  readonly profile: string;
  readonly modelStore: string;
}

/** MODEL from the argument, else the first INFERD_MODEL entry (the model `serve` would start). */
function modelArgument(arg: string | undefined): string | undefined {
  return arg ?? process.env.INFERD_MODEL?.split(',').map((s) => s.trim()).find(Boolean);
}

/** Progress output (bars on a terminal, JSON lines otherwise) and a Ctrl-C signal for one command run. */
function session(flags: StoreFlags): { json: boolean; ctx: HubContext; done: () => void } {
  const json = !!flags.json || !process.stderr.isTTY;
  const onProgress: (e: DownloadEvent) => void = json ? jsonProgress((l) => process.stdout.write(l)) : ttyProgress(process.stderr);
  const ctl = new AbortController();
  const stop = (): void => ctl.abort();
  process.once('SIGINT', stop);
  const settings = catalogSettingsFromEnv();
  const ctx: HubContext = {
    client: new HubClient({ endpoint: settings.endpoint, token: settings.token }),
    cache: new HubCache(cacheDirOf(flags)),
    offline: settings.offline,
    signal: ctl.signal,
    onProgress,
  };
  return { json, ctx, done: () => void process.off('SIGINT', stop) };
}

function interrupted(err: unknown): never {
  if (err instanceof CatalogError && err.code === 'ABORTED') throw new CatalogError('ABORTED', 'interrupted; run the same command again to resume the download');
  throw err;
}

async function runDownloadToCache(arg: string | undefined, flags: DownloadToCacheFlags): Promise<void> {
  const keys = [...(flags.profiles ?? []), ...(flags.profile ?? [])].flatMap((k) => k.split(',')).filter(Boolean);
  if (arg !== undefined && flags.model !== undefined && arg !== flags.model) throw new CatalogError('INVALID_REFERENCE', 'give the model once: as the argument or with --model');
  const modelName = modelArgument(arg ?? flags.model);
  if (flags.all && keys.length > 0) throw new CatalogError('INVALID_REFERENCE', '--all and --profiles exclude each other');
  const { json, ctx, done } = session(flags);
  try {
    if (!flags.all && keys.length === 0) {
      if (!modelName) throw new CatalogError('INVALID_REFERENCE', 'name a model (argument or INFERD_MODEL), or pass --profiles ID...');
      const r = await resolveModelReference(modelName, { cacheDir: ctx.cache.root, catalogFile: flags.catalog, contextSize: flags.contextSize, maxSequences: flags.maxSequences, onProgress: ctx.onProgress, signal: ctx.signal });
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      const profiles = r.profile ? [{ id: r.profile.id, name: r.profile.name, files: r.files }] : [];
      process.stdout.write(json ? `${JSON.stringify({ event: 'complete', model: r.servedModelName, profiles, files: r.files })}\n` : `${r.servedModelName}${r.profile ? ` (${r.profile.name})` : ''}: ${r.file}\n`);
      return;
    }
    const catalog = await loadCatalog(flags.catalog ?? catalogSettingsFromEnv().catalogFile);
    let targets: FoundProfile[];
    if (flags.all) {
      if (!modelName) throw new CatalogError('INVALID_REFERENCE', '--all needs a catalog model (argument or INFERD_MODEL)');
      const model = requireModel(catalog, modelName);
      targets = modelProfiles(model).map((profile) => ({ model, profile }));
    } else {
      targets = keys.map((k) => lookupProfile(catalog, k, modelName));
    }
    const out: { model: string; id: string; name: string; files: string[] }[] = [];
    for (const { model, profile } of targets) {
      const files = (await downloadProfile(profile, ctx)).map((r) => r.file);
      out.push({ model: model.name, id: profile.id, name: profile.name, files });
    }
    if (json) process.stdout.write(`${JSON.stringify({ event: 'complete', profiles: out, files: [...new Set(out.flatMap((p) => p.files))] })}\n`);
    else for (const p of out) process.stdout.write(`${p.model} ${p.name} (${p.id.slice(0, 12)}): ${p.files.join(', ')}\n`);
  } catch (err) {
    interrupted(err);
  } finally {
    done();
  }
}

async function runCreateModelStore(arg: string | undefined, flags: CreateStoreFlags): Promise<void> {
  const catalog = await loadCatalog(flags.catalog ?? catalogSettingsFromEnv().catalogFile);
  const { model, profile } = lookupProfile(catalog, flags.profile, modelArgument(arg));
  const { json, ctx, done } = session(flags);
  try {
    const store = await createModelStore(model, profile, flags.modelStore, ctx);
    if (json) {
      process.stdout.write(`${JSON.stringify({ event: 'complete', modelStore: store.dir, manifestFile: store.manifestFile, modelFile: store.modelFile, manifest: store.manifest })}\n`);
    } else {
      process.stdout.write(`${model.name} ${profile.name} (${profile.id.slice(0, 12)}) → ${store.dir}\n${store.manifest.files.map((f) => `  ${f.path}  sha256 ${f.sha256}`).join('\n')}\nserve it with: inferd serve --model ${store.modelFile}\n`);
    }
  } catch (err) {
    interrupted(err);
  } finally {
    done();
  }
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Adds `download-to-cache` and `create-model-store` to `program`. */
export function addModelStoreCommands(program: Command): void {
  addCacheDirFlag(
    addCatalogFlags(
      program
        .command('download-to-cache')
        .argument('[model]', 'catalog name (or any model reference without --profiles/--all); default INFERD_MODEL')
        .description('download profiles into the cache before deployment: the best one for this machine, the --profiles given, or --all'),
    )
      .option('--model <model>', 'the model, as a flag instead of the argument')
      .option('-p, --profiles <profile...>', 'profile ids (or id prefixes, or names with MODEL) to download; space- or comma-separated')
      .addOption(new Option('--profile <profile>', 'one profile to download (repeatable)').argParser(collect))
      .option('--all', 'download every profile of the model'),
  ).action((model: string | undefined, flags: DownloadToCacheFlags) => reportErrors(() => runDownloadToCache(model, flags)));

  addCacheDirFlag(
    program
      .command('create-model-store')
      .argument('[model]', 'catalog name (default INFERD_MODEL; optional when --profile is an id)')
      .description('copy one profile out of the cache (downloading it if missing) into a folder for an air-gapped machine')
      .addOption(new Option('--catalog <file>', 'extra catalog file (JSON or YAML) merged over the built-in one').env('INFERD_CATALOG'))
      .option('--json', 'print JSON lines (the default without a terminal)')
      .requiredOption('-p, --profile <profile>', 'profile id, id prefix, or name (with MODEL)')
      .requiredOption('-m, --model-store <dir>', 'folder to write the files and model-store.json into'),
  ).action((model: string | undefined, flags: CreateStoreFlags) => reportErrors(() => runCreateModelStore(model, flags)));
}
