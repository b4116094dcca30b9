/**
 * The audit gate's reading of `npm audit --json` output (fixtures in npm's report format v2):
 * high/critical findings block, lower ones do not, and an answer without a report (as a mirror
 * without the advisory endpoint gives) is "unavailable", never a pass disguised as a clean report.
 */
import { describe, expect, it } from 'vitest';
import { evaluateAudit } from '../../scripts/lib/audit-report.js';

function report(vulnerabilities: Record<string, { severity: string; via?: unknown[]; fixAvailable?: unknown }>): string {
  const counts = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };
  for (const v of Object.values(vulnerabilities)) {
    counts[v.severity as keyof typeof counts]++;
    counts.total++;
  }
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(Object.entries(vulnerabilities).map(([name, v]) => [name, { name, via: [], fixAvailable: false, ...v }])),
    metadata: { vulnerabilities: counts, dependencies: { prod: 200, dev: 0, total: 200 } },
  });
}

describe('npm audit gate', () => {
  it('blocks on high and critical findings, most severe first, and names the advisories', () => {
    const outcome = evaluateAudit(
      report({
        lodash: { severity: 'high', via: [{ title: 'Prototype Pollution in lodash' }], fixAvailable: true },
        'fast-xml': { severity: 'critical', via: ['lodash'] },
        minimist: { severity: 'moderate' },
      }),
    );
    expect(outcome.kind).toBe('report');
    if (outcome.kind !== 'report') return;
    expect(outcome.counts).toMatchObject({ critical: 1, high: 1, moderate: 1 });
    expect(outcome.blocking.map((f) => [f.severity, f.name])).toEqual([['critical', 'fast-xml'], ['high', 'lodash']]);
    expect(outcome.blocking[1]).toMatchObject({ via: ['Prototype Pollution in lodash'], fixAvailable: true });
  });

  it('passes a report with only low and moderate findings, and a clean one', () => {
    const low = evaluateAudit(report({ a: { severity: 'low' }, b: { severity: 'moderate' } }));
    expect(low.kind === 'report' && low.blocking).toEqual([]);
    const clean = evaluateAudit(report({}));
    expect(clean).toMatchObject({ kind: 'report', counts: { high: 0, critical: 0 } });
  });

  it('reports an unreachable advisory endpoint as unavailable with its reason', () => {
    const mirror = evaluateAudit(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } }));
    expect(mirror).toEqual({ kind: 'unavailable', reason: 'HTTP 405: 405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk' });
    const offline = evaluateAudit(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed' } }));
    expect(offline).toMatchObject({ kind: 'unavailable', reason: 'ENOTFOUND: request to https://registry.npmjs.org failed' });
    expect(evaluateAudit('npm error audit endpoint returned an error').kind).toBe('unavailable');
    expect(evaluateAudit('').kind).toBe('unavailable');
  });
});
