// Content hashes: a whole block of one repeated byte takes a shortcut (its hash is remembered), and
// must still get exactly the sha256 every other path and every other array computes.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { contentHashOf } from '../../src/array/engine/block-store.js';
import { BLOCK_BYTES } from '../../src/constants.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

test('content hash: pattern blocks get their sha256; blocks that differ anywhere get their own', () => {
  for (const byte of [0x00, 0x01, 0xa5, 0xff]) {
    const block = Buffer.alloc(BLOCK_BYTES, byte);
    assert.deepEqual(contentHashOf(block), sha256(block), `byte ${byte}`);
    assert.deepEqual(contentHashOf(Buffer.alloc(BLOCK_BYTES, byte)), sha256(block), 'remembered');
    for (const at of [1, 2, BLOCK_BYTES / 2, BLOCK_BYTES - 2, BLOCK_BYTES - 1]) {
      const almost = Buffer.alloc(BLOCK_BYTES, byte);
      almost[at] = byte ^ 0x01;
      assert.deepEqual(contentHashOf(almost), sha256(almost), `byte ${byte}, differing at ${at}`);
    }
  }
  const short = Buffer.alloc(512, 0xa5);
  assert.deepEqual(contentHashOf(short), sha256(short), 'not a whole block');
  const random = randomBytes(BLOCK_BYTES);
  assert.deepEqual(contentHashOf(random), sha256(random));
});
