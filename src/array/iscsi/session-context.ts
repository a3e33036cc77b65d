// What an iSCSI session is given (its connections, the target it belongs to) and what it lends the
// handlers kept beside it (task management, text, logout): a narrow view instead of its internals.

import type { BufferPool } from '../../platform/buffer-pool.js';
import type { IscsiTargetCatalog } from './catalog.js';
import type { CloseReason } from './errors.js';
import type { IscsiLogger } from './logger.js';
import type { ConnectionParams } from './negotiation.js';
import type { ScsiDeviceServer, ScsiNexus } from './scsi/types.js';
import type { IscsiSession } from './session.js';
import type { Task } from './task.js';

/** What the session needs of one of its connections. */
export interface SessionConnection {
  readonly cid: number;
  readonly params: ConnectionParams;
  /** The StatSN for a response that advances it. */
  takeStatSN(): number;
  /** The next StatSN without advancing it (R2T, Data-In without status). */
  peekStatSN(): number;
  /**
   * Queues one PDU (the chunks encodePdu made; digests are added here when negotiated);
   * `afterWrite` runs once it has been written to the socket (or failed to be).
   */
  send(chunks: Buffer[], afterWrite?: () => void): void;
  /** Ends the connection once what was sent is written. */
  close(reason: CloseReason): void;
  /** A NOP-Out answered a NOP-In ping of the target's with this Target Transfer Tag. */
  pingAnswered?(ttt: number): void;
}

/** What sessions share: the target's catalog and SCSI device server, and each other. */
export interface TargetContext {
  readonly catalog: IscsiTargetCatalog;
  readonly scsi: ScsiDeviceServer;
  /** host:port answered in SendTargets. */
  readonly portal: string;
  readonly logger: IscsiLogger;
  /** Data-out buffers, handed back once a command's device says it no longer holds them. */
  readonly writeBuffers: BufferPool;
  sessions(): Iterable<IscsiSession>;
  sessionEnded(session: IscsiSession): void;
}

/** ExpCmdSN and MaxCmdSN as carried by an outgoing PDU. */
export interface CmdSnWindow {
  expCmdSN: number;
  maxCmdSN: number;
}

/** What the task management, text and logout handlers may see and do of their session. */
export interface SessionPort {
  readonly target: TargetContext;
  readonly initiatorName: string;
  /** The session's connections by CID (a logout removes one). */
  readonly connections: Map<number, SessionConnection>;
  /** The window for an outgoing PDU (it narrows while tasks pile up). */
  window(): CmdSnWindow;
  /** A fresh Target Transfer Tag. */
  newTtt(): number;
  /** Reject: the data segment is the rejected PDU's BHS. */
  reject(conn: SessionConnection, reason: number, header: Buffer): void;
  /** What the SCSI device server knows of this I_T nexus. */
  nexus(): ScsiNexus;
  /** Aborts the task with this Initiator Task Tag; false when there is none. */
  abortTask(itt: number): boolean;
  /** Aborts the tasks matching `which` (no response is sent for them). */
  abortWhere(which: (task: Task, conn: SessionConnection) => boolean): void;
  /** Aborts every task and closes every connection. */
  end(reason: CloseReason): void;
}
