// Scheduled async replication over three simulated days: two arrays in this process, a real
// replication link on 127.0.0.1, and the scheduler driven with a simulated clock (one tick per
// hour). Checks what each side keeps under its retention policy and that the newest replica holds
// the source's data byte for byte.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StorageArray } from '../../src/array/array.js';
import type { RetentionPolicy } from '../../src/array/objects/model.js';
import { retainedIds } from '../../src/array/objects/retention.js';
import { BLOCK_BYTES } from '../../src/constants.js';
import { ReplicationService } from '../../src/replication/replication-service.js';

const HOUR = 3600 * 1000;
const quiet = { info: () => {}, warn: () => {} };
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startArray(name: string) {
  const dir = await mkdtemp(join(tmpdir(), `tandem-sched-${name}-`));
  const array = await StorageArray.open(dir, name);
  const replication = new ReplicationService(array, { host: '127.0.0.1', port: 0 }, quiet);
  await replication.start();
  array.replication = replication;
  cleanups.push(async () => {
    await replication.stop();
    await array.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { array, replication };
}

/** What incremental retention keeps: applied after every new snapshot, as the arrays do. */
function simulate(times: number[], policy: RetentionPolicy): Set<number> {
  let kept: Array<{ id: string; createdMs: number }> = [];
  for (const t of times) {
    kept.push({ id: String(t), createdMs: t });
    const newest = new Set([String(t)]);
    const keep = retainedIds(kept, policy, t, newest);
    kept = kept.filter((s) => keep.has(s.id));
  }
  return new Set(kept.map((s) => s.createdMs));
}

test('scheduled replication for three days keeps what each retention policy says, and the data', async () => {
  const a = await startArray('sched-a');
  const b = await startArray('sched-b');
  await a.replication.connect({
    managementAddress: null,
    replicationAddress: b.replication.address,
    connectionKey: b.array.state.identity.connectionKey!,
    type: 'async-replication',
  });
  const volume = await a.array.volumes.create('app', 8 * 1024 * 1024);
  await a.array.engine.write(volume, 0, randomBytes(64 * BLOCK_BYTES));
  await a.array.pgroups.create('hourly');
  await a.array.pgroups.addVolumes('hourly', ['app']);
  const pgroup = a.array.pgroups.require('hourly');
  await a.replication.addTarget(pgroup, 'sched-b');
  const replica = b.array.pgroups.require('sched-a:hourly');
  await b.replication.setAllowed(replica, true);
  assert.equal(pgroup.targets[0]!.allowed, true, 'the source learns it is allowed');
  const targetRetention = { allForSec: 6 * 3600, perDay: 2, days: 2 };
  const sourceRetention = { allForSec: 3 * 3600, perDay: 1, days: 1 };
  await a.array.pgroups.update('hourly', {
    replicationSchedule: { enabled: true, frequencyMs: HOUR },
    targetRetention,
    sourceRetention,
  });
  const t0 = Date.now();
  // On-demand snapshots: kept until destroyed, unless taken with apply_retention (as on Purity).
  const kept = await a.array.pgroups.snapshot('hourly', 'on-demand', t0, { retained: false });
  const dropped = await a.array.pgroups.snapshot('hourly', 'with-retention', t0 + 1, { retained: true });
  a.replication.replicate(pgroup, kept);
  await a.replication.idle();
  a.replication.replicate(pgroup, dropped);
  await a.replication.idle();
  const times: number[] = [];
  const model = Buffer.alloc(64 * BLOCK_BYTES);
  a.array.engine.read(volume.headLayerId, 0, model.length).copy(model);
  for (let hour = 1; hour <= 72; hour++) {
    // Some blocks change every hour.
    const block = randomBytes(BLOCK_BYTES);
    const index = (hour * 7) % 64;
    await a.array.engine.write(volume, index * BLOCK_BYTES, block);
    block.copy(model, index * BLOCK_BYTES);
    const now = t0 + hour * HOUR;
    await a.replication.tick(now);
    await a.replication.idle();
    times.push(now);
  }
  const suffixes = (list: Array<{ suffix: string }>) => list.map((s) => s.suffix);
  assert.ok(
    suffixes(a.array.pgroups.snapshotsOf(pgroup)).includes('on-demand'),
    'source keeps the on-demand one',
  );
  assert.ok(suffixes(b.array.pgroups.snapshotsOf(replica)).includes('on-demand'), 'target keeps it too');
  assert.ok(
    !suffixes(a.array.pgroups.snapshotsOf(pgroup)).includes('with-retention'),
    'retention dropped it',
  );
  assert.ok(!suffixes(b.array.pgroups.snapshotsOf(replica)).includes('with-retention'), 'on the target too');
  const scheduled = (s: { suffix: string }) => s.suffix !== 'on-demand';
  const onTarget = b.array.pgroups.snapshotsOf(replica).filter(scheduled);
  const onSource = a.array.pgroups.snapshotsOf(pgroup).filter(scheduled);
  assert.deepEqual(
    onTarget.map((s) => s.createdMs),
    [...simulate(times, targetRetention)].sort((x, y) => x - y),
    'target keeps all for 6 h, then 2 a day for 2 days',
  );
  assert.deepEqual(
    onSource.map((s) => s.createdMs),
    [...simulate(times, sourceRetention)].sort((x, y) => x - y),
    'source keeps all for 3 h, then 1 a day for 1 day',
  );
  const now = times.at(-1)!;
  for (const s of onTarget)
    assert.ok(now - s.createdMs < (6 * 3600 + 2 * 86400) * 1000, 'nothing older than the policy');
  assert.ok(onTarget.length >= 6 && onTarget.length <= 6 + 2 * 2 + 1, `target holds ${onTarget.length}`);
  // The newest replica snapshot equals the source volume as of that snapshot.
  const newest = onTarget.at(-1)!;
  assert.equal(newest.createdMs, now);
  const volumeSnapshot = b.array.pgroups.volumeSnapshotsOf(newest)[0]!;
  assert.equal(volumeSnapshot.name, `sched-a:hourly.${newest.suffix}.app`);
  assert.deepEqual(b.array.engine.read(volumeSnapshot.layerId, 0, model.length), model);
});

test('a daily snapshot schedule with `at` runs at that time of day, once a day', async () => {
  const a = await startArray('sched-at');
  const volume = await a.array.volumes.create('app', 1024 * 1024);
  await a.array.engine.write(volume, 0, randomBytes(BLOCK_BYTES));
  await a.array.pgroups.create('daily');
  await a.array.pgroups.addVolumes('daily', ['app']);
  const pgroup = a.array.pgroups.require('daily');
  await a.array.pgroups.update('daily', {
    snapshotSchedule: { enabled: true, frequencyMs: 24 * HOUR, atSec: 2 * 3600 },
    sourceRetention: { allForSec: 7 * 86400, perDay: 1, days: 7 },
  });
  const midnight = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR + 24 * HOUR;
  pgroup.lastSnapshotMs = midnight - 9 * HOUR; // switched on at 15:00 the day before
  for (let minute = 0; minute <= 3 * 24 * 60; minute += 20)
    await a.replication.tick(midnight + minute * 60_000);
  const taken = a.array.pgroups.snapshotsOf(pgroup).map((s) => s.createdMs - midnight);
  assert.deepEqual(
    taken.map((ms) => ms / HOUR),
    [2, 26, 50],
    'at 02:00 on each of the three days',
  );
});
