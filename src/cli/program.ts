/**
 * The `inferd` command line: one commander program with a sub-command per task.
 */
import { Command } from 'commander';
import { SERVER_VERSION } from '../version.js';
import { addCacheCommand } from './cache-command.js';
import { addDownloadCommand } from './download-command.js';
import { addInspectCommand } from './inspect-command.js';
import { addModelStoreCommands } from './model-store-command.js';
import { addProfileCommands } from './profiles-command.js';
import { runServe } from './run-serve.js';
import { addServeCommand } from './serve-command.js';

/** Builds the full program (used by main.ts and by tests that check `--help`). */
export function buildProgram(): Command {
  const program = new Command('inferd')
    .description('inference server: Triton-compatible model repository over KServe v2, OpenAI-compatible LLM API')
    .version(SERVER_VERSION)
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });
  addServeCommand(program, runServe);
  addInspectCommand(program);
  addProfileCommands(program);
  addDownloadCommand(program);
  addModelStoreCommands(program);
  addCacheCommand(program);
  return program;
}
