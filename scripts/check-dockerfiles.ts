/**
 * Static checks of the project's Dockerfiles, for CI machines without a Docker engine: pinned base
 * images, numeric non-root USER, no secrets, COPY sources present in the context after
 * .dockerignore, HEALTHCHECK, exec-form entrypoint. Exits 1 when any error is found.
 *
 *   node --import tsx scripts/check-dockerfiles.ts [--context DIR] [DOCKERFILE ...]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkDockerfile } from '../deploy/tools/dockerfile/check.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { context: { type: 'string', default: '.' } } });
const context = resolve(values.context);
const files = positionals.length > 0 ? positionals : [join(context, 'Dockerfile'), join(context, 'Dockerfile.cuda')];
let errors = 0;
for (const file of files) {
  const findings = checkDockerfile(readFileSync(file, 'utf8'), { contextDir: context });
  for (const f of findings) console.log(`${file}:${f.line}: ${f.level} [${f.rule}] ${f.message}`);
  errors += findings.filter((f) => f.level === 'error').length;
  if (findings.length === 0) console.log(`${file}: ok`);
}
process.exitCode = errors > 0 ? 1 : 0;
