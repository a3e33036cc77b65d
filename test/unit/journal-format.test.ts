// journal: a segment written by format version 1 (test/fixtures/journal-v1, made by the first
// release of the journal) still replays record for record. A change to the on-disk format must
// keep this passing or come with a migration.

import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Journal, type ReplayedRecord } from '../../src/array/engine/journal.js';
import { RecordType } from '../../src/array/engine/journal-record.js';
import { NodeDiskDir } from '../../src/platform/disk.js';

// Compiled tests run from dist/test/unit; the fixture stays in the source tree.
const FIXTURE = resolve(import.meta.dirname, '../../../test/fixtures/journal-v1');

test('journal: a version-1 segment replays record for record', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-journal-v1-'));
  try {
    await cp(FIXTURE, dir, { recursive: true });
    const replayed: ReplayedRecord[] = [];
    const journal = await Journal.open(await NodeDiskDir.create(dir), 0, (r) => replayed.push(r), 64 * 1024);
    await journal.close();
    assert.equal(replayed.length, 6);
    for (let i = 0; i < 5; i++) {
      const { header, payload } = replayed[i]!;
      assert.deepEqual(
        { type: header.type, lsn: header.lsn, layerId: header.layerId, blockIndex: header.blockIndex },
        { type: RecordType.block, lsn: i + 1, layerId: 3, blockIndex: 100 + i },
      );
      assert.deepEqual(payload, Buffer.alloc(4096, 0x41 + i));
    }
    const zero = replayed[5]!.header;
    assert.deepEqual(
      { type: zero.type, lsn: zero.lsn, blockIndex: zero.blockIndex, blockCount: zero.blockCount },
      { type: RecordType.zero, lsn: 6, blockIndex: 1000, blockCount: 70000 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
