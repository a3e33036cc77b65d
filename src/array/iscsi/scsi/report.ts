// REPORT LUNS, REQUEST SENSE and the LUN encodings they share with the iSCSI BHS LUN field.

import { assertControlByte, truncateTo } from './cdb.js';
import { FLAT_LUN_MAX, PERIPHERAL_LUN_MAX } from './limits.js';
import { descriptorSense, fixedSense, invalidCdbField, type SenseName } from './sense.js';
import { type ScsiNexus, type ScsiResult, ScsiStatus } from './types.js';

export const LUN_ENTRY_BYTES = 8;
const FLAT_SPACE_METHOD = 0x40;

/** SAM-5 single-level LUN: peripheral addressing up to 255, flat space addressing up to 16383. */
export function encodeLun(lun: number): Buffer | undefined {
  if (!Number.isInteger(lun) || lun < 0 || lun > FLAT_LUN_MAX) return undefined;
  const entry = Buffer.alloc(LUN_ENTRY_BYTES);
  if (lun <= PERIPHERAL_LUN_MAX) {
    entry[1] = lun;
  } else {
    entry[0] = FLAT_SPACE_METHOD | (lun >> 8);
    entry[1] = lun & 0xff;
  }
  return entry;
}

const SelectReport = { ALL: 0x00, WELL_KNOWN_ONLY: 0x01, ALL_ACCESSIBLE: 0x02 } as const;
const REPORT_LUNS_HEADER_BYTES = 8;

/** REPORT LUNS (0xA0): answered on any LUN, even one with no LU. We have no well-known LUs. */
export function reportLuns(cdb: Buffer, nexus: ScsiNexus): ScsiResult {
  assertControlByte(cdb, 12);
  const selectReport = cdb[2] ?? 0;
  const allocationLength = cdb.readUInt32BE(6);
  let luns: readonly number[];
  switch (selectReport) {
    case SelectReport.ALL:
    case SelectReport.ALL_ACCESSIBLE:
      luns = nexus.luns;
      break;
    case SelectReport.WELL_KNOWN_ONLY:
      luns = [];
      break;
    default:
      throw invalidCdbField(`SELECT REPORT 0x${selectReport.toString(16)} is not supported`, 2);
  }
  // LUNs beyond 16383 cannot be encoded in a single level; the catalogue never assigns them.
  const entries = [...luns]
    .sort((a, b) => a - b)
    .map(encodeLun)
    .filter((entry): entry is Buffer => entry !== undefined);
  const header = Buffer.alloc(REPORT_LUNS_HEADER_BYTES);
  header.writeUInt32BE(entries.length * LUN_ENTRY_BYTES, 0);
  return {
    status: ScsiStatus.GOOD,
    dataIn: truncateTo(Buffer.concat([header, ...entries]), allocationLength),
  };
}

const DESC_BIT = 0x01;

/**
 * REQUEST SENSE (0x03): GOOD with the sense to report, `pending` (e.g. a unit attention, which
 * the caller then considers delivered) or NO SENSE; LOGICAL UNIT NOT SUPPORTED for a missing LU.
 */
export function requestSense(cdb: Buffer, pending: SenseName): ScsiResult {
  assertControlByte(cdb, 6);
  const descriptorFormat = ((cdb[1] ?? 0) & DESC_BIT) !== 0;
  const sense = descriptorFormat ? descriptorSense(pending) : fixedSense(pending);
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(sense, cdb[4] ?? 0) };
}
