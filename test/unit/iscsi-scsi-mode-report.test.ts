import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGood, assertSense, BS, be, MiB, Rig } from '../helpers/iscsi-scsi-fixture.js';

const modeSense6 = (page: number, alloc: number, { dbd = false, pc = 0, subpage = 0 } = {}) => [
  0x1a,
  dbd ? 0x08 : 0,
  (pc << 6) | page,
  subpage,
  alloc,
  0,
];
const modeSense10 = (page: number, alloc: number, { dbd = false, llbaa = false, pc = 0 } = {}) => [
  0x5a,
  (dbd ? 0x08 : 0) | (llbaa ? 0x10 : 0),
  (pc << 6) | page,
  0,
  0,
  0,
  0,
  ...be(alloc, 2),
  0,
];

const CACHING = [0x08, 0x12, ...Array(18).fill(0)];
const CONTROL = [0x0a, 0x0a, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00];
const EXCEPTIONS = [0x1c, 0x0a, ...Array(10).fill(0)];

test('scsi mode sense(6): all pages = header, block descriptor, caching (WCE=0), control, exceptions', async () => {
  const rig = new Rig(2 * MiB);
  const data = assertGood(await rig.run(modeSense6(0x3f, 255)));
  assert.equal(data.length, 4 + 8 + 20 + 12 + 12);
  assert.deepEqual([...data.subarray(0, 4)], [data.length - 1, 0x00, 0x10, 8], 'DPOFUA, not WP');
  assert.deepEqual([...data.subarray(4, 12)], [0, 0, 0x10, 0x00, 0, 0, 0x02, 0x00], '4096 blocks of 512');
  assert.deepEqual([...data.subarray(12)], [...CACHING, ...CONTROL, ...EXCEPTIONS]);
  const noDescriptor = assertGood(await rig.run(modeSense6(0x3f, 255, { dbd: true })));
  assert.deepEqual([...noDescriptor.subarray(0, 4)], [noDescriptor.length - 1, 0, 0x10, 0]);
  assert.deepEqual(noDescriptor.subarray(4), data.subarray(12));
});

test('scsi mode sense(6): the CONTROL page alone equals the one in all pages; truncation keeps the length', async () => {
  const rig = new Rig();
  const control = assertGood(await rig.run(modeSense6(0x0a, 255, { dbd: true })));
  assert.deepEqual([...control], [3 + 12, 0, 0x10, 0, ...CONTROL]);
  const truncated = assertGood(await rig.run(modeSense6(0x3f, 4)));
  assert.equal(truncated.length, 4);
  assert.equal(truncated[0], 4 + 8 + 44 - 1);
  assert.equal(assertGood(await rig.run(modeSense6(0x3f, 0))).length, 0);
});

test('scsi mode sense: changeable values are all zero (the CONTROL page is still returned); saved -> 05/39/00', async () => {
  const rig = new Rig();
  const changeable = assertGood(await rig.run(modeSense6(0x0a, 255, { dbd: true, pc: 1 })));
  assert.deepEqual([...changeable.subarray(4)], [0x0a, 0x0a, ...Array(10).fill(0)]);
  const defaults = assertGood(await rig.run(modeSense6(0x0a, 255, { dbd: true, pc: 2 })));
  assert.deepEqual([...defaults.subarray(4)], CONTROL);
  assertSense(await rig.run(modeSense6(0x0a, 255, { pc: 3 })), 5, 0x39, 0);
  assertSense(await rig.run(modeSense6(0x19, 255)), 5, 0x24, 0);
  assertSense(await rig.run(modeSense6(0x0a, 255, { subpage: 1 })), 5, 0x24, 0);
  assertGood(await rig.run(modeSense6(0x3f, 255, { subpage: 0xff })));
});

test('scsi mode sense: WP is set for a read-only LU', async () => {
  const rig = new Rig(1 * MiB, { readOnly: true });
  const data = assertGood(await rig.run(modeSense6(0x3f, 255)));
  assert.equal(data[2], 0x90);
});

test('scsi mode sense(10): header, short and long (LLBAA) block descriptors, page 0x3F', async () => {
  const rig = new Rig(2 * MiB);
  const data = assertGood(await rig.run(modeSense10(0x3f, 1024)));
  assert.equal(data.length, 8 + 8 + 44);
  assert.equal(data.readUInt16BE(0), data.length - 2);
  assert.deepEqual([data[3], data[4], data.readUInt16BE(6)], [0x10, 0, 8]);
  assert.equal(data.readUInt32BE(8), 4096);
  assert.equal(data.readUIntBE(13, 3), BS);
  const long = assertGood(await rig.run(modeSense10(0x3f, 1024, { llbaa: true })));
  assert.deepEqual([long[4], long.readUInt16BE(6)], [0x01, 16]);
  assert.equal(long.readBigUInt64BE(8), 4096n);
  assert.equal(long.readUInt32BE(20), BS);
  assert.deepEqual(long.subarray(24), data.subarray(16));
  const control = assertGood(await rig.run(modeSense10(0x0a, 1024, { dbd: true })));
  assert.deepEqual([...control], [0, 6 + 12, 0, 0x10, 0, 0, 0, 0, ...CONTROL]);
});

test('scsi mode select: the current values are accepted, a change or a bad list is refused', async () => {
  const rig = new Rig();
  const select6 = (list: number[], flags = 0x10) =>
    rig.run([0x15, flags, 0, 0, list.length, 0], Buffer.from(list));
  assertGood(await select6([0, 0, 0, 0, ...CONTROL]));
  assertGood(await select6([0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x02, 0x00, ...CACHING]));
  assertGood(await rig.run([0x15, 0x10, 0, 0, 0, 0]));
  const wce = [...CACHING];
  wce[2] = 0x04;
  const sense = assertSense(await select6([0, 0, 0, 0, ...wce]), 5, 0x26, 0);
  assert.equal(sense.readUInt16BE(16), 6);
  assertSense(await select6([0, 0, 0, 0, 0x19, 0x02, 0, 0]), 5, 0x26, 0);
  assertSense(await select6([0, 0, 0, 0, ...CONTROL], 0x11), 5, 0x24, 0);
  assertSense(await select6([0, 0]), 5, 0x1a, 0);
  assertSense(await select6([0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x10, 0x00]), 5, 0x26, 0);
  const list10 = [0, 0, 0, 0, 0, 0, 0, 0, ...CONTROL];
  assertGood(await rig.run([0x55, 0x10, 0, 0, 0, 0, 0, 0, list10.length, 0], Buffer.from(list10)));
});

const reportLuns = (select: number, alloc: number) => [0xa0, 0, select, 0, 0, 0, ...be(alloc, 4), 0, 0];

test('scsi report luns: sorted, peripheral addressing below 256 and flat addressing above', async () => {
  const rig = new Rig();
  const data = assertGood(await rig.run(reportLuns(0, 1024)));
  assert.equal(data.readUInt32BE(0), 24);
  assert.deepEqual(
    data.subarray(8).toString('hex'),
    ['0001000000000000', '0002000000000000', '412c000000000000'].join(''),
  );
  assert.deepEqual(assertGood(await rig.run(reportLuns(2, 1024))), data);
  assert.deepEqual([...assertGood(await rig.run(reportLuns(1, 1024)))], [0, 0, 0, 0, 0, 0, 0, 0]);
  const truncated = assertGood(await rig.run(reportLuns(0, 12)));
  assert.deepEqual(truncated, data.subarray(0, 12));
  assertSense(await rig.run(reportLuns(0x10, 1024)), 5, 0x24, 0);
});

test('scsi test unit ready, start stop unit, request sense (fixed and descriptor NO SENSE)', async () => {
  const rig = new Rig();
  assertGood(await rig.run([0x00, 0, 0, 0, 0, 0]));
  assertGood(await rig.run([0x1b, 0, 0, 0, 0x01, 0]));
  const fixed = assertGood(await rig.run([0x03, 0, 0, 0, 252, 0]));
  assert.deepEqual([...fixed], [0x70, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const descriptor = assertGood(await rig.run([0x03, 1, 0, 0, 252, 0]));
  assert.deepEqual([...descriptor], [0x72, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(assertGood(await rig.run([0x03, 0, 0, 0, 8, 0])).length, 8);
});

const rsoc = (options: number, opcode = 0, serviceAction = 0, alloc = 65535) => [
  0xa3,
  0x0c,
  options,
  opcode,
  ...be(serviceAction, 2),
  ...be(alloc, 4),
  0,
  0,
];

interface Descriptor {
  opcode: number;
  serviceAction: number;
  flags: number;
  cdbLength: number;
}

function parseAll(data: Buffer, withTimeouts: boolean): Descriptor[] {
  const descriptors: Descriptor[] = [];
  let at = 4;
  assert.equal(data.readUInt32BE(0), data.length - 4);
  while (at < data.length) {
    descriptors.push({
      opcode: data[at] ?? 0,
      serviceAction: data.readUInt16BE(at + 2),
      flags: data[at + 5] ?? 0,
      cdbLength: data.readUInt16BE(at + 6),
    });
    at += 8;
    if (withTimeouts) {
      assert.equal(data.readUInt16BE(at), 0x0a);
      at += 12;
    }
  }
  return descriptors;
}

test('scsi report supported operation codes: all commands, with and without timeouts descriptors', async () => {
  const rig = new Rig();
  const plain = parseAll(assertGood(await rig.run(rsoc(0))), false);
  const timed = parseAll(assertGood(await rig.run(rsoc(0x80))), true);
  assert.equal(plain.length, timed.length);
  const keys = plain.map((d) => `${d.opcode.toString(16)}/${d.serviceAction.toString(16)}`);
  for (const key of [
    '12/0',
    '28/0',
    '2a/0',
    '41/0',
    '42/0',
    '89/0',
    '93/0',
    '9e/10',
    '9e/12',
    'a0/0',
    'a3/c',
    '16/0',
    '17/0',
    '5e/0',
    '5e/3',
    '5f/0',
    '5f/6',
    '83/0',
    '84/0',
    '84/3',
  ]) {
    assert.ok(keys.includes(key), key);
  }
  for (const descriptor of plain) {
    assert.equal(descriptor.flags & 0x02, 0, 'no CTDP without RCTD');
    const hasServiceAction = [0x9e, 0xa3, 0x5e, 0x5f, 0x83, 0x84].includes(descriptor.opcode);
    assert.equal(descriptor.flags & 0x01, hasServiceAction ? 1 : 0);
    if (!hasServiceAction) assert.equal(descriptor.serviceAction, 0);
  }
  for (const descriptor of timed) assert.equal(descriptor.flags & 0x02, 0x02);
  // Every listed command really runs (no INVALID COMMAND OPERATION CODE) and its one-command entry is sane.
  for (const descriptor of plain) {
    const options = descriptor.flags & 0x01 ? 2 : 1;
    const one = assertGood(await rig.run(rsoc(options, descriptor.opcode, descriptor.serviceAction)));
    assert.equal(one[1], 0x03, 'supported');
    assert.equal(one.readUInt16BE(2), descriptor.cdbLength);
    assert.equal(one[4], descriptor.opcode);
    assert.equal(one.length, 4 + descriptor.cdbLength);
    if (descriptor.flags & 0x01) assert.equal(one[5], descriptor.serviceAction);
    assertSense(
      await rig.run(rsoc(options === 1 ? 2 : 1, descriptor.opcode, descriptor.serviceAction)),
      5,
      0x24,
      0,
    );
    const cdb = Buffer.alloc(descriptor.cdbLength);
    cdb[0] = descriptor.opcode;
    if (descriptor.flags & 0x01) cdb[1] = descriptor.serviceAction;
    const result = await rig.run(cdb);
    if (result.sense !== undefined) assert.notEqual(result.sense[12], 0x20, descriptor.opcode.toString(16));
  }
});

test('scsi report supported operation codes: one command with timeouts, DPO/FUA in READ(10), unsupported', async () => {
  const rig = new Rig();
  const read10 = assertGood(await rig.run(rsoc(0x81, 0x28)));
  assert.equal(read10[1], 0x83, 'CTDP, supported');
  assert.deepEqual([...read10.subarray(4, 14)], [0x28, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x04]);
  assert.equal(read10.readUInt16BE(14), 0x0a);
  assert.equal(read10.length, 4 + 10 + 12);
  assert.ok((read10[5] ?? 0) & 0x18);
  assert.deepEqual([...assertGood(await rig.run(rsoc(1, 0x8c)))], [0, 0x01, 0, 0]);
  assert.deepEqual([...assertGood(await rig.run(rsoc(2, 0x9e, 0x1f)))], [0, 0x01, 0, 0]);
  assert.equal(assertGood(await rig.run(rsoc(3, 0x9e, 0x10)))[1], 0x03);
  assert.equal(assertGood(await rig.run(rsoc(3, 0x28)))[1], 0x03);
  assertSense(await rig.run(rsoc(5)), 5, 0x24, 0);
  assert.equal(assertGood(await rig.run(rsoc(0, 0, 0, 16))).length, 16);
});
