// COMPARE AND WRITE (0x89): VMware ATS and cluster locks. The range is held exclusively (against
// every other write this process makes to it) from the read to the end of the write.

import { assertControlByte, assertInRange, byteOffsetOf, capacityBlocksOf } from './cdb.js';
import { type CommandContext, deviceCall } from './command.js';
import { MAX_COMPARE_AND_WRITE_BLOCKS } from './limits.js';
import { assertWritable, firstDifference, miscompareAt } from './read-write.js';
import { invalidCdbField } from './sense.js';
import { SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

const NLB_BYTE = 13;

/** Data-out: the verify blocks followed by the write blocks. */
export function compareAndWriteDataOutBytes(cdb: Buffer): number {
  return 2 * (cdb[NLB_BYTE] ?? 0) * SCSI_BLOCK_BYTES;
}

export async function compareAndWrite(context: CommandContext): Promise<ScsiResult> {
  const { cdb, unit, task } = context;
  assertControlByte(cdb, 16);
  if ((cdb[1] ?? 0) >> 5 !== 0) throw invalidCdbField('protection information is not supported', 1, 7);
  const lba = cdb.readBigUInt64BE(2);
  const blocks = cdb[NLB_BYTE] ?? 0;
  if (blocks > MAX_COMPARE_AND_WRITE_BLOCKS) {
    throw invalidCdbField(`${blocks} blocks exceed MAXIMUM COMPARE AND WRITE LENGTH`, NLB_BYTE);
  }
  assertInRange({ lba, blocks }, capacityBlocksOf(unit.device.sizeBytes));
  assertWritable(context);
  const halfBytes = blocks * SCSI_BLOCK_BYTES;
  // An EDTL other than 2 x NLB blocks is refused even when the transport gathered enough (NLB is
  // one byte: libiscsi's 256-block probe arrives as NLB 0 with 512 blocks of EDTL and must fail).
  if (task.expectedLength !== 2 * halfBytes || task.dataOut.length < 2 * halfBytes) {
    throw invalidCdbField(
      `COMPARE AND WRITE of ${blocks} blocks needs ${2 * halfBytes} bytes, EDTL ${task.expectedLength}, got ${task.dataOut.length}`,
      NLB_BYTE,
    );
  }
  if (blocks === 0) return { status: ScsiStatus.GOOD };
  const expected = task.dataOut.subarray(0, halfBytes);
  const replacement = task.dataOut.subarray(halfBytes, 2 * halfBytes);
  const offsetBytes = byteOffsetOf(lba);
  const release = await context.locks.acquire(unit.naa, lba, blocks, true);
  try {
    const actual = await deviceCall('read', () => unit.device.read(offsetBytes, halfBytes));
    const difference = firstDifference(actual, expected);
    if (difference >= 0) throw miscompareAt(difference);
    await deviceCall('write', () => unit.device.write(offsetBytes, replacement));
  } finally {
    release();
  }
  return { status: ScsiStatus.GOOD };
}
