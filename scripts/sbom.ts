/**
 * Writes a CycloneDX 1.5 JSON SBOM of inferd's dependencies from package-lock.json (no network).
 * Production dependencies only unless --include-dev; the timestamp comes from SOURCE_DATE_EPOCH
 * when set, so release builds are reproducible.
 *
 *   node --import tsx scripts/sbom.ts [--lock package-lock.json] [--output sbom.cdx.json] [--include-dev]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_VERSION } from '../src/version.js';
import { buildSbom, type PackageLock } from './lib/cyclonedx-sbom.js';

const { values } = parseArgs({
  options: {
    lock: { type: 'string', default: 'package-lock.json' },
    output: { type: 'string' },
    'include-dev': { type: 'boolean', default: false },
  },
});
const lock = JSON.parse(readFileSync(resolve(values.lock), 'utf8')) as PackageLock;
const epoch = process.env['SOURCE_DATE_EPOCH'];
const timestamp = new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString();
const sbom = buildSbom(lock, { omitDev: !values['include-dev'], timestamp, toolVersion: SERVER_VERSION });
const text = `${JSON.stringify(sbom, null, 2)}\n`;
if (values.output) {
  writeFileSync(resolve(values.output), text);
  process.stderr.write(`wrote ${values.output}: ${(sbom['components'] as unknown[]).length} components\n`);
} else {
  process.stdout.write(text);
}
