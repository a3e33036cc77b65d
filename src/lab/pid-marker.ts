// DIR/supervisor.pid says a lab runs from DIR. It is created exclusively, so two `lab up` on one
// directory cannot both start; a marker whose process is gone (the supervisor was SIGKILLed) is
// taken over. A pid is only believed while that process still runs tandem's CLI, since pids are
// reused. The daemons of a supervisor that died are found by the pids lab.json holds.

import { readFile, rm, writeFile } from 'node:fs/promises';
import type { LabDescriptor } from './descriptor.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Alive and running `.../cli/main.js`, with `mention` (e.g. the lab directory) on its command line
 * when given; where /proc cannot be read, alive is enough.
 */
export async function isTandemProcess(pid: number, mention?: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('cli/main.js') && (mention === undefined || cmdline.includes(mention));
  } catch {
    return true;
  }
}

export async function readPidMarker(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The pid of the supervisor running from DIR, or null. */
export async function runningSupervisor(path: string): Promise<number | null> {
  const pid = await readPidMarker(path);
  return pid !== null && (await isTandemProcess(pid)) ? pid : null;
}

/** Writes this process's pid; throws if another live supervisor holds the marker. */
export async function claimPidMarker(path: string, dir: string): Promise<void> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = await runningSupervisor(path);
  if (holder !== null && holder !== process.pid)
    throw new Error(
      `a lab already runs from ${dir} (supervisor pid ${holder}): tandem lab status --dir ${dir}, or tandem lab down --dir ${dir}`,
    );
  await writeFile(path, `${process.pid}\n`);
}

/** Removes the marker if it is still ours. */
export async function releasePidMarker(path: string): Promise<void> {
  if ((await readPidMarker(path)) === process.pid) await rm(path, { force: true });
}

/**
 * Daemons of `lab` that still run although their supervisor is gone (it was SIGKILLed; they run in
 * their own process groups, so nothing took them down with it).
 */
export async function orphanPids(lab: LabDescriptor | null): Promise<number[]> {
  if (!lab) return [];
  const pids = [...lab.arrays.map((a) => a.pid), lab.mediator.pid, lab.cinder.pid].filter(
    (pid): pid is number => pid !== null,
  );
  // Each daemon's command line names its files under the lab directory.
  const live = await Promise.all(pids.map((pid) => isTandemProcess(pid, lab.dir)));
  return pids.filter((_, i) => live[i]);
}
