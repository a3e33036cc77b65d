import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertGood,
  assertSense,
  BS,
  be,
  MiB,
  NAA,
  Rig,
  SERIAL,
  TARGET,
} from '../helpers/iscsi-scsi-fixture.js';

const inquiryCdb = (evpd: number, page: number, alloc: number) => [0x12, evpd, page, ...be(alloc, 2), 0];

test('scsi inquiry: standard data is 96 bytes of a PURE FlashArray SPC-4 disk with SBC-3 claimed', async () => {
  const rig = new Rig();
  const data = assertGood(await rig.run(inquiryCdb(0, 0, 255)));
  assert.equal(data.length, 96);
  assert.equal(data[0], 0x00);
  assert.equal(data[1], 0x00, 'not removable');
  assert.equal(data[2], 0x06, 'SPC-4');
  assert.equal(data[3], 0x12, 'HISUP, response data format 2');
  assert.equal(data[4], 91);
  assert.equal(data[5], 0x08, '3PC (EXTENDED COPY); no TPGS, no PROTECT');
  assert.equal(data[7], 0x02, 'CMDQUE');
  assert.equal(data.subarray(8, 16).toString('ascii'), 'PURE    ');
  assert.equal(data.subarray(16, 32).toString('ascii'), 'FlashArray      ');
  assert.equal(data.subarray(32, 36).toString('ascii'), '8888');
  assert.deepEqual(
    [data.readUInt16BE(58), data.readUInt16BE(60), data.readUInt16BE(62), data.readUInt16BE(64)],
    [0x00a0, 0x0460, 0x04c0, 0x0960],
  );
  for (const byte of data.subarray(8, 36)) assert.ok(byte === 0 || (byte >= 0x20 && byte <= 0x7e));
});

test('scsi inquiry: allocation length truncates (0 -> no data; 36; 511 and 512 identical)', async () => {
  const rig = new Rig();
  assert.equal(assertGood(await rig.run(inquiryCdb(0, 0, 0))).length, 0);
  assert.equal(assertGood(await rig.run(inquiryCdb(0, 0, 36))).length, 36);
  const full = assertGood(await rig.run(inquiryCdb(0, 0, 511)));
  assert.deepEqual(assertGood(await rig.run(inquiryCdb(0, 0, 512))), full);
});

test('scsi inquiry: EVPD=0 with a page code, CMDDT, unknown VPD page and NACA -> INVALID FIELD IN CDB', async () => {
  const rig = new Rig();
  const sense = assertSense(await rig.run(inquiryCdb(0, 1, 256)), 5, 0x24, 0);
  assert.equal(sense[15], 0xc0, 'SKSV, C/D');
  assert.equal(sense.readUInt16BE(16), 2, 'field pointer: PAGE CODE');
  assertSense(await rig.run(inquiryCdb(2, 0, 256)), 5, 0x24, 0);
  assertSense(await rig.run(inquiryCdb(1, 0x89, 256)), 5, 0x24, 0);
  assertSense(await rig.run([0x12, 0, 0, 0, 255, 0x04]), 5, 0x24, 0);
});

test('scsi inquiry: VPD 0x00 lists 00 80 83 8F B0 B1 B2 and every listed page reads back', async () => {
  const rig = new Rig();
  const data = assertGood(await rig.run(inquiryCdb(1, 0x00, 255)));
  assert.deepEqual([...data], [0x00, 0x00, 0x00, 7, 0x00, 0x80, 0x83, 0x8f, 0xb0, 0xb1, 0xb2]);
  for (const page of data.subarray(4)) {
    const pageData = assertGood(await rig.run(inquiryCdb(1, page, 255)));
    assert.equal(pageData[1], page);
    assert.equal(pageData.length, pageData.readUInt16BE(2) + 4);
  }
});

test('scsi inquiry: VPD 0x80 is the volume serial', async () => {
  const data = assertGood(await new Rig().run(inquiryCdb(1, 0x80, 255)));
  assert.equal(data.readUInt16BE(2), 24);
  assert.equal(data.subarray(4).toString('ascii'), SERIAL);
});

test('scsi inquiry: VPD 0x83 carries the NAA, relative port and SCSI name strings', async () => {
  const data = assertGood(await new Rig().run(inquiryCdb(1, 0x83, 1024)));
  assert.equal(data.length, data.readUInt16BE(2) + 4);
  // LU NAA IEEE Registered Extended: binary, LU association, type 3, 16 bytes.
  assert.deepEqual([...data.subarray(4, 8)], [0x01, 0x03, 0x00, 0x10]);
  assert.equal(data.subarray(8, 24).toString('hex'), NAA);
  // Target port, relative target port 1.
  assert.deepEqual([...data.subarray(24, 32)], [0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
  // Target port SCSI name string: "<iqn>,t,0x0001", NUL-terminated and padded to 4.
  assert.deepEqual([...data.subarray(32, 35)], [0x53, 0x98, 0x00]);
  const portLength = data[35] ?? 0;
  const portName = `${TARGET},t,0x0001`;
  assert.equal(portLength, Math.ceil((portName.length + 1) / 4) * 4);
  assert.equal(data.subarray(36, 36 + portName.length).toString('utf8'), portName);
  assert.ok(data.subarray(36 + portName.length, 36 + portLength).every((byte) => byte === 0));
  // Target device SCSI name string.
  const deviceAt = 36 + portLength;
  assert.deepEqual([...data.subarray(deviceAt, deviceAt + 3)], [0x53, 0xa8, 0x00]);
  assert.equal(data.subarray(deviceAt + 4, deviceAt + 4 + TARGET.length).toString('utf8'), TARGET);
  assert.equal(deviceAt + 4 + (data[deviceAt + 3] ?? 0), data.length);
});

test('scsi inquiry: VPD 0xB0 block limits is exactly 64 bytes with the advertised limits', async () => {
  const data = assertGood(await new Rig().run(inquiryCdb(1, 0xb0, 255)));
  assert.equal(data.length, 64);
  assert.equal(data.readUInt16BE(2), 0x3c);
  assert.equal(data[4], 0, 'WSNZ=0');
  assert.equal(data[5], 255, 'MAXIMUM COMPARE AND WRITE LENGTH');
  assert.equal(data.readUInt16BE(6), 8, 'OPTIMAL TRANSFER LENGTH GRANULARITY: 4 KiB');
  assert.equal(data.readUInt32BE(8), 65536, 'MAXIMUM TRANSFER LENGTH: 32 MiB');
  assert.equal(data.readUInt32BE(12), 2048, 'OPTIMAL TRANSFER LENGTH: 1 MiB');
  assert.equal(data.readUInt32BE(20), 1048576, 'MAXIMUM UNMAP LBA COUNT');
  assert.equal(data.readUInt32BE(24), 256, 'MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT');
  assert.equal(data.readUInt32BE(28), 8, 'OPTIMAL UNMAP GRANULARITY');
  assert.equal(data.readBigUInt64BE(36), 262144n, 'MAXIMUM WRITE SAME LENGTH: 128 MiB');
});

test('scsi inquiry: VPD 0xB1 says non-rotating and 0xB2 says thin with LBPU/LBPWS/LBPWS10/LBPRZ', async () => {
  const rig = new Rig();
  const b1 = assertGood(await rig.run(inquiryCdb(1, 0xb1, 255)));
  assert.equal(b1.length, 64);
  assert.equal(b1.readUInt16BE(4), 1);
  const b2 = assertGood(await rig.run(inquiryCdb(1, 0xb2, 255)));
  assert.deepEqual([...b2], [0x00, 0xb2, 0x00, 0x04, 0x00, 0xe4, 0x02, 0x00]);
});

test('scsi inquiry: a LUN without an LU answers standard INQUIRY with 0x7F and REPORT LUNS, refuses the rest', async () => {
  const rig = new Rig();
  const data = assertGood(await rig.runUnmapped(inquiryCdb(0, 0, 96)));
  assert.equal(data[0], 0x7f);
  assert.equal(data.subarray(8, 16).toString('ascii'), 'PURE    ');
  assertGood(await rig.runUnmapped([0xa0, 0, 0, 0, 0, 0, ...be(1024, 4), 0, 0]));
  assertSense(await rig.runUnmapped([0x00, 0, 0, 0, 0, 0]), 5, 0x25, 0);
  assertSense(await rig.runUnmapped([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 5, 0x25, 0);
  assertSense(await rig.runUnmapped(inquiryCdb(1, 0x83, 255)), 5, 0x25, 0);
  const sense = assertGood(await rig.runUnmapped([0x03, 0, 0, 0, 18, 0]));
  assert.deepEqual([sense[0], sense[2], sense[12], sense[13]], [0x70, 5, 0x25, 0]);
});

test('scsi capacity: READ CAPACITY(10) and (16) report the last LBA, 512-byte blocks, LBPME and LBPRZ', async () => {
  const rig = new Rig(3 * MiB);
  const rc10 = assertGood(await rig.run([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual([rc10.readUInt32BE(0), rc10.readUInt32BE(4)], [rig.blocks - 1, BS]);
  const rc16 = assertGood(await rig.run([0x9e, 0x10, ...be(0, 8), ...be(32, 4), 0, 0]));
  assert.equal(rc16.length, 32);
  assert.equal(rc16.readBigUInt64BE(0), BigInt(rig.blocks - 1));
  assert.equal(rc16.readUInt32BE(8), BS);
  assert.equal(rc16[12], 0, 'no protection');
  assert.equal(rc16[13], 0, 'LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT');
  assert.equal(rc16[14], 0xc0, 'LBPME, LBPRZ');
  for (let alloc = 0; alloc < 16; alloc++) {
    const short = assertGood(await rig.run([0x9e, 0x10, ...be(0, 8), ...be(alloc, 4), 0, 0]));
    assert.deepEqual(short, rc16.subarray(0, alloc));
  }
});

test('scsi capacity: READ CAPACITY(10) says 0xFFFFFFFF when the last LBA needs 64 bits', async () => {
  const rig = new Rig(4 * 1024 * 1024 * MiB); // 4 TiB = 2^33 blocks (sparse)
  const rc10 = assertGood(await rig.run([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(rc10.readUInt32BE(0), 0xffffffff);
  const rc16 = assertGood(await rig.run([0x9e, 0x10, ...be(0, 8), ...be(32, 4), 0, 0]));
  assert.equal(rc16.readBigUInt64BE(0), 2n ** 33n - 1n);
});

test('scsi capacity: GET LBA STATUS reports one mapped extent from the starting LBA; beyond the end -> 05/21/00', async () => {
  const rig = new Rig(1 * MiB);
  const data = assertGood(await rig.run([0x9e, 0x12, ...be(100, 8), ...be(24, 4), 0, 0]));
  assert.equal(data.length, 24);
  assert.equal(data.readUInt32BE(0), 20);
  assert.equal(data.readBigUInt64BE(8), 100n);
  assert.equal(data.readUInt32BE(16), rig.blocks - 100);
  assert.equal(data[20], 0, 'mapped');
  assertGood(await rig.run([0x9e, 0x12, ...be(rig.blocks - 1, 8), ...be(24, 4), 0, 0]));
  for (const lba of [BigInt(rig.blocks), BigInt(rig.blocks + 1), 2n ** 63n, 2n ** 64n - 1n]) {
    assertSense(await rig.run([0x9e, 0x12, ...be(lba, 8), ...be(24, 4), 0, 0]), 5, 0x21, 0);
  }
});

test('scsi capacity: a grown volume gets CAPACITY DATA HAS CHANGED once per nexus, then the new size', async () => {
  const rig = new Rig(1 * MiB);
  assertGood(await rig.run([0x00, 0, 0, 0, 0, 0]));
  Object.defineProperty(rig.device, 'sizeBytes', { value: 2 * MiB });
  assertSense(await rig.run([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 6, 0x2a, 0x09);
  const rc10 = assertGood(await rig.run([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(rc10.readUInt32BE(0), (2 * MiB) / BS - 1);
});
