import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRender, renderChart } from '../../deploy/tools/helm/chart-renderer.js';
import { lintYaml } from '../../deploy/tools/yaml-lint.js';

const rules = (text: string): string[] => lintYaml(text).map((i) => `${i.line}:${i.rule}`);

describe('lintYaml', () => {
  it('accepts clean YAML', () => {
    expect(rules('a: 1\nb:\n  - "on"\n  - x\n')).toEqual([]);
  });

  it('reports whitespace and layout problems with their lines', () => {
    expect(rules('a: 1 \nb:\n\t- x\n')).toEqual(['1:trailing-spaces', '3:parse', '3:tabs']);
    expect(rules('a: 1')).toEqual(['1:final-newline']);
    expect(rules('a: 1\r\n')).toContain('1:line-endings');
  });

  it('reports duplicate keys', () => {
    expect(rules('a: 1\na: 2\n')).toContain('2:parse');
  });

  it('reports scalars that YAML 1.1 (Kubernetes) and YAML 1.2 read differently', () => {
    expect(rules('enabled: on\nmode: 0755\nname: no\nquoted: "on"\nport: 8080\n')).toEqual(['1:yaml11-ambiguous', '2:yaml11-ambiguous', '3:yaml11-ambiguous']);
  });

  it('reports empty values, which in rendered output mean a template printed nothing', () => {
    expect(rules('image:\nname: x\nexplicit: null\n')).toEqual(['1:empty-value']);
    expect(lintYaml('image:\n', { allowEmptyValues: true })).toEqual([]);
  });
});

const hasYamllint = spawnSync('yamllint', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasYamllint) console.warn('SKIP yamllint cross-check: yamllint is not installed (apt-get install yamllint)');

describe.skipIf(!hasYamllint)('yamllint cross-check (Debian yamllint)', () => {
  it('finds no errors in the chart output as helm template prints it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-yamllint-'));
    try {
      const render = renderChart('deploy/helm/inferd', { valuesFiles: ['deploy/helm/inferd/values-gpu-autoscaling.yaml'] });
      const file = join(dir, 'rendered.yaml');
      writeFileSync(file, formatRender(render));
      const config = '{extends: default, rules: {line-length: disable, indentation: {indent-sequences: whatever}}}';
      const result = spawnSync('yamllint', ['-f', 'parsable', '-d', config, file, 'deploy/kserve', 'deploy/examples'], { encoding: 'utf8', timeout: 20_000 });
      expect(result.stdout.split('\n').filter((l) => l.includes('[error]'))).toEqual([]);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
