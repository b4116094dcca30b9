/**
 * `inferd cache ls|verify|rm`: look at, check and prune the download cache (INFERD_CACHE_DIR or
 * --cache-dir). `verify` re-hashes blobs against their names and exits 1 on damage; `rm` shows
 * what it would delete and deletes only with --yes (or a yes at a terminal prompt), keeping
 * blobs that another snapshot still links to.
 */
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { cacheSelectors } from '../catalog/cache-targets.js';
import { CatalogError, defaultCacheDir, formatBytes, loadCatalog } from '../catalog/index.js';
import { applyRemoval, planRemoval, selectsEntry, type CacheSelector, type RemovalPlan } from '../catalog/hub/cache-remove.js';
import { scanCache, type CacheListing, type CachedRepo } from '../catalog/hub/cache-scan.js';
import { repairCheck, verifyRepo, type BlobCheck, type BlobFilter } from '../catalog/hub/cache-verify.js';
import { reportErrors } from './catalog-cli.js';

/** Flags every cache command takes. */
export interface CacheFlags {
  readonly cacheDir?: string;
  readonly catalog?: string;
  readonly json?: boolean;
}

/** Adds --cache-dir (INFERD_CACHE_DIR) to `cmd`. */
export function addCacheDirFlag(cmd: Command): Command {
  return cmd.addOption(new Option('--cache-dir <dir>', 'download cache folder (default ~/.cache/inferd)').env('INFERD_CACHE_DIR'));
}

/** The cache folder the flags name. */
export function cacheDirOf(flags: { readonly cacheDir?: string }): string {
  return flags.cacheDir || defaultCacheDir();
}

const short = (commit: string): string => commit.slice(0, 12);

function repoJson(r: CachedRepo): Record<string, unknown> {
  return {
    repo: r.repo, dir: r.dir, sizeBytes: r.sizeBytes, refs: r.refs,
    revisions: r.revisions.map((v) => ({ commit: v.commit, refs: v.refs, sizeBytes: v.sizeBytes, files: v.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes ?? null, blob: f.blob ?? null, file: f.file })) })),
    blobs: r.blobs.map((b) => ({ etag: b.etag, sizeBytes: b.sizeBytes, referencedBy: b.referencedBy })),
    incomplete: r.incomplete.map((b) => ({ etag: b.etag, sizeBytes: b.sizeBytes })),
  };
}

/** Renders the listing for people. */
export function formatListing(listing: CacheListing): string {
  if (listing.repos.length === 0) return `cache ${listing.root} is empty\n`;
  const lines: string[] = [];
  for (const r of listing.repos) {
    lines.push(`${r.repo}  ${formatBytes(r.sizeBytes)}`);
    for (const v of r.revisions) {
      lines.push(`  revision ${short(v.commit)}${v.refs.length ? ` (${v.refs.join(', ')})` : ''}  ${v.files.length} file${v.files.length === 1 ? '' : 's'}  ${formatBytes(v.sizeBytes)}`);
      for (const f of v.files) lines.push(`    ${f.path.padEnd(40)} ${f.sizeBytes === undefined ? 'MISSING BLOB' : formatBytes(f.sizeBytes)}`);
    }
    for (const b of r.incomplete) lines.push(`  incomplete download ${b.etag.slice(0, 12)}  ${formatBytes(b.sizeBytes)} so far`);
  }
  lines.push(`total ${formatBytes(listing.sizeBytes)} in ${listing.repos.length} repositor${listing.repos.length === 1 ? 'y' : 'ies'} (${listing.root})`);
  return `${lines.join('\n')}\n`;
}

async function selectorsFor(target: string | undefined, listing: CacheListing, flags: CacheFlags): Promise<CacheSelector[] | undefined> {
  if (target === undefined) return undefined;
  return cacheSelectors(target, await loadCatalog(flags.catalog), listing);
}

/** Blob filter of `repo` for `selectors`: blobs used by a selected snapshot entry (everything for whole-repo selectors). */
function blobFilter(repo: CachedRepo, selectors: readonly CacheSelector[] | undefined): BlobFilter | undefined {
  if (!selectors) return undefined;
  const mine = selectors.filter((s) => s.repo.toLowerCase() === repo.repo.toLowerCase());
  if (mine.length === 0) return () => false;
  if (mine.some((s) => s.revision === undefined && s.paths === undefined)) return undefined;
  return (blob) => blob.referencedBy.some((use) => {
    const cut = use.indexOf('/');
    return selectsEntry(repo, mine, use.slice(0, cut), use.slice(cut + 1));
  });
}

function checkLine(c: BlobCheck): string {
  const where = `${c.repo}  ${c.paths.map((p) => p.slice(p.indexOf('/') + 1)).join(', ') || `(unreferenced blob ${c.etag.slice(0, 12)})`}`;
  switch (c.status) {
    case 'ok':
      return `ok        ${where}  ${formatBytes(c.sizeBytes)} ${c.algorithm}`;
    case 'corrupt':
      return `CORRUPT   ${where}: ${c.algorithm} of ${c.file} is ${c.actual}, its name says ${c.etag}`;
    case 'missing':
      return `MISSING   ${where}: links to blob ${c.etag}, which is not in the cache`;
    case 'unverifiable':
      return `skipped   ${where}: blob name ${c.etag} is not a sha256 or git sha1`;
  }
}

async function runVerify(target: string | undefined, flags: CacheFlags & { readonly repair?: boolean }): Promise<void> {
  const listing = await scanCache(cacheDirOf(flags));
  const selectors = await selectorsFor(target, listing, flags);
  const checks: BlobCheck[] = [];
  const repaired: string[] = [];
  for (const repo of listing.repos) {
    const filter = blobFilter(repo, selectors);
    const found = await verifyRepo(repo, { filter, onCheck: (c) => void (flags.json || process.stdout.write(`${checkLine(c)}\n`)) });
    checks.push(...found);
    if (!flags.repair) continue;
    for (const c of found) {
      if (c.status !== 'corrupt' && c.status !== 'missing') continue;
      await repairCheck(c, repo);
      repaired.push(c.file);
      if (!flags.json) process.stdout.write(`removed ${c.file}${c.paths.length ? ' and its snapshot links' : ''}; download the model again to restore it\n`);
    }
  }
  const count = (s: BlobCheck['status']): number => checks.filter((c) => c.status === s).length;
  const bad = count('corrupt') + count('missing');
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ root: listing.root, ok: count('ok'), corrupt: count('corrupt'), missing: count('missing'), unverifiable: count('unverifiable'), repaired, checks })}\n`);
  } else if (checks.length > 0) {
    const bytes = checks.reduce((s, c) => s + c.sizeBytes, 0);
    process.stdout.write(`checked ${checks.length} blob${checks.length === 1 ? '' : 's'} (${formatBytes(bytes)}): ${count('ok')} ok, ${count('corrupt')} corrupt, ${count('missing')} missing, ${count('unverifiable')} skipped\n`);
  }
  if (checks.length === 0 && target !== undefined) throw new CatalogError('NOT_FOUND', `nothing in the cache at ${listing.root} matches '${target}'`);
  if (checks.length === 0 && !flags.json) process.stdout.write(`cache ${listing.root} is empty\n`);
  if (bad > 0 && !flags.repair) throw new CatalogError('CHECKSUM_MISMATCH', `${bad} damaged file${bad === 1 ? '' : 's'} in the cache; run 'inferd cache verify${target ? ` ${target}` : ''} --repair' to delete them, then download again`);
  if (bad > 0) process.exitCode = 1;
}

function planLines(plan: RemovalPlan): string[] {
  const lines = plan.repos.map((r) => `  ${r.repo}: the whole repository (${formatBytes(r.sizeBytes)})`);
  for (const e of plan.entries) lines.push(`  ${e.repo}: ${e.path} @ ${short(e.commit)}${e.copyBytes !== undefined ? ` (${formatBytes(e.copyBytes)})` : ''}`);
  for (const b of plan.blobs) lines.push(`  ${b.repo}: blob ${b.etag.slice(0, 12)} (${formatBytes(b.sizeBytes)})`);
  for (const k of plan.kept) lines.push(`  keeping blob ${k.etag.slice(0, 12)} of ${k.repo}: still used by ${k.usedBy.map((u) => u.slice(u.indexOf('/') + 1)).join(', ')}`);
  return lines;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function runRemove(target: string, flags: CacheFlags & { readonly yes?: boolean; readonly dryRun?: boolean }): Promise<void> {
  const listing = await scanCache(cacheDirOf(flags));
  const plan = await planRemoval(listing, (await selectorsFor(target, listing, flags))!);
  if (plan.busy.length > 0) throw new CatalogError('ABORTED', `${plan.busy.join(', ')} ${plan.busy.length === 1 ? 'is' : 'are'} being downloaded right now; nothing was removed, try again when the download ends`);
  if (plan.repos.length + plan.entries.length === 0) throw new CatalogError('NOT_FOUND', `nothing in the cache at ${listing.root} matches '${target}'`);
  const summary = { root: plan.root, repos: plan.repos, entries: plan.entries, blobs: plan.blobs, kept: plan.kept, freedBytes: plan.freedBytes };
  if (!flags.json) process.stdout.write(`${flags.yes ? 'removing' : 'would remove'} from ${plan.root}:\n${planLines(plan).join('\n')}\n`);
  let go = !!flags.yes && !flags.dryRun;
  if (!go && !flags.dryRun && !flags.json && process.stdin.isTTY && process.stderr.isTTY) go = await confirm(`free ${formatBytes(plan.freedBytes)}? [y/N] `);
  if (!go) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, removed: false })}\n`);
    if (flags.dryRun) return void (flags.json || process.stdout.write(`would free ${formatBytes(plan.freedBytes)}\n`));
    throw new CatalogError('ABORTED', 'nothing was removed; pass --yes to remove');
  }
  await applyRemoval(plan, listing);
  process.stdout.write(flags.json ? `${JSON.stringify({ ...summary, removed: true })}\n` : `freed ${formatBytes(plan.freedBytes)}\n`);
}

/** Adds `cache ls`, `cache verify` and `cache rm` to `program`. */
export function addCacheCommand(program: Command): Command {
  const cache = program.command('cache').description('list, verify and prune the download cache (INFERD_CACHE_DIR, default ~/.cache/inferd)');
  const catalogFlag = (): Option => new Option('--catalog <file>', 'extra catalog file, for MODEL names').env('INFERD_CATALOG');
  addCacheDirFlag(cache.command('ls').alias('list').description('repositories, revisions, files and sizes in the cache').option('--json', 'print JSON')).action((flags: CacheFlags) =>
    reportErrors(async () => {
      const listing = await scanCache(cacheDirOf(flags));
      process.stdout.write(flags.json ? `${JSON.stringify({ root: listing.root, sizeBytes: listing.sizeBytes, repos: listing.repos.map(repoJson) }, null, 2)}\n` : formatListing(listing));
    }),
  );
  addCacheDirFlag(
    cache
      .command('verify')
      .argument('[target]', 'catalog MODEL[:PROFILE], owner/repo[@rev][:quant] or hf://owner/repo[@rev]/file (default: everything)')
      .description('re-hash cached files against their sha256 / git sha1 names; exit status 1 when one is damaged')
      .option('--repair', 'delete damaged files and their snapshot links so the next download fetches them again')
      .option('--json', 'print JSON')
      .addOption(catalogFlag()),
  ).action((target: string | undefined, flags: CacheFlags & { repair?: boolean }) => reportErrors(() => runVerify(target, flags)));
  addCacheDirFlag(
    cache
      .command('rm')
      .alias('remove')
      .argument('<target>', 'catalog MODEL[:PROFILE], owner/repo[@rev][:quant] or hf://owner/repo[@rev]/file')
      .description('remove cached files and the blobs no other snapshot uses')
      .option('-y, --yes', 'remove without asking')
      .option('--dry-run', 'only show what would be removed')
      .option('--json', 'print JSON')
      .addOption(catalogFlag()),
  ).action((target: string, flags: CacheFlags & { yes?: boolean; dryRun?: boolean }) => reportErrors(() => runRemove(target, flags)));
  return cache;
}
