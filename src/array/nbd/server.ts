// The socket adapter: node:net on one side, NbdSession on the other. It owns the timers, batches
// the replies completed in one tick into one write, and stops reading while the session has too
// much in flight or the socket cannot take more. A broken or hostile peer closes only itself.

import net from 'node:net';
import { NBD_HANDSHAKE_TIMEOUT_MS } from '../../constants.js';
import type { ExportCatalog } from '../engine/block-device.js';
import type { CloseReason } from './errors.js';
import { NBD_CLOSE_LINGER_MS, NBD_SOCKET_HIGH_WATER_BYTES } from './limits.js';
import { type NbdLogger, silentLogger } from './logger.js';
import { NbdSession, type NbdSessionHost } from './session.js';

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
  // allowHalfOpen: a client that shuts down its sending side still gets its in-flight replies.
  const server = net.createServer({ allowHalfOpen: true, highWaterMark: NBD_SOCKET_HIGH_WATER_BYTES });
  server.on('connection', (socket) => {
    const connection = new Connection(socket, options.catalog, logger, () => connections.delete(connection));
    connections.add(connection);
  });
  server.on('error', (error) => logger.error({ err: error }, 'nbd: server error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const address = { host: bound.address, port: bound.port };
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

class Connection implements NbdSessionHost {
  private readonly session: NbdSession;
  private flushScheduled = false;
  private sessionWantsPause = false;
  private socketFull = false;
  private reading = true;
  private closing = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    catalog: ExportCatalog,
    private readonly logger: NbdLogger,
    private readonly onClosed: () => void,
  ) {
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.session = new NbdSession({ catalog, host: this, logger, logContext: { peer } });
    this.handshakeTimer = setTimeout(
      () => this.guard(() => this.session.handshakeTimedOut()),
      NBD_HANDSHAKE_TIMEOUT_MS,
    );
    socket.on('data', this.onData);
    socket.on('end', () => this.guard(() => this.session.inputEnded()));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) => this.logger.info({ peer, err: error }, 'nbd: connection error'));
    socket.on('close', () => this.onSocketClosed());
    this.guard(() => this.session.start());
  }

  outputReady(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One flush per callback or run of promise jobs: the replies completed there leave in one write.
    process.nextTick(this.flush);
  }

  pauseInput(): void {
    this.sessionWantsPause = true;
    this.updateReading();
  }

  resumeInput(): void {
    this.sessionWantsPause = false;
    this.updateReading();
  }

  closeConnection(_reason: CloseReason): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), NBD_CLOSE_LINGER_MS);
    this.lingerTimer.unref();
  }

  destroy(reason: CloseReason): void {
    this.session.end(reason);
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.session.feed(chunk);
    } catch (bug) {
      this.internalError(bug);
    }
  };

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const chunks = this.session.takeOutput();
    if (chunks.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    let accepted = true;
    if (chunks.length === 1) {
      accepted = this.socket.write(chunks[0]!);
    } else {
      this.socket.cork(); // one writev for the whole batch
      for (const chunk of chunks) accepted = this.socket.write(chunk);
      this.socket.uncork();
    }
    if (!accepted && !this.socketFull) {
      this.socketFull = true;
      this.updateReading();
    }
  };

  private onDrain(): void {
    if (!this.socketFull) return;
    this.socketFull = false;
    this.updateReading();
  }

  private updateReading(): void {
    const want = !this.sessionWantsPause && !this.socketFull;
    if (want === this.reading || this.socket.destroyed) return;
    this.reading = want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }

  private onSocketClosed(): void {
    clearTimeout(this.handshakeTimer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.session.end('peer-closed');
    this.onClosed();
  }

  /** Session code runs inside socket events: a throw there must not take the process down. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (bug) {
      this.internalError(bug);
    }
  }

  private internalError(bug: unknown): void {
    this.logger.error({ err: bug }, 'nbd: internal error; closing the connection');
    this.session.end('internal-error');
    this.socket.destroy();
  }
}
