// `tandem drill <scenario>`: the commander wiring, registered by src/cli/main.ts.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { LAB_DIR_DEFAULT } from '../lab/layout.js';
import {
  EXIT_UNRUNNABLE,
  SNAPSHOT_INTERVAL_DEFAULT_S,
  WRITE_SECONDS_DEFAULT,
  WRITER_RATE_DEFAULT_PER_S,
} from './constants.js';
import { runDrill } from './run.js';
import type { DrillOptions, Scenario } from './scenarios/context.js';
import { SCENARIOS, scenarioNamed } from './scenarios/index.js';

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expects a number of seconds >= 0');
  return value;
}

function positiveRate(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expects a number > 0');
  return value;
}

interface DrillFlags {
  labDir: string;
  reportDir?: string;
  rpoObjective?: number;
  rtoObjective?: number;
  writeSeconds: number;
  writeRate: number;
  snapshotInterval: number;
  json?: boolean;
}

function optionsOf(scenario: Scenario, flags: DrillFlags): DrillOptions {
  return {
    labDir: flags.labDir,
    reportDir: flags.reportDir ?? join(flags.labDir, 'reports'),
    rpoObjectiveS: flags.rpoObjective ?? scenario.defaults.rpoS,
    rtoObjectiveS: flags.rtoObjective ?? scenario.defaults.rtoS,
    writeSeconds: flags.writeSeconds,
    writeRatePerS: flags.writeRate,
    snapshotIntervalS: flags.snapshotInterval,
    json: flags.json === true,
  };
}

function scenarioHelp(): string {
  const lines = ['', 'Scenarios (default objectives):'];
  for (const s of SCENARIOS) {
    const rpo = s.defaults.rpoS === null ? 'RPO n/a' : `RPO ${s.defaults.rpoS} s`;
    lines.push(
      `  ${s.name.padEnd(11)} ${s.summary}`,
      `  ${''.padEnd(11)} ${rpo}, RTO ${s.defaults.rtoS} s. ${s.objectives}`,
    );
  }
  lines.push(
    '',
    'Needs a running lab (npm start, or tandem lab up --dir DIR). Writes DIR/reports/<scenario>-<time>.md, .json',
    'and .html (charts of write rate, replication lag and the failover timeline, inline SVG). Progress goes to',
    'stderr. Exit code 0: every objective met; 1: an objective missed (or the drill broke after its fault);',
    '2: the drill could not run (the message says what to do). Each drill restarts what it killed, restores',
    'links and deletes its volumes and hosts.',
  );
  return lines.join('\n');
}

export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description('run a scripted DR exercise against the lab and report RPO/RTO against objectives')
    .argument('<scenario>', `one of: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option(
      '--lab-dir <dir>',
      'the lab state directory (its lab.json says where everything runs)',
      LAB_DIR_DEFAULT,
    )
    .option('--report-dir <dir>', 'where the reports go (default: <lab-dir>/reports)')
    .option(
      '--rpo-objective <seconds>',
      'recovery point objective (default: per scenario, below)',
      positiveNumber,
    )
    .option(
      '--rto-objective <seconds>',
      'recovery time objective (default: per scenario, below)',
      positiveNumber,
    )
    .option(
      '--write-seconds <seconds>',
      'length of the write phase; the fault comes at its middle (site-loss: its end)',
      positiveRate,
      WRITE_SECONDS_DEFAULT,
    )
    .option(
      '--write-rate <writes/s>',
      'numbered 4 KiB writes per second per writer',
      positiveRate,
      WRITER_RATE_DEFAULT_PER_S,
    )
    .option(
      '--snapshot-interval <seconds>',
      'site-loss and failback: a protection group snapshot every this many seconds (stands in for the hourly schedule)',
      positiveRate,
      SNAPSHOT_INTERVAL_DEFAULT_S,
    )
    .option('--json', 'print only the JSON report on stdout')
    .addHelpText('after', scenarioHelp())
    .action(async (name: string, flags: DrillFlags) => {
      const scenario = scenarioNamed(name);
      if (!scenario) {
        console.error(
          `tandem drill: no scenario '${name}': choose one of ${SCENARIOS.map((s) => s.name).join(', ')}`,
        );
        process.exit(EXIT_UNRUNNABLE);
      }
      const code = await runDrill(scenario, optionsOf(scenario, flags), {
        stdout: process.stdout,
        stderr: process.stderr,
      });
      // Sockets the clients kept alive would hold the process open; the reports are written.
      process.exit(code);
    });
}
