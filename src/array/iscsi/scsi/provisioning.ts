// WRITE SAME (10)/(16) and UNMAP: the thin-provisioning commands. Unmapped blocks read as zeroes
// (LBPRZ=1), so a WRITE SAME with UNMAP set is a trim, one of a zero block without it a
// writeZeroes; any other block is replicated and written in chunks.

import {
  assertControlByte,
  assertInRange,
  byteOffsetOf,
  capacityBlocksOf,
  cdbLengthOf,
  Opcode,
} from './cdb.js';
import { type CommandContext, deviceCall } from './command.js';
import {
  MAX_UNMAP_BLOCKS,
  MAX_UNMAP_DESCRIPTORS,
  MAX_WRITE_SAME_BLOCKS,
  WRITE_SAME_CHUNK_BYTES,
} from './limits.js';
import { assertWritable } from './read-write.js';
import { CheckCondition, invalidCdbField, invalidParameterField } from './sense.js';
import { SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

const GOOD: ScsiResult = { status: ScsiStatus.GOOD };

const ANCHOR_BIT = 0x10;
const UNMAP_BIT = 0x08;
const PBDATA_LBDATA_BITS = 0x06;
const NDOB_BIT = 0x01;

export interface WriteSameCdb {
  lba: bigint;
  /** NUMBER OF LOGICAL BLOCKS as sent (0 = to the end of the LU, WSNZ being 0). */
  blocks: number;
  unmap: boolean;
  noDataOut: boolean;
  lengthByte: number;
}

export function decodeWriteSame(cdb: Buffer): WriteSameCdb {
  const flags = cdb[1] ?? 0;
  const sixteen = cdb[0] === Opcode.WRITE_SAME_16;
  return {
    lba: sixteen ? cdb.readBigUInt64BE(2) : BigInt(cdb.readUInt32BE(2)),
    blocks: sixteen ? cdb.readUInt32BE(10) : cdb.readUInt16BE(7),
    unmap: (flags & UNMAP_BIT) !== 0,
    noDataOut: sixteen && (flags & NDOB_BIT) !== 0,
    lengthByte: sixteen ? 10 : 7,
  };
}

/** WRITE SAME data-out: one block, none with NDOB. */
export function writeSameDataOutBytes(cdb: Buffer): number {
  return decodeWriteSame(cdb).noDataOut ? 0 : SCSI_BLOCK_BYTES;
}

export async function writeSame(context: CommandContext): Promise<ScsiResult> {
  const { cdb, unit, task } = context;
  assertControlByte(cdb, cdbLengthOf(cdb[0] ?? 0));
  const flags = cdb[1] ?? 0;
  if (flags >> 5 !== 0) throw invalidCdbField('protection information is not supported', 1, 7);
  if ((flags & ANCHOR_BIT) !== 0) throw invalidCdbField('ANCHOR is not supported (ANC_SUP=0)', 1, 4);
  if ((flags & PBDATA_LBDATA_BITS) !== 0) throw invalidCdbField('PBDATA and LBDATA are not supported', 1, 2);
  const decoded = decodeWriteSame(cdb);
  const capacityBlocks = capacityBlocksOf(unit.device.sizeBytes);
  assertInRange({ lba: decoded.lba, blocks: 0 }, capacityBlocks);
  const blocks = decoded.blocks === 0 ? Number(capacityBlocks - decoded.lba) : decoded.blocks;
  assertInRange({ lba: decoded.lba, blocks }, capacityBlocks);
  if (blocks > MAX_WRITE_SAME_BLOCKS) {
    throw invalidCdbField(
      `${blocks} blocks exceed MAXIMUM WRITE SAME LENGTH ${MAX_WRITE_SAME_BLOCKS}`,
      decoded.lengthByte,
    );
  }
  assertWritable(context);
  let block: Buffer = Buffer.alloc(SCSI_BLOCK_BYTES);
  if (!decoded.noDataOut) {
    // libiscsi's InvalidDataOutSize: an EDTL other than one block is an error even if the
    // transport gathered exactly one block.
    if (task.expectedLength !== SCSI_BLOCK_BYTES || task.dataOut.length < SCSI_BLOCK_BYTES) {
      throw new CheckCondition(
        'parameter-list-length-error',
        `WRITE SAME needs exactly one block of data-out, EDTL ${task.expectedLength}, got ${task.dataOut.length}`,
      );
    }
    block = task.dataOut.subarray(0, SCSI_BLOCK_BYTES);
  }
  if (blocks === 0) return GOOD;
  const release = await context.locks.acquire(unit.naa, decoded.lba, blocks, false);
  try {
    await fill(context, decoded.lba, blocks, block, decoded.unmap);
  } finally {
    release();
  }
  return GOOD;
}

const ZERO_BLOCK = Buffer.alloc(SCSI_BLOCK_BYTES);

async function fill(
  context: CommandContext,
  lba: bigint,
  blocks: number,
  block: Buffer,
  unmap: boolean,
): Promise<void> {
  const device = context.unit.device;
  const offsetBytes = byteOffsetOf(lba);
  const lengthBytes = blocks * SCSI_BLOCK_BYTES;
  // UNMAP set: the blocks are unmapped whatever the data-out holds (as Linux's LIO target does;
  // libiscsi's WriteSame10.UnmapUntilEnd sends 0xFF blocks with UNMAP and expects zeroes back,
  // LBPRZ being 1).
  if (unmap) {
    await deviceCall('write', () => device.trim(offsetBytes, lengthBytes));
    return;
  }
  if (block.equals(ZERO_BLOCK)) {
    await deviceCall('write', () => device.writeZeroes(offsetBytes, lengthBytes));
    return;
  }
  const chunkBlocks = Math.min(blocks, WRITE_SAME_CHUNK_BYTES / SCSI_BLOCK_BYTES);
  const chunk = Buffer.alloc(chunkBlocks * SCSI_BLOCK_BYTES, block);
  for (let done = 0; done < lengthBytes; done += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, lengthBytes - done));
    await deviceCall('write', () => device.write(offsetBytes + done, piece));
  }
}

const UNMAP_ANCHOR_BIT = 0x01;
const UNMAP_HEADER_BYTES = 8;
const UNMAP_DESCRIPTOR_BYTES = 16;

export function unmapListBytes(cdb: Buffer): number {
  return cdb.readUInt16BE(7);
}

interface UnmapExtent {
  lba: bigint;
  blocks: number;
}

/** Validates the whole UNMAP parameter list before anything is trimmed. */
export function decodeUnmapList(list: Buffer, capacityBlocks: bigint): UnmapExtent[] {
  if (list.length < UNMAP_HEADER_BYTES) {
    throw new CheckCondition('parameter-list-length-error', `UNMAP parameter list of ${list.length} bytes`);
  }
  const descriptorBytes = Math.min(list.readUInt16BE(2), list.length - UNMAP_HEADER_BYTES);
  // SBC-3 5.28.2: an incomplete trailing descriptor is ignored.
  const count = Math.floor(descriptorBytes / UNMAP_DESCRIPTOR_BYTES);
  if (count > MAX_UNMAP_DESCRIPTORS) {
    throw invalidParameterField(`${count} descriptors exceed the maximum of ${MAX_UNMAP_DESCRIPTORS}`, 2);
  }
  const extents: UnmapExtent[] = [];
  let totalBlocks = 0;
  for (let index = 0; index < count; index++) {
    const at = UNMAP_HEADER_BYTES + index * UNMAP_DESCRIPTOR_BYTES;
    const extent = { lba: list.readBigUInt64BE(at), blocks: list.readUInt32BE(at + 8) };
    if (extent.blocks === 0) continue;
    assertInRange(extent, capacityBlocks);
    totalBlocks += extent.blocks;
    if (totalBlocks > MAX_UNMAP_BLOCKS) {
      throw invalidParameterField(`UNMAP of more than ${MAX_UNMAP_BLOCKS} blocks`, at + 8);
    }
    extents.push(extent);
  }
  return extents;
}

export async function unmap(context: CommandContext): Promise<ScsiResult> {
  const { cdb, unit, task } = context;
  assertControlByte(cdb, 10);
  if (((cdb[1] ?? 0) & UNMAP_ANCHOR_BIT) !== 0) throw invalidCdbField('ANCHOR is not supported', 1, 0);
  const listBytes = unmapListBytes(cdb);
  assertWritable(context);
  if (listBytes === 0) return GOOD;
  if (task.dataOut.length < listBytes) {
    throw new CheckCondition(
      'parameter-list-length-error',
      `received ${task.dataOut.length} of ${listBytes} bytes`,
    );
  }
  const extents = decodeUnmapList(
    task.dataOut.subarray(0, listBytes),
    capacityBlocksOf(unit.device.sizeBytes),
  );
  for (const extent of extents) {
    const release = await context.locks.acquire(unit.naa, extent.lba, extent.blocks, false);
    try {
      await deviceCall('write', () =>
        unit.device.trim(byteOffsetOf(extent.lba), extent.blocks * SCSI_BLOCK_BYTES),
      );
    } finally {
      release();
    }
  }
  return GOOD;
}
