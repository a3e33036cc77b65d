import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferSlab } from '../../src/platform/buffer-slab.js';

test('buffer slab: small pieces share a slab without overlapping; big ones get their own buffer', () => {
  const slab = new BufferSlab(64 * 1024, 16 * 1024);
  const pieces = Array.from({ length: 40 }, (_, i) => {
    const piece = slab.take(4096 + (i % 3));
    piece.fill(i);
    return piece;
  });
  pieces.forEach((piece, i) => {
    assert.equal(piece.length, 4096 + (i % 3));
    assert.ok(
      piece.every((byte) => byte === i),
      `piece ${i} was overwritten by a later one`,
    );
    assert.equal(piece.byteOffset % 8, 0);
  });
  // 40 pieces of about 4 KiB do not fit one 64 KiB slab: more than one slab was used.
  assert.ok(new Set(pieces.map((p) => p.buffer)).size > 1);
  const big = slab.take(16 * 1024);
  assert.equal(big.length, 16 * 1024);
  assert.ok(!pieces.some((p) => p.buffer === big.buffer));
});
