/**
 * Triton's restricted API groups: `--http-restricted-api GROUP[,GROUP]:HEADER=VALUE` requires the
 * given header with the given value on every request to those groups.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { API_GROUPS, type ApiGroup } from './api-groups.js';

/** One restriction: groups guarded by a header name and value. */
export interface Restriction {
  readonly groups: ReadonlySet<ApiGroup>;
  readonly header: string;
  readonly value: string;
}

/** Parses one `--http-restricted-api` value; throws with a clear message when malformed. */
export function parseRestriction(spec: string): Restriction {
  const m = /^([a-z,-]+):([A-Za-z0-9_-]+)=(.+)$/.exec(spec.trim());
  if (!m) throw new Error(`restricted API '${spec}': expected GROUP[,GROUP]:HEADER=VALUE`);
  const groups = (m[1] as string).split(',');
  for (const g of groups) if (!API_GROUPS.includes(g as ApiGroup)) throw new Error(`restricted API: unknown group '${g}' (use ${API_GROUPS.join(', ')})`);
  return { groups: new Set(groups as ApiGroup[]), header: (m[2] as string).toLowerCase(), value: m[3] as string };
}

/** True when the request's headers satisfy every restriction on `group`. */
export function restrictionsAllow(
  restrictions: readonly Restriction[],
  group: ApiGroup,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): boolean {
  for (const r of restrictions) {
    if (!r.groups.has(group)) continue;
    const got = headers[r.header];
    if (typeof got !== 'string' || !constantTimeEqual(got, r.value)) return false;
  }
  return true;
}

function constantTimeEqual(a: string, b: string): boolean {
  // NOTE: digests have equal length, so the comparison time depends on neither value.
  const hash = (v: string): Buffer => createHash('sha256').update(v).digest();
  return timingSafeEqual(hash(a), hash(b));
}
