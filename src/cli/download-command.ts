/**
 * `inferd download MODEL` (alias `pull`): select a profile the way `serve` would and fill the
 * cache, printing progress; `--all` fetches every profile of a catalog model (to carry a cache
 * to an air-gapped machine). Ctrl-C stops cleanly and a later run resumes.
 */
import type { Command } from 'commander';
import {
  CatalogError,
  HubCache,
  HubClient,
  catalogSettingsFromEnv,
  downloadHubFile,
  findModel,
  formatBytes,
  identifyProfile,
  loadCatalog,
  resolveModelReference,
  type DownloadEvent,
} from '../catalog/index.js';
import { addCatalogFlags, reportErrors, type CatalogFlags } from './catalog-cli.js';
import { jsonProgress, ttyProgress } from './download-progress.js';

interface DownloadFlags extends CatalogFlags {
  readonly profile?: string;
  readonly all?: boolean;
}

/** Downloads every file of every profile of catalog model `name`; returns the cached paths. */
async function downloadAll(name: string, opts: DownloadFlags, onProgress: (e: DownloadEvent) => void, signal: AbortSignal): Promise<string[]> {
  const settings = catalogSettingsFromEnv();
  const model = findModel(await loadCatalog(opts.catalog ?? settings.catalogFile), name);
  if (!model) throw new CatalogError('INVALID_REFERENCE', `--all needs a catalog model name; '${name}' is not one`);
  const client = new HubClient({ endpoint: settings.endpoint, token: settings.token });
  const cache = new HubCache(settings.cacheDir);
  const seen = new Set<string>();
  const files: string[] = [];
  for (const p of model.profiles.map((raw) => identifyProfile(model.name, raw))) {
    for (const f of p.source.files) {
      const key = `${p.source.repo}@${p.source.revision}/${f.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const r = await downloadHubFile(p.source.repo, p.source.revision, f.path, { client, cache, offline: settings.offline, expectedSha256: f.sha256, onProgress, signal });
      files.push(r.file);
    }
  }
  return files;
}

/** Adds `download` (alias `pull`) to `program`. */
export function addDownloadCommand(program: Command): Command {
  return addCatalogFlags(
    program
      .command('download')
      .alias('pull')
      .argument('<model>', 'catalog name[:profile], owner/repo[:quant], hf://owner/repo[@rev]/file.gguf')
      .description('download a model into the cache (INFERD_CACHE_DIR, default ~/.cache/inferd), choosing the profile serve would use')
      .option('--profile <id-or-name>', 'profile to download instead of the best one (INFERD_MODEL_PROFILE)')
      .option('--all', 'download every profile of a catalog model'),
  ).action((ref: string, opts: DownloadFlags) =>
    reportErrors(async () => {
      const json = opts.json || !process.stderr.isTTY;
      const onProgress = json ? jsonProgress((l) => process.stdout.write(l)) : ttyProgress(process.stderr);
      const ctl = new AbortController();
      const stop = (): void => ctl.abort();
      process.once('SIGINT', stop);
      try {
        if (opts.all) {
          const files = await downloadAll(ref, opts, onProgress, ctl.signal);
          process.stdout.write(json ? `${JSON.stringify({ event: 'complete', files })}\n` : `${files.join('\n')}\n`);
          return;
        }
        const r = await resolveModelReference(ref, {
          profile: opts.profile, catalogFile: opts.catalog, contextSize: opts.contextSize, maxSequences: opts.maxSequences, onProgress, signal: ctl.signal,
        });
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        if (json) {
          process.stdout.write(`${JSON.stringify({ event: 'complete', model: r.servedModelName, file: r.file, files: r.files, profile: r.profile && { id: r.profile.id, name: r.profile.name }, memoryBytes: r.memory.totalBytes, parameters: r.parameters })}\n`);
        } else {
          process.stdout.write(`${r.servedModelName}${r.profile ? ` (${r.profile.name})` : ''}: ${r.file}\nneeds about ${formatBytes(r.memory.totalBytes)} with context ${r.memory.contextSize} × ${r.memory.maxSequences} sequences\n`);
        }
      } catch (err) {
        if (err instanceof CatalogError && err.code === 'ABORTED') throw new CatalogError('ABORTED', 'interrupted; run the same command again to resume the download');
        throw err;
      } finally {
        process.off('SIGINT', stop);
      }
    }),
  );
}
