// `tandem lab down`, `status` and `reset`, run from another terminal than `lab up`. They find the
// lab through DIR/supervisor.pid and DIR/lab.json. Daemons left behind by a supervisor that was
// SIGKILLed (they run in their own process groups) are found by the pids in lab.json.

import { access, readdir, rm } from 'node:fs/promises';
import { STOP_GRACE_MS } from './daemon-process.js';
import { type LabDescriptor, readDescriptor } from './descriptor.js';
import type { LabPaths } from './layout.js';
import { isAlive, orphanPids, runningSupervisor } from './pid-marker.js';
import { statusText } from './summary.js';

/** The supervisor stops cinder, then the arrays, then the mediator, each within STOP_GRACE_MS. */
const DOWN_TIMEOUT_MS = 4 * STOP_GRACE_MS + 10_000;
const EXIT_POLL_MS = 100;
const CONTROL_REQUEST_TIMEOUT_MS = 5_000;
/** `lab status` exits with this when no lab runs (the LSB "program is not running" code). */
export const STATUS_NOT_RUNNING_EXIT_CODE = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(EXIT_POLL_MS);
  }
  return true;
}

/** A signal to a process that may have exited meanwhile (ESRCH is then no error). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function askControlApi(controlUrl: string, method: string, path: string): Promise<Response | null> {
  try {
    return await fetch(`${controlUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(CONTROL_REQUEST_TIMEOUT_MS),
    });
  } catch {
    return null;
  }
}

export async function labDown(paths: LabPaths): Promise<string> {
  const lab = await readDescriptor(paths.descriptor);
  const supervisor = await runningSupervisor(paths.pidMarker);
  if (supervisor === null) {
    const orphans = await orphanPids(lab);
    if (orphans.length === 0) return `no lab runs from ${paths.dir}`;
    for (const pid of orphans) signal(pid, 'SIGTERM');
    if (!(await waitGone(orphans, STOP_GRACE_MS)))
      for (const pid of orphans.filter(isAlive)) signal(pid, 'SIGKILL');
    return `stopped ${orphans.length} daemon(s) left by a lab supervisor that died (pids ${orphans.join(', ')})`;
  }
  const answer = lab ? await askControlApi(lab.supervisor.controlUrl, 'POST', '/lab/down') : null;
  // No control API (still starting, or wedged): SIGTERM does the same orderly stop.
  if (answer?.status !== 202) signal(supervisor, 'SIGTERM');
  if (!(await waitGone([supervisor], DOWN_TIMEOUT_MS)))
    throw new Error(
      `the lab supervisor (pid ${supervisor}) still runs after ${DOWN_TIMEOUT_MS} ms; see ${paths.log('lab')}`,
    );
  return `the lab in ${paths.dir} is stopped`;
}

export interface LabStatus {
  running: boolean;
  dir: string;
  /** Daemons still running without their supervisor (`lab down` stops them). */
  orphanPids: number[];
  lab: LabDescriptor | null;
}

export async function labStatus(paths: LabPaths): Promise<LabStatus> {
  let lab = await readDescriptor(paths.descriptor);
  const supervisor = await runningSupervisor(paths.pidMarker);
  if (supervisor !== null && lab) {
    // The supervisor's own view is fresher than the file.
    const answer = await askControlApi(lab.supervisor.controlUrl, 'GET', '/lab');
    if (answer?.ok) lab = (await answer.json()) as LabDescriptor;
  }
  const orphans = supervisor === null ? await orphanPids(lab) : [];
  return { running: supervisor !== null, dir: paths.dir, orphanPids: orphans, lab };
}

export function labStatusText(status: LabStatus): string {
  const orphans =
    status.orphanPids.length > 0
      ? `${status.orphanPids.length} of its daemons still run without a supervisor (pids ${status.orphanPids.join(', ')}): tandem lab down --dir ${status.dir}\n`
      : '';
  return statusText(status.lab, status.running, status.dir) + orphans;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Removes DIR, after checking that nothing of the lab runs and that DIR is a lab's. */
export async function labReset(paths: LabPaths): Promise<string> {
  if (!(await exists(paths.dir))) return `nothing to remove: ${paths.dir} does not exist`;
  const status = await labStatus(paths);
  if (status.running || status.orphanPids.length > 0)
    throw new Error(`the lab in ${paths.dir} is running; stop it first: tandem lab down --dir ${paths.dir}`);
  const marks = await Promise.all([paths.layout, paths.descriptor].map(exists));
  // An empty directory is what a first start that failed on a taken port leaves.
  const empty = (await readdir(paths.dir)).length === 0;
  if (!marks.some(Boolean) && !empty)
    throw new Error(
      `${paths.dir} holds no layout.json or lab.json, so it is not a lab directory; not removing it`,
    );
  await rm(paths.dir, { recursive: true, force: true });
  return `removed ${paths.dir}`;
}
