/**
 * Bridges catalog profiles and the Hub cache: the sizes of profile files (from the cache, else
 * one model-info request per repository) that sharpen memory estimates, and the download of a
 * selected profile's files.
 */
import { stat } from 'node:fs/promises';
import type { CatalogModel, ModelProfile } from './catalog-types.js';
import { downloadHubFile, type DownloadEvent, type DownloadResult } from './hub/download-file.js';
import type { HubCache } from './hub/hub-cache.js';
import type { HubClient } from './hub/hub-client.js';
import { fileSizeKey } from './profile-selection.js';

/** Time allowed for the model-info requests that look up file sizes. */
const SIZE_LOOKUP_MS = 5000;

/** The Hub, the cache and how to use them. */
export interface HubContext {
  readonly client: HubClient;
  readonly cache: HubCache;
  readonly offline: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: DownloadEvent) => void;
  readonly retries?: number;
  readonly retryBaseMs?: number;
}

/**
 * Sizes of `model`'s profile files: cached files from disk; others from the Hub's model-info
 * API unless offline. Lookup failures leave sizes unknown (estimates then use parameters).
 */
export async function knownFileSizes(model: CatalogModel, ctx: HubContext): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const missing = new Map<string, { repo: string; revision: string }>();
  for (const p of model.profiles) {
    for (const f of p.source.files) {
      const key = fileSizeKey(p.source.repo, p.source.revision, f.path);
      if (sizes.has(key)) continue;
      const cached = await ctx.cache.cachedFile(p.source.repo, p.source.revision, f.path);
      const size = cached ? await stat(cached).then((s) => s.size, () => undefined) : undefined;
      if (size !== undefined) sizes.set(key, size);
      else missing.set(`${p.source.repo}@${p.source.revision}`, { repo: p.source.repo, revision: p.source.revision });
    }
  }
  if (ctx.offline) return sizes;
  // NOTE: sizes only refine estimates, so a slow Hub gets a few seconds, not the full request timeout.
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(SIZE_LOOKUP_MS)]) : AbortSignal.timeout(SIZE_LOOKUP_MS);
  await Promise.all(
    [...missing.values()].map(async ({ repo, revision }) => {
      const info = await ctx.client.modelInfo(repo, revision, signal).catch(() => undefined);
      for (const s of info?.siblings ?? []) {
        const key = fileSizeKey(repo, revision, s.path);
        if (s.size !== undefined && !sizes.has(key)) sizes.set(key, s.size);
      }
    }),
  );
  return sizes;
}

/** Downloads (or finds in the cache) every file of `profile`, in order; the first is the model file. */
export async function downloadProfile(profile: ModelProfile, ctx: HubContext): Promise<DownloadResult[]> {
  const results: DownloadResult[] = [];
  for (const f of profile.source.files) {
    results.push(
      await downloadHubFile(profile.source.repo, profile.source.revision, f.path, {
        client: ctx.client, cache: ctx.cache, offline: ctx.offline, expectedSha256: f.sha256, signal: ctx.signal,
        onProgress: ctx.onProgress, retries: ctx.retries, retryBaseMs: ctx.retryBaseMs,
      }),
    );
  }
  return results;
}
