// What the drills measure, as pure functions of the recorded acknowledgements and times, so each
// definition can be tested on its own: RTO is the time from a fault to the first acknowledged
// write that proves service is back; RPO is how far back in time the lost data reaches.

import type { AckedWrite } from './writer.js';

export interface SeriesPoint {
  /** Seconds since the drill started. */
  tS: number;
  value: number;
}

export interface Series {
  name: string;
  unit: string;
  points: SeriesPoint[];
}

/** Seconds, to the millisecond. */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export interface AckFilter {
  array?: string;
  /** Only writes first sent after this time: they cannot have been mirrored before a fault. */
  submittedAfterMs?: number;
  ackedAfterMs?: number;
}

/** The earliest acknowledgement matching `filter`, or null. */
export function firstAck(acks: readonly AckedWrite[], filter: AckFilter): AckedWrite | null {
  let first: AckedWrite | null = null;
  for (const ack of acks) {
    if (filter.array !== undefined && ack.array !== filter.array) continue;
    if (filter.submittedAfterMs !== undefined && ack.submittedMs <= filter.submittedAfterMs) continue;
    if (filter.ackedAfterMs !== undefined && ack.ackedMs <= filter.ackedAfterMs) continue;
    if (first === null || ack.ackedMs < first.ackedMs) first = ack;
  }
  return first;
}

/** RTO in seconds: fault to the first matching acknowledgement; null when service never came back. */
export function rtoSeconds(faultMs: number, resumed: AckedWrite | null): number | null {
  return resumed === null ? null : seconds(resumed.ackedMs - faultMs);
}

/**
 * RPO of a synchronous copy in seconds: 0 when nothing acknowledged was lost, otherwise how long
 * before the fault the oldest lost write was acknowledged.
 */
export function syncRpoSeconds(faultMs: number, oldestLostAckedMs: number | null): number {
  return oldestLostAckedMs === null ? 0 : seconds(Math.max(0, faultMs - oldestLostAckedMs));
}

/** The longest time without any acknowledgement between `fromMs` and `toMs` (a write stall). */
export function longestAckGapMs(acks: readonly AckedWrite[], fromMs: number, toMs: number): number {
  const times = acks
    .map((a) => a.ackedMs)
    .filter((t) => t >= fromMs && t <= toMs)
    .sort((a, b) => a - b);
  let previous = fromMs;
  let longest = 0;
  for (const t of [...times, toMs]) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

/** Acknowledged writes per second in buckets of `bucketMs`, one series per array; tS from `originMs`. */
export function writeRateSeries(
  acks: readonly AckedWrite[],
  startMs: number,
  endMs: number,
  bucketMs: number,
  originMs = startMs,
): Series[] {
  const buckets = Math.max(1, Math.ceil((endMs - startMs) / bucketMs));
  const counts = new Map<string, number[]>();
  for (const ack of acks) {
    const index = Math.floor((ack.ackedMs - startMs) / bucketMs);
    if (index < 0 || index >= buckets) continue;
    let perBucket = counts.get(ack.array);
    if (!perBucket) {
      perBucket = new Array<number>(buckets).fill(0);
      counts.set(ack.array, perBucket);
    }
    perBucket[index]!++;
  }
  return [...counts.keys()].sort().map((array) => ({
    name: `acknowledged by ${array}`,
    unit: 'writes/s',
    points: counts.get(array)!.map((count, i) => ({
      tS: seconds(startMs - originMs + i * bucketMs + bucketMs / 2),
      value: Math.round((count * 1000) / bucketMs),
    })),
  }));
}

/** The newest snapshot created at or before `atMs` (by creation time), or null. */
export function newestBefore<T extends { created: number }>(snapshots: readonly T[], atMs: number): T | null {
  let newest: T | null = null;
  for (const s of snapshots)
    if (s.created <= atMs && (newest === null || s.created > newest.created)) newest = s;
  return newest;
}
