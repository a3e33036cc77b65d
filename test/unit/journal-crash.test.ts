// journal: power loss with several batch writes in flight, completing out of order -> after
// recovery every acknowledged record is replayed intact, and nothing beyond a hole ever is.
// Deterministic: each seed is one fault schedule (TANDEM_JOURNAL_SEEDS widens the sweep).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Journal, type ReplayedRecord } from '../../src/array/engine/journal.js';
import { LossyDisk } from '../helpers/lossy-disk.js';
import { seededRandom } from '../helpers/seeded-random.js';

const SEGMENT_BYTES = 64 * 1024; // small: batches cross segment boundaries often
const SEEDS = Number(process.env.TANDEM_JOURNAL_SEEDS ?? 40);

const payloadFor = (lsn: number) => Buffer.alloc(512, lsn % 251);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function runSeed(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const disk = new LossyDisk(random);
  const journal = await openWhileCompleting(disk, 0, () => {});
  const acknowledged: number[] = [];
  const steps = 20 + Math.floor(random() * 40);
  for (let step = 0; step < steps; step++) {
    const lsns: number[] = [];
    const records = 1 + Math.floor(random() * 12);
    for (let i = 0; i < records; i++) {
      const lsn = journal.nextLsn;
      journal.appendBlock(1, lsn, payloadFor(lsn));
      lsns.push(lsn);
    }
    journal.commit().then(
      () => acknowledged.push(...lsns),
      () => {},
    );
    await tick();
    disk.completeSome(random());
    await tick();
  }
  disk.crash();
  const replayed: ReplayedRecord[] = [];
  await openWhileCompleting(disk, 0, (r) => replayed.push(r));
  const replayedLsns = replayed.map((r) => r.header.lsn);
  assert.deepEqual(
    replayedLsns,
    Array.from({ length: replayedLsns.length }, (_, i) => i + 1),
    `seed ${seed}: replay is not a gapless prefix`,
  );
  for (const record of replayed) {
    assert.deepEqual(
      record.payload,
      payloadFor(record.header.lsn),
      `seed ${seed}: lsn ${record.header.lsn} corrupted`,
    );
  }
  const highest = replayedLsns.at(-1) ?? 0;
  for (const lsn of acknowledged) assert.ok(lsn <= highest, `seed ${seed}: acknowledged lsn ${lsn} lost`);
}

/** Opens the journal while completing the disk writes it waits for (preallocation). */
async function openWhileCompleting(
  disk: LossyDisk,
  appliedLsn: number,
  onRecord: (r: ReplayedRecord) => void,
) {
  const opening = Journal.open(disk, appliedLsn, onRecord, SEGMENT_BYTES);
  let journal: Journal | undefined;
  opening.then((j) => {
    journal = j;
  });
  while (!journal) {
    disk.completeSome(1);
    await tick();
  }
  return journal;
}

test(`journal: power loss with batch writes in flight, ${SEEDS} seeds -> acknowledged records survive, no gaps`, async () => {
  for (let seed = 1; seed <= SEEDS; seed++) await runSeed(seed);
});
