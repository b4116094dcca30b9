/**
 * Profile identity: the id is the sha256 of the profile's canonical JSON (keys sorted at every
 * level, absent fields dropped), so reformatting or reordering a catalog never changes an id,
 * while any change to what would be downloaded or how it runs does. The readable name is for
 * people and is not part of the hash.
 */
import { createHash } from 'node:crypto';
import type { CatalogProfile, ModelProfile } from './catalog-types.js';

/** JSON with object keys sorted recursively and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The content a profile id covers: everything but the readable name. */
function identityContent(model: string, profile: CatalogProfile): unknown {
  const { name: _name, ...rest } = profile;
  return { model, ...rest };
}

/** The profile's id: lower-case hex sha256 of its canonical content. */
export function profileId(model: string, profile: CatalogProfile): string {
  return createHash('sha256').update(canonicalJson(identityContent(model, profile))).digest('hex');
}

/** The default readable name: `<engine>-<device>-<precision>`, e.g. `llamacpp-cpu-q4_k_m`. */
export function defaultProfileName(profile: Pick<CatalogProfile, 'engine' | 'device' | 'precision'>): string {
  return `${profile.engine}-${profile.device}-${profile.precision}`;
}

/** Fills in a profile's id and name. */
export function identifyProfile(model: string, profile: CatalogProfile): ModelProfile {
  return { ...profile, id: profileId(model, profile), name: profile.name ?? defaultProfileName(profile), model };
}

/** Finds the profile named `key`: its id, an unambiguous id prefix of at least 8 characters, or its name. */
export function findProfile(profiles: readonly ModelProfile[], key: string): ModelProfile | undefined {
  const k = key.trim().toLowerCase();
  const exact = profiles.find((p) => p.id === k || p.name.toLowerCase() === k);
  if (exact) return exact;
  if (k.length < 8 || !/^[0-9a-f]+$/.test(k)) return undefined;
  const byPrefix = profiles.filter((p) => p.id.startsWith(k));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}
