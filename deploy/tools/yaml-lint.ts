/**
 * A YAML linter for manifests and values files, in the spirit of yamllint's default rules plus two
 * that matter for Kubernetes: Kubernetes reads YAML with YAML 1.1 rules, so a plain `on`, `no` or
 * `0755` means something else than a YAML 1.2 reader (and most editors) assume; and an empty value
 * in rendered output is almost always a template that printed nothing.
 */
import { isScalar, LineCounter, parse, parseAllDocuments, visit, type Scalar } from 'yaml';

/** One lint problem with its 1-based line. */
export interface LintIssue {
  readonly line: number;
  readonly rule: 'parse' | 'tabs' | 'trailing-spaces' | 'line-endings' | 'final-newline' | 'yaml11-ambiguous' | 'empty-value';
  readonly message: string;
}

/** Which rules apply; empty values are allowed in hand-written values files (`key:` with comments). */
export interface LintOptions {
  readonly allowEmptyValues?: boolean;
}

/** Plain scalars whose meaning may differ between YAML 1.1 and 1.2; confirmed by parsing both ways. */
const SUSPICIOUS = /^([yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?\d[\d_]*(:[0-5]?\d)+(\.\d*)?|[-+]?[\d.]*_[\d._]*)$/;

function textRules(text: string): LintIssue[] {
  const out: LintIssue[] = [];
  if (text.includes('\r')) out.push({ line: 1, rule: 'line-endings', message: 'use \\n line endings' });
  if (text.length > 0 && !text.endsWith('\n')) out.push({ line: text.split('\n').length, rule: 'final-newline', message: 'no newline at end of file' });
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^[ ]*\t/.test(line)) out.push({ line: i + 1, rule: 'tabs', message: 'tab in indentation' });
    if (/[ \t]+$/.test(line)) out.push({ line: i + 1, rule: 'trailing-spaces', message: 'trailing whitespace' });
  });
  return out;
}

/** Lints one YAML text (one or more documents). */
export function lintYaml(text: string, options: LintOptions = {}): LintIssue[] {
  const out = textRules(text);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lines.linePos(offset).line);
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings]) out.push({ line: lineOf(e.pos[0]), rule: 'parse', message: e.message.split('\n')[0] ?? e.message });
    visit(doc, {
      Scalar(_key, node: Scalar) {
        if (node.type !== 'PLAIN' || typeof node.source !== 'string' || !SUSPICIOUS.test(node.source)) return;
        const v11: unknown = parse(node.source, { version: '1.1' });
        const v12: unknown = parse(node.source, { version: '1.2' });
        if (v11 !== v12) {
          out.push({ line: lineOf(node.range?.[0]), rule: 'yaml11-ambiguous', message: `plain ${JSON.stringify(node.source)} reads as ${JSON.stringify(v11)} in YAML 1.1 (Kubernetes) but ${JSON.stringify(v12)} in YAML 1.2: quote it` });
        }
      },
      Pair(_key, pair) {
        if (options.allowEmptyValues) return;
        const value = pair.value;
        const empty = value === null || (isScalar(value) && value.value === null && value.source !== 'null' && value.source !== '~');
        if (empty && isScalar(pair.key)) out.push({ line: lineOf(pair.key.range?.[0]), rule: 'empty-value', message: `key ${JSON.stringify(pair.key.value)} has no value` });
      },
    });
  }
  return out.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}
