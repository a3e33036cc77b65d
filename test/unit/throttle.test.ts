// The async replication throttle: which limit is in force when, and the pacing of bytes to it,
// on a simulated clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer, throttleLimitAt } from '../../src/replication/connections/throttle.js';

const HOUR_MS = 3600 * 1000;

test('throttle: the window limit applies inside the window (also across midnight), the default outside', () => {
  const day = {
    defaultLimitBytesPerSec: 100,
    window: { startMs: 8 * HOUR_MS, endMs: 18 * HOUR_MS },
    windowLimitBytesPerSec: 10,
  };
  assert.equal(throttleLimitAt(day, 9 * HOUR_MS), 10);
  assert.equal(throttleLimitAt(day, 20 * HOUR_MS), 100);
  assert.equal(throttleLimitAt(day, 3 * 24 * HOUR_MS + 12 * HOUR_MS), 10, 'any day');
  const night = { ...day, window: { startMs: 22 * HOUR_MS, endMs: 6 * HOUR_MS } };
  assert.equal(throttleLimitAt(night, 23 * HOUR_MS), 10);
  assert.equal(throttleLimitAt(night, 5 * HOUR_MS), 10);
  assert.equal(throttleLimitAt(night, 12 * HOUR_MS), 100);
  assert.equal(throttleLimitAt(undefined, 0), null, 'no throttle: unlimited');
  assert.equal(throttleLimitAt({ ...day, defaultLimitBytesPerSec: null }, 20 * HOUR_MS), null);
});

test('throttle: 10 MB at 1 MB/s takes about 10 simulated seconds; unlimited takes none', async () => {
  let nowMs = 0;
  let limit: number | null = 1_000_000;
  const pacer = new Pacer(
    () => limit,
    () => nowMs,
    async (ms) => {
      nowMs += ms;
    },
  );
  for (let i = 0; i < 40; i++) await pacer.take(250_000);
  assert.ok(nowMs >= 9_700 && nowMs <= 10_100, `took ${nowMs} ms`);
  const before = nowMs;
  limit = null;
  for (let i = 0; i < 40; i++) await pacer.take(250_000);
  assert.equal(nowMs, before);
});

test('throttle: a message larger than the burst still goes, and the debt slows what follows', async () => {
  let nowMs = 0;
  const pacer = new Pacer(
    () => 1000,
    () => nowMs,
    async (ms) => {
      nowMs += ms;
    },
  );
  await pacer.take(5000);
  const afterBig = nowMs;
  await pacer.take(100);
  assert.ok(nowMs - afterBig >= 4000, `the next message waited ${nowMs - afterBig} ms`);
});
