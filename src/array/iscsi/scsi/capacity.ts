// READ CAPACITY (10)/(16) and GET LBA STATUS: the size and provisioning view of an LU.

import { assertControlByte, capacityBlocksOf, truncateTo } from './cdb.js';
import { LOGICAL_PER_PHYSICAL_EXPONENT } from './limits.js';
import { CheckCondition } from './sense.js';
import { type LogicalUnit, SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

/** READ CAPACITY(10) reports this when the last LBA does not fit in 32 bits (use the 16-byte form). */
const RETURNED_LBA_TOO_LARGE = 0xffffffff;
export const READ_CAPACITY_10_BYTES = 8;
export const READ_CAPACITY_16_BYTES = 32;
/** Byte 14: LBPME (thin provisioning: UNMAP, WRITE SAME UNMAP, GET LBA STATUS) and LBPRZ. */
const LBPME_BIT = 0x80;
const LBPRZ_BIT = 0x40;

function lastLbaOf(unit: LogicalUnit): bigint {
  return capacityBlocksOf(unit.device.sizeBytes) - 1n;
}

export function readCapacity10(cdb: Buffer, unit: LogicalUnit): ScsiResult {
  assertControlByte(cdb, 10);
  const data = Buffer.alloc(READ_CAPACITY_10_BYTES);
  const lastLba = lastLbaOf(unit);
  data.writeUInt32BE(lastLba > BigInt(RETURNED_LBA_TOO_LARGE) ? RETURNED_LBA_TOO_LARGE : Number(lastLba), 0);
  data.writeUInt32BE(SCSI_BLOCK_BYTES, 4);
  return { status: ScsiStatus.GOOD, dataIn: data };
}

/** SERVICE ACTION IN(16) / READ CAPACITY(16). Allocation lengths under 32 truncate (not an error). */
export function readCapacity16(cdb: Buffer, unit: LogicalUnit): ScsiResult {
  assertControlByte(cdb, 16);
  const allocationLength = cdb.readUInt32BE(10);
  const data = Buffer.alloc(READ_CAPACITY_16_BYTES);
  data.writeBigUInt64BE(lastLbaOf(unit), 0);
  data.writeUInt32BE(SCSI_BLOCK_BYTES, 8);
  data[13] = LOGICAL_PER_PHYSICAL_EXPONENT;
  data[14] = LBPME_BIT | LBPRZ_BIT;
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(data, allocationLength) };
}

const LBA_STATUS_HEADER_BYTES = 8;
const LBA_STATUS_DESCRIPTOR_BYTES = 16;
const PROVISIONING_STATUS_MAPPED = 0x0;
const DESCRIPTOR_BLOCKS_MAX = 0xffffffff;

/**
 * SERVICE ACTION IN(16) / GET LBA STATUS. BlockDevice does not expose its allocation map, so the
 * answer is one descriptor: "mapped" from the starting LBA on (a valid answer: hosts then treat
 * the range as data, which is what they do when the command is unsupported).
 */
export function getLbaStatus(cdb: Buffer, unit: LogicalUnit): ScsiResult {
  assertControlByte(cdb, 16);
  const startLba = cdb.readBigUInt64BE(2);
  const allocationLength = cdb.readUInt32BE(10);
  const capacityBlocks = capacityBlocksOf(unit.device.sizeBytes);
  if (startLba >= capacityBlocks) {
    throw new CheckCondition('lba-out-of-range', `starting LBA ${startLba} is beyond the last LBA`);
  }
  const remaining = capacityBlocks - startLba;
  const data = Buffer.alloc(LBA_STATUS_HEADER_BYTES + LBA_STATUS_DESCRIPTOR_BYTES);
  data.writeUInt32BE(data.length - 4, 0);
  data.writeBigUInt64BE(startLba, LBA_STATUS_HEADER_BYTES);
  const blocks = remaining > BigInt(DESCRIPTOR_BLOCKS_MAX) ? DESCRIPTOR_BLOCKS_MAX : Number(remaining);
  data.writeUInt32BE(blocks, LBA_STATUS_HEADER_BYTES + 8);
  data[LBA_STATUS_HEADER_BYTES + 12] = PROVISIONING_STATUS_MAPPED;
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(data, allocationLength) };
}
