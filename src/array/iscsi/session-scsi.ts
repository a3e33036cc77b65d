// The SCSI side of a session's tasks in iSCSI PDUs: the CDB a SCSI Command carries (BHS and AHS),
// the fixed-format sense for failures the transport detects itself, and a task's result back to the
// initiator: Data-In PDUs split by the initiator's MaxRecvDataSegmentLength and MaxBurstLength,
// status in the last Data-In when GOOD (phase collapse), else a SCSI Response with sense; residuals
// against the Expected Data Transfer Length.

import { encodePdu, Opcode, parseAhs, RESERVED_TAG, type ScsiCommandFields } from './pdu.js';
import { cdbLengthOf } from './scsi/cdb.js';
import { fixedSense } from './scsi/sense.js';
import { type ScsiResult, ScsiStatus } from './scsi/types.js';
import type { CmdSnWindow, SessionConnection } from './session-context.js';
import type { Task } from './task.js';

/** ABORTED COMMAND, DATA PHASE ERROR. */
export const SENSE_DATA_PHASE_ERROR = fixedSense('data-phase-error');
/** HARDWARE ERROR, INTERNAL TARGET FAILURE: the SCSI layer threw (our bug). */
export const SENSE_INTERNAL_FAILURE = fixedSense('internal-target-failure');
/** ILLEGAL REQUEST, INVALID FIELD IN CDB: a CDB we cannot take (too long, too much data). */
export const SENSE_INVALID_FIELD = fixedSense('invalid-field-in-cdb');
/** ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR: some of the command's data failed its digest. */
export const SENSE_CRC_ERROR = fixedSense('protocol-service-crc-error');

/** A SCSI Command BHS holds up to 16 CDB bytes (longer CDBs continue in an AHS). */
const BHS_CDB_BYTES = 16;

/** The command's CDB, or null when its AHS is invalid or asks for bidirectional transfer. */
export function commandCdb(fields: ScsiCommandFields, ahs: Buffer): Buffer | null {
  // The CDB's length from its opcode group; variable-length and vendor groups keep all 16 bytes.
  let cdb = fields.cdb.subarray(0, cdbLengthOf(fields.cdb[0]!) || BHS_CDB_BYTES);
  if (ahs.length > 0) {
    const extra = parseAhs(ahs);
    if ('invalid' in extra || extra.bidiReadLength !== null) return null;
    if (extra.extendedCdb) cdb = Buffer.concat([fields.cdb, extra.extendedCdb]);
  }
  return cdb;
}

/** Sends `result` for `task` on `conn`; `window` is asked afresh for each PDU. */
export function sendScsiResult(
  conn: SessionConnection,
  task: Task,
  result: ScsiResult,
  maxBurstBytes: number,
  window: () => CmdSnWindow,
): void {
  const dataIn = result.dataIn ?? Buffer.alloc(0);
  const good = result.status === ScsiStatus.GOOD && !result.sense;
  const want = task.dataOutWant > 0 ? task.dataOutWant : dataIn.length;
  const edtl = task.expectedLength;
  const residual = {
    overflow: good && want > edtl,
    underflow: good && want < edtl,
    residual: good ? Math.abs(want - edtl) : 0,
  };
  const sendBytes = Math.min(dataIn.length, edtl);
  let dataSN = 0;
  if (sendBytes > 0) {
    const segment = conn.params.initiatorMrdslBytes;
    const burst = maxBurstBytes;
    for (let offset = 0; offset < sendBytes; ) {
      const burstEnd = (Math.floor(offset / burst) + 1) * burst;
      const length = Math.min(segment, sendBytes - offset, burstEnd - offset);
      const last = offset + length === sendBytes;
      const withStatus = last && good;
      conn.send(
        encodePdu(
          Opcode.DATA_IN,
          {
            itt: task.itt,
            final: last || offset + length === burstEnd,
            ack: false,
            overflow: withStatus && residual.overflow,
            underflow: withStatus && residual.underflow,
            statusPresent: withStatus,
            status: withStatus ? result.status : 0,
            lun: 0,
            ttt: RESERVED_TAG,
            statSN: withStatus ? conn.takeStatSN() : 0,
            ...window(),
            dataSN: dataSN++,
            bufferOffset: offset,
            residual: withStatus ? residual.residual : 0,
          },
          dataIn.subarray(offset, offset + length),
        ),
        last ? result.release : undefined,
      );
      offset += length;
    }
    if (good) return;
  }
  let senseData: Buffer | undefined;
  if (result.sense && result.sense.length > 0) {
    senseData = Buffer.alloc(2 + result.sense.length);
    senseData.writeUInt16BE(result.sense.length, 0);
    result.sense.copy(senseData, 2);
  }
  conn.send(
    encodePdu(
      Opcode.SCSI_RESPONSE,
      {
        itt: task.itt,
        bidiOverflow: false,
        bidiUnderflow: false,
        ...residual,
        response: 0,
        status: result.status,
        statSN: conn.takeStatSN(),
        ...window(),
        expDataSN: task.dataOutWant > 0 ? task.r2tCount : dataSN,
        bidiResidual: 0,
      },
      senseData,
    ),
    sendBytes > 0 ? undefined : result.release,
  );
}
