import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { uncompressSync } from 'lz4-napi';
import { PreparePool } from '../../src/array/engine/prepare-pool.js';
import { BLOCK_BYTES } from '../../src/constants.js';
import { crc32 } from '../../src/platform/crc32.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

test('prepare pool: blocks in shared memory and ordinary ones, in one batch, come back hashed and reduced in order', async () => {
  const pool = new PreparePool(1);
  try {
    const chunk = Buffer.from(new SharedArrayBuffer(4 * BLOCK_BYTES));
    randomBytes(BLOCK_BYTES).copy(chunk, 0);
    chunk.fill('shared and compressible ', BLOCK_BYTES * 2, BLOCK_BYTES * 3);
    const blocks = [
      chunk.subarray(BLOCK_BYTES * 2, BLOCK_BYTES * 3), // shared, compressible
      Buffer.alloc(BLOCK_BYTES, 'an ordinary buffer, copied '), // copied, compressible
      chunk.subarray(0, BLOCK_BYTES), // shared, random: kept raw
      randomBytes(BLOCK_BYTES), // copied, random
    ];
    const batch = await pool.prepare(blocks);
    assert.equal(batch.blocks.length, 4);
    for (const [i, prepared] of batch.blocks.entries()) {
      assert.ok(prepared.reduced);
      assert.deepEqual(prepared.contentHash, sha256(blocks[i]!), `block ${i} hash`);
      assert.equal(prepared.storedCrc, crc32(prepared.stored));
      const raw = prepared.compressed ? uncompressSync(prepared.stored) : prepared.stored;
      assert.deepEqual(raw, blocks[i], `block ${i} bytes`);
    }
    assert.deepEqual(
      batch.blocks.map((b) => b.compressed),
      [true, true, false, false],
    );
    batch.release();
    // The same content again: only hashed this time (dedup before compression).
    const again = await pool.prepare([blocks[0]!, Buffer.from(blocks[1]!)]);
    assert.deepEqual(
      again.blocks.map((b) => [b.reduced, b.contentHash.equals(sha256(blocks[0]!))]),
      [
        [false, true],
        [false, false],
      ],
    );
  } finally {
    await pool.close();
  }
});
