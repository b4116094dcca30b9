/**
 * What `inferd cache verify|rm TARGET` means by TARGET, as cache selectors: a catalog model (the
 * files of all its profiles, in every cached snapshot), `MODEL:PROFILE` (that profile's files), a
 * Hub repository (all of it, or one revision with `@rev`, or one quantization with `:quant`), or a
 * Hub file (`hf://owner/repo[@rev]/file`).
 */
import { CatalogError } from './catalog-errors.js';
import type { Catalog, ModelProfile } from './catalog-types.js';
import type { CacheListing } from './hub/cache-scan.js';
import type { CacheSelector } from './hub/cache-remove.js';
import { findModel } from './load-catalog.js';
import { parseModelReference, pickGgufFile, splitParts } from './model-reference.js';
import { findProfile, identifyProfile } from './profile-id.js';

/** Selectors for the files of `profiles`; a branch revision matches every snapshot (older commits of the file too). */
export function profileSelectors(profiles: readonly ModelProfile[]): CacheSelector[] {
  const byRepo = new Map<string, { repo: string; revision?: string; paths: Set<string> }>();
  for (const p of profiles) {
    const revision = /^[0-9a-f]{40}$/.test(p.source.revision) ? p.source.revision : undefined;
    const key = `${p.source.repo}@${revision ?? '*'}`;
    const entry = byRepo.get(key) ?? { repo: p.source.repo, revision, paths: new Set<string>() };
    for (const f of p.source.files) entry.paths.add(f.path);
    byRepo.set(key, entry);
  }
  return [...byRepo.values()].map((e) => ({ repo: e.repo, revision: e.revision, paths: [...e.paths] }));
}

/** Repository paths cached for `repo` in any snapshot. */
function cachedPaths(listing: CacheListing, repo: string): string[] {
  const r = listing.repos.find((x) => x.repo.toLowerCase() === repo.toLowerCase());
  return [...new Set(r?.revisions.flatMap((rev) => rev.files.map((f) => f.path)) ?? [])];
}

/** Turns TARGET into selectors; throws CatalogError('INVALID_REFERENCE') for local paths and unknown names. */
export function cacheSelectors(target: string, catalog: Catalog, listing: CacheListing): CacheSelector[] {
  const ref = parseModelReference(target);
  const explicitRevision = /@[^/:]+/.test(target);
  switch (ref.kind) {
    case 'local':
      throw new CatalogError('INVALID_REFERENCE', `'${target}' is a local path; cache commands take a catalog model, MODEL:PROFILE, owner/repo or hf://owner/repo/file`);
    case 'hub-file':
      return [{ repo: ref.repo, revision: explicitRevision ? ref.revision : undefined, paths: [ref.path] }];
    case 'hub-repo': {
      const revision = explicitRevision ? ref.revision : undefined;
      if (!ref.quant) return [{ repo: ref.repo, revision }];
      const files = cachedPaths(listing, ref.repo);
      const picked = pickGgufFile(files, ref.quant);
      // NOTE: an uncached quantization selects nothing rather than failing: there is nothing to act on.
      return [{ repo: ref.repo, revision, paths: picked ? splitParts(picked, files) : [] }];
    }
    case 'catalog': {
      const model = findModel(catalog, ref.model);
      if (!model) throw new CatalogError('INVALID_REFERENCE', `'${ref.model}' is not a catalog model; catalog models: ${catalog.models.map((m) => m.name).join(', ')}`);
      const profiles = model.profiles.map((p) => identifyProfile(model.name, p));
      if (!ref.profile) return profileSelectors(profiles);
      const profile = findProfile(profiles, ref.profile);
      if (!profile) throw new CatalogError('INVALID_REFERENCE', `${model.name} has no profile '${ref.profile}'; profiles: ${profiles.map((p) => p.name).join(', ')}`);
      return profileSelectors([profile]);
    }
  }
}
