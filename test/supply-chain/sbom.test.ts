/**
 * The CycloneDX SBOM built from package-lock.json: shape of a CycloneDX 1.5 document, scopes,
 * hashes and licenses taken from the lock file, Node's nested node_modules resolution in the
 * dependency graph, and agreement with `npm sbom` (every package npm lists is in ours).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSbom, npmPurl, resolveDependency, type PackageLock } from '../../scripts/lib/cyclonedx-sbom.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as PackageLock;
const OPTIONS = { timestamp: '2026-01-01T00:00:00.000Z', toolVersion: 'test' };

type Component = { 'bom-ref': string; purl: string; name: string; group?: string; version: string; scope: string; hashes?: { alg: string; content: string }[]; licenses?: unknown[] };

describe('CycloneDX SBOM from package-lock.json', () => {
  const prod = buildSbom(lock, { ...OPTIONS, omitDev: true }) as { components: Component[]; dependencies: { ref: string; dependsOn: string[] }[]; [k: string]: unknown };
  const all = buildSbom(lock, { ...OPTIONS, omitDev: false }) as typeof prod;

  it('is a CycloneDX 1.5 document describing inferd', () => {
    expect(prod).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(prod['serialNumber']).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(prod['metadata']).toMatchObject({ timestamp: OPTIONS.timestamp, component: { name: 'inferd', purl: npmPurl('inferd', lock.version), licenses: [{ license: { id: 'Apache-2.0' } }] } });
    expect(JSON.stringify(buildSbom(lock, { ...OPTIONS, omitDev: true }))).toBe(JSON.stringify(prod));
  });

  it('lists production packages with purl, scope, SHA-512 and license, and leaves dev-only ones out', () => {
    const refs = prod.components.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    const fastify = prod.components.find((c) => c.name === 'fastify' && !c.group)!;
    expect(fastify.purl).toBe(`pkg:npm/fastify@${lock.packages['node_modules/fastify']!.version}`);
    expect(fastify.scope).toBe('required');
    expect(fastify.hashes?.[0]?.alg).toBe('SHA-512');
    expect(fastify.hashes?.[0]?.content).toMatch(/^[0-9a-f]{128}$/);
    expect(fastify.licenses).toEqual([{ license: { id: 'MIT' } }]);
    const grpc = prod.components.find((c) => c.group === '@grpc' && c.name === 'grpc-js')!;
    expect(grpc.purl).toMatch(/^pkg:npm\/%40grpc\/grpc-js@/);
    expect(prod.components.some((c) => c.name === 'vitest')).toBe(false);
    expect(all.components.find((c) => c.name === 'vitest')?.scope).toBe('excluded');
    expect(prod.components.length).toBeLessThan(all.components.length);
  });

  it('has a closed dependency graph rooted at inferd', () => {
    const known = new Set([...prod.components.map((c) => c['bom-ref']), npmPurl('inferd', lock.version)]);
    for (const d of prod.dependencies) for (const ref of d.dependsOn) expect(known.has(ref), `${d.ref} -> ${ref}`).toBe(true);
    const root = prod.dependencies.find((d) => d.ref === npmPurl('inferd', lock.version))!;
    expect(root.dependsOn).toContain(`pkg:npm/fastify@${lock.packages['node_modules/fastify']!.version}`);
    expect(root.dependsOn.some((r) => r.includes('vitest'))).toBe(false);
  });

  it('resolves nested node_modules the way Node does, and writes license expressions as expressions', () => {
    const packages: PackageLock['packages'] = {
      '': { dependencies: { a: '1', b: '1' } },
      'node_modules/a': { version: '1.0.0', dependencies: { b: '2' }, license: '(MIT OR Apache-2.0)' },
      'node_modules/a/node_modules/b': { version: '2.0.0' },
      'node_modules/b': { version: '1.0.0', dependencies: { c: '1' } },
      'node_modules/c': { version: '1.0.0', dev: true },
    };
    expect(resolveDependency(packages, 'node_modules/a', 'b')).toBe('node_modules/a/node_modules/b');
    expect(resolveDependency(packages, 'node_modules/b', 'b')).toBe('node_modules/b');
    expect(resolveDependency(packages, 'node_modules/a/node_modules/b', 'c')).toBe('node_modules/c');
    const sbom = buildSbom({ name: 'x', version: '0.0.1', lockfileVersion: 3, packages }, { ...OPTIONS, omitDev: true }) as typeof prod;
    expect(sbom.components.map((c) => c.purl).sort()).toEqual(['pkg:npm/a@1.0.0', 'pkg:npm/b@1.0.0', 'pkg:npm/b@2.0.0']);
    expect(sbom.dependencies.find((d) => d.ref === 'pkg:npm/a@1.0.0')?.dependsOn).toEqual(['pkg:npm/b@2.0.0']);
    expect(sbom.components.find((c) => c.name === 'a')?.licenses).toEqual([{ expression: '(MIT OR Apache-2.0)' }]);
  });

  it('lists every package `npm sbom --omit dev` lists', () => {
    const run = spawnSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--omit', 'dev'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    if (run.status !== 0) {
      console.warn(`skipped: npm sbom is unavailable here (${run.error?.message ?? run.stderr.slice(0, 200)})`);
      return;
    }
    const theirs = (JSON.parse(run.stdout) as { components: { purl?: string }[] }).components.map((c) => c.purl).filter((p): p is string => !!p);
    const ours = new Set(prod.components.map((c) => c.purl));
    expect(theirs.filter((p) => !ours.has(p))).toEqual([]);
    expect(theirs.length).toBeGreaterThan(50);
  });
});
