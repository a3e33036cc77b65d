// The replication byte counter never goes down: not when retention eradicates a snapshot, not
// when an interrupted transfer starts again from 0; and the newest completed transfer is the one
// lag is measured from.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  PgroupSnapshotRecord,
  PgroupTransferRecord,
  ProtectionGroupRecord,
} from '../../src/array/objects/model.js';
import { newestCompleted, TransferBytes } from '../../src/metrics/transfer-bytes.js';

const TARGET_ID = 'array-b-id';

function pgroup(overrides: Partial<ProtectionGroupRecord> = {}): ProtectionGroupRecord {
  const schedule = { enabled: false, frequencyMs: 3_600_000, atSec: null, blackout: null };
  const retention = { allForSec: 0, perDay: 0, days: 0 };
  return {
    kind: 'pgroup',
    id: 'pg-id',
    name: 'pg1',
    createdMs: 0,
    destroyed: false,
    destroyedAtMs: null,
    volumeIds: [],
    targets: [{ arrayId: TARGET_ID, arrayName: 'array-b', allowed: true }],
    snapshotSchedule: schedule,
    replicationSchedule: schedule,
    sourceRetention: retention,
    targetRetention: retention,
    nextSnapshotNumber: 1,
    replicaOf: null,
    allowed: false,
    lastSnapshotMs: 0,
    lastReplicationMs: 0,
    ...overrides,
  };
}

function transfer(bytes: number, completedMs: number | null): PgroupTransferRecord {
  return {
    arrayId: TARGET_ID,
    startedMs: 1,
    completedMs,
    progress: completedMs === null ? 0.5 : 1,
    dataTransferredBytes: bytes,
    physicalBytesWritten: bytes * 2,
  };
}

function snapshot(id: string, createdMs: number, transfers: PgroupTransferRecord[]): PgroupSnapshotRecord {
  return {
    kind: 'pgroup-snapshot',
    id,
    pgroupId: 'pg-id',
    name: `pg1.${id}`,
    suffix: id,
    createdMs,
    destroyed: false,
    destroyedAtMs: null,
    volumeSnapshotIds: [],
    transfers,
  };
}

function source(groups: ProtectionGroupRecord[], snapshots: PgroupSnapshotRecord[]) {
  return {
    state: {
      pgroups: new Map(groups.map((g) => [g.id, g])),
      pgroupSnapshots: new Map(snapshots.map((s) => [s.id, s])),
    },
  };
}

test('sent bytes keep growing when retention eradicates the snapshots they were counted from', () => {
  const counter = new TransferBytes();
  const first = snapshot('1', 1000, [transfer(100, 2000)]);
  const second = snapshot('2', 3000, [transfer(40, null)]);
  counter.update(source([pgroup()], [first, second]));
  assert.deepEqual(counter.sent(), [{ labels: { pgroup: 'pg1', target: 'array-b' }, bytes: 140 }]);
  second.transfers[0]!.dataTransferredBytes = 70;
  counter.update(source([pgroup()], [second])); // snapshot 1 eradicated
  assert.equal(counter.sent()[0]!.bytes, 170);
  // The transfer was interrupted and sent again: its record starts over.
  second.transfers[0]!.dataTransferredBytes = 10;
  counter.update(source([pgroup()], [second]));
  assert.equal(counter.sent()[0]!.bytes, 180);
  assert.deepEqual(counter.received(), []);
});

test('a replica group counts received bytes under its source; a deleted group drops its series', () => {
  const counter = new TransferBytes();
  const replica = pgroup({
    name: 'array-a:pg1',
    targets: [],
    replicaOf: { arrayId: TARGET_ID, arrayName: 'array-a', pgroupId: 'x', pgroupName: 'pg1' },
  });
  counter.update(source([replica], [snapshot('1', 1000, [transfer(64, 2000)])]));
  assert.deepEqual(counter.received(), [{ labels: { pgroup: 'array-a:pg1', source: 'array-a' }, bytes: 64 }]);
  counter.update(source([], []));
  assert.deepEqual(counter.received(), []);
});

test('newestCompleted skips transfers still running and picks the newest snapshot', () => {
  const done = snapshot('1', 1000, [transfer(1, 2000)]);
  const running = snapshot('2', 3000, [transfer(1, null)]);
  const older = snapshot('0', 500, [transfer(1, 900)]);
  assert.equal(newestCompleted([older, running, done], TARGET_ID)?.snapshot.id, '1');
  assert.equal(newestCompleted([running], TARGET_ID), null);
  assert.equal(newestCompleted([done], 'other-array'), null);
});
