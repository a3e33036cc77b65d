// The socket side of the array's protocol servers (NBD, iSCSI): node:net on one side, a protocol
// state machine that never touches the socket on the other. It batches the output produced in one
// tick into one write, stops reading while the protocol has too much in flight or the socket
// cannot take more, lingers briefly on close so the last replies leave, and keeps a throw inside
// the protocol from leaving the socket handler: a broken or hostile peer closes only itself.

import type net from 'node:net';

/** Listens on host:port (0: any free port) and resolves with the address bound. */
export async function listenOn(
  server: net.Server,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  return { host: bound.address, port: bound.port };
}

/** The reasons every protocol knows: the peer went away, our bug, the server stops. */
type SocketReason = 'peer-closed' | 'internal-error' | 'server-shutdown';

/** What the socket side needs of a protocol state machine. */
export interface SocketProtocol<Reason extends string> {
  feed(chunk: Buffer): void;
  /** Everything produced since the last call, in order. */
  takeOutput(): Buffer[];
  /**
   * Optional, asked right after takeOutput(): what to run once that output has left (written to
   * the kernel, or failed): buffers it holds may be reused from then on.
   */
  takeAfterWrite?(): (() => void) | null;
  end(reason: Reason | SocketReason): void;
}

export interface ProtocolSocketLogger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ProtocolSocketOptions {
  /** Log prefix: 'nbd', 'iscsi'. */
  label: string;
  logger: ProtocolSocketLogger;
  /** After a protocol-initiated close, how long the last bytes may take before the socket is destroyed. */
  lingerMs: number;
  /** Called once the socket has closed, whoever closed it. */
  onClosed: () => void;
}

export interface ProtocolSocketHooks {
  /** After each chunk was fed (e.g. to stop a handshake timer once past it). */
  afterData?: () => void;
  /** The peer shut down its sending side (with allowHalfOpen). */
  onEnd?: () => void;
  /** The socket closed: clear the protocol's own timers. */
  onClose?: () => void;
}

/** Implements the host interface the protocols call (NbdSessionHost, iSCSI ConnectionHost). */
export class ProtocolSocket<Reason extends string> {
  private protocol: SocketProtocol<Reason> | null = null;
  private flushScheduled = false;
  private protocolWantsPause = false;
  private socketFull = false;
  private reading = true;
  private closing = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  readonly peer: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ProtocolSocketOptions,
  ) {
    socket.setNoDelay(true);
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
  }

  /** Starts delivering the socket's events to `protocol` (made with this object as its host). */
  attach(protocol: SocketProtocol<Reason>, hooks: ProtocolSocketHooks = {}): void {
    this.protocol = protocol;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) =>
      this.guard(() => {
        protocol.feed(chunk);
        hooks.afterData?.();
      }),
    );
    if (hooks.onEnd) socket.on('end', () => this.guard(hooks.onEnd!));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) =>
      this.options.logger.info({ peer: this.peer, err: error }, `${this.options.label}: connection error`),
    );
    socket.on('close', () => {
      hooks.onClose?.();
      if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
      this.guard(() => protocol.end('peer-closed'));
      this.options.onClosed();
    });
  }

  outputReady(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One flush per callback or run of promise jobs: what was produced there leaves in one write.
    process.nextTick(() => this.guard(this.flush));
  }

  pauseInput(): void {
    this.protocolWantsPause = true;
    this.updateReading();
  }

  resumeInput(): void {
    this.protocolWantsPause = false;
    this.updateReading();
  }

  /** The protocol is done: send what it still holds, then close (destroyed after the linger). */
  closeConnection(_reason: Reason): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.options.lingerMs);
    this.lingerTimer.unref();
  }

  /** Ends the protocol and the socket at once (server shutdown). */
  destroy(reason: Reason | SocketReason): void {
    this.guard(() => this.protocol?.end(reason));
    this.socket.destroy();
  }

  /** Protocol code runs inside socket events and timers: a throw must not take the process down. */
  guard(work: () => void): void {
    try {
      work();
    } catch (bug) {
      this.options.logger.error(
        { err: bug, peer: this.peer },
        `${this.options.label}: internal error; closing the connection`,
      );
      try {
        this.protocol?.end('internal-error');
      } catch {
        // the connection is going away regardless
      }
      this.socket.destroy();
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const chunks = this.protocol?.takeOutput() ?? [];
    const afterWrite = this.protocol?.takeAfterWrite?.() ?? null;
    // Output that is never written is left to the garbage collector, never handed back for reuse.
    if (chunks.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    const last = chunks.length - 1;
    let accepted = true;
    if (chunks.length === 1) accepted = this.socket.write(chunks[0]!, afterWrite ?? undefined);
    else {
      this.socket.cork(); // one writev for the whole batch
      for (let i = 0; i <= last; i++)
        accepted = this.socket.write(chunks[i]!, i === last ? (afterWrite ?? undefined) : undefined);
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
    const want = !this.protocolWantsPause && !this.socketFull;
    if (want === this.reading || this.socket.destroyed) return;
    this.reading = want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }
}
