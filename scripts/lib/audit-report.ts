/**
 * Reads the JSON that `npm audit --json` prints and decides the supply-chain gate: a real report
 * fails on high or critical findings; an answer without a report (registry or mirror without the
 * advisory endpoint, offline, proxy errors) means the audit could not run at all.
 */

/** npm's severity names, lowest first. */
export type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

/** One vulnerable package from the report. */
export interface AuditFinding {
  readonly name: string;
  readonly severity: Severity;
  /** Advisory titles or the packages it comes through. */
  readonly via: readonly string[];
  readonly fixAvailable: boolean;
}

/** The gate's reading of one `npm audit --json` output. */
export type AuditOutcome =
  | { readonly kind: 'report'; readonly counts: Readonly<Record<Severity, number>>; readonly blocking: readonly AuditFinding[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Severities that fail the gate. */
export const BLOCKING: readonly Severity[] = ['high', 'critical'];

const SEVERITIES: readonly Severity[] = ['info', 'low', 'moderate', 'high', 'critical'];

interface RawVulnerability {
  name?: string;
  severity?: string;
  via?: (string | { title?: string; name?: string })[];
  fixAvailable?: unknown;
}

function reasonOf(raw: Record<string, unknown>): string {
  const error = raw['error'] as { code?: string; summary?: string; detail?: string } | undefined;
  const parts = [raw['statusCode'] ? `HTTP ${String(raw['statusCode'])}` : undefined, error?.code, raw['message'] as string | undefined, error?.summary];
  return parts.filter((p) => typeof p === 'string' && p.length > 0).join(': ') || 'npm audit returned no report';
}

/** Interprets `npm audit --json` stdout. */
export function evaluateAudit(stdout: string): AuditOutcome {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return { kind: 'unavailable', reason: `npm audit printed no JSON (${stdout.trim().slice(0, 120) || 'empty output'})` };
  }
  const counts = (raw['metadata'] as { vulnerabilities?: Partial<Record<Severity, number>> } | undefined)?.vulnerabilities;
  if (!counts || typeof counts !== 'object') return { kind: 'unavailable', reason: reasonOf(raw) };
  const vulnerabilities = (raw['vulnerabilities'] ?? {}) as Record<string, RawVulnerability>;
  const blocking = Object.entries(vulnerabilities)
    .filter(([, v]) => BLOCKING.includes(v.severity as Severity))
    .map(([name, v]) => ({
      name: v.name ?? name,
      severity: v.severity as Severity,
      via: (v.via ?? []).map((x) => (typeof x === 'string' ? x : (x.title ?? x.name ?? '?'))),
      fixAvailable: v.fixAvailable !== false && v.fixAvailable !== undefined,
    }))
    .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.name.localeCompare(b.name));
  const full = Object.fromEntries(SEVERITIES.map((s) => [s, Number(counts[s] ?? 0)])) as Record<Severity, number>;
  return { kind: 'report', counts: full, blocking };
}
