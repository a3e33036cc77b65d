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
  const onTarget = b.array.pgroups.snapshotsOf(replica);
  const onSource = a.array.pgroups.snapshotsOf(pgroup);
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
