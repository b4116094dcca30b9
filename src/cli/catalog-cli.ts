/**
 * Pieces the catalog commands share: their common flags and how a failure is reported (the
 * message only, exit status 1; a stack trace helps no one who lacks HF_TOKEN).
 */
import { Option, type Command } from 'commander';
import { CatalogError } from '../catalog/index.js';

/** Flags of every catalog command. */
export interface CatalogFlags {
  readonly catalog?: string;
  readonly contextSize?: number;
  readonly maxSequences?: number;
  readonly json?: boolean;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw Object.assign(new Error(`expected a positive integer, got '${v}'`), { code: 'commander.invalidArgument' });
  }
  return n;
}

/** Adds --catalog, --context-size, --max-sequences and --json to `cmd`. */
export function addCatalogFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--catalog <file>', 'extra catalog file (JSON or YAML) merged over the built-in one').env('INFERD_CATALOG'))
    .addOption(new Option('--context-size <tokens>', 'context per sequence the memory estimate assumes (default: model context, at most 4096)').argParser(positiveInt))
    .addOption(new Option('--max-sequences <n>', 'parallel sequences the memory estimate assumes (default 4)').argParser(positiveInt))
    .option('--json', 'print JSON');
}

/** Runs a command body; a CatalogError prints its message and sets exit status 1. */
export async function reportErrors(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    process.stderr.write(`inferd: ${err.message}\n`);
    process.exitCode = 1;
  }
}
