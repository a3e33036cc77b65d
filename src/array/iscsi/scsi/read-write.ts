// READ, WRITE, WRITE AND VERIFY, VERIFY, PRE-FETCH and SYNCHRONIZE CACHE. Every BlockDevice write
// is durable when it resolves, so FUA needs nothing extra and DPO is a hint we may ignore.
// A WRITE whose data-out is shorter than its TRANSFER LENGTH (EDTL smaller than the CDB asks)
// writes the whole blocks it received and succeeds: the transport reports the overflow residual,
// as RFC 7143 and libiscsi's iSCSIResiduals tests expect.

import {
  assertControlByte,
  assertInRange,
  assertNoProtection,
  assertTransferLimit,
  type BlockCdb,
  byteOffsetOf,
  capacityBlocksOf,
  cdbLengthOf,
  decodeBlockCdb,
} from './cdb.js';
import { type CommandContext, deviceCall } from './command.js';
import { MAX_TRANSFER_BLOCKS } from './limits.js';
import { CheckCondition, invalidCdbField } from './sense.js';
import { SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

const GOOD: ScsiResult = { status: ScsiStatus.GOOD };

/** Decodes and checks what every READ/WRITE/VERIFY form shares: control byte, protection, limits, range. */
export function checkedBlockCdb(context: CommandContext): BlockCdb {
  const { cdb, unit } = context;
  assertControlByte(cdb, cdbLengthOf(cdb[0] ?? 0));
  const decoded = decodeBlockCdb(cdb);
  assertNoProtection(decoded);
  assertTransferLimit(decoded.blocks, MAX_TRANSFER_BLOCKS, decoded.lengthByte);
  assertInRange(decoded, capacityBlocksOf(unit.device.sizeBytes));
  return decoded;
}

export function assertWritable(context: CommandContext): void {
  if (context.unit.device.readOnly) {
    throw new CheckCondition('write-protected', `${context.unit.device.name} is read-only`);
  }
}

export async function read(context: CommandContext): Promise<ScsiResult> {
  const { lba, blocks } = checkedBlockCdb(context);
  if (blocks === 0) return GOOD;
  const device = context.unit.device;
  const data = await deviceCall('read', () => device.read(byteOffsetOf(lba), blocks * SCSI_BLOCK_BYTES));
  if (!device.release) return { status: ScsiStatus.GOOD, dataIn: data };
  return { status: ScsiStatus.GOOD, dataIn: data, release: () => device.release!(data) };
}

/** Writes `data` (whole blocks) at `lba`, holding the range shared against COMPARE AND WRITE. */
export async function writeBlocks(context: CommandContext, lba: bigint, data: Buffer): Promise<void> {
  const { unit, locks } = context;
  const release = await locks.acquire(unit.naa, lba, data.length / SCSI_BLOCK_BYTES, false);
  try {
    await deviceCall('write', () => unit.device.write(byteOffsetOf(lba), data));
  } finally {
    release();
  }
}

/** WRITE (6/10/12/16) and, since the data is written durably before GOOD, WRITE AND VERIFY. */
export async function write(context: CommandContext): Promise<ScsiResult> {
  const { lba, blocks } = checkedBlockCdb(context);
  assertWritable(context);
  const receivedBlocks = Math.min(blocks, Math.floor(context.task.dataOut.length / SCSI_BLOCK_BYTES));
  if (receivedBlocks === 0) return GOOD;
  await writeBlocks(context, lba, context.task.dataOut.subarray(0, receivedBlocks * SCSI_BLOCK_BYTES));
  return GOOD;
}

/**
 * ORWRITE(16): each data-out byte ORed into the medium's (SBC-3), the range held exclusively from
 * the read to the end of the write, as COMPARE AND WRITE holds it.
 */
export async function orWrite(context: CommandContext): Promise<ScsiResult> {
  const { lba, blocks } = checkedBlockCdb(context);
  assertWritable(context);
  const receivedBlocks = Math.min(blocks, Math.floor(context.task.dataOut.length / SCSI_BLOCK_BYTES));
  if (receivedBlocks === 0) return GOOD;
  const data = context.task.dataOut.subarray(0, receivedBlocks * SCSI_BLOCK_BYTES);
  const { unit, locks } = context;
  const offsetBytes = byteOffsetOf(lba);
  const release = await locks.acquire(unit.naa, lba, receivedBlocks, true);
  try {
    const current = await deviceCall('read', () => unit.device.read(offsetBytes, data.length));
    const merged = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) merged[i] = current[i]! | data[i]!;
    unit.device.release?.(current);
    await deviceCall('write', () => unit.device.write(offsetBytes, merged));
  } finally {
    release();
  }
  return GOOD;
}

/** BYTCHK (byte 1 bits 2-1) of VERIFY and WRITE AND VERIFY. */
export const Bytchk = { NONE: 0, COMPARE: 1, COMPARE_ONE_BLOCK: 3 } as const;

export function bytchkOf(cdb: Buffer): number {
  return ((cdb[1] ?? 0) >> 1) & 0x03;
}

export async function writeAndVerify(context: CommandContext): Promise<ScsiResult> {
  const bytchk = bytchkOf(context.cdb);
  if (bytchk !== Bytchk.NONE && bytchk !== Bytchk.COMPARE) {
    throw invalidCdbField(`BYTCHK ${bytchk} is reserved for WRITE AND VERIFY`, 1, 2);
  }
  return write(context);
}

/** Offset of the first byte where `actual` and `expected` differ, or -1. */
export function firstDifference(actual: Buffer, expected: Buffer): number {
  if (actual.equals(expected)) return -1;
  const length = Math.min(actual.length, expected.length);
  for (let index = 0; index < length; index++) {
    if (actual[index] !== expected[index]) return index;
  }
  return length;
}

export function miscompareAt(offset: number): CheckCondition {
  return new CheckCondition('miscompare', `first difference at byte ${offset}`, { information: offset });
}

/** VERIFY (10/12/16): BYTCHK 0 checks the range only; 1 compares each block; 3 one block against all. */
export async function verify(context: CommandContext): Promise<ScsiResult> {
  const { lba, blocks } = checkedBlockCdb(context);
  const bytchk = bytchkOf(context.cdb);
  if (bytchk === Bytchk.NONE || blocks === 0) return GOOD;
  if (bytchk !== Bytchk.COMPARE && bytchk !== Bytchk.COMPARE_ONE_BLOCK) {
    throw invalidCdbField(`BYTCHK ${bytchk} is reserved`, 1, 2);
  }
  const lengthBytes = blocks * SCSI_BLOCK_BYTES;
  const neededBytes = bytchk === Bytchk.COMPARE ? lengthBytes : SCSI_BLOCK_BYTES;
  const dataOut = context.task.dataOut;
  if (dataOut.length < neededBytes) {
    throw invalidCdbField(`VERIFY needs ${neededBytes} bytes of data-out, got ${dataOut.length}`, 1, 2);
  }
  const device = context.unit.device;
  const actual = await deviceCall('read', () => device.read(byteOffsetOf(lba), lengthBytes));
  const expected =
    bytchk === Bytchk.COMPARE
      ? dataOut.subarray(0, lengthBytes)
      : Buffer.alloc(lengthBytes, dataOut.subarray(0, SCSI_BLOCK_BYTES));
  const offset = firstDifference(actual, expected);
  if (offset >= 0) throw miscompareAt(offset);
  return GOOD;
}

/** PRE-FETCH (10/16): data is on flash already; only the range is checked. */
export function preFetch(context: CommandContext): ScsiResult {
  checkedBlockCdb(context);
  return GOOD;
}

/** SYNCHRONIZE CACHE (10/16): NUMBER OF LOGICAL BLOCKS 0 means "to the end of the LU". */
export async function synchronizeCache(context: CommandContext): Promise<ScsiResult> {
  const { cdb, unit } = context;
  assertControlByte(cdb, cdbLengthOf(cdb[0] ?? 0));
  const decoded = decodeBlockCdb(cdb);
  assertInRange(decoded, capacityBlocksOf(unit.device.sizeBytes));
  await deviceCall('write', () => unit.device.flush());
  return GOOD;
}
