/**
 * Builds a CycloneDX 1.5 JSON SBOM from an npm `package-lock.json` (lockfile v2/v3): one
 * component per installed package version, with purl, scope (required / optional / excluded for
 * dev-only), license, integrity hash and the dependency graph resolved the way Node resolves
 * `node_modules` (nearest enclosing folder first). No network and no extra dependency.
 */
import { createHash } from 'node:crypto';

/** The parts of a lock file entry the SBOM uses. */
export interface LockEntry {
  readonly name?: string;
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly license?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

/** A lock file (only `packages`, which npm 7+ writes). */
export interface PackageLock {
  readonly name: string;
  readonly version: string;
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

/** Options of `buildSbom`. */
export interface SbomOptions {
  /** Leave out packages only dev dependencies need (like `npm sbom --omit dev`). */
  readonly omitDev: boolean;
  /** ISO time written into metadata; pass a fixed one for reproducible output. */
  readonly timestamp: string;
  readonly toolVersion: string;
}

type Json = Record<string, unknown>;

const SPDX_ID = /^[A-Za-z0-9.+-]+$/;

/** `node_modules/@scope/name/node_modules/x` → `x`; handles scopes. */
export function packageNameOf(lockPath: string): string {
  const at = lockPath.lastIndexOf('node_modules/');
  return lockPath.slice(at + 'node_modules/'.length);
}

/** Package URL of an npm package (scope `@` percent-encoded, as the purl spec requires). */
export function npmPurl(name: string, version: string): string {
  const [scope, bare] = name.startsWith('@') ? [name.slice(0, name.indexOf('/')), name.slice(name.indexOf('/') + 1)] : [undefined, name];
  return `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ''}${encodeURIComponent(bare)}@${encodeURIComponent(version)}`;
}

function licensesOf(license: string | undefined): Json[] | undefined {
  if (!license) return undefined;
  if (/\s(OR|AND|WITH)\s/.test(license) || license.startsWith('(')) return [{ expression: license }];
  return [{ license: SPDX_ID.test(license) ? { id: license } : { name: license } }];
}

function hashesOf(integrity: string | undefined): Json[] | undefined {
  if (!integrity) return undefined;
  const algs: Readonly<Record<string, string>> = { sha512: 'SHA-512', sha384: 'SHA-384', sha256: 'SHA-256', sha1: 'SHA-1' };
  const out = integrity.split(/\s+/).flatMap((part) => {
    const dash = part.indexOf('-');
    const alg = algs[part.slice(0, dash)];
    return alg ? [{ alg, content: Buffer.from(part.slice(dash + 1), 'base64').toString('hex') }] : [];
  });
  return out.length > 0 ? out : undefined;
}

/** Lock path a dependency `name` required from `from` resolves to, walking up like Node does. */
export function resolveDependency(packages: PackageLock['packages'], from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at === -1 ? '' : base.slice(0, at);
  }
}

function isIncluded(entry: LockEntry, omitDev: boolean): boolean {
  return !(omitDev && entry.dev === true);
}

function scopeOf(entry: LockEntry): 'required' | 'optional' | 'excluded' {
  if (entry.dev) return 'excluded';
  if (entry.optional || entry.devOptional) return 'optional';
  return 'required';
}

/** Deterministic UUID (v4 layout) from the lock file's content, so identical inputs give identical SBOMs. */
function serialFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The CycloneDX 1.5 document for `lock`. */
export function buildSbom(lock: PackageLock, options: SbomOptions): Json {
  if (lock.lockfileVersion < 2 || !lock.packages) throw new Error(`lockfileVersion ${lock.lockfileVersion} has no 'packages' map; run npm install with npm 7 or newer`);
  const packages = lock.packages;
  const root = packages[''] ?? {};
  const rootRef = npmPurl(lock.name, lock.version);
  const refOf = new Map<string, string>();
  const components = new Map<string, Json>();
  for (const [lockPath, entry] of Object.entries(packages)) {
    if (lockPath === '' || entry.link || !entry.version || !isIncluded(entry, options.omitDev)) continue;
    const name = entry.name ?? packageNameOf(lockPath);
    const purl = npmPurl(name, entry.version);
    refOf.set(lockPath, purl);
    if (components.has(purl)) continue;
    const [group, bare] = name.startsWith('@') ? [name.slice(0, name.indexOf('/')), name.slice(name.indexOf('/') + 1)] : [undefined, name];
    const licenses = licensesOf(entry.license);
    const hashes = hashesOf(entry.integrity);
    components.set(purl, {
      type: 'library',
      'bom-ref': purl,
      ...(group ? { group } : {}),
      name: bare,
      version: entry.version,
      scope: scopeOf(entry),
      ...(hashes ? { hashes } : {}),
      ...(licenses ? { licenses } : {}),
      purl,
      ...(entry.resolved ? { externalReferences: [{ type: 'distribution', url: entry.resolved }] } : {}),
    });
  }
  const edges = new Map<string, Set<string>>();
  for (const lockPath of ['', ...refOf.keys()]) {
    const entry = packages[lockPath]!;
    const ref = lockPath === '' ? rootRef : refOf.get(lockPath)!;
    const names = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies, ...(lockPath === '' && !options.omitDev ? (entry as { devDependencies?: object }).devDependencies : {}) });
    const set = edges.get(ref) ?? new Set<string>();
    for (const dep of names) {
      const target = resolveDependency(packages, lockPath, dep);
      const depRef = target && refOf.get(target);
      if (depRef) set.add(depRef);
    }
    edges.set(ref, set);
  }
  const rootLicenses = licensesOf(root.license);
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: serialFrom(JSON.stringify(lock) + String(options.omitDev)),
    version: 1,
    metadata: {
      timestamp: options.timestamp,
      lifecycles: [{ phase: 'build' }],
      tools: { components: [{ type: 'application', name: 'inferd-sbom', version: options.toolVersion }] },
      component: { type: 'application', 'bom-ref': rootRef, name: lock.name, version: lock.version, purl: rootRef, ...(rootLicenses ? { licenses: rootLicenses } : {}) },
    },
    components: [...components.values()].sort((a, b) => String(a['bom-ref']).localeCompare(String(b['bom-ref']))),
    dependencies: [...edges].map(([ref, deps]) => ({ ref, dependsOn: [...deps].sort() })).sort((a, b) => a.ref.localeCompare(b.ref)),
  };
}
