/**
 * API keys with scopes and optional model allow-lists. Keys are kept only as SHA-256 digests and
 * compared in constant time, so neither timing nor a heap dump reveals them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Scope } from './api-groups.js';

/** One configured key, without the secret itself. */
export interface ApiKeyEntry {
  /** Non-secret name for logs (never the key). */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Models this key may use; undefined = all. */
  readonly models?: ReadonlySet<string>;
}

interface StoredKey extends ApiKeyEntry {
  readonly digest: Buffer;
}

const SCOPES: readonly Scope[] = ['inference', 'admin', 'metrics'];

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The key store. */
export class ApiKeys {
  private readonly keys: StoredKey[];

  constructor(entries: readonly { key: string; name?: string; scopes?: readonly string[]; models?: readonly string[] }[]) {
    this.keys = entries.map((e, i) => {
      if (typeof e.key !== 'string' || e.key.length < 8) throw new Error(`API key #${i + 1}: keys must be strings of at least 8 characters`);
      const scopes = e.scopes ?? ['inference'];
      for (const s of scopes) if (!SCOPES.includes(s as Scope)) throw new Error(`API key #${i + 1}: unknown scope '${s}' (use ${SCOPES.join(', ')})`);
      return {
        name: e.name ?? `key-${i + 1}`,
        scopes: new Set(scopes as Scope[]),
        models: e.models ? new Set(e.models) : undefined,
        digest: digest(e.key),
      };
    });
  }

  /** True when at least one key is configured (auth is on). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** Finds the entry of `presented`, comparing against every key in constant time. */
  verify(presented: string | undefined): ApiKeyEntry | undefined {
    if (!presented) return undefined;
    const d = digest(presented);
    let found: StoredKey | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.digest, d) && !found) found = k;
    return found;
  }
}

/**
 * Parses keys from a JSON file (`[{"key": "...", "name": "...", "scopes": ["inference"], "models": ["m"]}]`)
 * and/or a spec string `KEY[:scope,scope][@model,model];...` (the INFERD_API_KEYS form).
 */
export function loadApiKeys(opts: { file?: string; spec?: string }): ApiKeys {
  const entries: { key: string; name?: string; scopes?: string[]; models?: string[] }[] = [];
  if (opts.file) {
    const parsed: unknown = JSON.parse(readFileSync(opts.file, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`API keys file ${opts.file}: expected a JSON array of {key, scopes, models}`);
    entries.push(...(parsed as typeof entries));
  }
  for (const part of (opts.spec ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:@]+)(?::([a-z,]+))?(?:@(.+))?$/.exec(part);
    if (!m) throw new Error('INFERD_API_KEYS: expected KEY[:scope,scope][@model,model] entries separated by ";"');
    entries.push({ key: m[1] as string, scopes: m[2]?.split(','), models: m[3]?.split(',') });
  }
  return new ApiKeys(entries);
}

/** The key a request presents: `Authorization: Bearer <key>` or an `api-key` header. */
export function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1];
  }
  const apiKey = headers['api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}
