import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import {
  assertGood,
  assertSense,
  BS,
  be,
  cdb6,
  cdb10,
  cdb12,
  cdb16,
  MiB,
  pattern,
  Rig,
} from '../helpers/iscsi-scsi-fixture.js';

test('scsi block: WRITE then READ round trips in the 6, 10, 12 and 16-byte forms, with DPO/FUA', async () => {
  const rig = new Rig();
  const forms = [
    { write: cdb6(0x0a, 5, 3), read: cdb6(0x08, 5, 3), lba: 5 },
    { write: cdb10(0x2a, 40, 3, 0x18), read: cdb10(0x28, 40, 3, 0x18), lba: 40 },
    { write: cdb12(0xaa, 80, 3, 0x08), read: cdb12(0xa8, 80, 3, 0x10), lba: 80 },
    { write: cdb16(0x8a, 120, 3, 0x18), read: cdb16(0x88, 120, 3, 0x08), lba: 120 },
  ];
  for (const [index, form] of forms.entries()) {
    const data = pattern(3, index);
    assertGood(await rig.run(form.write, data));
    assert.deepEqual(await rig.read(form.lba, 3), data);
    assert.deepEqual(assertGood(await rig.run(form.read)), data);
  }
});

test('scsi block: READ(6) with TRANSFER LENGTH 0 reads 256 blocks; READ(10) with 0 reads nothing', async () => {
  const rig = new Rig();
  assert.equal(assertGood(await rig.run(cdb6(0x08, 0, 0))).length, 256 * BS);
  assert.equal(assertGood(await rig.run(cdb10(0x28, 0, 0))).length, 0);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb6(0x0a, 0, 0))), 256 * BS);
});

test('scsi block: LBA + length beyond the capacity -> LBA OUT OF RANGE (no wrap at 2^64)', async () => {
  const rig = new Rig();
  const blocks = rig.blocks;
  assertGood(await rig.run(cdb10(0x28, blocks - 1, 1)));
  assertGood(await rig.run(cdb16(0x88, blocks, 0)));
  const callsBefore = rig.device.calls.length;
  for (const cdb of [
    cdb10(0x28, blocks, 1),
    cdb10(0x28, blocks - 1, 2),
    cdb10(0x28, 0xffffffff, 1),
    cdb10(0x28, blocks + 1, 0),
    cdb16(0x88, 2n ** 64n - 1n, 1),
    cdb16(0x88, 2n ** 63n, 1),
    cdb12(0xa8, 2 ** 31, 1),
    cdb6(0x08, 0x1fffff, 1),
    cdb10(0x2a, blocks, 1),
  ]) {
    assertSense(await rig.run(cdb, Buffer.alloc(BS)), 5, 0x21, 0);
  }
  assert.equal(rig.device.calls.length, callsBefore, 'nothing reached the device');
});

test('scsi block: RDPROTECT/WRPROTECT and over-limit transfers -> INVALID FIELD IN CDB', async () => {
  const rig = new Rig(64 * MiB);
  assertSense(await rig.run(cdb10(0x28, 0, 1, 0x20)), 5, 0x24, 0);
  assertSense(await rig.run(cdb16(0x8a, 0, 1, 0x40), Buffer.alloc(BS)), 5, 0x24, 0);
  const sense = assertSense(await rig.run(cdb16(0x88, 0, 65537)), 5, 0x24, 0);
  assert.equal(sense.readUInt16BE(16), 10, 'field pointer: TRANSFER LENGTH');
  assert.equal(
    rig.server.dataOutLength(Buffer.from(cdb16(0x8a, 0, 65537))),
    0,
    'refused CDBs solicit no data',
  );
});

test('scsi block: a WRITE with less data-out than TRANSFER LENGTH writes the whole blocks received', async () => {
  const rig = new Rig();
  const data = pattern(2, 9);
  assertGood(await rig.run(cdb10(0x2a, 0, 2), data.subarray(0, BS), BS));
  assert.deepEqual(await rig.read(0, 2), Buffer.concat([data.subarray(0, BS), Buffer.alloc(BS)]));
  assertGood(await rig.run(cdb10(0x2a, 4, 1), Buffer.alloc(0), 0));
  assertGood(await rig.run(cdb10(0x2a, 4, 1), Buffer.alloc(200, 1), 200));
  assert.deepEqual(await rig.read(4, 1), Buffer.alloc(BS));
  // More data-out than the CDB asks for: only TRANSFER LENGTH blocks are written.
  assertGood(await rig.run(cdb10(0x2a, 8, 1), pattern(2, 3), 2 * BS));
  assert.deepEqual(await rig.read(9, 1), Buffer.alloc(BS));
});

test('scsi block: read-only LU -> WRITE PROTECTED for every writing command; reads still work', async () => {
  const rig = new Rig(1 * MiB, { readOnly: true });
  const block = Buffer.alloc(BS, 1);
  assertGood(await rig.run(cdb10(0x28, 0, 1)));
  assertSense(await rig.run(cdb10(0x2a, 0, 1), block), 7, 0x27, 0);
  assertSense(await rig.run(cdb16(0x8e, 0, 1), block), 7, 0x27, 0);
  assertSense(await rig.run(cdb10(0x41, 0, 1), block), 7, 0x27, 0);
  assertSense(await rig.run(cdb16(0x93, 0, 1, 0x08), block), 7, 0x27, 0);
  assertSense(await rig.run([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], unmapList([[0, 1]])), 7, 0x27, 0);
  assertSense(await rig.run(cawCdb(0, 1), Buffer.alloc(2 * BS), 2 * BS), 7, 0x27, 0);
  assert.ok(rig.device.calls.every((call) => call.op === 'read'));
});

test('scsi block: engine failures map to sense (io, no-space, offline, gone; anything else is a hardware error)', async () => {
  const rig = new Rig();
  rig.device.failNext(1, 'io');
  assertSense(await rig.run(cdb10(0x28, 0, 1)), 3, 0x11, 0);
  rig.device.failNext(1, 'io');
  assertSense(await rig.run(cdb10(0x2a, 0, 1), Buffer.alloc(BS)), 3, 0x0c, 0);
  rig.device.failNext(1, 'no-space');
  assertSense(await rig.run(cdb10(0x2a, 0, 1), Buffer.alloc(BS)), 7, 0x27, 0x07);
  rig.device.failNext(1, 'offline');
  assertSense(await rig.run(cdb10(0x28, 0, 1)), 2, 0x04, 0x0c);
  rig.device.failNext(1, 'gone');
  assertSense(await rig.run(cdb10(0x28, 0, 1)), 5, 0x25, 0);
  rig.device.failNext(1, new TypeError('bug'));
  assertSense(await rig.run([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 4, 0x44, 0);
});

test('scsi block: VERIFY with BYTCHK=1 compares and reports the first differing byte; BYTCHK=0 checks range', async () => {
  const rig = new Rig();
  const data = pattern(4, 1);
  await rig.write(10, data);
  assertGood(await rig.run(cdb10(0x2f, 10, 4, 0x02), data));
  const changed = Buffer.from(data);
  changed[1000] = (changed[1000] ?? 0) ^ 0x58;
  const sense = assertSense(await rig.run(cdb16(0x8f, 10, 4, 0x02), changed), 0x0e, 0x1d, 0);
  assert.equal(sense[0], 0xf0, 'VALID');
  assert.equal(sense.readUInt32BE(3), 1000);
  assertGood(await rig.run(cdb12(0xaf, 10, 4, 0x00), changed));
  assertSense(await rig.run(cdb10(0x2f, rig.blocks, 1)), 5, 0x21, 0);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb10(0x2f, 0, 4, 0x02))), 4 * BS);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb10(0x2f, 0, 4, 0x06))), BS);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb10(0x2f, 0, 4, 0x00))), 0);
});

test('scsi block: PRE-FETCH and SYNCHRONIZE CACHE check the range; SYNCHRONIZE CACHE flushes', async () => {
  const rig = new Rig();
  assertGood(await rig.run(cdb10(0x34, 0, 1, 0x02)));
  assertSense(await rig.run(cdb16(0x90, rig.blocks + 1, 0)), 5, 0x21, 0);
  assertGood(await rig.run(cdb10(0x35, 0, 0)));
  assertGood(await rig.run(cdb16(0x91, 0, rig.blocks)));
  assertSense(await rig.run(cdb10(0x35, 0, rig.blocks + 1)), 5, 0x21, 0);
  assert.deepEqual(
    rig.device.calls.map((call) => call.op),
    ['flush', 'flush'],
  );
});

test('scsi write same: UNMAP trims whatever the block holds, a zero block without it writes zeroes, a pattern is replicated', async () => {
  const rig = new Rig();
  await rig.write(0, pattern(16, 5));
  assertGood(await rig.run(cdb16(0x93, 0, 8, 0x08), Buffer.alloc(BS), BS));
  assertGood(await rig.run(cdb10(0x41, 8, 8), Buffer.alloc(BS), BS));
  assert.deepEqual(await rig.read(0, 16), Buffer.alloc(16 * BS));
  const block = pattern(1, 77);
  assertGood(await rig.run(cdb10(0x41, 20, 5), block, BS));
  assert.deepEqual(await rig.read(20, 5), Buffer.concat([block, block, block, block, block]));
  // libiscsi's WriteSame10.UnmapUntilEnd: 0xFF data with UNMAP must read back as zeroes (LBPRZ=1).
  assertGood(await rig.run(cdb10(0x41, 22, 2, 0x08), Buffer.alloc(BS, 0xff), BS));
  assert.deepEqual(await rig.read(20, 5), Buffer.concat([block, block, Buffer.alloc(2 * BS), block]));
  const ops = rig.device.calls
    .filter((call) => call.op !== 'read')
    .map((call) => [call.op, call.offsetBytes, call.lengthBytes]);
  assert.deepEqual(ops.slice(1), [
    ['trim', 0, 8 * BS],
    ['writeZeroes', 8 * BS, 8 * BS],
    ['write', 20 * BS, 5 * BS],
    ['trim', 22 * BS, 2 * BS],
  ]);
});

test('scsi write same: NLB 0 means to the end; NDOB writes zeroes with no data-out', async () => {
  const rig = new Rig();
  assertGood(await rig.run(cdb16(0x93, rig.blocks - 10, 0, 0x08), Buffer.alloc(BS), BS));
  assert.deepEqual(rig.device.calls.at(-1), {
    op: 'trim',
    offsetBytes: (rig.blocks - 10) * BS,
    lengthBytes: 10 * BS,
  });
  assertGood(await rig.run(cdb16(0x93, 3, 2, 0x09), Buffer.alloc(0), 0));
  assert.deepEqual(rig.device.calls.at(-1), { op: 'trim', offsetBytes: 3 * BS, lengthBytes: 2 * BS });
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb16(0x93, 3, 2, 0x09))), 0);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb16(0x93, 3, 2, 0x08))), BS);
  assert.equal(rig.server.dataOutLength(Buffer.from(cdb10(0x41, 3, 2))), BS);
});

test('scsi write same: bad fields, wrong data-out size, range and the max length are refused', async () => {
  const rig = new Rig(256 * MiB);
  const block = Buffer.alloc(BS);
  assertSense(await rig.run(cdb16(0x93, 0, 1, 0x10), block, BS), 5, 0x24, 0); // ANCHOR
  assertSense(await rig.run(cdb16(0x93, 0, 1, 0x18), block, BS), 5, 0x24, 0); // ANCHOR + UNMAP
  assertSense(await rig.run(cdb10(0x41, 0, 1, 0x20), block, BS), 5, 0x24, 0); // WRPROTECT
  assertSense(await rig.run(cdb10(0x41, 0, 1, 0x08), block.subarray(0, BS / 2), BS / 2), 5, 0x1a, 0);
  assertSense(await rig.run(cdb10(0x41, 0, 1, 0x08), block, 2 * BS), 5, 0x1a, 0);
  assertSense(await rig.run(cdb16(0x93, 0, 262145), block, BS), 5, 0x24, 0);
  assertSense(await rig.run(cdb16(0x93, 0, 0), block, BS), 5, 0x24, 0); // whole 256 MiB LU > max
  assertGood(await rig.run(cdb16(0x93, rig.blocks - 262144, 0), block, BS));
  for (const lba of [BigInt(rig.blocks + 1), 2n ** 63n, 2n ** 64n - 1n]) {
    assertSense(await rig.run(cdb16(0x93, lba, 0), block, BS), 5, 0x21, 0);
  }
});

function unmapList(extents: [number | bigint, number][], descriptorBytes?: number): Buffer {
  const list = Buffer.alloc(8 + 16 * extents.length);
  list.writeUInt16BE(list.length - 2, 0);
  list.writeUInt16BE(descriptorBytes ?? 16 * extents.length, 2);
  extents.forEach(([lba, blocks], index) => {
    list.writeBigUInt64BE(BigInt(lba), 8 + 16 * index);
    list.writeUInt32BE(blocks, 16 + 16 * index);
  });
  return list;
}

const unmapCdb = (listBytes: number, byte1 = 0) => [0x42, byte1, 0, 0, 0, 0, 0, ...be(listBytes, 2), 0];

test('scsi unmap: trims every descriptor; zero-length descriptors (even at LBA == capacity) are fine', async () => {
  const rig = new Rig();
  await rig.write(0, pattern(64, 2));
  const list = unmapList([
    [0, 8],
    [32, 16],
    [rig.blocks, 0],
    [5, 0],
  ]);
  assert.equal(rig.server.dataOutLength(Buffer.from(unmapCdb(list.length))), list.length);
  assertGood(await rig.run(unmapCdb(list.length), list));
  assert.deepEqual(await rig.read(0, 8), Buffer.alloc(8 * BS));
  assert.deepEqual(await rig.read(32, 16), Buffer.alloc(16 * BS));
  assert.notDeepEqual(await rig.read(8, 1), Buffer.alloc(BS));
  assertGood(await rig.run(unmapCdb(0)));
  assertGood(await rig.run(unmapCdb(8), unmapList([])));
});

test('scsi unmap: list validation -> parameter list length error, invalid field, out of range', async () => {
  const rig = new Rig();
  assertSense(await rig.run(unmapCdb(6), Buffer.alloc(6)), 5, 0x1a, 0);
  assertSense(await rig.run(unmapCdb(24), unmapList([[0, 1]]).subarray(0, 16)), 5, 0x1a, 0);
  assertSense(await rig.run(unmapCdb(24, 0x01), unmapList([[0, 1]])), 5, 0x24, 0); // ANCHOR
  const tooMany = unmapList(Array.from({ length: 257 }, (_, index) => [index, 1] as [number, number]));
  const sense = assertSense(await rig.run(unmapCdb(tooMany.length), tooMany), 5, 0x26, 0);
  assert.equal(sense[15], 0x80, 'SKSV, C/D=0: the error is in the parameter list');
  const outside = unmapList([
    [0, 1],
    [rig.blocks - 1, 2],
  ]);
  assertSense(await rig.run(unmapCdb(outside.length), outside), 5, 0x21, 0);
  assert.equal(rig.device.calls.filter((call) => call.op === 'trim').length, 0, 'validated before trimming');
  // An incomplete trailing descriptor is ignored.
  assertGood(await rig.run(unmapCdb(24), unmapList([[0, 1]], 20)));
});

function cawCdb(lba: number | bigint, blocks: number, byte1 = 0): number[] {
  return [0x89, byte1, ...be(lba, 8), 0, 0, 0, blocks, 0, 0];
}

test('scsi compare and write: matching data is replaced; a miscompare reports the offset and writes nothing', async () => {
  const rig = new Rig();
  const old = Buffer.alloc(2 * BS, 'A');
  const replacement = Buffer.alloc(2 * BS, 'B');
  await rig.write(4, old);
  assert.equal(rig.server.dataOutLength(Buffer.from(cawCdb(4, 2))), 4 * BS);
  assertGood(await rig.run(cawCdb(4, 2, 0x18), Buffer.concat([old, replacement])));
  assert.deepEqual(await rig.read(4, 2), replacement);
  const wrongGuess = Buffer.from(replacement);
  wrongGuess[2 * BS - 27] = 'C'.charCodeAt(0);
  const sense = assertSense(await rig.run(cawCdb(4, 2), Buffer.concat([wrongGuess, old])), 0x0e, 0x1d, 0);
  assert.equal(sense[0], 0xf0);
  assert.equal(sense.readUInt32BE(3), 2 * BS - 27);
  assert.deepEqual(await rig.read(4, 2), replacement);
});

test('scsi compare and write: limits, EDTL mismatch, range, NLB 0', async () => {
  const rig = new Rig();
  // NUMBER OF LOGICAL BLOCKS is one byte: libiscsi's "256 blocks" probe arrives as NLB 0 with an
  // EDTL of 512 blocks, which must fail.
  assertSense(await rig.run([...cawCdb(0, 0)], Buffer.alloc(512 * BS)), 5, 0x24, 0);
  assertGood(await rig.run(cawCdb(0, 255), Buffer.alloc(510 * BS)));
  assertSense(await rig.run(cawCdb(0, 1), Buffer.alloc(2 * BS), 4 * BS), 5, 0x24, 0);
  assertSense(await rig.run(cawCdb(0, 3), Buffer.alloc(4 * BS), 4 * BS), 5, 0x24, 0);
  assertSense(await rig.run(cawCdb(rig.blocks, 1), Buffer.alloc(2 * BS)), 5, 0x21, 0);
  assertGood(await rig.run(cawCdb(0, 0)));
});

test('scsi compare and write: concurrent CAWs on one block serialise (exactly one of two racing wins)', async () => {
  const rig = new Rig(1 * MiB, { asyncReads: true });
  const before = Buffer.alloc(BS, 0);
  const racers = [1, 2].map((value) =>
    rig.run(cawCdb(0, 1), Buffer.concat([before, Buffer.alloc(BS, value)])),
  );
  const results = await Promise.all(racers);
  assert.deepEqual(results.map((result) => result.status).sort(), [0x00, 0x02]);
  // A WRITE queued behind a CAW on the same block lands after it.
  const now = await rig.read(0, 1);
  rig.device.holdNext(1);
  const caw = rig.run(cawCdb(0, 1), Buffer.concat([now, Buffer.alloc(BS, 9)]));
  const write = rig.run(cdb10(0x2a, 0, 1), Buffer.alloc(BS, 7));
  await new Promise((resolve) => setImmediate(resolve));
  rig.device.releaseHeld();
  assertGood(await caw);
  assertGood(await write);
  assert.deepEqual(await rig.read(0, 1), Buffer.alloc(BS, 7));
});

test('scsi server: unknown opcodes -> INVALID COMMAND OPERATION CODE; unknown service actions -> field pointer 1', async () => {
  const rig = new Rig();
  for (const opcode of [0x8c, 0x9c, 0x48, 0x1e, 0x8d, 0xc0]) {
    const cdb = Buffer.alloc(16);
    cdb[0] = opcode;
    assertSense(await rig.run(cdb), 5, 0x20, 0);
  }
  for (const cdb of [
    [0x9e, 0x13, ...Array(14).fill(0)],
    [0xa3, 0x0a, ...Array(10).fill(0)],
    [0x5e, 0x04, ...Array(8).fill(0)],
    [0x5f, 0x07, 0, 0, 0, 0, 0, 0, 24, 0],
    [0x83, 0x01, ...Array(14).fill(0)],
    [0x84, 0x04, ...Array(14).fill(0)],
  ]) {
    const sense = assertSense(await rig.run(cdb), 5, 0x24, 0);
    assert.equal((sense[15] ?? 0) & 0xc0, 0xc0);
    assert.equal(sense.readUInt16BE(16), 1);
  }
  assertSense(await rig.run([0x28, 0, 0]), 5, 0x24, 0);
  assertSense(await rig.run([]), 5, 0x20, 0);
});

test('scsi server: dataOutLength for every data-out command; 0 for the rest', () => {
  const server = createScsiDeviceServer();
  const cases: [number[], number][] = [
    [cdb6(0x0a, 0, 4), 4 * BS],
    [cdb10(0x2a, 0, 4), 4 * BS],
    [cdb12(0xaa, 0, 4), 4 * BS],
    [cdb16(0x8a, 0, 4), 4 * BS],
    [cdb10(0x2e, 0, 3, 0x02), 3 * BS],
    [cdb12(0xae, 0, 3), 3 * BS],
    [cdb16(0x8e, 0, 3), 3 * BS],
    [cdb10(0x41, 0, 100), BS],
    [cdb16(0x93, 0, 100), BS],
    [cdb16(0x93, 0, 100, 0x01), 0],
    [unmapCdb(40), 40],
    [[0x15, 0x10, 0, 0, 28, 0], 28],
    [[0x55, 0x10, 0, 0, 0, 0, 0, 0, 32, 0], 32],
    [[0x5f, 0x01, 0, 0, 0, ...be(24, 4), 0], 24],
    [cawCdb(0, 5), 10 * BS],
    [cdb10(0x28, 0, 4), 0],
    [[0x12, 0, 0, 0, 96, 0], 0],
    [[0x00, 0, 0, 0, 0, 0], 0],
    [[0xc0, 0, 0, 0, 0, 0], 0],
    [[], 0],
  ];
  for (const [cdb, expected] of cases)
    assert.equal(server.dataOutLength(Buffer.from(cdb)), expected, Buffer.from(cdb).toString('hex'));
});
