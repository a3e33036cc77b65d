// Shared fixture for the SCSI device server unit tests: an LU over a MemoryDevice, a nexus, CDB
// builders and sense assertions.

import assert from 'node:assert/strict';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import {
  type LogicalUnit,
  SCSI_BLOCK_BYTES,
  type ScsiDeviceServer,
  type ScsiNexus,
  type ScsiResult,
  ScsiStatus,
} from '../../src/array/iscsi/scsi/types.js';
import { MemoryDevice, type MemoryDeviceOptions } from './memory-device.js';

export const MiB = 1024 * 1024;
export const BS = SCSI_BLOCK_BYTES;
export const SERIAL = 'C8F5DC8C4E1B4A3F000113A5';
export const NAA = `624a9370${SERIAL.toLowerCase()}`;
export const TARGET = 'iqn.2010-06.com.purestorage:flasharray.5e5d0a8f2b1c4e77';

export const NEXUS: ScsiNexus = {
  targetName: TARGET,
  portalGroupTag: 1,
  initiatorName: 'iqn.1994-05.com.redhat:host1',
  sessionId: 'iqn.1994-05.com.redhat:host1,i,0x400001370000,tsih 1',
  initiatorPort: 'iqn.1994-05.com.redhat:host1,i,0x400001370000',
  luns: [1, 300, 2],
};

/** A second session (another ISID) of the same initiator: another I_T nexus (multipath). */
export const NEXUS_2: ScsiNexus = {
  ...NEXUS,
  sessionId: 'iqn.1994-05.com.redhat:host1,i,0x400001370001,tsih 2',
  initiatorPort: 'iqn.1994-05.com.redhat:host1,i,0x400001370001',
};

export class Rig {
  readonly server: ScsiDeviceServer;
  readonly device: MemoryDevice;
  readonly unit: LogicalUnit;

  constructor(
    sizeBytes = 1 * MiB,
    options: MemoryDeviceOptions = {},
    server: ScsiDeviceServer = createScsiDeviceServer(),
  ) {
    this.server = server;
    this.device = new MemoryDevice('vol1', sizeBytes, options);
    this.unit = { lun: 1, device: this.device, naa: NAA, serial: SERIAL };
  }

  get blocks(): number {
    return this.device.sizeBytes / BS;
  }

  run(
    cdb: number[] | Buffer,
    dataOut: Buffer = Buffer.alloc(0),
    expectedLength?: number,
  ): Promise<ScsiResult> {
    return this.server.execute({
      nexus: NEXUS,
      unit: this.unit,
      lun: 1,
      cdb: Buffer.from(cdb),
      dataOut,
      expectedLength: expectedLength ?? dataOut.length,
    });
  }

  /** A task without data-out on another nexus. */
  runOn(nexus: ScsiNexus, cdb: number[] | Buffer, unit: LogicalUnit | null = this.unit): Promise<ScsiResult> {
    return this.server.execute({
      nexus,
      unit,
      lun: unit?.lun ?? 7,
      cdb: Buffer.from(cdb),
      dataOut: Buffer.alloc(0),
      expectedLength: 0,
    });
  }

  /** A task to a LUN with no LU. */
  runUnmapped(cdb: number[] | Buffer): Promise<ScsiResult> {
    return this.server.execute({
      nexus: NEXUS,
      unit: null,
      lun: 7,
      cdb: Buffer.from(cdb),
      dataOut: Buffer.alloc(0),
      expectedLength: 0,
    });
  }

  async write(lba: number, data: Buffer): Promise<void> {
    await this.device.write(lba * BS, data);
  }

  async read(lba: number, blocks: number): Promise<Buffer> {
    return await this.device.read(lba * BS, blocks * BS);
  }
}

export function be(value: number | bigint, bytes: number): number[] {
  const out: number[] = [];
  let rest = BigInt(value);
  for (let index = 0; index < bytes; index++) {
    out.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return out;
}

export function cdb6(opcode: number, lba: number, length: number): number[] {
  return [opcode, (lba >> 16) & 0x1f, (lba >> 8) & 0xff, lba & 0xff, length, 0];
}

export function cdb10(opcode: number, lba: number | bigint, blocks: number, byte1 = 0): number[] {
  return [opcode, byte1, ...be(lba, 4), 0, ...be(blocks, 2), 0];
}

export function cdb12(opcode: number, lba: number | bigint, blocks: number, byte1 = 0): number[] {
  return [opcode, byte1, ...be(lba, 4), ...be(blocks, 4), 0, 0];
}

export function cdb16(opcode: number, lba: number | bigint, blocks: number, byte1 = 0): number[] {
  return [opcode, byte1, ...be(lba, 8), ...be(blocks, 4), 0, 0];
}

export function assertGood(result: ScsiResult): Buffer {
  assert.equal(result.status, ScsiStatus.GOOD, `expected GOOD, sense ${result.sense?.toString('hex')}`);
  assert.equal(result.sense, undefined);
  return result.dataIn ?? Buffer.alloc(0);
}

/** CHECK CONDITION with fixed-format sense KEY/ASC/ASCQ; returns the sense. */
export function assertSense(result: ScsiResult, key: number, asc: number, ascq: number): Buffer {
  assert.equal(result.status, ScsiStatus.CHECK_CONDITION);
  const sense = result.sense;
  assert.ok(sense !== undefined);
  assert.equal(sense.length, 18);
  assert.equal((sense[0] ?? 0) & 0x7f, 0x70);
  assert.equal(sense[7], 10);
  assert.deepEqual([(sense[2] ?? 0) & 0x0f, sense[12], sense[13]], [key, asc, ascq]);
  return sense;
}

export function pattern(blocks: number, seed: number): Buffer {
  const data = Buffer.alloc(blocks * BS);
  for (let index = 0; index < data.length; index++) data[index] = (index * 7 + seed) & 0xff;
  return data;
}
