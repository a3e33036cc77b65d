// One mediator per data directory: two would each keep their own table and could grant the same
// epoch to both arrays. A pid file left by a killed mediator is taken over (its process is gone).

import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataDirInUseError } from './errors.js';

const PID_FILE_NAME = 'mediator.pid';
/** Data directories in use by mediators of this process (the pid file cannot tell them apart). */
const lockedHere = new Set<string>();

/** Returns the release function. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const key = resolve(dataDir);
  if (lockedHere.has(key)) throw new DataDirInUseError(dataDir, 'in this process');
  lockedHere.add(key);
  try {
    const path = join(dataDir, PID_FILE_NAME);
    // Exclusive create: of two mediators starting at once, only one finds no pid file.
    const created = await writeFile(path, `${process.pid}\n`, { flag: 'wx' }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    if (!created) {
      const previous = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(previous) && previous !== process.pid && processAlive(previous)) {
        throw new DataDirInUseError(dataDir, `pid ${previous}`);
      }
      await writeFile(path, `${process.pid}\n`);
    }
    return async () => {
      await rm(path, { force: true });
      lockedHere.delete(key);
    };
  } catch (error) {
    lockedHere.delete(key);
    throw error;
  }
}

/** Whether `pid` is a running process (an exited one waiting to be reaped does not count). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
