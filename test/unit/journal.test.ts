import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Journal, type ReplayedRecord } from '../../src/array/engine/journal.js';
import { RECORD_HEADER_BYTES, RecordType } from '../../src/array/engine/journal-record.js';
import { JOURNAL_RESTART_LSN_GAP } from '../../src/constants.js';
import { NodeDiskDir } from '../../src/platform/disk.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const SEGMENT_BYTES = 1024 * 1024;
const block = (fill: number) => Buffer.alloc(4096, fill);

async function openJournal(path: string, appliedLsn: number) {
  const replayed: ReplayedRecord[] = [];
  const journal = await Journal.open(
    await NodeDiskDir.create(path),
    appliedLsn,
    (r) => replayed.push(r),
    SEGMENT_BYTES,
  );
  return { journal, replayed };
}

test('journal: acknowledged records replay in order after reopen', async () => {
  const path = await mkdtemp(join(tmpdir(), 'tandem-journal-'));
  dirs.push(path);
  const { journal } = await openJournal(path, 0);
  for (let i = 0; i < 10; i++) journal.appendBlock(7, i, block(i));
  journal.appendZero(7, 100, 5);
  await journal.commit();
  const { journal: again, replayed } = await openJournal(path, 0);
  assert.deepEqual(
    replayed.map((r) => r.header.lsn),
    Array.from({ length: 11 }, (_, i) => i + 1),
  );
  assert.deepEqual(replayed[3]!.payload, block(3));
  assert.equal(replayed[10]!.header.blockCount, 5);
  await journal.close();
  await again.close();
});

test('journal: a long write goes in as few BLOCKS records as chunks, batches and segments allow, and replays whole', async () => {
  const path = await mkdtemp(join(tmpdir(), 'tandem-journal-'));
  dirs.push(path);
  const { journal } = await openJournal(path, 0);
  journal.appendBlock(5, 0, block(0xee)); // the first chunk no longer starts empty
  // 3 MiB: more than a chunk (1 MiB) and a segment (1 MiB here), so records split at each edge.
  const data = randomBytes(768 * 4096);
  const seen: Array<{ blockIndex: number; lsn: number; stored: Buffer }> = [];
  journal.appendBlocks(5, 1000, data, (blockIndex, lsn, stored) => seen.push({ blockIndex, lsn, stored }));
  await journal.commit();
  assert.deepEqual(
    seen.map((s) => s.blockIndex),
    Array.from({ length: 768 }, (_, i) => 1000 + i),
  );
  for (const [i, s] of seen.entries()) assert.deepEqual(s.stored, data.subarray(i * 4096, (i + 1) * 4096));
  const lsns = [...new Set(seen.map((s) => s.lsn))];
  assert.ok(lsns.length >= 4 && lsns.length <= 6, `records: ${lsns.length}`); // ~255 blocks each
  const { journal: again, replayed } = await openJournal(path, 0);
  assert.deepEqual(
    replayed.map((r) => r.header.lsn),
    [1, ...lsns],
  );
  const runs = replayed.slice(1);
  assert.ok(runs.every((r) => r.header.type === RecordType.blocks));
  assert.deepEqual(Buffer.concat(runs.map((r) => r.payload!)), data);
  assert.equal(
    runs.reduce((sum, r) => sum + r.header.blockCount, 0),
    768,
  );
  assert.equal(runs[0]!.header.blockIndex, 1000);
  await journal.close();
  await again.close();
});

test('journal: a torn record ends replay; the log restarts past a gap and never reads the tail again', async () => {
  const path = await mkdtemp(join(tmpdir(), 'tandem-journal-'));
  dirs.push(path);
  const { journal } = await openJournal(path, 0);
  for (let i = 0; i < 10; i++) journal.appendBlock(1, i, block(i));
  await journal.commit();
  await journal.close();
  // Tear record 6 (lsn 6): records 7..10 lie behind a hole now.
  const handle = await open(join(path, 'seg-0000000001.log'), 'r+');
  await handle.write(Buffer.from('torn'), 0, 4, 5 * (RECORD_HEADER_BYTES + 4096) + RECORD_HEADER_BYTES + 10);
  await handle.close();
  const first = await openJournal(path, 0);
  assert.deepEqual(
    first.replayed.map((r) => r.header.lsn),
    [1, 2, 3, 4, 5],
  );
  assert.equal(first.journal.nextLsn, 6 + JOURNAL_RESTART_LSN_GAP);
  // What the engine does after replay: destage, record the new base, release old segments.
  const applied = first.journal.nextLsn - 1;
  await first.journal.release(applied);
  const lsn = first.journal.appendBlock(1, 99, block(99)).lsn;
  await first.journal.commit();
  await first.journal.close();
  const second = await openJournal(path, applied);
  assert.deepEqual(
    second.replayed.map((r) => r.header.lsn),
    [lsn],
  );
  assert.deepEqual(second.replayed[0]!.payload, block(99));
  await second.journal.close();
});
