import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retainedIds } from '../../src/array/objects/retention.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** One snapshot every hour for `hours` hours before `now`. */
function hourly(now: number, hours: number) {
  return Array.from({ length: hours }, (_, i) => ({ id: `s${i}`, createdMs: now - (i + 1) * HOUR + 1 }));
}

test('retention: everything younger than all_for_sec is kept', () => {
  const now = 100 * DAY;
  const snaps = hourly(now, 10);
  const keep = retainedIds(snaps, { allForSec: 4 * 3600, perDay: 0, days: 0 }, now);
  assert.deepEqual([...keep].sort(), ['s0', 's1', 's2', 's3']);
});

test('retention: after all_for_sec, per_day snapshots a day are kept for days, then none', () => {
  const now = 100 * DAY;
  const snaps = hourly(now, 24 * 12); // 12 days of hourly snapshots
  const policy = { allForSec: 4 * 3600, perDay: 3, days: 7 };
  const keep = retainedIds(snaps, policy, now);
  const ages = snaps.filter((s) => keep.has(s.id)).map((s) => now - s.createdMs);
  const young = ages.filter((a) => a < 4 * HOUR).length;
  const old = ages.filter((a) => a >= 4 * HOUR);
  assert.equal(young, 4, 'all four from the all-for window');
  assert.equal(old.length, 3 * 7, 'three a day for seven days');
  assert.ok(Math.max(...old) < 4 * HOUR + 7 * DAY, 'nothing older than all_for + days');
});

test('retention: pinned snapshots are kept whatever their age', () => {
  const now = 100 * DAY;
  const snaps = hourly(now, 24 * 30);
  const keep = retainedIds(snaps, { allForSec: 0, perDay: 0, days: 0 }, now, new Set(['s700']));
  assert.deepEqual([...keep], ['s700']);
});
