#!/usr/bin/env node
/**
 * CLI entry: parse arguments and run the chosen command. No logic here.
 */
import { buildProgram } from './cli/program.js';

await buildProgram().parseAsync(process.argv);
