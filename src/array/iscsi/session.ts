// One iSCSI session in full feature phase, without sockets: its connections, the session-wide
// CmdSN window (session-cmdsn.ts), its tasks (data-out gathering with R2Ts, execution by the SCSI
// device server, Data-In and SCSI Response with residuals, their PDUs built in session-scsi.ts) and
// NOP. Task management, text (SendTargets) and logout live in session-tmf.ts, session-text.ts and
// session-logout.ts, which see the session only through SessionPort. Responses go on the
// connection that carried the command (connection allegiance); StatSN is per connection.

import { type CloseReason, DATA_OUT_INVALID_REASONS, RejectReason } from './errors.js';
import {
  ISCSI_PORTAL_GROUP_TAG,
  ISCSI_SESSION_DATA_OUT_MAX_BYTES,
  ISCSI_SESSION_TASKS_MAX,
} from './limits.js';
import type { LoginResult, SessionType } from './login.js';
import type { SessionParams } from './negotiation.js';
import {
  type DataOutFields,
  decodePdu,
  encodePdu,
  LUN_UNADDRESSABLE,
  type NopOutFields,
  Opcode,
  type RawPdu,
  RESERVED_TAG,
  type ScsiCommandFields,
} from './pdu.js';
import { type ScsiNexus, type ScsiResult, ScsiStatus, type ScsiTask } from './scsi/types.js';
import { CmdSnOrder } from './session-cmdsn.js';
import type { CmdSnWindow, SessionConnection, SessionPort, TargetContext } from './session-context.js';
import { logout } from './session-logout.js';
import {
  commandCdb,
  SENSE_CRC_ERROR,
  SENSE_DATA_PHASE_ERROR,
  SENSE_INTERNAL_FAILURE,
  SENSE_INVALID_FIELD,
  sendScsiResult,
} from './session-scsi.js';
import { SessionTexts } from './session-text.js';
import { taskManagement } from './session-tmf.js';
import { Task } from './task.js';

export type { SessionConnection, TargetContext } from './session-context.js';

/** Data-Out BHS: Initiator Task Tag and Buffer Offset (RFC 7143 11.7). */
const DATA_OUT_ITT_AT = 16;
const DATA_OUT_BUFFER_OFFSET_AT = 40;
/** Data-out one command may ask us to hold (its buffer is allocated before execute). */
export const ISCSI_COMMAND_DATA_OUT_MAX_BYTES = 64 * 1024 * 1024;

interface TaskState {
  task: Task;
  conn: SessionConnection;
}

export class IscsiSession {
  readonly connections = new Map<number, SessionConnection>();
  readonly initiatorName: string;
  readonly isid: string;
  /** The I_T nexus this session is (ScsiNexus.sessionId): initiator port name and TSIH. */
  readonly sessionId: string;
  /** The iSCSI initiator port name (ScsiNexus.initiatorPort): IQN and ISID. */
  readonly initiatorPort: string;
  readonly type: SessionType;
  readonly params: SessionParams;
  /** The CmdSN window: commands act in CmdSN order. */
  private readonly cmdSN: CmdSnOrder;
  private readonly tasks = new Map<number, TaskState>();
  /** What the TMF, text and logout handlers are lent of this session. */
  private readonly port: SessionPort;
  private readonly texts: SessionTexts;
  private dataOutBytes = 0;
  private nextTtt = 1;
  private ended = false;
  /** Data-out is gathered in the target's pool of write buffers. */
  private readonly takeDataOutBuffer = (bytes: number): Buffer => this.ctx.writeBuffers.take(bytes);

  constructor(
    private readonly ctx: TargetContext,
    readonly tsih: number,
    login: LoginResult,
  ) {
    this.initiatorName = login.initiatorName;
    this.isid = login.isid;
    this.initiatorPort = `${login.initiatorName.toLowerCase()},i,0x${login.isid.toLowerCase()}`;
    this.sessionId = `${this.initiatorPort},tsih ${tsih}`;
    this.type = login.sessionType;
    this.params = { ...login.session };
    this.cmdSN = new CmdSnOrder(login.cmdSN, ctx.logger, this.initiatorName);
    this.port = {
      target: ctx,
      initiatorName: this.initiatorName,
      connections: this.connections,
      window: () => this.window(),
      newTtt: () => this.newTtt(),
      reject: (conn, reason, header) => this.reject(conn, reason, header),
      nexus: () => this.nexus(),
      abortTask: (itt) => this.abortTask(itt),
      abortWhere: (which) => this.abortWhere(which),
      end: (reason) => this.end(reason),
    };
    this.texts = new SessionTexts(this.port);
  }

  get expCmdSN(): number {
    return this.cmdSN.expCmdSN;
  }

  get maxCmdSN(): number {
    return this.cmdSN.maxCmdSN;
  }

  get taskCount(): number {
    return this.tasks.size;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  attach(conn: SessionConnection): void {
    this.connections.set(conn.cid, conn);
  }

  /** Removes a connection and aborts its tasks, leaving the session (connection reinstatement). */
  detach(conn: SessionConnection): void {
    if (this.connections.get(conn.cid) !== conn) return;
    this.connections.delete(conn.cid);
    this.abortWhere((_task, owner) => owner === conn);
  }

  /**
   * A connection went away without logout. Error recovery level 0 has no connection recovery:
   * the whole session ends (its tasks are aborted, its other connections closed).
   */
  connectionLost(conn: SessionConnection): void {
    if (this.connections.get(conn.cid) !== conn) return;
    this.connections.delete(conn.cid);
    this.end('session-closed');
  }

  /** Aborts every task and closes every connection. */
  end(reason: CloseReason): void {
    if (this.ended) return;
    this.ended = true;
    for (const state of this.tasks.values()) this.abort(state);
    this.tasks.clear();
    this.cmdSN.clear();
    for (const conn of this.connections.values()) conn.close(reason);
    this.connections.clear();
    this.ctx.sessionEnded(this);
  }

  /** One PDU from `conn`, in full feature phase. */
  handle(conn: SessionConnection, raw: RawPdu): void {
    if (this.ended) return;
    if (raw.dataDigestError && this.digestFailed(conn, raw)) return;
    const pdu = decodePdu(raw);
    if (!pdu) {
      this.reject(conn, RejectReason.COMMAND_NOT_SUPPORTED, raw.bhs);
      return;
    }
    switch (pdu.opcode) {
      case Opcode.DATA_OUT:
        this.dataOut(conn, pdu.fields, pdu.data);
        return;
      case Opcode.SCSI_COMMAND:
        this.cmdSN.admit(
          pdu.fields,
          () => this.delivered(pdu.fields),
          () => this.command(conn, pdu.fields, raw),
        );
        return;
      case Opcode.NOP_OUT:
        if (pdu.fields.itt === RESERVED_TAG) {
          conn.pingAnswered?.(pdu.fields.ttt); // answers a NOP-In ping of ours: no CmdSN, no reply
          return;
        }
        this.cmdSN.admit(pdu.fields, () => this.nop(conn, pdu.fields, pdu.data));
        return;
      case Opcode.TASK_MGMT:
        this.cmdSN.admit(pdu.fields, () => taskManagement(this.port, conn, pdu.fields));
        return;
      case Opcode.TEXT:
        this.cmdSN.admit(pdu.fields, () => this.texts.handle(conn, pdu.fields, raw));
        return;
      case Opcode.LOGOUT:
        this.cmdSN.admit(pdu.fields, () => logout(this.port, conn, pdu.fields));
        return;
      case Opcode.SNACK: // no retransmission at error recovery level 0
      case Opcode.LOGIN: // login is over on this connection
        this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
        return;
      default:
        this.reject(conn, RejectReason.COMMAND_NOT_SUPPORTED, raw.bhs);
    }
  }

  /** ExpCmdSN and MaxCmdSN for an outgoing PDU; the window narrows while tasks pile up. */
  private window(): CmdSnWindow {
    return this.cmdSN.window(this.tasks.size);
  }

  private command(conn: SessionConnection, fields: ScsiCommandFields, raw: RawPdu): void {
    if (this.type === 'Discovery') {
      this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    if (this.tasks.has(fields.itt)) {
      this.reject(conn, RejectReason.TASK_IN_PROGRESS, raw.bhs);
      return;
    }
    const cdb = commandCdb(fields, raw.ahs);
    if (!cdb) {
      this.reject(conn, RejectReason.INVALID_PDU_FIELD, raw.bhs);
      return;
    }
    const want = this.ctx.scsi.dataOutLength(cdb);
    const accept = fields.write ? Math.min(want, fields.expectedLength) : 0;
    const early = this.refuseEarly(accept);
    const task = new Task(
      {
        itt: fields.itt,
        cmdSN: fields.cmdSN,
        lun: fields.lun,
        cdb,
        expectedLength: fields.expectedLength,
        dataOutWant: want,
        write: fields.write && early === null,
        final: fields.final,
        immediate: fields.immediate,
      },
      this.params,
      this.takeDataOutBuffer,
    );
    const state = { task, conn };
    this.tasks.set(fields.itt, state);
    this.dataOutBytes += this.ctx.writeBuffers.sizeFor(task.acceptBytes);
    if (early) {
      this.finish(state, early);
      return;
    }
    // Immediate data that failed its digest: the command goes on, to end in CHECK CONDITION.
    if (raw.dataDigestError) task.dataCorrupt = true;
    const invalid = task.immediateData(raw.data);
    if (invalid) {
      this.dataPhaseFailed(state, invalid);
      return;
    }
    this.progress(state);
  }

  /** A command we answer without gathering data: too much data-out for one command or the session. */
  private refuseEarly(accept: number): ScsiResult | null {
    if (accept > ISCSI_COMMAND_DATA_OUT_MAX_BYTES)
      return { status: ScsiStatus.CHECK_CONDITION, sense: SENSE_INVALID_FIELD };
    if (
      this.tasks.size >= ISCSI_SESSION_TASKS_MAX ||
      this.dataOutBytes + this.ctx.writeBuffers.sizeFor(accept) > ISCSI_SESSION_DATA_OUT_MAX_BYTES
    )
      return { status: ScsiStatus.TASK_SET_FULL };
    return null;
  }

  /** The command's CmdSN came up: it may execute once its data is in. */
  private delivered(fields: ScsiCommandFields): void {
    const state = this.tasks.get(fields.itt);
    if (!state || state.task.cmdSN !== fields.cmdSN || state.task.immediate !== fields.immediate) return;
    state.task.delivered = true;
    this.progress(state);
  }

  /** The command buffer region a Data-Out's data may be read into directly (see PduReader.next). */
  placeDataOut(conn: SessionConnection, bhs: Buffer, dataBytes: number): Buffer | null {
    const state = this.tasks.get(bhs.readUInt32BE(DATA_OUT_ITT_AT));
    if (!state || state.conn !== conn || state.task.executing) return null;
    return state.task.placement(bhs.readUInt32BE(DATA_OUT_BUFFER_OFFSET_AT), dataBytes);
  }

  /**
   * A PDU whose data segment failed its digest (RFC 7143 section 7.8): rejected with Data Digest
   * Error. A SCSI Command and a Data-Out still count for the task's sequence, so it ends once all
   * its data is in, in CHECK CONDITION (ERL 0 cannot ask for the data again); any other PDU is
   * dropped. Returns true when the PDU is done with.
   */
  private digestFailed(conn: SessionConnection, raw: RawPdu): boolean {
    this.ctx.logger.warn(
      { initiator: this.initiatorName, opcode: raw.bhs[0]! & 0x3f },
      'iscsi: data digest error; PDU rejected',
    );
    this.reject(conn, RejectReason.DATA_DIGEST_ERROR, raw.bhs);
    const opcode = raw.bhs[0]! & 0x3f;
    if (opcode === Opcode.DATA_OUT) {
      const state = this.tasks.get(raw.bhs.readUInt32BE(DATA_OUT_ITT_AT));
      if (state && state.conn === conn) state.task.dataCorrupt = true;
      return false;
    }
    return opcode !== Opcode.SCSI_COMMAND;
  }

  private dataOut(conn: SessionConnection, fields: DataOutFields, data: Buffer): void {
    const state = this.tasks.get(fields.itt);
    // Data for a task we aborted, failed or never took (dropped CmdSN): discarded.
    if (!state || state.conn !== conn || state.task.executing) return;
    const invalid = state.task.dataOutPdu(fields.ttt, fields.dataSN, fields.bufferOffset, fields.final, data);
    if (invalid) {
      this.dataPhaseFailed(state, invalid);
      return;
    }
    this.progress(state);
  }

  private dataPhaseFailed(state: TaskState, reason: keyof typeof DATA_OUT_INVALID_REASONS): void {
    this.ctx.logger.warn(
      {
        initiator: this.initiatorName,
        itt: state.task.itt,
        reason,
        detail: DATA_OUT_INVALID_REASONS[reason],
      },
      'iscsi: data-out phase failed; command ends in CHECK CONDITION',
    );
    this.finish(state, { status: ScsiStatus.CHECK_CONDITION, sense: SENSE_DATA_PHASE_ERROR });
  }

  /** Sends the R2Ts the task needs now; executes it when all its data is in and its turn came. */
  private progress(state: TaskState): void {
    const { task, conn } = state;
    if (!task.dataComplete) {
      for (const plan of task.solicit(() => this.newTtt())) {
        conn.send(
          encodePdu(Opcode.R2T, {
            itt: task.itt,
            lun: task.lun,
            ...plan,
            statSN: conn.peekStatSN(),
            ...this.window(),
          }),
        );
      }
      return;
    }
    if (!task.delivered && !task.immediate) return;
    if (task.executing) return;
    if (task.dataCorrupt) {
      this.finish(state, { status: ScsiStatus.CHECK_CONDITION, sense: SENSE_CRC_ERROR });
      return;
    }
    task.executing = true;
    void this.execute(state);
  }

  /** What the SCSI device server knows of this I_T nexus: one object for every command. */
  private nexusView: ScsiNexus | null = null;

  private nexus(): ScsiNexus {
    if (this.nexusView) return this.nexusView;
    const catalog = this.ctx.catalog;
    const initiatorName = this.initiatorName;
    this.nexusView = {
      targetName: catalog.targetName,
      portalGroupTag: ISCSI_PORTAL_GROUP_TAG,
      initiatorName,
      sessionId: this.sessionId,
      initiatorPort: this.initiatorPort,
      // Asked afresh each time (connections change during a session), and only by REPORT LUNS.
      get luns() {
        return catalog.luns(initiatorName);
      },
      unitWithNaa: (naa) => {
        for (const lun of catalog.luns(initiatorName)) {
          const unit = catalog.open(initiatorName, lun);
          if (unit?.naa === naa) return unit;
        }
        return null;
      },
    };
    return this.nexusView;
  }

  private newTtt(): number {
    const ttt = this.nextTtt;
    this.nextTtt = this.nextTtt >= 0xfffffffe ? 1 : this.nextTtt + 1;
    return ttt;
  }

  private async execute(state: TaskState): Promise<void> {
    const { task } = state;
    const catalog = this.ctx.catalog;
    let unit: ScsiTask['unit'] = null;
    let result: ScsiResult;
    try {
      unit = task.lun === LUN_UNADDRESSABLE ? null : catalog.open(this.initiatorName, task.lun);
      result = await this.ctx.scsi.execute({
        nexus: this.nexus(),
        unit,
        lun: task.lun,
        cdb: task.cdb,
        dataOut: task.dataOut.subarray(0, Math.min(task.received, task.acceptBytes)),
        expectedLength: task.expectedLength,
      });
    } catch (error) {
      this.ctx.logger.error(
        { err: error, initiator: this.initiatorName, cdb: task.cdb.toString('hex') },
        'iscsi: SCSI layer threw',
      );
      result = { status: ScsiStatus.CHECK_CONDITION, sense: SENSE_INTERNAL_FAILURE };
    } finally {
      // The write settled: the buffer goes back to the pool unless the device may still hold it.
      if (task.dataOut.length > 0 && (unit === null || unit.device.mayReuse?.(task.dataOut)))
        this.ctx.writeBuffers.give(task.dataOut);
      try {
        unit?.device.close();
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'iscsi: closing a device failed');
      }
    }
    if (task.aborted || this.ended) return;
    this.finish(state, result);
  }

  /** Sends the task's Data-In and status, then forgets it. */
  private finish(state: TaskState, result: ScsiResult): void {
    const { task, conn } = state;
    this.forget(state);
    if (this.connections.get(conn.cid) !== conn) return;
    sendScsiResult(conn, task, result, this.params.maxBurstLength, () => this.window());
  }

  private forget(state: TaskState): void {
    if (this.tasks.get(state.task.itt) === state) this.tasks.delete(state.task.itt);
    this.dataOutBytes -= this.ctx.writeBuffers.sizeFor(state.task.acceptBytes);
  }

  private abort(state: TaskState): void {
    state.task.aborted = true;
    this.forget(state);
  }

  private nop(conn: SessionConnection, fields: NopOutFields, data: Buffer): void {
    const echo = data.subarray(0, conn.params.initiatorMrdslBytes);
    conn.send(
      encodePdu(
        Opcode.NOP_IN,
        { itt: fields.itt, lun: fields.lun, ttt: RESERVED_TAG, statSN: conn.takeStatSN(), ...this.window() },
        echo,
      ),
    );
  }

  /**
   * A NOP-In ping on `conn` asking for an answer with `ttt`. Its ITT is reserved, so it carries the
   * next StatSN without advancing it (RFC 7143 section 11.19.5).
   */
  ping(conn: SessionConnection, ttt: number): void {
    conn.send(
      encodePdu(Opcode.NOP_IN, {
        itt: RESERVED_TAG,
        lun: 0,
        ttt,
        statSN: conn.peekStatSN(),
        ...this.window(),
      }),
    );
  }

  /** Aborts the task with this Initiator Task Tag (ABORT TASK); false when there is none. */
  private abortTask(itt: number): boolean {
    const state = this.tasks.get(itt);
    if (!state) return false;
    this.abort(state);
    return true;
  }

  /** Aborts the tasks matching `which` (no response is sent for them). */
  abortWhere(which: (task: Task, conn: SessionConnection) => boolean): void {
    for (const state of [...this.tasks.values()]) if (which(state.task, state.conn)) this.abort(state);
  }

  /** Reject: the data segment is the rejected PDU's BHS. */
  private reject(conn: SessionConnection, reason: number, header: Buffer): void {
    conn.send(
      encodePdu(Opcode.REJECT, { reason, statSN: conn.takeStatSN(), ...this.window(), dataSN: 0 }, header),
    );
  }
}
