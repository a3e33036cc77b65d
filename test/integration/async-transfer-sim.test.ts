// Seeded simulation of async (protection group) transfers: two arrays in this process, the
// sender and receiver joined by a link that loses requests and replies, a receiver that restarts
// mid-transfer, and a clock that jumps hours or days ahead. After every step the target may show
// only whole snapshots, each byte-identical to the source snapshot of the same suffix; once the
// faults stop, the newest snapshot arrives. A failing seed replays exactly
// (TANDEM_ASYNC_SEEDS=N, TANDEM_ASYNC_SEED=S).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StorageArray } from '../../src/array/array.js';
import type {
  PgroupSnapshotRecord,
  PgroupTransferRecord,
  VolumeRecord,
} from '../../src/array/objects/model.js';
import { BLOCK_BYTES } from '../../src/constants.js';
import { TransferMessage } from '../../src/replication/async/transfer-protocol.js';
import { TransferReceiver } from '../../src/replication/async/transfer-receiver.js';
import { type RequestLink, sendSnapshot, sourceRefOf } from '../../src/replication/async/transfer-sender.js';
import { seededRandom } from '../helpers/seeded-random.js';

const HOUR = 3600 * 1000;
const VOLUME_BLOCKS = 64;
const ROUNDS = 12;
const SEEDS = Number(process.env.TANDEM_ASYNC_SEEDS ?? 12);

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function openArray(name: string): Promise<StorageArray> {
  const dir = await mkdtemp(join(tmpdir(), `tandem-async-sim-${name}-`));
  const array = await StorageArray.open(dir, name);
  cleanups.push(async () => {
    await array.close();
    await rm(dir, { recursive: true, force: true });
  });
  return array;
}

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Faults {
  lossBefore: number;
  lossAfter: number;
  restart: number;
}

/** A link that calls the receiver in process and loses requests or replies as the dice say. */
class SimLink implements RequestLink {
  receiver: TransferReceiver;
  faults: Faults = { lossBefore: 0, lossAfter: 0, restart: 0 };
  delivered = 0;

  constructor(
    private readonly target: StorageArray,
    private readonly random: () => number,
  ) {
    this.receiver = new TransferReceiver(target);
  }

  async request(type: string, header: object, payload?: Buffer) {
    if (this.random() < this.faults.restart) {
      // The target restarts: whatever it staged is forgotten (its layers are released).
      this.receiver = new TransferReceiver(this.target);
      this.target.state.pinnedLayers.clear();
      throw new Error('target restarted');
    }
    if (this.random() < this.faults.lossBefore) throw new Error('request lost');
    const answer = await this.deliver(type, header as never, payload ?? Buffer.alloc(0));
    this.delivered++;
    if (this.random() < this.faults.lossAfter) throw new Error('reply lost');
    return { header: answer, payload: Buffer.alloc(0) };
  }

  private deliver(type: string, header: never, payload: Buffer): Promise<unknown> {
    switch (type) {
      case TransferMessage.begin:
        return this.receiver.begin(header);
      case TransferMessage.blocks:
        return this.receiver.blocks(header);
      case TransferMessage.data:
        return this.receiver.data(header, payload);
      case TransferMessage.commit:
        return this.receiver.commit((header as { transferId: string }).transferId);
      default:
        throw new Error(`unexpected ${type}`);
    }
  }
}

async function runSeed(seed: number): Promise<{ attempts: number; replicated: number }> {
  const random = seededRandom(seed);
  const source = await openArray(`src${seed}`);
  const target = await openArray(`tgt${seed}`);
  const volumes: VolumeRecord[] = [];
  for (const name of ['db', 'log'])
    volumes.push(await source.volumes.create(name, VOLUME_BLOCKS * BLOCK_BYTES));
  await source.pgroups.create('pg');
  await source.pgroups.addVolumes('pg', ['db', 'log']);
  const pgroup = source.pgroups.require('pg');
  pgroup.targetRetention = { allForSec: 6 * 3600, perDay: 2, days: 2 };
  const replica = await target.pgroups.ensureReplica(sourceRefOf(source, pgroup));
  replica.allowed = true;
  const link = new SimLink(target, random);
  // Content per source snapshot suffix (whole volumes), to compare the target against.
  const expected = new Map<string, Map<string, string>>();
  let clockMs = Date.UTC(2026, 10, 25);
  let attempts = 0;

  const checkTarget = (when: string) => {
    for (const snapshot of target.pgroups.snapshotsOf(replica)) {
      const model = expected.get(snapshot.suffix);
      assert.ok(model, `seed ${seed} ${when}: ${snapshot.name} has no source snapshot`);
      const volumeSnapshots = target.pgroups.volumeSnapshotsOf(snapshot);
      assert.equal(volumeSnapshots.length, model.size, `seed ${seed} ${when}: ${snapshot.name} is whole`);
      for (const vs of volumeSnapshots) {
        const data = target.engine.read(vs.layerId, 0, VOLUME_BLOCKS * BLOCK_BYTES);
        assert.equal(digest(data), model.get(vs.sourceVolumeName), `seed ${seed} ${when}: ${vs.name} data`);
      }
    }
  };

  const send = async (snapshot: PgroupSnapshotRecord, tries: number): Promise<boolean> => {
    for (let i = 0; i < tries; i++) {
      attempts++;
      let record = snapshot.transfers.find((t) => t.arrayId === target.state.identity.id);
      if (record?.completedMs) return true;
      if (!record) {
        record = newRecord(target.state.identity.id);
        snapshot.transfers.push(record);
      }
      try {
        await sendSnapshot(source, link, pgroup, snapshot, record);
        return true;
      } catch {
        Object.assign(record, newRecord(target.state.identity.id));
        link.receiver.abortFrom(sourceRefOf(source, pgroup).arrayId);
      } finally {
        checkTarget(`after try ${i} of ${snapshot.name}`);
      }
    }
    return false;
  };

  for (let round = 0; round < ROUNDS; round++) {
    // Some blocks change, half of them to content seen before (dedup across the wire).
    for (const volume of volumes) {
      const changes = 1 + Math.floor(random() * 12);
      for (let i = 0; i < changes; i++) {
        const block = Math.floor(random() * VOLUME_BLOCKS);
        const content = Buffer.alloc(BLOCK_BYTES, random() < 0.5 ? 7 : Math.floor(random() * 256));
        content.writeUInt32LE(random() < 0.5 ? 1 : Math.floor(random() * 1e9), 0);
        await source.engine.write(volume, block * BLOCK_BYTES, content);
      }
    }
    // The clock jumps ahead: minutes, hours, or now and then days.
    const jump = random();
    clockMs += jump < 0.6 ? 10 * 60_000 : jump < 0.9 ? 5 * HOUR : 3 * 24 * HOUR;
    const snapshot = await source.pgroups.snapshot('pg', undefined, clockMs);
    const model = new Map<string, string>();
    for (const vs of source.pgroups.volumeSnapshotsOf(snapshot))
      model.set(vs.sourceVolumeName, digest(source.engine.read(vs.layerId, 0, VOLUME_BLOCKS * BLOCK_BYTES)));
    expected.set(snapshot.suffix, model);
    link.faults = { lossBefore: random() * 0.08, lossAfter: random() * 0.08, restart: random() * 0.03 };
    await send(snapshot, 3);
  }
  // The faults stop: the newest snapshot arrives and equals the source.
  link.faults = { lossBefore: 0, lossAfter: 0, restart: 0 };
  const newest = source.pgroups.snapshotsOf(pgroup).at(-1)!;
  assert.ok(await send(newest, 1), `seed ${seed}: the newest snapshot never arrived without faults`);
  const onTarget = target.pgroups.snapshotsOf(replica);
  assert.equal(onTarget.at(-1)!.createdMs, newest.createdMs, `seed ${seed}: newest on the target`);
  checkTarget('at the end');
  return { attempts, replicated: onTarget.length };
}

function newRecord(arrayId: string): PgroupTransferRecord {
  return {
    arrayId,
    startedMs: null,
    completedMs: null,
    progress: 0,
    dataTransferredBytes: 0,
    physicalBytesWritten: 0,
  };
}

test(`async: ${SEEDS} seeded runs of lost requests and replies, target restarts and clock jumps -> only whole, correct snapshots on the target`, async (t) => {
  const first = Number(process.env.TANDEM_ASYNC_SEED ?? 1);
  let attempts = 0;
  for (let seed = first; seed < first + SEEDS; seed++) attempts += (await runSeed(seed)).attempts;
  t.diagnostic(`${SEEDS} seeds, ${attempts} transfer attempts`);
});
