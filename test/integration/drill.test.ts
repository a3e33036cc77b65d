// `tandem drill` end to end: a real lab (tandem lab up on a free port range in a temp dir) and the
// drills as real processes with --json, as an operator or CI runs them. array-loss must lose no
// acknowledged write and measure its RTO; site-loss must report RPO and RTO from site-c; both
// write an HTML report with SVG charts, leave the lab running and show no secret anywhere.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DrillReport } from '../../src/drill/report.js';
import type { LabDescriptor } from '../../src/lab/descriptor.js';
import { BASE_PORT_SPAN } from '../../src/lab/layout.js';
import { CLI_PATH, makeTempDir } from '../helpers/array-process.js';
import { freePortRange, killLab, type LabProcess, runLabCommand, startLab } from '../helpers/lab-process.js';

/** A drill takes 10-20 s here; the bound covers a slow CI and the arrays' restarts. */
const DRILL_TIMEOUT_MS = 150_000;
const OUTPUT_MAX_BYTES = 16 * 1024 * 1024;
/** Short write phases keep the test near a minute; the defaults (10 s) are for people. */
const FAST = ['--write-seconds', '4', '--write-rate', '300'];

let work: { path: string; remove: () => Promise<void> };
let dir: string;
let lab: LabProcess | null = null;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function drill(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, 'drill', ...args],
      { timeout: DRILL_TIMEOUT_MS, maxBuffer: OUTPUT_MAX_BYTES },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function secrets(): Promise<string[]> {
  const lab = JSON.parse(await readFile(join(dir, 'lab.json'), 'utf8')) as LabDescriptor;
  const files = [...lab.arrays.map((a) => a.apiTokenFile), lab.admin.passwordFile];
  return Promise.all(files.map(async (f) => (await readFile(f, 'utf8')).trim()));
}

/** The JSON report on stdout, its files, and the checks every drill report must pass. */
async function checkedReport(run: Run, scenario: string): Promise<DrillReport> {
  assert.equal(
    run.code,
    0,
    `drill ${scenario} exit ${run.code}\n${run.stderr}\n${run.stdout.slice(0, 4000)}`,
  );
  const report = JSON.parse(run.stdout) as DrillReport;
  assert.equal(report.scenario, scenario);
  assert.equal(report.verdict, 'pass', JSON.stringify(report.checks));
  assert.ok(report.files, 'the report names its files');
  const html = await readFile(report.files.html, 'utf8');
  assert.match(html, /<svg /, 'the HTML report has its charts');
  assert.ok(!/<script/.test(html), 'and no script');
  const markdown = await readFile(report.files.markdown, 'utf8');
  assert.match(markdown, new RegExp(`^# Drill ${scenario}: PASS`));
  const shown = run.stdout + run.stderr + html + markdown;
  for (const secret of await secrets()) assert.ok(!shown.includes(secret), 'no token or password shown');
  assert.match(run.stderr, /drill [a-z-]+: .* done in/, 'progress lines on stderr');
  return report;
}

async function labStillRuns(): Promise<void> {
  const status = await runLabCommand(['status', '--dir', dir, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const { lab: now } = JSON.parse(status.stdout) as { lab: LabDescriptor };
  assert.deepEqual(
    now.arrays.map((a) => a.state),
    ['running', 'running', 'running'],
    'the drill restarted what it killed',
  );
}

before(async () => {
  work = await makeTempDir('tandem-drill-');
  dir = join(work.path, 'lab');
  lab = await startLab(['--dir', dir, '--base-port', String(await freePortRange(BASE_PORT_SPAN))]);
});

after(async () => {
  if (lab && lab.child.exitCode === null) await runLabCommand(['down', '--dir', dir]).catch(() => {});
  await killLab(dir, lab?.child);
  await work?.remove();
});

test('drill without a running lab: exit 2 and a message that says how to start one', async () => {
  const run = await drill(['array-loss', '--lab-dir', join(work.path, 'nothing-here'), '--json']);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '', 'nothing on stdout');
  assert.match(run.stderr, /no lab running in .*nothing-here .*: run npm start/);
  const unknown = await drill(['meteor-strike', '--lab-dir', dir]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /choose one of array-loss, link-cut, site-loss, failback/);
});

test('drill array-loss: site-a SIGKILLed under a writing host -> writes resume on site-b, no acknowledged write lost, site-a resyncs', async () => {
  const report = await checkedReport(
    await drill(['array-loss', '--lab-dir', dir, '--json', ...FAST]),
    'array-loss',
  );
  const m = report.measurements;
  assert.equal(m.lostWrites, 0);
  assert.ok(typeof m.acknowledgedWrites === 'number' && m.acknowledgedWrites > 100, 'the host wrote');
  assert.ok(typeof m.rtoS === 'number' && m.rtoS > 0 && m.rtoS <= 10, `RTO ${m.rtoS}`);
  assert.equal(m.rpoS, 0);
  assert.ok(typeof m.resyncS === 'number', 'resync timed');
  assert.ok(
    report.charts.writeRate.some((s) => s.name.includes('site-b')),
    'writes acknowledged by site-b',
  );
  assert.ok(report.timeline.some((e) => e.kind === 'fault' && e.label.includes('site-a killed')));
  await labStillRuns();
});

test('drill site-loss: site-a and site-b lost -> failover_host to pure-dr, the volume reads on site-c, RPO = age of the newest snapshot there', async () => {
  const args = ['site-loss', '--lab-dir', dir, '--json', ...FAST, '--snapshot-interval', '1'];
  const report = await checkedReport(await drill(args), 'site-loss');
  const m = report.measurements;
  assert.ok(typeof m.rpoS === 'number' && m.rpoS >= 0 && m.rpoS <= 30, `RPO ${m.rpoS}`);
  assert.ok(typeof m.rtoS === 'number' && m.rtoS > 0, `RTO ${m.rtoS}`);
  assert.ok(typeof m.snapshotsTaken === 'number' && m.snapshotsTaken >= 1);
  assert.equal(typeof m.writesAfterSnapshotLost, 'number', 'writes after the snapshot counted');
  assert.equal(m.missingBeforeSnapshot, 0);
  assert.equal(m.volumeReplicationStatus, 'failed-over');
  assert.ok(
    report.notes.some((n) => n.includes('standing in for')),
    'the report says snapshots stand in for the schedule',
  );
  assert.ok(typeof m.failbackS === 'number', 'the lab was failed back');
  await labStillRuns();
});
