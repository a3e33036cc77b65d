// When protection group schedules are due: every frequency since the last run, or at a time of
// day for whole-day frequencies, and never inside a replication blackout.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScheduleRecord } from '../../src/array/objects/model.js';
import { inBlackout, scheduleDue } from '../../src/replication/async/schedule.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const schedule = (over: Partial<ScheduleRecord>): ScheduleRecord => ({
  enabled: true,
  frequencyMs: HOUR,
  atSec: null,
  blackout: null,
  ...over,
});

test('schedule: every frequency since the last run; disabled never', () => {
  assert.equal(scheduleDue(schedule({}), 0, HOUR - 1), false);
  assert.equal(scheduleDue(schedule({}), 0, HOUR), true);
  assert.equal(scheduleDue(schedule({ enabled: false }), 0, 10 * HOUR), false);
});

test('schedule: `at` on a daily frequency runs at that time of day, N days on', () => {
  const daily = schedule({ frequencyMs: DAY, atSec: 2 * 3600 });
  const lastAt = 10 * DAY + 15 * HOUR; // last run at 15:00
  assert.equal(scheduleDue(daily, lastAt, 11 * DAY + 1 * HOUR), false, 'not before 02:00');
  assert.equal(scheduleDue(daily, lastAt, 11 * DAY + 2 * HOUR), true, 'at 02:00 the next day');
  const afterRun = 11 * DAY + 2 * HOUR;
  assert.equal(scheduleDue(daily, afterRun, 11 * DAY + 23 * HOUR), false, 'once a day');
  const everyTwo = schedule({ frequencyMs: 2 * DAY, atSec: 0 });
  assert.equal(scheduleDue(everyTwo, 10 * DAY, 11 * DAY), false);
  assert.equal(scheduleDue(everyTwo, 10 * DAY, 12 * DAY), true);
});

test('schedule: `at` is ignored for frequencies that are not whole days', () => {
  const hourly = schedule({ frequencyMs: HOUR, atSec: 3600 });
  assert.equal(scheduleDue(hourly, 0, HOUR), true);
});

test('schedule: blackout windows, also across midnight', () => {
  const day = { startMs: 9 * HOUR, endMs: 17 * HOUR };
  assert.equal(inBlackout(day, 3 * DAY + 10 * HOUR), true);
  assert.equal(inBlackout(day, 3 * DAY + 17 * HOUR), false, 'the end is open');
  const night = { startMs: 22 * HOUR, endMs: 6 * HOUR };
  assert.equal(inBlackout(night, 23 * HOUR), true);
  assert.equal(inBlackout(night, 5 * HOUR), true);
  assert.equal(inBlackout(night, 12 * HOUR), false);
  assert.equal(inBlackout(null, 0), false);
});
