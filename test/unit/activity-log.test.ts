import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityLog, decodeActivity } from '../../src/replication/sync/activity-log.js';

test('activity log: keeps the newest blocks in order at a fixed size, and round-trips the wire form', () => {
  const log = new ActivityLog(5);
  log.note('v1', 10, 3); // 10 11 12
  log.note('v2', 2 ** 40, 4); // pushes out 10 and 11
  assert.deepEqual(log.entries(), [
    ['v1', 12],
    ['v2', 2 ** 40],
    ['v2', 2 ** 40 + 1],
    ['v2', 2 ** 40 + 2],
    ['v2', 2 ** 40 + 3],
  ]);
  const { volumes, payload } = log.encode();
  assert.deepEqual(decodeActivity(volumes, payload, 100).sort(), log.entries().sort());
  assert.deepEqual(decodeActivity('garbage', payload, 100), [], 'a damaged report is ignored');
  assert.equal(
    decodeActivity(volumes, payload.subarray(0, 16), 100).length,
    2,
    'a short payload stops early',
  );
});
