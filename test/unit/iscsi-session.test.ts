// Full feature phase in-process (IscsiConnection without sockets, fake SCSI over a memory
// device): immediate, unsolicited and R2T-solicited writes, Data-In splitting and residuals,
// NOP, the CmdSN window, task management, logout, text, MC/S and bad PDUs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Opcode, type Pdu, RESERVED_TAG } from '../../src/array/iscsi/pdu.js';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import { decodeText, encodeText } from '../../src/array/iscsi/text.js';
import {
  INITIATOR_IQN,
  read10,
  TEST_UNIT_READY,
  TestTarget,
  write10,
} from '../helpers/iscsi-test-initiator.js';
import { MemoryDevice, TEST_TARGET_IQN } from '../helpers/iscsi-transport-fakes.js';

const BLOCK = 512;

function setup(keys: [string, string][] = []) {
  const t = new TestTarget();
  const device = new MemoryDevice('v1', 1 << 20);
  t.catalog.addHost(INITIATOR_IQN, 'host-1', new Map([[0, device]]));
  const c = t.connect();
  const login = c.loginNormal(keys);
  assert.equal(login.status, 0);
  c.expStatSN = login.statSN + 1;
  return { t, c, device, login };
}

function only<O extends Pdu['opcode']>(pdus: Pdu[], opcode: O): Extract<Pdu, { opcode: O }> {
  assert.equal(pdus.length, 1, `one PDU expected, got ${pdus.map((p) => p.opcode.toString(16)).join(',')}`);
  assert.equal(pdus[0]!.opcode, opcode);
  return pdus[0] as Extract<Pdu, { opcode: O }>;
}

const pattern = (bytes: number, seed: number) =>
  Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7 + seed) & 0xff));

test('session: write with immediate data, read back with status in the last Data-In', async () => {
  const { c, device } = setup();
  const data = pattern(2 * BLOCK, 1);
  c.scsi(write10(4, 2), { write: true, expectedLength: data.length, data });
  const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(response.fields.status, 0);
  assert.equal(response.fields.underflow || response.fields.overflow, false);
  assert.deepEqual(await device.read(4 * BLOCK, data.length), data);
  c.scsi(read10(4, 2), { read: true, expectedLength: data.length });
  const dataIn = only(await c.settle(), Opcode.DATA_IN);
  assert.equal(dataIn.fields.statusPresent, true);
  assert.equal(dataIn.fields.final, true);
  assert.equal(dataIn.fields.statSN, response.fields.statSN + 1, 'StatSN advances per status');
  assert.deepEqual(dataIn.data, data);
});

test('session: a data-out buffer is reused only after its write settled, and only if the device lets go of it', async () => {
  const run = async (reuseWrites: boolean | undefined, hold: boolean) => {
    const t = new TestTarget(createScsiDeviceServer()); // the real one: it writes dataOut itself
    const device = new MemoryDevice('v1', 1 << 20, reuseWrites === undefined ? {} : { reuseWrites });
    t.catalog.addHost(INITIATOR_IQN, 'host-1', new Map([[0, device]]));
    const c = t.connect();
    const login = c.loginNormal();
    assert.equal(login.status, 0);
    c.expStatSN = login.statSN + 1;
    const blocks = 16; // 8 KiB: data-out of a block or more comes from the target's pool
    const write = (lba: number, seed: number) => {
      const data = pattern(blocks * BLOCK, seed);
      c.scsi(write10(lba, blocks), { write: true, expectedLength: data.length, data });
    };
    if (hold) device.holdNext(1);
    write(0, 1);
    write(blocks, 2); // with the first held, a buffer of its own
    assert.equal((await c.settle()).length, hold ? 1 : 2);
    device.releaseHeld();
    if (hold) assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
    write(2 * blocks, 3);
    assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
    for (const seed of [1, 2, 3])
      assert.deepEqual(
        await device.read((seed - 1) * blocks * BLOCK, blocks * BLOCK),
        pattern(blocks * BLOCK, seed),
      );
    return device.writtenBuffers;
  };
  const [first, second, third] = await run(true, true);
  assert.notEqual(first, second, 'a buffer in use by a pending write is not handed out again');
  assert.ok(third === first || third === second, 'a settled write buffer is reused');
  for (const reuseWrites of [undefined, false])
    assert.equal(
      new Set(await run(reuseWrites, false)).size,
      3,
      `fresh buffers with reuseWrites ${reuseWrites}`,
    );
});

test('session: the data-out budget counts the pooled buffers as allocated (rounded up to a power of two)', async () => {
  const { c } = setup([
    ['ImmediateData', 'No'],
    ['InitialR2T', 'Yes'],
  ]);
  // 2 049 blocks: 1 MiB and 512 bytes of data-out, held in a 2 MiB buffer. 64 of them fill the
  // session's 128 MiB; the 65th is refused (without the rounding, 128 would fit).
  const blocks = 2049;
  for (let i = 0; i < 64; i++) c.scsi(write10(0, blocks), { write: true, expectedLength: blocks * BLOCK });
  const r2ts = c.take();
  assert.equal(r2ts.length, 64);
  assert.ok(r2ts.every((pdu) => pdu.opcode === Opcode.R2T));
  c.scsi(write10(0, blocks), { write: true, expectedLength: blocks * BLOCK });
  const refused = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(refused.fields.status, 0x28, 'TASK SET FULL');
});

test('session: R2T sequence honours MaxBurstLength, MaxOutstandingR2T=1 and DataSN per burst', async () => {
  const { c, device } = setup([
    ['ImmediateData', 'No'],
    ['InitialR2T', 'Yes'],
    ['MaxBurstLength', '4096'],
    ['MaxOutstandingR2T', '1'],
  ]);
  const data = pattern(16 * BLOCK, 3);
  const itt = c.scsi(write10(0, 16), { write: true, expectedLength: data.length });
  let r2t = only(c.take(), Opcode.R2T);
  assert.deepEqual([r2t.fields.r2tSN, r2t.fields.bufferOffset, r2t.fields.desiredLength], [0, 0, 4096]);
  c.dataOut(itt, r2t.fields.ttt, 0, 0, data.subarray(0, 2048), false);
  assert.equal(c.take().length, 0, 'no second R2T before the burst ends');
  c.dataOut(itt, r2t.fields.ttt, 1, 2048, data.subarray(2048, 4096), true);
  r2t = only(c.take(), Opcode.R2T);
  assert.deepEqual([r2t.fields.r2tSN, r2t.fields.bufferOffset, r2t.fields.desiredLength], [1, 4096, 4096]);
  c.dataOut(itt, r2t.fields.ttt, 0, 4096, data.subarray(4096), true);
  const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(response.fields.status, 0);
  assert.equal(response.fields.expDataSN, 2, 'two R2Ts');
  assert.deepEqual(await device.read(0, data.length), data);
});

test('session: immediate + unsolicited Data-Out up to FirstBurstLength, then R2T for the rest', async () => {
  const { c, device } = setup([
    ['InitialR2T', 'No'],
    ['FirstBurstLength', '4096'],
    ['MaxBurstLength', '65536'],
  ]);
  const data = pattern(16 * BLOCK, 5);
  const itt = c.scsi(write10(8, 16), {
    write: true,
    final: false,
    expectedLength: data.length,
    data: data.subarray(0, 1024),
  });
  assert.equal(c.take().length, 0, 'no R2T while unsolicited data may come');
  c.dataOut(itt, RESERVED_TAG, 0, 1024, data.subarray(1024, 4096), true);
  const r2t = only(c.take(), Opcode.R2T);
  assert.deepEqual([r2t.fields.bufferOffset, r2t.fields.desiredLength], [4096, 4096]);
  c.dataOut(itt, r2t.fields.ttt, 0, 4096, data.subarray(4096), true);
  assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
  assert.deepEqual(await device.read(8 * BLOCK, data.length), data);
});

test('session: a Data-Out with a wrong DataSN or offset fails the command (CHECK CONDITION)', async () => {
  for (const bad of ['datasn', 'offset'] as const) {
    const { c, t } = setup([
      ['ImmediateData', 'No'],
      ['MaxBurstLength', '4096'],
    ]);
    const itt = c.scsi(write10(0, 8), { write: true, expectedLength: 4096 });
    const r2t = only(c.take(), Opcode.R2T);
    c.dataOut(itt, r2t.fields.ttt, 0, 0, Buffer.alloc(1024), false);
    if (bad === 'datasn') c.dataOut(itt, r2t.fields.ttt, 5, 1024, Buffer.alloc(1024), false);
    else c.dataOut(itt, r2t.fields.ttt, 1, 2048, Buffer.alloc(1024), false);
    const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
    assert.equal(response.fields.status, 0x02);
    assert.equal(response.data.readUInt16BE(0), 18, 'sense length prefix');
    assert.equal(response.data[2 + 2], 0x0b, 'ABORTED COMMAND');
    c.dataOut(itt, r2t.fields.ttt, 2, 3072, Buffer.alloc(1024), true);
    assert.equal((await c.settle()).length, 0, 'later Data-Out of the failed task is dropped');
    assert.equal(t.fake.executed.length, 0, 'never executed');
  }
});

test('session: CRC32C header and data digests both ways once login has ended', async () => {
  const { c, device } = setup([
    ['HeaderDigest', 'CRC32C'],
    ['DataDigest', 'CRC32C'],
  ]);
  c.useDigests(true, true);
  const data = pattern(3 * BLOCK + 0, 5);
  c.scsi(write10(8, 3), { write: true, expectedLength: data.length, data });
  assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
  assert.deepEqual(await device.read(8 * BLOCK, data.length), data);
  c.scsi(read10(8, 3), { read: true, expectedLength: data.length });
  const dataIn = only(await c.settle(), Opcode.DATA_IN);
  assert.deepEqual(dataIn.data, data);
  const itt = c.nop(Buffer.from('odd length'));
  assert.equal(only(c.take(), Opcode.NOP_IN).fields.itt, itt);
  assert.equal(c.digestErrors, 0, 'every digest of the target matches');
  assert.equal(c.closedReason, null);
});

test('session: a bad header digest closes the connection (the lengths cannot be trusted)', () => {
  const { c } = setup([['HeaderDigest', 'CRC32C']]);
  c.useDigests(true, false);
  c.corruptNext = 'header';
  c.scsi(TEST_UNIT_READY);
  assert.equal(c.closedReason, 'frame-invalid');
});

test('session: a bad data digest is rejected; its write ends in CHECK CONDITION, PROTOCOL SERVICE CRC ERROR', async () => {
  const { c, device } = setup([['DataDigest', 'CRC32C']]);
  c.useDigests(false, true);
  const crcSense = (response: Extract<Pdu, { opcode: typeof Opcode.SCSI_RESPONSE }>) => {
    const sense = response.data.subarray(2);
    return [response.fields.status, sense[2]! & 0x0f, sense[12], sense[13]];
  };
  const data = pattern(4 * BLOCK, 9);
  // Immediate data with a bad digest: Reject; the command goes on and ends once its data is in.
  c.corruptNext = 'data';
  const first = c.scsi(write10(0, 4), {
    write: true,
    expectedLength: data.length,
    data: data.subarray(0, 1024),
  });
  let out = c.take();
  assert.deepEqual(
    out.map((p) => p.opcode),
    [Opcode.REJECT, Opcode.R2T],
  );
  assert.equal(out[0]!.opcode === Opcode.REJECT && out[0]!.fields.reason, 0x02, 'Data Digest Error');
  let r2t = out[1]!.opcode === Opcode.R2T ? out[1]! : assert.fail('R2T');
  c.dataOut(first, r2t.fields.ttt, 0, 1024, data.subarray(1024), true);
  let response = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.deepEqual(crcSense(response), [0x02, 0x0b, 0x47, 0x05]);
  assert.deepEqual(await device.read(0, data.length), Buffer.alloc(data.length), 'nothing written');
  // A Data-Out with a bad digest: the same.
  const second = c.scsi(write10(0, 4), {
    write: true,
    expectedLength: data.length,
    data: data.subarray(0, 1024),
  });
  r2t = only(c.take(), Opcode.R2T);
  c.corruptNext = 'data';
  c.dataOut(second, r2t.fields.ttt, 0, 1024, data.subarray(1024), true);
  out = await c.settle();
  assert.deepEqual(
    out.map((p) => p.opcode),
    [Opcode.REJECT, Opcode.SCSI_RESPONSE],
  );
  response = out[1]!.opcode === Opcode.SCSI_RESPONSE ? out[1]! : assert.fail('response');
  assert.deepEqual(crcSense(response), [0x02, 0x0b, 0x47, 0x05]);
  assert.deepEqual(await device.read(0, data.length), Buffer.alloc(data.length), 'still nothing written');
  // A NOP-Out with a bad digest is rejected and not answered.
  c.corruptNext = 'data';
  c.nop(Buffer.from('ping'), true);
  assert.deepEqual(
    c.take().map((p) => p.opcode),
    [Opcode.REJECT],
  );
  // The connection lives on, and a good write goes through.
  c.scsi(write10(0, 4), { write: true, expectedLength: data.length, data });
  assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
  assert.deepEqual(await device.read(0, data.length), data);
  assert.equal(c.closedReason, null);
});

test('session: Data-In cut to the initiator MaxRecvDataSegmentLength, F at MaxBurstLength, DataSN counts', async () => {
  const { c } = setup([
    ['MaxRecvDataSegmentLength', '512'],
    ['MaxBurstLength', '1024'],
  ]);
  c.scsi(read10(0, 4), { read: true, expectedLength: 4 * BLOCK });
  const pdus = await c.settle();
  assert.equal(pdus.length, 4);
  pdus.forEach((p, i) => {
    assert.equal(p.opcode, Opcode.DATA_IN);
    if (p.opcode !== Opcode.DATA_IN) return;
    assert.equal(p.fields.dataSN, i);
    assert.equal(p.fields.bufferOffset, i * 512);
    assert.equal(p.data.length, 512);
    assert.equal(p.fields.final, i % 2 === 1, 'F closes each 1024-byte burst');
    assert.equal(p.fields.statusPresent, i === 3);
  });
});

test('session: residuals (read and write, overflow and underflow)', async () => {
  const { c } = setup();
  c.scsi(read10(0, 1), { read: true, expectedLength: 200 });
  const short = only(await c.settle(), Opcode.DATA_IN);
  assert.equal(short.data.length, 200);
  assert.deepEqual([short.fields.overflow, short.fields.residual], [true, 312]);
  c.scsi(read10(0, 1), { read: true, expectedLength: 10000 });
  const long = only(await c.settle(), Opcode.DATA_IN);
  assert.equal(long.data.length, 512);
  assert.deepEqual([long.fields.underflow, long.fields.residual], [true, 9488]);
  c.scsi(read10(0, 1), { read: true, expectedLength: 0 });
  const none = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.deepEqual([none.fields.overflow, none.fields.residual], [true, 512]);
  c.scsi(write10(0, 1), { write: true, expectedLength: 0 });
  const w0 = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.deepEqual([w0.fields.status, w0.fields.overflow, w0.fields.residual], [0, true, 512]);
  c.scsi(write10(0, 1), { write: true, expectedLength: 1024, data: Buffer.alloc(1024) });
  const w2 = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.deepEqual([w2.fields.underflow, w2.fields.residual], [true, 512]);
});

test('session: NOP-Out ping consumes a CmdSN and is echoed; a NOP-Out answering us gets nothing', async () => {
  const { c, login } = setup();
  const itt = c.nop(Buffer.from('hello'));
  const nopIn = only(c.take(), Opcode.NOP_IN);
  assert.equal(nopIn.fields.itt, itt);
  assert.equal(nopIn.fields.ttt, RESERVED_TAG);
  assert.equal(nopIn.data.toString(), 'hello');
  assert.equal(nopIn.fields.expCmdSN, login.expCmdSN + 1);
  c.send(Opcode.NOP_OUT, {
    immediate: true,
    itt: RESERVED_TAG,
    lun: 0,
    ttt: 5,
    cmdSN: c.cmdSN,
    expStatSN: 0,
  });
  assert.equal(c.take().length, 0);
});

test('session: a quiet connection gets a NOP-In ping; answered it stays, unanswered it closes', async () => {
  let now = 0;
  const t = new TestTarget(createScsiDeviceServer());
  t.catalog.addHost(INITIATOR_IQN, 'host-1', new Map([[0, new MemoryDevice('v1', 1 << 20)]]));
  const c = t.connect({ keepalive: { intervalMs: 1000, responseTimeoutMs: 2000 }, clock: () => now });
  const login = c.loginNormal();
  c.expStatSN = login.statSN + 1;
  now = 900;
  c.scsi(TEST_UNIT_READY); // input: the quiet period starts again
  assert.equal((await c.settle()).length, 1);
  now = 1500;
  c.connection.keepaliveTick();
  assert.equal(c.take().length, 0, 'not quiet long enough');
  now = 1900;
  c.connection.keepaliveTick();
  const ping = only(c.take(), Opcode.NOP_IN);
  assert.equal(ping.fields.itt, RESERVED_TAG);
  assert.notEqual(ping.fields.ttt, RESERVED_TAG, 'an answer is wanted');
  assert.equal(ping.fields.lun, 0);
  c.scsi(TEST_UNIT_READY);
  const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(response.fields.statSN, ping.fields.statSN, 'the ping does not advance StatSN');
  now = 2500;
  c.send(Opcode.NOP_OUT, {
    immediate: true,
    itt: RESERVED_TAG,
    lun: 0,
    ttt: ping.fields.ttt,
    cmdSN: c.cmdSN,
    expStatSN: 0,
  });
  assert.equal(c.take().length, 0, 'the answer gets no reply');
  now = 5000;
  c.connection.keepaliveTick();
  assert.equal(c.closedReason, null, 'answered in time');
  const second = only(c.take(), Opcode.NOP_IN);
  assert.notEqual(second.fields.ttt, ping.fields.ttt);
  now = 6000; // an answer to some other ping does not count
  c.send(Opcode.NOP_OUT, {
    immediate: true,
    itt: RESERVED_TAG,
    lun: 0,
    ttt: second.fields.ttt + 1,
    cmdSN: c.cmdSN,
    expStatSN: 0,
  });
  now = 6999;
  c.connection.keepaliveTick();
  assert.equal(c.closedReason, null);
  now = 7000;
  c.connection.keepaliveTick();
  assert.equal(c.closedReason, 'nop-timeout');
});

test('session: CmdSN outside the window is dropped silently; later ones wait for the gap', async () => {
  const { c, login } = setup();
  c.scsi(TEST_UNIT_READY, { cmdSN: login.maxCmdSN + 1 });
  c.scsi(TEST_UNIT_READY, { cmdSN: login.expCmdSN - 1 });
  assert.equal((await c.settle()).length, 0);
  assert.equal(c.connection.phase, 'full-feature');
  const first = c.cmdSN;
  const later = c.scsi(TEST_UNIT_READY, { cmdSN: first + 1 });
  assert.equal((await c.settle()).length, 0, `held until CmdSN ${first} arrives`);
  const earlier = c.scsi(TEST_UNIT_READY, { cmdSN: first });
  const answers = await c.settle();
  assert.deepEqual(
    answers.map((p) => (p.fields as { itt: number }).itt),
    [earlier, later],
  );
  const last = answers[1]!;
  assert.ok(last.opcode === Opcode.SCSI_RESPONSE);
  assert.equal(last.fields.expCmdSN, first + 2);
  assert.equal(last.fields.maxCmdSN - last.fields.expCmdSN + 1, 128, 'the window reopens as tasks finish');
});

test('session: ABORT TASK removes a running task without a response; unknown tag -> 1; LUN RESET', async () => {
  const { c, t } = setup();
  let release = () => {};
  t.fake.gate = new Promise((resolve) => {
    release = resolve;
  });
  const itt = c.scsi(TEST_UNIT_READY);
  await c.settle();
  const tmf = (func: number, referencedTag: number) => {
    c.send(Opcode.TASK_MGMT, {
      immediate: true,
      itt: c.itt++,
      func,
      lun: 0,
      referencedTag,
      cmdSN: c.cmdSN,
      expStatSN: c.expStatSN,
      refCmdSN: 0,
      expDataSN: 0,
    });
    return only(c.take(), Opcode.TASK_MGMT_RESPONSE).fields.response;
  };
  assert.equal(tmf(1, itt), 0);
  release();
  assert.equal((await c.settle()).length, 0, 'no SCSI Response for the aborted task');
  assert.equal(tmf(1, 999), 1);
  assert.equal(tmf(5, RESERVED_TAG), 0);
  assert.deepEqual(t.fake.resets, [0]);
  assert.equal(tmf(8, RESERVED_TAG), 4, 'TASK REASSIGN not supported at ERL 0');
});

test('session: logout (reason 0) answers then closes; the session is gone', () => {
  const { c, t } = setup();
  c.send(Opcode.LOGOUT, {
    immediate: true,
    itt: 77,
    reason: 0,
    cid: 0,
    cmdSN: c.cmdSN,
    expStatSN: c.expStatSN,
  });
  const response = only(c.take(), Opcode.LOGOUT_RESPONSE);
  assert.equal(response.fields.response, 0);
  assert.equal(c.closedReason, 'logout');
  assert.equal(t.target.sessionCount, 0);
});

test('session: discovery SendTargets=All answers our target and portal; SCSI commands are rejected', () => {
  const t = new TestTarget();
  const c = t.connect();
  const [loginPdu] = c.login({}, [
    ['InitiatorName', 'iqn.anyone'],
    ['SessionType', 'Discovery'],
  ]);
  assert.ok(loginPdu?.opcode === Opcode.LOGIN_RESPONSE && loginPdu.fields.status === 0);
  c.send(
    Opcode.TEXT,
    { immediate: true, itt: 5, final: true, cont: false, lun: 0, ttt: RESERVED_TAG, cmdSN: 1, expStatSN: 2 },
    encodeText([['SendTargets', 'All']]),
  );
  const text = only(c.take(), Opcode.TEXT_RESPONSE);
  assert.equal(text.fields.final, true);
  assert.deepEqual(decodeText(text.data), [
    ['TargetName', TEST_TARGET_IQN],
    ['TargetAddress', '127.0.0.1:3260,1'],
  ]);
  c.scsi(TEST_UNIT_READY);
  const reject = only(c.take(), Opcode.REJECT);
  assert.equal(reject.fields.reason, 0x04);
  assert.equal(reject.data.length, 48, 'the rejected BHS');
});

test('session: SNACK and vendor opcodes are rejected; a Login Request in full feature phase too', () => {
  const { c } = setup();
  c.send(Opcode.SNACK, { itt: 1, type: 0, lun: 0, ttt: 0, expStatSN: 0, begRun: 0, runLength: 0 });
  assert.equal(only(c.take(), Opcode.REJECT).fields.reason, 0x04);
  const vendor = Buffer.alloc(48);
  vendor[0] = 0x1c;
  c.feed(vendor);
  const reject = only(c.take(), Opcode.REJECT);
  assert.equal(reject.fields.reason, 0x05);
  assert.equal(reject.data[0], 0x1c);
  assert.equal(c.connection.phase, 'full-feature');
});

test('session: a malformed PDU closes only its connection; other sessions carry on', async () => {
  const { c, t } = setup();
  const other = t.connect();
  other.loginNormal([], { isid: '400001370001' });
  const junk = Buffer.alloc(48, 0xff);
  junk[0] = 0x3f;
  other.feed(junk);
  assert.equal(other.closedReason, 'frame-invalid');
  assert.equal(t.target.sessionCount, 1);
  c.scsi(TEST_UNIT_READY);
  assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
});

test('session: anything but a Login Request before login closes the connection', () => {
  const t = new TestTarget();
  const c = t.connect();
  c.scsi(TEST_UNIT_READY);
  assert.equal(c.closedReason, 'login-protocol-error');
});

test('MC/S: a second connection joins with the TSIH; responses stay on the carrying connection', async () => {
  const { c, t, login } = setup([['MaxConnections', '2']]);
  const second = t.connect();
  const joined = second.loginNormal([], { tsih: login.tsih, cid: 1 });
  assert.equal(joined.status, 0);
  assert.equal(joined.tsih, login.tsih);
  second.cmdSN = c.cmdSN;
  const itt = second.scsi(TEST_UNIT_READY);
  c.cmdSN = second.cmdSN;
  assert.equal((await c.settle()).length, 0, 'nothing on the first connection');
  const response = only(await second.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(response.fields.itt, itt);
  assert.equal(response.fields.expCmdSN, c.cmdSN, 'CmdSN is session-wide');
  // One connection more than MaxConnections=2 -> 0x0206.
  const third = t.connect();
  assert.equal(third.loginNormal([], { tsih: login.tsih, cid: 2 }).status, 0x0206);
  // Logout of the second connection only (reason 1).
  second.send(Opcode.LOGOUT, { immediate: true, itt: 9, reason: 1, cid: 1, cmdSN: c.cmdSN, expStatSN: 0 });
  assert.equal(only(second.take(), Opcode.LOGOUT_RESPONSE).fields.response, 0);
  assert.equal(second.closedReason, 'logout');
  assert.equal(c.closedReason, null);
  c.scsi(TEST_UNIT_READY);
  assert.equal(only(await c.settle(), Opcode.SCSI_RESPONSE).fields.status, 0);
});

test('session: unmapped LUN reaches the SCSI layer with no unit; every opened unit is closed', async () => {
  const { c, t, device } = setup();
  c.scsi(TEST_UNIT_READY, { lun: 3 });
  const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
  assert.equal(response.fields.status, 0x02);
  assert.equal(t.fake.executed[0]?.unit, null);
  c.scsi(TEST_UNIT_READY);
  await c.settle();
  assert.equal(device.closeCount, t.catalog.opened);
});

test('session: LUN and target reset -> 06/29/03 once on each session of the initiator, the resetting one too', async () => {
  const t = new TestTarget(createScsiDeviceServer());
  const device = new MemoryDevice('v1', 1 << 20);
  t.catalog.addHost(INITIATOR_IQN, 'host-1', new Map([[0, device]]));
  const paths = ['400001370000', '400001370001'].map((isid) => {
    const c = t.connect();
    const login = c.loginNormal([], { isid });
    assert.equal(login.status, 0);
    c.expStatSN = login.statSN + 1;
    return c;
  });
  const tur = async (c: (typeof paths)[number]) => {
    c.scsi(TEST_UNIT_READY);
    const response = only(await c.settle(), Opcode.SCSI_RESPONSE);
    if (response.fields.status === 0) return 'good';
    assert.equal(response.fields.status, 0x02);
    const sense = response.data.subarray(2);
    return `${sense[2]! & 0x0f}/${sense[12]!.toString(16)}/${sense[13]}`;
  };
  const tmf = (c: (typeof paths)[number], func: number) => {
    c.send(Opcode.TASK_MGMT, {
      immediate: true,
      itt: c.itt++,
      func,
      lun: 0,
      referencedTag: RESERVED_TAG,
      cmdSN: c.cmdSN,
      expStatSN: c.expStatSN,
      refCmdSN: 0,
      expDataSN: 0,
    });
    assert.equal(only(c.take(), Opcode.TASK_MGMT_RESPONSE).fields.response, 0);
  };
  for (const c of paths) assert.equal(await tur(c), 'good', 'no POWER ON unit attention after login');
  for (const func of [5, 6]) {
    for (const resetting of paths) {
      tmf(resetting, func);
      for (const c of paths) {
        assert.equal(await tur(c), '6/29/3', `func ${func}`);
        assert.equal(await tur(c), 'good');
      }
    }
  }
  assert.equal(device.closeCount, t.catalog.opened, 'the LU opened for the reset is closed');
});
