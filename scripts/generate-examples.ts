/**
 * CLI: writes the example model repository. Usage: `node --import tsx scripts/generate-examples.ts <dir>`.
 */
import { resolve } from 'node:path';
import { generateExampleRepository } from '../src/examples/example-repository.js';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: generate-examples <model-repository-dir>\n');
  process.exit(2);
}
const dir = resolve(target);
const started = performance.now();
const written = await generateExampleRepository(dir);
const ms = (performance.now() - started).toFixed(0);
process.stdout.write(`example repository ${dir}: ${written.length} file(s) written in ${ms} ms\n`);
