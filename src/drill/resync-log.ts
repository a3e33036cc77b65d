// Resync bytes of a stretched pod. The arrays expose no counter for them over REST or /metrics
// (GET /pods shows only status and progress), but each array logs `pod resync finished` with the
// block bytes it has sent in resyncs since it started. The drill reads the lab's array logs and
// takes, per array process, the growth of that counter after the fault.

import { readFile } from 'node:fs/promises';

const RESYNC_FINISHED = 'pod resync finished';

export interface ResyncLine {
  timeMs: number;
  pid: number;
  pod: string;
  resyncBytes: number;
}

/** The `pod resync finished` lines of a JSON-lines log (other lines, JSON or not, are skipped). */
export function parseResyncLines(text: string): ResyncLine[] {
  const lines: ResyncLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(RESYNC_FINISHED)) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg !== RESYNC_FINISHED || typeof entry.resyncBytes !== 'number') continue;
      lines.push({
        timeMs: Number(entry.time),
        pid: Number(entry.pid),
        pod: String(entry.pod),
        resyncBytes: entry.resyncBytes,
      });
    } catch {}
  }
  return lines;
}

/**
 * Bytes sent in resyncs of `pod` after `sinceMs`: for each process, its last counter value minus
 * its last value before `sinceMs` (0 for a process started after it). Null when no resync finished.
 */
export function resyncBytesSince(lines: readonly ResyncLine[], pod: string, sinceMs: number): number | null {
  const before = new Map<number, number>();
  const after = new Map<number, number>();
  for (const line of lines) {
    if (line.pod !== pod) continue;
    (line.timeMs < sinceMs ? before : after).set(line.pid, line.resyncBytes);
  }
  if (after.size === 0) return null;
  let total = 0;
  for (const [pid, bytes] of after) total += Math.max(0, bytes - (before.get(pid) ?? 0));
  return total;
}

/** Sums resyncBytesSince over the given log files; unreadable files count as no resync. */
export async function resyncBytesFromLogs(logFiles: readonly string[], pod: string, sinceMs: number) {
  let total: number | null = null;
  for (const file of logFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const bytes = resyncBytesSince(parseResyncLines(text), pod, sinceMs);
    if (bytes !== null) total = (total ?? 0) + bytes;
  }
  return total;
}
