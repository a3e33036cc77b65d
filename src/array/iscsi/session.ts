// One iSCSI session in full feature phase, without sockets: its connections, the session-wide
// CmdSN window (commands delivered in CmdSN order, out-of-window ones silently dropped), its
// tasks (data-out gathering with R2Ts, execution by the SCSI device server, Data-In and SCSI
// Response with residuals), NOP, task management, text (SendTargets) and logout. Responses go on
// the connection that carried the command (connection allegiance); StatSN is per connection.

import type { IscsiTargetCatalog } from './catalog.js';
import {
  type CloseReason,
  DATA_OUT_INVALID_REASONS,
  LogoutResponse,
  RejectReason,
  TmfResponse,
} from './errors.js';
import {
  ISCSI_CMDSN_WINDOW,
  ISCSI_PORTAL_GROUP_TAG,
  ISCSI_SESSION_DATA_OUT_MAX_BYTES,
  ISCSI_SESSION_TASKS_MAX,
} from './limits.js';
import type { IscsiLogger } from './logger.js';
import type { LoginResult, SessionType } from './login.js';
import type { ConnectionParams, SessionParams } from './negotiation.js';
import {
  type DataOutFields,
  decodePdu,
  encodePdu,
  type LogoutFields,
  LUN_UNADDRESSABLE,
  type NopOutFields,
  Opcode,
  parseAhs,
  type RawPdu,
  RESERVED_TAG,
  type ScsiCommandFields,
  type TaskMgmtFields,
  type TextFields,
} from './pdu.js';
import { cdbLengthOf } from './scsi/cdb.js';
import {
  type ScsiDeviceServer,
  type ScsiNexus,
  type ScsiResult,
  ScsiStatus,
  type ScsiTask,
} from './scsi/types.js';
import { snAdd, snDistance, snLess } from './sequence.js';
import { Task } from './task.js';
import { decodeText, encodeText, splitText, TextAssembler, type TextPairs } from './text.js';

/** What the session needs of one of its connections. */
export interface SessionConnection {
  readonly cid: number;
  readonly params: ConnectionParams;
  /** The StatSN for a response that advances it. */
  takeStatSN(): number;
  /** The next StatSN without advancing it (R2T, Data-In without status). */
  peekStatSN(): number;
  send(chunks: Buffer[]): void;
  /** Ends the connection once what was sent is written. */
  close(reason: CloseReason): void;
}

/** What sessions share: the target's catalog and SCSI device server, and each other. */
export interface TargetContext {
  readonly catalog: IscsiTargetCatalog;
  readonly scsi: ScsiDeviceServer;
  /** host:port answered in SendTargets. */
  readonly portal: string;
  readonly logger: IscsiLogger;
  sessions(): Iterable<IscsiSession>;
  sessionEnded(session: IscsiSession): void;
}

/** Fixed-format sense for failures the transport detects itself: ABORTED COMMAND, DATA PHASE ERROR. */
const SENSE_DATA_PHASE_ERROR = fixedSense(0x0b, 0x4b, 0x00);
/** A SCSI Command BHS holds up to 16 CDB bytes (longer CDBs continue in an AHS). */
const BHS_CDB_BYTES = 16;
/** Data-Out BHS: Initiator Task Tag and Buffer Offset (RFC 7143 11.7). */
const DATA_OUT_ITT_AT = 16;
const DATA_OUT_BUFFER_OFFSET_AT = 40;
/** HARDWARE ERROR, INTERNAL TARGET FAILURE: the SCSI layer threw (our bug). */
const SENSE_INTERNAL_FAILURE = fixedSense(0x04, 0x44, 0x00);
/** ILLEGAL REQUEST, INVALID FIELD IN CDB: a CDB we cannot take (too long, too much data). */
const SENSE_INVALID_FIELD = fixedSense(0x05, 0x24, 0x00);

function fixedSense(key: number, asc: number, ascq: number): Buffer {
  const sense = Buffer.alloc(18);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  sense[12] = asc;
  sense[13] = ascq;
  return sense;
}

/** Data-out one command may ask us to hold (its buffer is allocated before execute). */
export const ISCSI_COMMAND_DATA_OUT_MAX_BYTES = 64 * 1024 * 1024;

type Ordered = NopOutFields | ScsiCommandFields | TaskMgmtFields | TextFields | LogoutFields;

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
  readonly type: SessionType;
  readonly params: SessionParams;
  expCmdSN: number;
  maxCmdSN: number;
  private readonly held = new Map<number, () => void>();
  private readonly tasks = new Map<number, TaskState>();
  private readonly texts = new Map<
    SessionConnection,
    { itt: number; assembler: TextAssembler; rest: Buffer[]; ttt: number }
  >();
  private dataOutBytes = 0;
  private nextTtt = 1;
  private ended = false;

  constructor(
    private readonly ctx: TargetContext,
    readonly tsih: number,
    login: LoginResult,
  ) {
    this.initiatorName = login.initiatorName;
    this.isid = login.isid;
    this.sessionId = `${login.initiatorName.toLowerCase()},i,0x${login.isid.toLowerCase()},tsih ${tsih}`;
    this.type = login.sessionType;
    this.params = { ...login.session };
    this.expCmdSN = login.cmdSN;
    this.maxCmdSN = snAdd(login.cmdSN, ISCSI_CMDSN_WINDOW - 1);
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
    this.held.clear();
    for (const conn of this.connections.values()) conn.close(reason);
    this.connections.clear();
    this.ctx.sessionEnded(this);
  }

  /** One PDU from `conn`, in full feature phase. */
  handle(conn: SessionConnection, raw: RawPdu): void {
    if (this.ended) return;
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
        this.ordered(
          pdu.fields,
          () => this.delivered(pdu.fields),
          () => this.command(conn, pdu.fields, raw),
        );
        return;
      case Opcode.NOP_OUT:
        if (pdu.fields.itt === RESERVED_TAG) return; // answers a NOP-In of ours: nothing to do
        this.ordered(pdu.fields, () => this.nop(conn, pdu.fields, pdu.data));
        return;
      case Opcode.TASK_MGMT:
        this.ordered(pdu.fields, () => this.taskManagement(conn, pdu.fields));
        return;
      case Opcode.TEXT:
        this.ordered(pdu.fields, () => this.text(conn, pdu.fields, raw));
        return;
      case Opcode.LOGOUT:
        this.ordered(pdu.fields, () => this.logout(conn, pdu.fields));
        return;
      case Opcode.SNACK: // no retransmission at error recovery level 0
      case Opcode.LOGIN: // login is over on this connection
        this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
        return;
      default:
        this.reject(conn, RejectReason.COMMAND_NOT_SUPPORTED, raw.bhs);
    }
  }

  /**
   * CmdSN ordering. Immediate PDUs act at once. A non-immediate one outside [ExpCmdSN, MaxCmdSN]
   * is dropped silently (the connection stays); inside, it acts when every earlier CmdSN has.
   * A SCSI command starts gathering its data on arrival (`arrive`), its execution waits.
   */
  private ordered(fields: Ordered, act: () => void, arrive?: () => void): void {
    if (fields.immediate) {
      arrive?.();
      act();
      return;
    }
    const windowSize = snDistance(this.expCmdSN, snAdd(this.maxCmdSN, 1));
    const offset = snDistance(this.expCmdSN, fields.cmdSN);
    if (offset >= windowSize || this.held.has(fields.cmdSN)) {
      this.ctx.logger.debug(
        {
          initiator: this.initiatorName,
          cmdSN: fields.cmdSN,
          expCmdSN: this.expCmdSN,
          maxCmdSN: this.maxCmdSN,
        },
        'iscsi: CmdSN outside the window, PDU dropped',
      );
      return;
    }
    arrive?.();
    if (offset > 0) {
      this.held.set(fields.cmdSN, act);
      return;
    }
    this.expCmdSN = snAdd(this.expCmdSN, 1);
    act();
    for (let next = this.held.get(this.expCmdSN); next; next = this.held.get(this.expCmdSN)) {
      this.held.delete(this.expCmdSN);
      this.expCmdSN = snAdd(this.expCmdSN, 1);
      next();
    }
  }

  /** ExpCmdSN and MaxCmdSN for an outgoing PDU; the window narrows while tasks pile up. */
  private window(): { expCmdSN: number; maxCmdSN: number } {
    const room = Math.max(1, ISCSI_CMDSN_WINDOW - this.tasks.size);
    const candidate = snAdd(this.expCmdSN, room - 1);
    if (snLess(this.maxCmdSN, candidate)) this.maxCmdSN = candidate;
    return { expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN };
  }

  private command(conn: SessionConnection, fields: ScsiCommandFields, raw: RawPdu): void {
    const { ahs, data } = raw;
    if (this.type === 'Discovery') {
      this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    if (this.tasks.has(fields.itt)) {
      this.reject(conn, RejectReason.TASK_IN_PROGRESS, raw.bhs);
      return;
    }
    // The CDB's length from its opcode group; variable-length and vendor groups keep all 16 bytes.
    let cdb = fields.cdb.subarray(0, cdbLengthOf(fields.cdb[0]!) || BHS_CDB_BYTES);
    if (ahs.length > 0) {
      const extra = parseAhs(ahs);
      if ('invalid' in extra || extra.bidiReadLength !== null) {
        this.reject(conn, RejectReason.INVALID_PDU_FIELD, raw.bhs);
        return;
      }
      if (extra.extendedCdb) cdb = Buffer.concat([fields.cdb, extra.extendedCdb]);
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
    );
    const state = { task, conn };
    this.tasks.set(fields.itt, state);
    this.dataOutBytes += task.acceptBytes;
    if (early) {
      this.finish(state, early);
      return;
    }
    const invalid = task.immediateData(data);
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
      this.dataOutBytes + accept > ISCSI_SESSION_DATA_OUT_MAX_BYTES
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
    task.executing = true;
    void this.execute(state);
  }

  /** What the SCSI device server knows of this I_T nexus. */
  private nexus(): ScsiNexus {
    const catalog = this.ctx.catalog;
    return {
      targetName: catalog.targetName,
      portalGroupTag: ISCSI_PORTAL_GROUP_TAG,
      initiatorName: this.initiatorName,
      sessionId: this.sessionId,
      luns: catalog.luns(this.initiatorName),
    };
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
      const burst = this.params.maxBurstLength;
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
              ...this.window(),
              dataSN: dataSN++,
              bufferOffset: offset,
              residual: withStatus ? residual.residual : 0,
            },
            dataIn.subarray(offset, offset + length),
          ),
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
          ...this.window(),
          expDataSN: task.dataOutWant > 0 ? task.r2tCount : dataSN,
          bidiResidual: 0,
        },
        senseData,
      ),
    );
  }

  private forget(state: TaskState): void {
    if (this.tasks.get(state.task.itt) === state) this.tasks.delete(state.task.itt);
    this.dataOutBytes -= state.task.acceptBytes;
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

  private taskManagement(conn: SessionConnection, fields: TaskMgmtFields): void {
    const response = this.runTmf(fields);
    conn.send(
      encodePdu(Opcode.TASK_MGMT_RESPONSE, {
        itt: fields.itt,
        response,
        statSN: conn.takeStatSN(),
        ...this.window(),
      }),
    );
    if (fields.func === 7 && response === TmfResponse.FUNCTION_COMPLETE) {
      // TARGET COLD RESET: answered, then every connection of every session is dropped.
      for (const session of [...this.ctx.sessions()]) session.end('target-cold-reset');
    }
  }

  private runTmf(fields: TaskMgmtFields): number {
    const lunKnown = () => this.ctx.catalog.luns(this.initiatorName).includes(fields.lun);
    switch (fields.func) {
      case 1: {
        // ABORT TASK: no response for the aborted task; an already completed one "does not exist".
        const state = this.tasks.get(fields.referencedTag);
        if (!state) return TmfResponse.TASK_DOES_NOT_EXIST;
        this.abort(state);
        return TmfResponse.FUNCTION_COMPLETE;
      }
      case 2: // ABORT TASK SET: this I_T nexus's tasks on the LU
        this.abortWhere((task) => task.lun === fields.lun);
        return TmfResponse.FUNCTION_COMPLETE;
      case 3: // CLEAR ACA: we never establish ACA (NACA=0)
        return TmfResponse.FUNCTION_COMPLETE;
      case 4: // CLEAR TASK SET: every nexus's tasks on the LU
        for (const session of this.ctx.sessions()) session.abortWhere((task) => task.lun === fields.lun);
        return TmfResponse.FUNCTION_COMPLETE;
      case 5: // LOGICAL UNIT RESET
        if (!lunKnown()) return TmfResponse.LUN_DOES_NOT_EXIST;
        for (const session of this.ctx.sessions()) session.abortWhere((task) => task.lun === fields.lun);
        this.resetLogicalUnit(fields.lun);
        return TmfResponse.FUNCTION_COMPLETE;
      case 6: // TARGET WARM RESET
      case 7: // TARGET COLD RESET (connections dropped after the response)
        for (const session of this.ctx.sessions()) session.abortWhere(() => true);
        this.ctx.scsi.reset(null, this.nexus());
        return TmfResponse.FUNCTION_COMPLETE;
      case 8: // TASK REASSIGN: needs error recovery level 2
        return TmfResponse.REASSIGNMENT_NOT_SUPPORTED;
      default:
        return TmfResponse.NOT_SUPPORTED;
    }
  }

  /** Tells the device server, with the LU the LUN addresses for us (it may be absent or refused). */
  private resetLogicalUnit(lun: number): void {
    let unit: ScsiTask['unit'] = null;
    try {
      unit = this.ctx.catalog.open(this.initiatorName, lun);
      this.ctx.scsi.reset(lun, this.nexus(), unit);
    } finally {
      try {
        unit?.device.close();
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'iscsi: closing a device failed');
      }
    }
  }

  /** Aborts the tasks matching `which` (no response is sent for them). */
  abortWhere(which: (task: Task, conn: SessionConnection) => boolean): void {
    for (const state of [...this.tasks.values()]) if (which(state.task, state.conn)) this.abort(state);
  }

  private text(conn: SessionConnection, fields: TextFields, raw: RawPdu): void {
    const data = raw.data;
    let state = this.texts.get(conn);
    if (fields.ttt !== RESERVED_TAG && state && state.ttt === fields.ttt && state.rest.length > 0) {
      this.sendTextPart(conn, fields, state);
      return;
    }
    if (!state || state.itt !== fields.itt) {
      state = { itt: fields.itt, assembler: new TextAssembler(), rest: [], ttt: RESERVED_TAG };
      this.texts.set(conn, state);
    }
    const whole = state.assembler.add(data, fields.cont);
    if (whole === 'pending') {
      state.ttt = this.newTtt();
      this.sendText(conn, fields, Buffer.alloc(0), false, state.ttt);
      return;
    }
    if (typeof whole === 'object' && 'invalid' in whole) {
      this.texts.delete(conn);
      this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    const pairs = decodeText(whole);
    if ('invalid' in pairs) {
      this.texts.delete(conn);
      this.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    state.rest = splitText(encodeText(this.answerText(pairs)), conn.params.initiatorMrdslBytes);
    state.ttt = this.newTtt();
    this.sendTextPart(conn, fields, state);
  }

  private answerText(pairs: TextPairs): TextPairs {
    const answers: TextPairs = [];
    const ours = this.ctx.catalog.targetName;
    for (const [key, value] of pairs) {
      if (key === 'SendTargets') {
        const all = value === 'All' || value === '' || value.toLowerCase() === ours.toLowerCase();
        if (all) {
          answers.push(['TargetName', ours]);
          answers.push(['TargetAddress', `${this.ctx.portal},${ISCSI_PORTAL_GROUP_TAG}`]);
        }
      } else {
        // Renegotiation in full feature phase is not supported.
        answers.push([key, 'NotUnderstood']);
      }
    }
    return answers;
  }

  private sendTextPart(
    conn: SessionConnection,
    fields: TextFields,
    state: { rest: Buffer[]; ttt: number },
  ): void {
    const part = state.rest.shift() ?? Buffer.alloc(0);
    const last = state.rest.length === 0;
    if (last) this.texts.delete(conn);
    this.sendText(conn, fields, part, last, last ? RESERVED_TAG : state.ttt);
  }

  private sendText(
    conn: SessionConnection,
    fields: TextFields,
    data: Buffer,
    final: boolean,
    ttt: number,
  ): void {
    conn.send(
      encodePdu(
        Opcode.TEXT_RESPONSE,
        {
          itt: fields.itt,
          final,
          cont: !final && data.length > 0,
          lun: 0,
          ttt,
          statSN: conn.takeStatSN(),
          ...this.window(),
        },
        data,
      ),
    );
  }

  private logout(conn: SessionConnection, fields: LogoutFields): void {
    const respond = (response: number) =>
      conn.send(
        encodePdu(Opcode.LOGOUT_RESPONSE, {
          itt: fields.itt,
          response,
          statSN: conn.takeStatSN(),
          ...this.window(),
          time2Wait: 0,
          time2Retain: 0,
        }),
      );
    if (fields.reason === 0) {
      respond(LogoutResponse.CLOSED);
      this.end('logout');
      return;
    }
    if (fields.reason === 1) {
      const target = this.connections.get(fields.cid);
      if (!target) {
        respond(LogoutResponse.CID_NOT_FOUND);
        return;
      }
      // Error recovery level 0: the connection's tasks cannot move to another connection.
      this.abortWhere((_task, owner) => owner === target);
      respond(LogoutResponse.CLOSED);
      this.connections.delete(fields.cid);
      target.close('logout');
      if (this.connections.size === 0) this.end('logout');
      return;
    }
    respond(LogoutResponse.RECOVERY_NOT_SUPPORTED);
  }

  /** Reject: the data segment is the rejected PDU's BHS. */
  private reject(conn: SessionConnection, reason: number, header: Buffer): void {
    conn.send(
      encodePdu(Opcode.REJECT, { reason, statSN: conn.takeStatSN(), ...this.window(), dataSN: 0 }, header),
    );
  }
}
