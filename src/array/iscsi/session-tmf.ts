// Task management in full feature phase: ABORT TASK / TASK SET, CLEAR TASK SET, LOGICAL UNIT and
// TARGET resets. Aborted tasks get no response of their own; the TMF response says what was done.

import { TmfResponse } from './errors.js';
import { encodePdu, Opcode, type TaskMgmtFields } from './pdu.js';
import type { ScsiTask } from './scsi/types.js';
import type { SessionConnection, SessionPort } from './session-context.js';

/** What task management needs of its session. */
export type TmfSession = Pick<
  SessionPort,
  'target' | 'initiatorName' | 'window' | 'nexus' | 'abortTask' | 'abortWhere'
>;

/** TMF function codes (RFC 7143 11.5.1). */
const TMF_TARGET_COLD_RESET = 7;

export function taskManagement(session: TmfSession, conn: SessionConnection, fields: TaskMgmtFields): void {
  const response = runTmf(session, fields);
  conn.send(
    encodePdu(Opcode.TASK_MGMT_RESPONSE, {
      itt: fields.itt,
      response,
      statSN: conn.takeStatSN(),
      ...session.window(),
    }),
  );
  if (fields.func === TMF_TARGET_COLD_RESET && response === TmfResponse.FUNCTION_COMPLETE) {
    // TARGET COLD RESET: answered, then every connection of every session is dropped.
    for (const other of [...session.target.sessions()]) other.end('target-cold-reset');
  }
}

function runTmf(session: TmfSession, fields: TaskMgmtFields): number {
  const { target } = session;
  const lunKnown = () => target.catalog.luns(session.initiatorName).includes(fields.lun);
  switch (fields.func) {
    case 1: // ABORT TASK: no response for the aborted task; an already completed one "does not exist".
      return session.abortTask(fields.referencedTag)
        ? TmfResponse.FUNCTION_COMPLETE
        : TmfResponse.TASK_DOES_NOT_EXIST;
    case 2: // ABORT TASK SET: this I_T nexus's tasks on the LU
      session.abortWhere((task) => task.lun === fields.lun);
      return TmfResponse.FUNCTION_COMPLETE;
    case 3: // CLEAR ACA: we never establish ACA (NACA=0)
      return TmfResponse.FUNCTION_COMPLETE;
    case 4: // CLEAR TASK SET: every nexus's tasks on the LU
      for (const other of target.sessions()) other.abortWhere((task) => task.lun === fields.lun);
      return TmfResponse.FUNCTION_COMPLETE;
    case 5: // LOGICAL UNIT RESET
      if (!lunKnown()) return TmfResponse.LUN_DOES_NOT_EXIST;
      for (const other of target.sessions()) other.abortWhere((task) => task.lun === fields.lun);
      resetLogicalUnit(session, fields.lun);
      return TmfResponse.FUNCTION_COMPLETE;
    case 6: // TARGET WARM RESET
    case TMF_TARGET_COLD_RESET: // connections dropped after the response
      for (const other of target.sessions()) other.abortWhere(() => true);
      target.scsi.reset(null, session.nexus());
      return TmfResponse.FUNCTION_COMPLETE;
    case 8: // TASK REASSIGN: needs error recovery level 2
      return TmfResponse.REASSIGNMENT_NOT_SUPPORTED;
    default:
      return TmfResponse.NOT_SUPPORTED;
  }
}

/** Tells the device server, with the LU the LUN addresses for us (it may be absent or refused). */
function resetLogicalUnit(session: TmfSession, lun: number): void {
  const { target } = session;
  let unit: ScsiTask['unit'] = null;
  try {
    unit = target.catalog.open(session.initiatorName, lun);
    target.scsi.reset(lun, session.nexus(), unit);
  } finally {
    try {
      unit?.device.close();
    } catch (error) {
      target.logger.warn({ err: error }, 'iscsi: closing a device failed');
    }
  }
}
