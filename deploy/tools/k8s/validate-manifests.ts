/**
 * One entry point for validating a set of manifests offline (no cluster, no helm, no kubeconform):
 * known kind, type shape (unknown/missing fields), kubernetes-models schema, then the workload,
 * autoscaler, reference and KServe rules. Returns findings; callers decide what fails.
 */
import { checkAutoscalers } from './hpa-rules.js';
import { checkKServe } from './kserve-rules.js';
import { manifestId, type Finding, type Manifest } from './manifest.js';
import { checkReferences } from './reference-rules.js';
import { validateBuiltinSchema } from './schema-check.js';
import { TypeShapeChecker } from './type-shape-checker.js';
import { checkWorkloads } from './workload-rules.js';

/** Validates manifests one by one and as a set; the result is sorted by manifest and path. */
export async function validateManifests(manifests: readonly Manifest[]): Promise<Finding[]> {
  const shapes = TypeShapeChecker.get();
  const findings: Finding[] = [];
  for (const { doc } of manifests) {
    const id = manifestId(doc);
    if (!shapes.knows(doc)) {
      findings.push({ level: 'error', rule: 'kind', manifest: id, path: 'apiVersion', message: `unsupported apiVersion/kind ${String(doc['apiVersion'])}/${String(doc['kind'])}` });
      continue;
    }
    for (const issue of shapes.check(doc)) findings.push({ level: 'error', rule: 'type-shape', manifest: id, path: issue.path, message: issue.message });
    for (const issue of await validateBuiltinSchema(doc)) findings.push({ level: 'error', rule: 'schema', manifest: id, path: issue.path, message: issue.message });
  }
  findings.push(...checkWorkloads(manifests), ...checkAutoscalers(manifests), ...checkReferences(manifests), ...checkKServe(manifests));
  return findings.sort((a, b) => a.manifest.localeCompare(b.manifest) || a.path.localeCompare(b.path));
}

/** Only the errors of a finding list. */
export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.level === 'error');
}

/** One line per finding, for logs and assertion messages. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.level} [${f.rule}] ${f.manifest} ${f.path}: ${f.message}`).join('\n');
}
