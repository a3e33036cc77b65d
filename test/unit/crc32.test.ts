import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { CrcConcatenation, crc32 } from '../../src/platform/crc32.js';

test('crc32 gives zlib values, also when continued', () => {
  const data = randomBytes(10_000);
  assert.equal(crc32(data), zlibCrc32(data));
  assert.equal(crc32(data.subarray(4000), crc32(data.subarray(0, 4000))), zlibCrc32(data));
  assert.equal(crc32(Buffer.alloc(0)), 0);
});

test('CrcConcatenation: the CRC of pieces end to end, from their own CRCs', () => {
  for (const pieceBytes of [1, 7, 512, 4096]) {
    const concatenation = new CrcConcatenation(pieceBytes);
    const pieces = Array.from({ length: 9 }, () => randomBytes(pieceBytes));
    let combined = crc32(pieces[0]!);
    for (const piece of pieces.slice(1)) combined = concatenation.append(combined, crc32(piece));
    assert.equal(combined, zlibCrc32(Buffer.concat(pieces)), `pieces of ${pieceBytes} bytes`);
  }
});

test('CrcConcatenation: one changed byte in any piece changes the combined CRC', () => {
  const concatenation = new CrcConcatenation(4096);
  const run = randomBytes(4096 * 16);
  const pieceCrcs = Array.from({ length: 16 }, (_, i) => crc32(run.subarray(i * 4096, (i + 1) * 4096)));
  const expected = pieceCrcs.slice(1).reduce((acc, c) => concatenation.append(acc, c), pieceCrcs[0]!);
  assert.equal(crc32(run), expected);
  for (const at of [0, 4095, 4096 * 7 + 100, run.length - 1]) {
    const damaged = Buffer.from(run);
    damaged[at]! ^= 0x10;
    assert.notEqual(crc32(damaged), expected, `byte ${at}`);
  }
});
