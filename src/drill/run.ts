// Runs one drill: checks the lab, runs the scenario with a recorder and a cleanup stack, always
// cleans up, writes the three reports and says pass (exit 0), fail (1) or could not run (2).

import { randomInt } from 'node:crypto';
import { CinderApi } from './cinder-api.js';
import { EXIT_FAIL, EXIT_PASS, EXIT_UNRUNNABLE } from './constants.js';
import { DrillUnrunnable, messageOf } from './errors.js';
import { Lab } from './lab.js';
import { createProgress } from './progress.js';
import { Recorder } from './recorder.js';
import { type DrillReport, formatCheck, REPORT_VERSION, verdictOf } from './report.js';
import { reportJson, writeReports } from './report-files.js';
import type { DrillContext, DrillOptions, Scenario } from './scenarios/context.js';

/** Wall-clock milliseconds that never step back (performance.now() from the process's origin). */
export const wallClockMs = () => performance.timeOrigin + performance.now();

/** `20261125-044700`: sortable, and valid in Purity object names (letters, digits, dashes). */
export function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Run ids fit the block format's 64-bit field with room for one per writer. */
const RUN_ID_MAX = 2 ** 40;

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

async function openLab(scenario: Scenario, options: DrillOptions): Promise<{ lab: Lab; cinder: CinderApi }> {
  const lab = await Lab.open(options.labDir);
  try {
    await lab.requireRunning(scenario.needs);
    const cinder = await CinderApi.login(lab.descriptor).catch((error: unknown) => {
      throw new DrillUnrunnable(`cannot log in to the lab's Cinder API as admin: ${messageOf(error)}`);
    });
    return { lab, cinder };
  } catch (error) {
    await lab.close();
    throw error;
  }
}

function buildReport(scenario: Scenario, ctx: DrillContext, error: string | null): DrillReport {
  const { rec, lab, options } = ctx;
  const finishedMs = ctx.clock();
  return {
    tool: 'tandem drill',
    reportVersion: REPORT_VERSION,
    scenario: scenario.name,
    title: scenario.title,
    verdict: verdictOf(rec.checks, error),
    startedAt: new Date(rec.startMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationS: rec.offsetS(finishedMs),
    lab: { dir: lab.descriptor.dir, controlUrl: lab.controlUrl, cinderHost: lab.descriptor.cinder.host },
    objectives: { rpoS: options.rpoObjectiveS, rtoS: options.rtoObjectiveS },
    measurements: rec.measurements,
    checks: rec.checks,
    steps: rec.steps,
    timeline: rec.sortedTimeline(),
    charts: { writeRate: rec.writeRate, replicationLag: rec.replicationLag },
    notes: [`Objectives: ${scenario.objectives}`, ...rec.notes],
    cleanup: rec.cleanupLog,
    error,
    files: null,
  };
}

/** Runs the scenario and returns the exit code; only the report (or a summary) goes to stdout. */
export async function runDrill(scenario: Scenario, options: DrillOptions, io: Io): Promise<number> {
  const clock = wallClockMs;
  const progress = createProgress(io.stderr, scenario.name, clock);
  let opened: { lab: Lab; cinder: CinderApi };
  try {
    opened = await openLab(scenario, options);
  } catch (error) {
    progress.close();
    io.stderr.write(`tandem drill ${scenario.name}: cannot run: ${messageOf(error)}\n`);
    return EXIT_UNRUNNABLE;
  }
  const rec = new Recorder(clock, progress);
  const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  const stamp = stampOf(rec.startMs);
  const ctx: DrillContext = {
    scenario: scenario.name,
    ...opened,
    rec,
    options,
    clock,
    runId: randomInt(1, RUN_ID_MAX),
    stamp,
    onCleanup: (what, run) => cleanups.push({ what, run }),
  };
  let error: string | null = null;
  let unrunnable = false;
  try {
    await scenario.run(ctx);
  } catch (failure) {
    unrunnable = failure instanceof DrillUnrunnable;
    error = messageOf(failure);
  } finally {
    for (const cleanup of cleanups.reverse()) await rec.cleanup(cleanup.what, cleanup.run);
    await ctx.lab.close();
    progress.close();
  }
  if (unrunnable) {
    io.stderr.write(`tandem drill ${scenario.name}: cannot run: ${error}\n`);
    return EXIT_UNRUNNABLE;
  }
  const report = await writeReports(buildReport(scenario, ctx, error), options.reportDir, stamp);
  if (options.json) io.stdout.write(reportJson(report));
  else io.stdout.write(summaryText(report));
  return report.verdict === 'pass' ? EXIT_PASS : EXIT_FAIL;
}

function summaryText(report: DrillReport): string {
  const lines = [`drill ${report.scenario}: ${report.verdict.toUpperCase()} (${report.durationS} s)`];
  for (const check of report.checks) lines.push(`  ${formatCheck(check)}`);
  if (report.error) lines.push(`  stopped early: ${report.error}`);
  if (report.files)
    lines.push(
      `  reports: ${report.files.markdown}`,
      `           ${report.files.html}`,
      `           ${report.files.json}`,
    );
  return `${lines.join('\n')}\n`;
}
