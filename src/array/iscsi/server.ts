// The socket adapter: node:net on one side, IscsiConnection on the other. It owns the timers,
// batches the PDUs produced in one tick into one write, and stops reading while the connection
// has too much output queued or the socket cannot take more. A broken or hostile peer closes only
// itself; nothing thrown inside a socket handler leaves it.

import net from 'node:net';
import type { IscsiTargetCatalog } from './catalog.js';
import type { RandomSource } from './chap.js';
import { type ConnectionHost, IscsiConnection } from './connection.js';
import type { CloseReason } from './errors.js';
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const address = { host: bound.address, port: bound.port };
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

class SocketConnection implements ConnectionHost {
  private readonly connection: IscsiConnection;
  private flushScheduled = false;
  private connectionWantsPause = false;
  private socketFull = false;
  private reading = true;
  private closing = false;
  private readonly loginTimer: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly peer: string;

  constructor(
    private readonly socket: net.Socket,
    target: IscsiTarget,
    private readonly logger: IscsiLogger,
    options: IscsiServerOptions,
    private readonly onClosed: () => void,
  ) {
    socket.setNoDelay(true);
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.connection = new IscsiConnection({
      target,
      host: this,
      logger,
      logContext: { peer: this.peer },
      ...(options.random ? { random: options.random } : {}),
    });
    this.loginTimer = setTimeout(
      () => this.guard(() => this.connection.loginTimedOut()),
      options.loginTimeoutMs ?? ISCSI_LOGIN_TIMEOUT_MS,
    );
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) =>
      this.logger.debug({ peer: this.peer, err: error }, 'iscsi: connection error'),
    );
    socket.on('close', () => this.onSocketClosed());
  }

  outputReady(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One flush per callback or run of promise jobs: the PDUs produced there leave in one write.
    process.nextTick(() => this.guard(this.flush));
  }

  pauseInput(): void {
    this.connectionWantsPause = true;
    this.updateReading();
  }

  resumeInput(): void {
    this.connectionWantsPause = false;
    this.updateReading();
  }

  closeConnection(_reason: CloseReason): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), ISCSI_CLOSE_LINGER_MS);
    this.lingerTimer.unref();
  }

  destroy(reason: CloseReason): void {
    this.guard(() => this.connection.end(reason));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.connection.feed(chunk);
    if (this.connection.phase !== 'login') clearTimeout(this.loginTimer);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const chunks = this.connection.takeOutput();
    if (chunks.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    let accepted = true;
    this.socket.cork(); // one writev for the whole batch
    for (const chunk of chunks) accepted = this.socket.write(chunk);
    this.socket.uncork();
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
    const want = !this.connectionWantsPause && !this.socketFull;
    if (want === this.reading || this.socket.destroyed) return;
    this.reading = want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }

  private onSocketClosed(): void {
    clearTimeout(this.loginTimer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.guard(() => this.connection.end('peer-closed'));
    this.onClosed();
  }

  /** Connection code runs inside socket events: a throw there must not take the process down. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (bug) {
      this.logger.error({ err: bug, peer: this.peer }, 'iscsi: internal error; closing the connection');
      try {
        this.connection.end('internal-error');
      } catch {
        // the connection is going away regardless
      }
      this.socket.destroy();
    }
  }
}
