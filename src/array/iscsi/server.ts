// The iSCSI server: a listener whose connections are IscsiConnections behind the array's shared
// socket side (../protocol-socket.ts: batched writes, backpressure, a peer that breaks closes only
// itself). This file owns the login timer and the target (sessions across connections).

import net from 'node:net';
import { listenOn, ProtocolSocket } from '../protocol-socket.js';
import type { IscsiTargetCatalog } from './catalog.js';
import type { RandomSource } from './chap.js';
import { IscsiConnection } from './connection.js';
import type { CloseReason } from './errors.js';
import { DEFAULT_KEEPALIVE_TIMES, type KeepaliveTimes } from './keepalive.js';
import { ISCSI_CLOSE_LINGER_MS, ISCSI_LOGIN_TIMEOUT_MS, ISCSI_SOCKET_HIGH_WATER_BYTES } from './limits.js';
import { type IscsiLogger, silentLogger } from './logger.js';
import type { ScsiDeviceServer } from './scsi/types.js';
import { IscsiTarget } from './target.js';

export type { IscsiLogger } from './logger.js';

export interface IscsiServerOptions {
  host: string;
  /** 0 picks a free port; see the returned address. */
  port: number;
  catalog: IscsiTargetCatalog;
  scsi: ScsiDeviceServer;
  logger?: IscsiLogger;
  /** host:port answered in SendTargets; defaults to the bound address. */
  portal?: string;
  /** Login timeout override (tests). */
  loginTimeoutMs?: number;
  /** NOP-In keepalive overrides (tests); ISCSI_NOP_IN_* by default. */
  keepalive?: KeepaliveTimes;
  random?: RandomSource;
}

export interface IscsiServer {
  readonly address: { host: string; port: number };
  /** Stops listening and ends every connection; resolves when the listener is closed. */
  close(): Promise<void>;
}

export async function startIscsiServer(options: IscsiServerOptions): Promise<IscsiServer> {
  const logger = options.logger ?? silentLogger;
  const sockets = new Set<SocketConnection>();
  const target = new IscsiTarget({ catalog: options.catalog, scsi: options.scsi, portal: '', logger });
  const server = net.createServer({ allowHalfOpen: false, highWaterMark: ISCSI_SOCKET_HIGH_WATER_BYTES });
  server.on('connection', (socket) => {
    try {
      const connection = new SocketConnection(socket, target, logger, options, () =>
        sockets.delete(connection),
      );
      sockets.add(connection);
    } catch (bug) {
      logger.error({ err: bug }, 'iscsi: could not set up a connection');
      socket.destroy();
    }
  });
  server.on('error', (error) => logger.error({ err: error }, 'iscsi: server error'));

  const address = await listenOn(server, options.host, options.port);
  target.portal =
    options.portal ??
    (address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`);
  logger.info({ ...address, target: options.catalog.targetName }, 'iscsi: listening');

  let closed: Promise<void> | undefined;
  return {
    address,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        target.endAll();
        for (const connection of sockets) connection.destroy('server-shutdown');
      });
      return closed;
    },
  };
}

/** One iSCSI connection: a ProtocolSocket around an IscsiConnection, with the login timer. */
class SocketConnection {
  private readonly link: ProtocolSocket<CloseReason>;

  constructor(
    socket: net.Socket,
    target: IscsiTarget,
    logger: IscsiLogger,
    options: IscsiServerOptions,
    onClosed: () => void,
  ) {
    this.link = new ProtocolSocket<CloseReason>(socket, {
      label: 'iscsi',
      logger,
      lingerMs: ISCSI_CLOSE_LINGER_MS,
      onClosed,
    });
    const link = this.link;
    const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE_TIMES;
    const connection = new IscsiConnection({
      target,
      host: link,
      logger,
      logContext: { peer: link.peer },
      ...(options.random ? { random: options.random } : {}),
      keepalive,
    });
    const loginTimer = setTimeout(
      () => link.guard(() => connection.loginTimedOut()),
      options.loginTimeoutMs ?? ISCSI_LOGIN_TIMEOUT_MS,
    );
    // A few checks per period: a ping leaves within a third of the interval of being due.
    const keepaliveTimer = setInterval(
      () => link.guard(() => connection.keepaliveTick()),
      Math.max(10, Math.min(keepalive.intervalMs, keepalive.responseTimeoutMs) / 3),
    );
    keepaliveTimer.unref();
    link.attach(connection, {
      afterData: () => {
        if (connection.phase !== 'login') clearTimeout(loginTimer);
      },
      onClose: () => {
        clearTimeout(loginTimer);
        clearInterval(keepaliveTimer);
      },
    });
  }

  destroy(reason: CloseReason): void {
    this.link.destroy(reason);
  }
}
