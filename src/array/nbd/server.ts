// The NBD server: a listener whose connections are NbdSessions behind the array's shared socket
// side (../protocol-socket.ts: batched writes, backpressure, a peer that breaks closes only
// itself). This file owns the handshake timer.

import net from 'node:net';
import { BLOCK_BYTES, NBD_HANDSHAKE_TIMEOUT_MS, WRITE_POOL_MAX_BYTES } from '../../constants.js';
import { BufferPool } from '../../platform/buffer-pool.js';
import type { ExportCatalog } from '../engine/block-device.js';
import { listenOn, ProtocolSocket } from '../protocol-socket.js';
import type { CloseReason } from './errors.js';
import { NBD_CLOSE_LINGER_MS, NBD_SOCKET_HIGH_WATER_BYTES } from './limits.js';
import { type NbdLogger, silentLogger } from './logger.js';
import { NbdSession } from './session.js';

export type { NbdLogger } from './logger.js';

export interface NbdServerOptions {
  host: string;
  /** 0 picks a free port; see the returned address. */
  port: number;
  catalog: ExportCatalog;
  logger?: NbdLogger;
}

export interface NbdServer {
  readonly address: { host: string; port: number };
  /** Stops listening and ends every connection; resolves when all are closed. */
  close(): Promise<void>;
}

export async function startNbdServer(options: NbdServerOptions): Promise<NbdServer> {
  const logger = options.logger ?? silentLogger;
  const connections = new Set<Connection>();
  const writeBuffers = new BufferPool(BLOCK_BYTES, WRITE_POOL_MAX_BYTES);
  // allowHalfOpen: a client that shuts down its sending side still gets its in-flight replies.
  const server = net.createServer({ allowHalfOpen: true, highWaterMark: NBD_SOCKET_HIGH_WATER_BYTES });
  server.on('connection', (socket) => {
    const connection = new Connection(socket, options.catalog, logger, writeBuffers, () =>
      connections.delete(connection),
    );
    connections.add(connection);
  });
  server.on('error', (error) => logger.error({ err: error }, 'nbd: server error'));

  const address = await listenOn(server, options.host, options.port);
  logger.info({ ...address }, 'nbd: listening');

  let closed: Promise<void> | undefined;
  return {
    address,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of connections) connection.destroy('server-shutdown');
      });
      return closed;
    },
  };
}

/** One NBD connection: a ProtocolSocket around an NbdSession, with the handshake timer. */
class Connection {
  private readonly link: ProtocolSocket<CloseReason>;

  constructor(
    socket: net.Socket,
    catalog: ExportCatalog,
    logger: NbdLogger,
    writeBuffers: BufferPool,
    onClosed: () => void,
  ) {
    this.link = new ProtocolSocket<CloseReason>(socket, {
      label: 'nbd',
      logger,
      lingerMs: NBD_CLOSE_LINGER_MS,
      onClosed,
    });
    const link = this.link;
    const session = new NbdSession({
      catalog,
      host: link,
      logger,
      logContext: { peer: link.peer },
      writeBuffers,
    });
    const handshakeTimer = setTimeout(
      () => link.guard(() => session.handshakeTimedOut()),
      NBD_HANDSHAKE_TIMEOUT_MS,
    );
    link.attach(session, {
      onEnd: () => session.inputEnded(),
      onClose: () => clearTimeout(handshakeTimer),
    });
    link.guard(() => session.start());
  }

  destroy(reason: CloseReason): void {
    this.link.destroy(reason);
  }
}
