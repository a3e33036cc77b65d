// One TCP connection of the target as a state machine without a socket: bytes in through feed(),
// PDUs out through takeOutput() (the host is told when there are some), a decision to close as a
// call on the host. Login first (LoginMachine), then full feature phase in its session. A PDU that
// cannot be framed, or anything but a Login Request before login ends, closes this connection only.

import { randomBytes } from 'node:crypto';
import type { RandomSource } from './chap.js';
import { CLOSE_REASONS, type CloseReason, FRAME_INVALID_REASONS } from './errors.js';
import { DEFAULT_KEEPALIVE_TIMES, type KeepaliveTimes, NopInKeepalive } from './keepalive.js';
import { ISCSI_CONNECTION_OUTPUT_MAX_BYTES } from './limits.js';
import type { IscsiLogger } from './logger.js';
import { LoginMachine } from './login.js';
import type { ConnectionParams } from './negotiation.js';
import { decodePdu, Opcode, PduReader, withDigests } from './pdu.js';
import type { IscsiSession, SessionConnection } from './session.js';
import type { IscsiTarget } from './target.js';

export interface ConnectionHost {
  /** takeOutput() has bytes; called once per batch, i.e. until the next takeOutput(). */
  outputReady(): void;
  /** Too much output is queued: stop delivering input until resumeInput(). */
  pauseInput(): void;
  resumeInput(): void;
  /** Send what takeOutput() still holds, then close. */
  closeConnection(reason: CloseReason): void;
}

export type ConnectionPhase = 'login' | 'full-feature' | 'closing';

export interface IscsiConnectionOptions {
  target: IscsiTarget;
  host: ConnectionHost;
  logger: IscsiLogger;
  /** Added to every log line (e.g. the peer address). */
  logContext?: object;
  random?: RandomSource;
  /** StatSN of the first Login Response. */
  initialStatSN?: number;
  /** When to ping a quiet connection and give up on it (ISCSI_NOP_IN_* by default). */
  keepalive?: KeepaliveTimes;
  /** Milliseconds, for the keepalive (performance.now by default). */
  clock?: () => number;
}

export class IscsiConnection implements SessionConnection {
  cid = 0;
  params: ConnectionParams = {
    initiatorMrdslBytes: 8192,
    targetMrdslBytes: 8192,
    headerDigest: false,
    dataDigest: false,
  };
  private phaseNow: ConnectionPhase = 'login';
  private readonly reader = new PduReader();
  private output: Buffer[] = [];
  private outputBytes = 0;
  /** Callbacks for the output queued since the last takeOutput(). */
  private afterWrite: Array<() => void> = [];
  private outputSignalled = false;
  private pausedForOutput = false;
  private statSN = 0;
  private session: IscsiSession | null = null;
  private readonly login: LoginMachine;
  private readonly target: IscsiTarget;
  private readonly host: ConnectionHost;
  private readonly logger: IscsiLogger;
  private readonly logContext: object;
  private readonly clock: () => number;
  private readonly keepaliveTimes: KeepaliveTimes;
  /** From full feature phase on. */
  private keepalive: NopInKeepalive | null = null;
  /** Header or data digests are on (from full feature phase on). */
  private digests = false;

  constructor(options: IscsiConnectionOptions) {
    this.target = options.target;
    this.clock = options.clock ?? (() => performance.now());
    this.keepaliveTimes = options.keepalive ?? DEFAULT_KEEPALIVE_TIMES;
    this.host = options.host;
    this.logger = options.logger;
    this.logContext = options.logContext ?? {};
    const random = options.random ?? ((bytes: number) => randomBytes(bytes));
    this.login = new LoginMachine({
      catalog: this.target.catalog,
      random,
      initialStatSN: options.initialStatSN ?? 1,
      findSession: (tsih, isid, name) => this.target.findSession(tsih, isid, name),
      admit: (result) => {
        this.cid = result.cid;
        this.params = result.connection;
        this.statSN = result.nextStatSN;
        const admitted = this.target.admit(result, this);
        if ('status' in admitted) return admitted;
        this.session = admitted.session;
        return {
          tsih: admitted.session.tsih,
          expCmdSN: admitted.session.expCmdSN,
          maxCmdSN: admitted.session.maxCmdSN,
        };
      },
    });
  }

  get phase(): ConnectionPhase {
    return this.phaseNow;
  }

  /** In full feature phase, Data-Out data goes straight into its command's buffer. */
  private readonly placement = (bhs: Buffer, dataBytes: number): Buffer | null =>
    this.phaseNow === 'full-feature' && this.session ? this.session.placeDataOut(this, bhs, dataBytes) : null;

  feed(chunk: Buffer): void {
    if (this.phaseNow === 'closing') return;
    this.keepalive?.inputSeen(this.clock());
    this.reader.push(chunk);
    while (this.phase !== 'closing') {
      const framed = this.reader.next(this.placement);
      if (framed === null) break;
      if ('invalid' in framed) {
        this.logger.warn(
          {
            ...this.logContext,
            reason: framed.invalid,
            opcode: framed.opcode,
            detail: FRAME_INVALID_REASONS[framed.invalid],
          },
          'iscsi: malformed PDU; closing the connection',
        );
        this.close('frame-invalid');
        return;
      }
      if (this.phaseNow === 'full-feature') {
        this.session!.handle(this, framed);
        continue;
      }
      const pdu = decodePdu(framed);
      if (pdu?.opcode !== Opcode.LOGIN) {
        this.logger.warn(
          { ...this.logContext, opcode: framed.bhs[0]! & 0x3f },
          'iscsi: PDU before login ended; closing',
        );
        this.close('login-protocol-error');
        return;
      }
      const step = this.login.step(pdu.fields, pdu.data);
      this.send(step.response);
      if (step.kind === 'fail') {
        this.logger.info(
          {
            ...this.logContext,
            status: `0x${step.status.toString(16).padStart(4, '0')}`,
            reason: step.reason,
          },
          'iscsi: login refused',
        );
        this.close('login-failed');
        return;
      }
      if (step.kind === 'complete') {
        this.phaseNow = 'full-feature';
        this.keepalive = new NopInKeepalive(this.keepaliveTimes, this.clock());
        this.reader.maxDataSegmentBytes = this.params.targetMrdslBytes;
        // Digests start with the first PDU after the Login Response that ended login, both ways.
        this.reader.headerDigest = this.params.headerDigest;
        this.reader.dataDigest = this.params.dataDigest;
        this.digests = this.params.headerDigest || this.params.dataDigest;
        this.logger.debug(
          {
            ...this.logContext,
            initiator: step.result.initiatorName,
            tsih: step.tsih,
            cid: step.result.cid,
            headerDigest: this.params.headerDigest,
            dataDigest: this.params.dataDigest,
          },
          'iscsi: login complete',
        );
      }
    }
  }

  /** What to run once the output just taken has been written (see send's afterWrite). */
  takeAfterWrite(): (() => void) | null {
    if (this.afterWrite.length === 0) return null;
    const callbacks = this.afterWrite;
    this.afterWrite = [];
    return () => {
      for (const callback of callbacks) callback();
    };
  }

  /** The chunks to write, in order; empties the queue. */
  takeOutput(): Buffer[] {
    const chunks = this.output;
    this.output = [];
    this.outputBytes = 0;
    this.outputSignalled = false;
    if (this.pausedForOutput) {
      this.pausedForOutput = false;
      this.host.resumeInput();
    }
    return chunks;
  }

  loginTimedOut(): void {
    if (this.phaseNow !== 'login') return;
    this.logger.info({ ...this.logContext }, 'iscsi: login timed out');
    this.close('login-timeout');
  }

  /** Called now and then by the server: pings a quiet connection, closes one that stopped answering. */
  keepaliveTick(): void {
    if (this.phaseNow !== 'full-feature' || !this.keepalive || !this.session) return;
    const action = this.keepalive.tick(this.clock());
    if (action?.kind === 'ping') this.session.ping(this, action.ttt);
    else if (action?.kind === 'timeout') {
      this.logger.info({ ...this.logContext, ttt: action.ttt }, 'iscsi: NOP-In ping unanswered; closing');
      this.close('nop-timeout');
    }
  }

  pingAnswered(ttt: number): void {
    this.keepalive?.answered(ttt);
  }

  /** The socket is gone (or the server shuts down): the session learns it lost this connection. */
  end(reason: CloseReason): void {
    if (this.phaseNow !== 'closing')
      this.logger.debug(
        { ...this.logContext, reason, detail: CLOSE_REASONS[reason] },
        'iscsi: connection ended',
      );
    this.phaseNow = 'closing';
    this.reader.clear();
    this.session?.connectionLost(this);
  }

  // SessionConnection

  takeStatSN(): number {
    const statSN = this.statSN;
    this.statSN = (this.statSN + 1) >>> 0;
    return statSN;
  }

  peekStatSN(): number {
    return this.statSN;
  }

  send(pdu: Buffer[], afterWrite?: () => void): void {
    if (this.phaseNow === 'closing') return;
    const chunks = this.digests ? withDigests(pdu, this.params.headerDigest, this.params.dataDigest) : pdu;
    for (const chunk of chunks) {
      this.output.push(chunk);
      this.outputBytes += chunk.length;
    }
    if (afterWrite) this.afterWrite.push(afterWrite);
    if (!this.outputSignalled) {
      this.outputSignalled = true;
      this.host.outputReady();
    }
    if (!this.pausedForOutput && this.outputBytes > ISCSI_CONNECTION_OUTPUT_MAX_BYTES) {
      this.pausedForOutput = true;
      this.host.pauseInput();
    }
  }

  close(reason: CloseReason): void {
    if (this.phaseNow === 'closing') return;
    this.phaseNow = 'closing';
    this.reader.clear();
    this.session?.connectionLost(this);
    this.host.closeConnection(reason);
  }
}
