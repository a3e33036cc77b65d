// READ DEFECT DATA (10) and (12): a volume has no medium of its own and so no defects. The lists
// asked for (primary, grown) are reported valid and empty, in the format asked for.

import { assertControlByte, truncateTo } from './cdb.js';
import type { CommandContext } from './command.js';
import { type ScsiResult, ScsiStatus } from './types.js';

const LIST_BITS = 0x18; // REQ_PLIST, REQ_GLIST -> PLISTV, GLISTV (same bit positions)
const FORMAT_BITS = 0x07;

export function readDefectData10(context: CommandContext): ScsiResult {
  const { cdb } = context;
  assertControlByte(cdb, 10);
  const data = Buffer.alloc(4); // DEFECT LIST LENGTH (bytes 2-3) 0
  data[1] = (cdb[2] ?? 0) & (LIST_BITS | FORMAT_BITS);
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(data, cdb.readUInt16BE(7)) };
}

export function readDefectData12(context: CommandContext): ScsiResult {
  const { cdb } = context;
  assertControlByte(cdb, 12);
  const data = Buffer.alloc(8); // DEFECT LIST LENGTH (bytes 4-7) 0
  data[1] = (cdb[1] ?? 0) & (LIST_BITS | FORMAT_BITS);
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(data, cdb.readUInt32BE(6)) };
}
