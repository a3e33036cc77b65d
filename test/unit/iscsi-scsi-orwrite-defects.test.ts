// ORWRITE(16) ORs the data-out into the blocks; READ DEFECT DATA (10)/(12) report empty lists.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { assertGood, assertSense, BS, be, MiB, Rig } from '../helpers/iscsi-scsi-fixture.js';

const orwrite16 = (lba: number, blocks: number, byte1 = 0) => [
  0x8b,
  byte1,
  ...be(lba, 8),
  ...be(blocks, 4),
  0,
  0,
];

test('ORWRITE(16): the data-out is ORed into the blocks, and nothing outside them changes', async () => {
  const rig = new Rig(1 * MiB);
  const before = randomBytes(16 * BS);
  await rig.write(0, before);
  const mask = randomBytes(8 * BS);
  assertGood(await rig.run(orwrite16(4, 8), mask));
  const after = await rig.read(0, 16);
  for (let i = 0; i < 16 * BS; i++) {
    const inside = i >= 4 * BS && i < 12 * BS;
    assert.equal(after[i], inside ? before[i]! | mask[i - 4 * BS]! : before[i], `byte ${i}`);
  }
  // OR twice with complementary patterns over zeroes: all ones.
  await rig.write(0, Buffer.alloc(BS));
  assertGood(await rig.run(orwrite16(0, 1), Buffer.alloc(BS, 0xa5)));
  assertGood(await rig.run(orwrite16(0, 1), Buffer.alloc(BS, 0x5a)));
  assert.deepEqual(await rig.read(0, 1), Buffer.alloc(BS, 0xff));
});

test('ORWRITE(16): zero blocks do nothing; past the end, ORPROTECT and read-only LUs are refused', async () => {
  const rig = new Rig(1 * MiB);
  assertGood(await rig.run(orwrite16(0, 0)));
  assertSense(await rig.run(orwrite16(rig.blocks - 1, 2), Buffer.alloc(2 * BS, 1)), 0x05, 0x21, 0x00);
  assertSense(await rig.run(orwrite16(0, 1, 0x20), Buffer.alloc(BS, 1)), 0x05, 0x24, 0x00);
  assert.deepEqual(await rig.read(rig.blocks - 1, 1), Buffer.alloc(BS), 'nothing written');
  const readOnly = new Rig(1 * MiB, { readOnly: true });
  assertSense(await readOnly.run(orwrite16(0, 1), Buffer.alloc(BS, 1)), 0x07, 0x27, 0x00);
});

test('READ DEFECT DATA (10) and (12): the lists asked for are valid and empty', async () => {
  const rig = new Rig();
  // REQ_PLIST, REQ_GLIST, format 5 (physical sector).
  const ten = assertGood(await rig.run([0x37, 0, 0x1d, 0, 0, 0, 0, 0, 32, 0]));
  assert.deepEqual([...ten], [0x00, 0x1d, 0x00, 0x00]);
  const twelve = assertGood(await rig.run([0xb7, 0x0c, 0, 0, 0, 0, ...be(32, 4), 0, 0]));
  assert.deepEqual([...twelve], [0x00, 0x0c, 0, 0, 0, 0, 0, 0]);
  assert.equal(
    assertGood(await rig.run([0x37, 0, 0x18, 0, 0, 0, 0, 0, 2, 0])).length,
    2,
    'allocation length',
  );
});

test('ORWRITE(16) holds its range exclusively: a WRITE in flight lands first, then the OR applies to it', async () => {
  const rig = new Rig(1 * MiB);
  const written = randomBytes(8 * BS);
  const mask = randomBytes(8 * BS);
  rig.device.holdNext(1);
  const write = rig.run([0x8a, 0, ...be(0, 8), ...be(8, 4), 0, 0], written);
  while (rig.device.heldCount === 0) await new Promise((resolve) => setImmediate(resolve));
  const orwrite = rig.run(orwrite16(0, 8), mask);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  rig.device.releaseHeld();
  assertGood(await write);
  assertGood(await orwrite);
  const expected = Buffer.alloc(8 * BS);
  for (let i = 0; i < expected.length; i++) expected[i] = written[i]! | mask[i]!;
  assert.deepEqual(await rig.read(0, 8), expected);
});
