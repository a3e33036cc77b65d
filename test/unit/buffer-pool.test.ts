import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from '../../src/platform/buffer-pool.js';

test('buffer pool: a buffer given back is handed out again, by power-of-two size class', () => {
  const pool = new BufferPool(64 * 1024, 8 * 1024 * 1024);
  const first = pool.take(1024 * 1024);
  assert.equal(first.length, 1024 * 1024);
  pool.give(first);
  const again = pool.take(768 * 1024); // same 1 MiB class
  assert.equal(again.buffer, first.buffer);
  assert.equal(again.length, 768 * 1024);
  const other = pool.take(1024 * 1024); // the class is empty now: a new buffer
  assert.notEqual(other.buffer, first.buffer);
});

test('buffer pool: a buffer given twice is handed out once; foreign buffers are not taken', () => {
  const pool = new BufferPool(64 * 1024, 8 * 1024 * 1024);
  const buffer = pool.take(128 * 1024);
  pool.give(buffer);
  pool.give(buffer);
  const a = pool.take(128 * 1024);
  const b = pool.take(128 * 1024);
  assert.equal(a.buffer, buffer.buffer);
  assert.notEqual(b.buffer, buffer.buffer, 'two readers must never share one buffer');
  const slice = Buffer.allocUnsafeSlow(256 * 1024).subarray(4096);
  pool.give(slice); // not at the start of its memory
  pool.give(Buffer.alloc(100 * 1024)); // not a size class
  assert.notEqual(pool.take(128 * 1024).buffer, slice.buffer);
});

test('buffer pool: keeps at most maxPooledBytes', () => {
  const pool = new BufferPool(64 * 1024, 128 * 1024);
  const buffers = [pool.take(64 * 1024), pool.take(64 * 1024), pool.take(64 * 1024)];
  for (const buffer of buffers) pool.give(buffer);
  const reused = [pool.take(64 * 1024), pool.take(64 * 1024), pool.take(64 * 1024)].filter((b) =>
    buffers.some((old) => old.buffer === b.buffer),
  );
  assert.equal(reused.length, 2);
});

test('buffer pool: buffers lie in shared memory; only those are taken back', () => {
  const pool = new BufferPool(4096, 8 * 1024 * 1024);
  const first = pool.take(64 * 1024);
  assert.ok(first.buffer instanceof SharedArrayBuffer);
  pool.give(first);
  assert.equal(pool.take(64 * 1024).buffer, first.buffer);
  pool.give(Buffer.from(Buffer.allocUnsafeSlow(64 * 1024).buffer)); // not shared: not pooled
  assert.ok(pool.take(64 * 1024).buffer instanceof SharedArrayBuffer);
});
