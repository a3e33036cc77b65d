import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { copyBytes } from '../../src/platform/copy-bytes.js';

test('copyBytes: copies into and out of shared memory like Buffer#copy, and refuses to overrun', () => {
  const source = randomBytes(5000);
  const shared = Buffer.from(new SharedArrayBuffer(8192));
  copyBytes(source, shared, 100);
  assert.deepEqual(shared.subarray(100, 5100), source);
  assert.deepEqual(shared.subarray(0, 100), Buffer.alloc(100), 'nothing before');
  assert.deepEqual(shared.subarray(5100), Buffer.alloc(8192 - 5100), 'nothing after');
  const plain = Buffer.alloc(6000);
  copyBytes(shared.subarray(100, 5100), plain, 1000);
  assert.deepEqual(plain.subarray(1000, 6000), source);
  copyBytes(Buffer.alloc(0), plain, 6000); // nothing to copy, even at the very end
  assert.throws(() => copyBytes(source, plain, 1001), RangeError);
  assert.throws(() => copyBytes(source, plain, -1), RangeError);
});
