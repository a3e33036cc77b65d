// The iSCSI PDU codec: every opcode's header round-trips through encode and decode, the frame
// reader cuts whole PDUs out of any chunking, and bad bytes give reasons, never exceptions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AhsType,
  decodeLun,
  decodePdu,
  encodeLun,
  encodePduBuffer,
  type FieldsOf,
  type KnownOpcode,
  LUN_UNADDRESSABLE,
  Opcode,
  PduReader,
  parseAhs,
  TargetPduReader,
} from '../../src/array/iscsi/pdu.js';

const SAMPLES: { [O in KnownOpcode]: FieldsOf[O] } = {
  [Opcode.NOP_OUT]: { immediate: true, itt: 7, lun: 3, ttt: 0xffffffff, cmdSN: 9, expStatSN: 10 },
  [Opcode.NOP_IN]: { itt: 7, lun: 0, ttt: 0xffffffff, statSN: 1, expCmdSN: 2, maxCmdSN: 3 },
  [Opcode.SCSI_COMMAND]: {
    immediate: false,
    itt: 0x01020304,
    final: true,
    read: true,
    write: false,
    attr: 1,
    lun: 300,
    expectedLength: 4096,
    cmdSN: 0xfffffffe,
    expStatSN: 5,
    cdb: Buffer.from('28000000000100000800000000000000', 'hex'),
  },
  [Opcode.SCSI_RESPONSE]: {
    itt: 1,
    bidiOverflow: false,
    bidiUnderflow: true,
    overflow: false,
    underflow: true,
    response: 0,
    status: 2,
    statSN: 4,
    expCmdSN: 5,
    maxCmdSN: 6,
    expDataSN: 2,
    bidiResidual: 0,
    residual: 219,
  },
  [Opcode.TASK_MGMT]: {
    immediate: true,
    itt: 9,
    func: 1,
    lun: 1,
    referencedTag: 8,
    cmdSN: 3,
    expStatSN: 2,
    refCmdSN: 2,
    expDataSN: 0,
  },
  [Opcode.TASK_MGMT_RESPONSE]: { itt: 9, response: 1, statSN: 1, expCmdSN: 2, maxCmdSN: 3 },
  [Opcode.LOGIN]: {
    immediate: true,
    itt: 0,
    transit: true,
    cont: false,
    csg: 1,
    nsg: 3,
    versionMax: 0,
    versionMin: 0,
    isid: '400001370000',
    tsih: 0,
    cid: 2,
    cmdSN: 1,
    expStatSN: 0,
  },
  [Opcode.LOGIN_RESPONSE]: {
    itt: 0,
    transit: true,
    cont: false,
    csg: 0,
    nsg: 1,
    versionMax: 0,
    versionActive: 0,
    isid: '800001370000',
    tsih: 12,
    statSN: 1,
    expCmdSN: 2,
    maxCmdSN: 3,
    status: 0x0201,
  },
  [Opcode.TEXT]: {
    immediate: true,
    itt: 4,
    final: true,
    cont: false,
    lun: 0,
    ttt: 0xffffffff,
    cmdSN: 1,
    expStatSN: 1,
  },
  [Opcode.TEXT_RESPONSE]: {
    itt: 4,
    final: false,
    cont: true,
    lun: 0,
    ttt: 77,
    statSN: 1,
    expCmdSN: 1,
    maxCmdSN: 2,
  },
  [Opcode.DATA_OUT]: { itt: 5, final: true, lun: 0, ttt: 12, expStatSN: 3, dataSN: 1, bufferOffset: 8192 },
  [Opcode.DATA_IN]: {
    itt: 5,
    final: true,
    ack: false,
    overflow: true,
    underflow: false,
    statusPresent: true,
    status: 0,
    lun: 0,
    ttt: 0xffffffff,
    statSN: 3,
    expCmdSN: 4,
    maxCmdSN: 5,
    dataSN: 2,
    bufferOffset: 16384,
    residual: 312,
  },
  [Opcode.LOGOUT]: { immediate: true, itt: 6, reason: 1, cid: 3, cmdSN: 4, expStatSN: 5 },
  [Opcode.LOGOUT_RESPONSE]: {
    itt: 6,
    response: 0,
    statSN: 1,
    expCmdSN: 2,
    maxCmdSN: 3,
    time2Wait: 2,
    time2Retain: 20,
  },
  [Opcode.SNACK]: { itt: 1, type: 1, lun: 0, ttt: 0, expStatSN: 1, begRun: 4, runLength: 2 },
  [Opcode.R2T]: {
    itt: 1,
    lun: 2,
    ttt: 3,
    statSN: 4,
    expCmdSN: 5,
    maxCmdSN: 6,
    r2tSN: 7,
    bufferOffset: 262144,
    desiredLength: 65536,
  },
  [Opcode.ASYNC]: {
    lun: 0,
    statSN: 1,
    expCmdSN: 2,
    maxCmdSN: 3,
    asyncEvent: 1,
    asyncVCode: 0,
    parameter1: 0,
    parameter2: 0,
    parameter3: 5,
  },
  [Opcode.REJECT]: { reason: 4, statSN: 1, expCmdSN: 2, maxCmdSN: 3, dataSN: 0 },
};

test('codec: every opcode round-trips through encode and decode', () => {
  for (const [key, fields] of Object.entries(SAMPLES)) {
    const opcode = Number(key) as KnownOpcode;
    const data = Buffer.from('abcde'); // 5 bytes: 3 bytes of padding on the wire
    const wire = encodePduBuffer(opcode, fields as never, data);
    assert.equal(wire.length, 48 + 8, `opcode ${opcode}: padded to 4`);
    assert.equal(wire.readUIntBE(5, 3), 5, 'DataSegmentLength excludes the padding');
    const reader = new TargetPduReader();
    reader.push(wire);
    const raw = reader.next();
    assert.ok(raw);
    const pdu = decodePdu(raw);
    assert.ok(pdu);
    assert.equal(pdu.opcode, opcode);
    assert.deepEqual(pdu.fields, fields, `opcode 0x${opcode.toString(16)}`);
    assert.deepEqual(pdu.data, data);
  }
});

test('codec: fixed bits and reserved tags are set on target PDUs', () => {
  const reject = encodePduBuffer(Opcode.REJECT, SAMPLES[Opcode.REJECT]);
  assert.equal(reject[0], 0x3f);
  assert.equal(reject[1], 0x80);
  assert.equal(reject.readUInt32BE(16), 0xffffffff, 'Reject ITT is reserved');
  const login = encodePduBuffer(Opcode.LOGIN, SAMPLES[Opcode.LOGIN]);
  assert.equal(login[0], 0x43, 'login requests are immediate');
  assert.equal(login[1], 0x87, 'T, CSG 1, NSG 3');
});

test('codec: LUN peripheral and flat addressing; other forms address nothing', () => {
  const b = Buffer.alloc(16);
  for (const lun of [0, 1, 255, 256, 16383]) {
    encodeLun(b, lun);
    assert.equal(decodeLun(b), lun);
  }
  encodeLun(b, 5);
  assert.deepEqual([...b.subarray(8, 10)], [0, 5], 'LUN < 256: peripheral');
  b[8] = 0x80; // logical unit addressing
  assert.equal(decodeLun(b), LUN_UNADDRESSABLE);
  b.fill(0);
  b[10] = 1; // second level
  assert.equal(decodeLun(b), LUN_UNADDRESSABLE);
});

test('frame reader: whole PDUs from any chunking, byte by byte included', () => {
  const one = encodePduBuffer(Opcode.NOP_OUT, SAMPLES[Opcode.NOP_OUT], Buffer.from('ping!'));
  const two = encodePduBuffer(Opcode.SCSI_COMMAND, SAMPLES[Opcode.SCSI_COMMAND]);
  const stream = Buffer.concat([one, two]);
  const reader = new PduReader();
  const got: number[] = [];
  for (const byte of stream) {
    reader.push(Buffer.from([byte]));
    for (let r = reader.next(); r; r = reader.next()) {
      assert.ok(!('invalid' in r));
      got.push(r.bhs[0]! & 0x3f);
      if ((r.bhs[0]! & 0x3f) === 0) assert.equal(r.data.toString(), 'ping!');
    }
  }
  assert.deepEqual(got, [Opcode.NOP_OUT, Opcode.SCSI_COMMAND]);
  assert.equal(reader.bufferedBytes, 0, 'padding consumed');
});

test('frame reader: a Data-Out segment goes straight where placement says, other PDUs are not asked', () => {
  const payload = Buffer.alloc(8000, 0x5a); // within the 8 KiB MaxRecvDataSegmentLength before negotiation
  const dataOut = encodePduBuffer(Opcode.DATA_OUT, SAMPLES[Opcode.DATA_OUT], payload);
  const nop = encodePduBuffer(Opcode.NOP_OUT, SAMPLES[Opcode.NOP_OUT], Buffer.from('ping!'));
  const stream = Buffer.concat([nop, dataOut]);
  const reader = new PduReader();
  // Arrives in 3 KiB socket chunks, so the segment spans several of them.
  for (let at = 0; at < stream.length; at += 3072) reader.push(stream.subarray(at, at + 3072));
  const commandBuffer = Buffer.alloc(20_000);
  const asked: number[] = [];
  const placement = (bhs: Buffer, dataBytes: number) => {
    asked.push(bhs[0]! & 0x3f);
    return commandBuffer.subarray(4096, 4096 + dataBytes);
  };
  const first = reader.next(placement);
  assert.ok(first && !('invalid' in first));
  assert.equal(first.data.toString(), 'ping!');
  const second = reader.next(placement);
  assert.ok(second && !('invalid' in second));
  assert.deepEqual(asked, [Opcode.DATA_OUT]);
  assert.equal(second.data.buffer, commandBuffer.buffer, 'the data is the command buffer region');
  assert.equal(second.data.byteOffset, commandBuffer.byteOffset + 4096);
  assert.ok(commandBuffer.subarray(4096, 4096 + payload.length).equals(payload));
  assert.equal(reader.bufferedBytes, 0);
  // A placement that declines gets the data in a PDU buffer as before.
  reader.push(dataOut);
  const third = reader.next(() => null);
  assert.ok(third && !('invalid' in third) && third.data.equals(payload));
});

test('frame reader: target opcodes, reserved bit and oversized data segments are invalid', () => {
  const reader = new PduReader();
  const nopIn = encodePduBuffer(Opcode.NOP_IN, SAMPLES[Opcode.NOP_IN]);
  reader.push(nopIn);
  assert.deepEqual(reader.next(), { invalid: 'target-opcode', opcode: 0x20 });

  const reserved = new PduReader();
  const bhs = Buffer.alloc(48);
  bhs[0] = 0x80;
  reserved.push(bhs);
  assert.equal((reserved.next() as { invalid: string }).invalid, 'reserved-bit-set');

  const big = new PduReader();
  big.maxDataSegmentBytes = 8192;
  const cmd = Buffer.alloc(48);
  cmd[0] = 0x01;
  cmd.writeUIntBE(8193, 5, 3);
  big.push(cmd);
  assert.equal((big.next() as { invalid: string }).invalid, 'data-segment-too-long');
});

test('frame reader: random bytes give PDUs or reasons, never an exception (fuzz, seeded)', () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let round = 0; round < 300; round++) {
    const reader = new PduReader();
    reader.maxDataSegmentBytes = 4096;
    const bytes = Buffer.alloc(random() % 600);
    for (let i = 0; i < bytes.length; i++) bytes[i] = random() & 0xff;
    if (round % 2 === 0 && bytes.length > 8) {
      bytes[0]! &= 0x3f; // mostly valid opcodes half the time
      bytes[4] = 0;
      bytes[5] = 0;
    }
    reader.push(bytes);
    for (let framed = reader.next(); framed; framed = 'invalid' in framed ? null : reader.next()) {
      if ('invalid' in framed) break;
      decodePdu(framed);
      parseAhs(framed.ahs);
    }
  }
});

test('AHS: extended CDB and bidirectional read length parse; malformed ones give reasons', () => {
  const ext = Buffer.alloc(8);
  ext.writeUInt16BE(5, 0); // reserved byte + 4 CDB bytes
  ext[2] = AhsType.EXTENDED_CDB;
  ext.write('abcd', 4);
  const parsed = parseAhs(ext);
  assert.ok(!('invalid' in parsed));
  assert.equal(parsed.extendedCdb?.toString(), 'abcd');
  const bidi = Buffer.alloc(8);
  bidi.writeUInt16BE(5, 0);
  bidi[2] = AhsType.BIDI_READ_LENGTH;
  bidi.writeUInt32BE(4096, 4);
  const both = parseAhs(Buffer.concat([ext, bidi]));
  assert.ok(!('invalid' in both));
  assert.equal(both.bidiReadLength, 4096);
  const overrun = Buffer.from(ext);
  overrun.writeUInt16BE(200, 0);
  assert.ok('invalid' in parseAhs(overrun));
  const unknown = Buffer.from(ext);
  unknown[2] = 9;
  assert.ok('invalid' in parseAhs(unknown));
});
