// When a protection group's snapshot or replication schedule is due, as Purity runs them: every
// `frequency` since the last run, or, for whole-day frequencies with `at` set, at that time of
// day every N days; replication never starts inside the blackout window. Times of day are UTC
// here (the lab's arrays share one clock and no time zone).

import type { ScheduleRecord } from '../../array/objects/model.js';

const DAY_MS = 24 * 3600 * 1000;

/** True when `nowMs` falls in the blackout window (ms after midnight; may wrap past midnight). */
export function inBlackout(blackout: ScheduleRecord['blackout'], nowMs: number): boolean {
  if (!blackout) return false;
  const t = nowMs % DAY_MS;
  return blackout.startMs <= blackout.endMs
    ? t >= blackout.startMs && t < blackout.endMs
    : t >= blackout.startMs || t < blackout.endMs;
}

/** True when a schedule that last ran at `lastMs` is due at `nowMs` (enabled is checked too). */
export function scheduleDue(schedule: ScheduleRecord, lastMs: number, nowMs: number): boolean {
  if (!schedule.enabled) return false;
  if (schedule.atSec !== null && schedule.frequencyMs % DAY_MS === 0) {
    // Count days from the `at` time: a run is due on the first `at` that is N days on.
    const dayOf = (t: number) => Math.floor((t - schedule.atSec! * 1000) / DAY_MS);
    return dayOf(nowMs) >= dayOf(lastMs) + schedule.frequencyMs / DAY_MS;
  }
  return nowMs - lastMs >= schedule.frequencyMs;
}
