// The options every array command shares: which array, and where its lab or token is.

import { type Command, InvalidArgumentError } from 'commander';
import { LAB_DIR_DEFAULT } from '../lab/layout.js';
import { ARRAY_OPTION_HELP } from './array-target.js';

export function withArrayOptions(command: Command): Command {
  return command
    .requiredOption('--array <name|url>', ARRAY_OPTION_HELP)
    .option('--lab-dir <dir>', 'the lab state directory, for array names', LAB_DIR_DEFAULT)
    .option('--api-token-file <file>', "the array's API token file (default for a lab array: the lab's)")
    .option('--json', 'print the outcome as JSON on stdout (progress stays on stderr)');
}

/** Seconds as a command-line value: a positive number. */
export function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expects a number of seconds above 0, got "${text}"`);
  return value;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
