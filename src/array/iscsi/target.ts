// The target's session registry: TSIH assignment, session reinstatement (a new login with the
// ISID and initiator name of a live session replaces it), connections joining a session (MC/S)
// and the shared context sessions use. No sockets, no timers.

import { BLOCK_BYTES, WRITE_POOL_MAX_BYTES } from '../../constants.js';
import { BufferPool } from '../../platform/buffer-pool.js';
import type { IscsiTargetCatalog } from './catalog.js';
import { LoginStatus, type LoginStatusCode } from './errors.js';
import { ISCSI_SESSIONS_MAX } from './limits.js';
import type { IscsiLogger } from './logger.js';
import type { JoinableSession, LoginResult } from './login.js';
import type { ScsiDeviceServer } from './scsi/types.js';
import { IscsiSession, type SessionConnection, type TargetContext } from './session.js';

export interface IscsiTargetOptions {
  catalog: IscsiTargetCatalog;
  scsi: ScsiDeviceServer;
  /** host:port answered in SendTargets (TargetAddress). */
  portal: string;
  logger: IscsiLogger;
}

export class IscsiTarget implements TargetContext {
  readonly catalog: IscsiTargetCatalog;
  readonly scsi: ScsiDeviceServer;
  readonly logger: IscsiLogger;
  readonly writeBuffers = new BufferPool(BLOCK_BYTES, WRITE_POOL_MAX_BYTES);
  portal: string;
  private readonly byTsih = new Map<number, IscsiSession>();
  private lastTsih = 0;

  constructor(options: IscsiTargetOptions) {
    this.catalog = options.catalog;
    this.scsi = options.scsi;
    this.portal = options.portal;
    this.logger = options.logger;
  }

  sessions(): Iterable<IscsiSession> {
    return this.byTsih.values();
  }

  get sessionCount(): number {
    return this.byTsih.size;
  }

  sessionEnded(session: IscsiSession): void {
    if (this.byTsih.get(session.tsih) === session) this.byTsih.delete(session.tsih);
    this.scsi.sessionEnded?.(session.sessionId);
    this.logger.info(
      { initiator: session.initiatorName, tsih: session.tsih, type: session.type },
      'iscsi: session ended',
    );
  }

  findSession(tsih: number, isid: string, initiatorName: string): JoinableSession | null {
    const session = this.byTsih.get(tsih);
    if (
      !session ||
      session.isid !== isid ||
      session.initiatorName.toLowerCase() !== initiatorName.toLowerCase()
    )
      return null;
    return {
      sessionType: session.type,
      params: session.params,
      expCmdSN: session.expCmdSN,
      maxCmdSN: session.maxCmdSN,
    };
  }

  /** Creates the session (TSIH 0) or adds the connection to it. */
  admit(
    result: LoginResult,
    conn: SessionConnection,
  ): { session: IscsiSession } | { status: LoginStatusCode; reason: string } {
    if (result.tsih !== 0) return this.join(result, conn);
    for (const old of [...this.byTsih.values()]) {
      if (
        old.isid === result.isid &&
        old.initiatorName.toLowerCase() === result.initiatorName.toLowerCase()
      ) {
        this.logger.info({ initiator: old.initiatorName, tsih: old.tsih }, 'iscsi: session reinstated');
        old.end('session-closed');
      }
    }
    if (this.byTsih.size >= ISCSI_SESSIONS_MAX)
      return { status: LoginStatus.OUT_OF_RESOURCES, reason: 'too many sessions' };
    const tsih = this.newTsih();
    const session = new IscsiSession(this, tsih, result);
    this.byTsih.set(tsih, session);
    session.attach(conn);
    if (session.type === 'Normal') this.scsi.sessionStarted?.(session.sessionId);
    this.logger.info(
      { initiator: result.initiatorName, host: result.host, tsih, type: result.sessionType },
      'iscsi: session started',
    );
    return { session };
  }

  private join(
    result: LoginResult,
    conn: SessionConnection,
  ): { session: IscsiSession } | { status: LoginStatusCode; reason: string } {
    const session = this.byTsih.get(result.tsih);
    if (!session || session.isEnded)
      return { status: LoginStatus.SESSION_DOES_NOT_EXIST, reason: 'session ended during login' };
    const old = session.connections.get(result.cid);
    if (old) {
      // Connection reinstatement: the old connection with this CID goes, with its tasks.
      session.detach(old);
      old.close('session-closed');
    }
    if (session.connections.size >= session.params.maxConnections)
      return {
        status: LoginStatus.TOO_MANY_CONNECTIONS,
        reason: `MaxConnections=${session.params.maxConnections}`,
      };
    session.attach(conn);
    this.logger.info(
      { initiator: result.initiatorName, tsih: result.tsih, cid: result.cid },
      'iscsi: connection joined',
    );
    return { session };
  }

  private newTsih(): number {
    do {
      this.lastTsih = this.lastTsih >= 0xffff ? 1 : this.lastTsih + 1;
    } while (this.byTsih.has(this.lastTsih));
    return this.lastTsih;
  }

  /** Ends every session (server shutdown). */
  endAll(): void {
    for (const session of [...this.byTsih.values()]) session.end('server-shutdown');
  }
}
