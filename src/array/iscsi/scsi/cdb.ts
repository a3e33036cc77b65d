// CDB field decoding shared by the command handlers: operation codes, LBA and transfer length of
// the 6/10/12/16-byte block commands, allocation lengths, and the checks every block command
// makes (protection fields, range, transfer limit). Checks throw CheckCondition with a reason.

import { CheckCondition, invalidCdbField } from './sense.js';
import { SCSI_BLOCK_BYTES } from './types.js';

export const Opcode = {
  TEST_UNIT_READY: 0x00,
  REQUEST_SENSE: 0x03,
  READ_6: 0x08,
  WRITE_6: 0x0a,
  INQUIRY: 0x12,
  MODE_SELECT_6: 0x15,
  RESERVE_6: 0x16,
  RELEASE_6: 0x17,
  MODE_SENSE_6: 0x1a,
  START_STOP_UNIT: 0x1b,
  READ_CAPACITY_10: 0x25,
  READ_10: 0x28,
  WRITE_10: 0x2a,
  WRITE_AND_VERIFY_10: 0x2e,
  VERIFY_10: 0x2f,
  READ_DEFECT_DATA_10: 0x37,
  PRE_FETCH_10: 0x34,
  SYNCHRONIZE_CACHE_10: 0x35,
  WRITE_SAME_10: 0x41,
  UNMAP: 0x42,
  MODE_SELECT_10: 0x55,
  MODE_SENSE_10: 0x5a,
  PERSISTENT_RESERVE_IN: 0x5e,
  PERSISTENT_RESERVE_OUT: 0x5f,
  EXTENDED_COPY: 0x83,
  RECEIVE_COPY_RESULTS: 0x84,
  READ_16: 0x88,
  ORWRITE_16: 0x8b,
  COMPARE_AND_WRITE: 0x89,
  WRITE_16: 0x8a,
  WRITE_AND_VERIFY_16: 0x8e,
  VERIFY_16: 0x8f,
  PRE_FETCH_16: 0x90,
  SYNCHRONIZE_CACHE_16: 0x91,
  WRITE_SAME_16: 0x93,
  SERVICE_ACTION_IN_16: 0x9e,
  REPORT_LUNS: 0xa0,
  MAINTENANCE_IN: 0xa3,
  READ_12: 0xa8,
  WRITE_12: 0xaa,
  WRITE_AND_VERIFY_12: 0xae,
  VERIFY_12: 0xaf,
  READ_DEFECT_DATA_12: 0xb7,
} as const;

export const ServiceAction = {
  READ_CAPACITY_16: 0x10,
  GET_LBA_STATUS: 0x12,
  REPORT_SUPPORTED_OPERATION_CODES: 0x0c,
} as const;

/** The service action field (byte 1, bits 4-0) of SERVICE ACTION IN(16), MAINTENANCE IN and PERSISTENT RESERVE IN/OUT. */
export const SERVICE_ACTION_MASK = 0x1f;

/** CDB length from the operation code's group (SAM-5 table 25); 0 for vendor/reserved groups. */
export function cdbLengthOf(opcode: number): number {
  switch (opcode >> 5) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    default:
      return 0;
  }
}

/** NACA (bit 2 of the CONTROL byte): we do not support ACA, so it must be 0. */
export const CONTROL_NACA_BIT = 0x04;

export function assertControlByte(cdb: Buffer, cdbLength: number): void {
  const control = cdb[cdbLength - 1] ?? 0;
  if ((control & CONTROL_NACA_BIT) !== 0) {
    throw invalidCdbField('NACA is set but ACA is not supported', cdbLength - 1, 2);
  }
}

/** A block range addressed by a CDB: LBA is 64-bit (BigInt), so LBA + length never wraps. */
export interface BlockRange {
  lba: bigint;
  blocks: number;
}

export interface BlockCdb extends BlockRange {
  /** RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7-5); 0 for 6-byte CDBs. */
  protect: number;
  dpo: boolean;
  fua: boolean;
  /** Byte of the LBA field, for field pointers. */
  lbaByte: number;
  /** Byte of the transfer length field, for field pointers. */
  lengthByte: number;
}

const READ6_LENGTH_ZERO_BLOCKS = 256;

/** READ/WRITE/VERIFY/WRITE AND VERIFY/PRE-FETCH/SYNCHRONIZE CACHE in their 6/10/12/16 forms. */
export function decodeBlockCdb(cdb: Buffer): BlockCdb {
  const opcode = cdb[0] ?? 0;
  const byte1 = cdb[1] ?? 0;
  const flags = { protect: byte1 >> 5, dpo: (byte1 & 0x10) !== 0, fua: (byte1 & 0x08) !== 0 };
  switch (cdbLengthOf(opcode)) {
    case 6: {
      const lba = ((byte1 & 0x1f) << 16) | cdb.readUInt16BE(2);
      const length = cdb[4] ?? 0;
      // SBC: in READ(6)/WRITE(6) a TRANSFER LENGTH of 0 means 256 blocks.
      const blocks = length === 0 ? READ6_LENGTH_ZERO_BLOCKS : length;
      return { lba: BigInt(lba), blocks, protect: 0, dpo: false, fua: false, lbaByte: 1, lengthByte: 4 };
    }
    case 10:
      return {
        lba: BigInt(cdb.readUInt32BE(2)),
        blocks: cdb.readUInt16BE(7),
        ...flags,
        lbaByte: 2,
        lengthByte: 7,
      };
    case 12:
      return {
        lba: BigInt(cdb.readUInt32BE(2)),
        blocks: cdb.readUInt32BE(6),
        ...flags,
        lbaByte: 2,
        lengthByte: 6,
      };
    default:
      return {
        lba: cdb.readBigUInt64BE(2),
        blocks: cdb.readUInt32BE(10),
        ...flags,
        lbaByte: 2,
        lengthByte: 10,
      };
  }
}

/** Without protection information, RDPROTECT/WRPROTECT/VRPROTECT must be 0 (SBC-3 4.22). */
export function assertNoProtection(decoded: BlockCdb): void {
  if (decoded.protect !== 0) throw invalidCdbField('protection information is not supported', 1, 7);
}

export function capacityBlocksOf(sizeBytes: number): bigint {
  return BigInt(Math.floor(sizeBytes / SCSI_BLOCK_BYTES));
}

/** LBA OUT OF RANGE iff lba + blocks > capacity (0 blocks at lba == capacity is in range). */
export function assertInRange(range: BlockRange, capacityBlocks: bigint): void {
  if (range.lba + BigInt(range.blocks) > capacityBlocks) {
    throw new CheckCondition(
      'lba-out-of-range',
      `LBA ${range.lba} + ${range.blocks} blocks exceeds the capacity of ${capacityBlocks} blocks`,
    );
  }
}

export function assertTransferLimit(blocks: number, maxBlocks: number, lengthByte: number): void {
  if (blocks > maxBlocks) {
    throw invalidCdbField(`transfer of ${blocks} blocks exceeds the maximum of ${maxBlocks}`, lengthByte);
  }
}

/** Byte offset of a range start, as a Number (capacities fit in 2^53 bytes). */
export function byteOffsetOf(lba: bigint): number {
  return Number(lba) * SCSI_BLOCK_BYTES;
}

/** Data-In is truncated to the allocation length; the transport reports the residual. */
export function truncateTo(data: Buffer, allocationLength: number): Buffer {
  return data.length > allocationLength ? data.subarray(0, allocationLength) : data;
}
