// Accepts replication connections: reads the hello, asks the owner's authorize(), answers, and hands
// an authorized connection over as a ReplicationLink. A connection that is silent, sends garbage or
// a malformed hello is dropped on its own; the listener and every other connection carry on.

import net from 'node:net';
import {
  REPLICATION_CLOSE_GRACE_MS,
  REPLICATION_ERROR_MESSAGE_MAX_CHARS,
  REPLICATION_HANDSHAKE_TIMEOUT_MS,
  REPLICATION_HANDSHAKES_PENDING_MAX,
} from '../../constants.js';
import { encodeFrame } from './frame.js';
import {
  type AuthorizeResult,
  type Hello,
  type HelloRefusalCode,
  parseHello,
  readFirstFrame,
  redactKey,
} from './handshake.js';
import { ReplicationLink, type ReplicationLinkOptions } from './link.js';
import { type LinkLogger, silentLinkLogger } from './logger.js';

export interface ReplicationListenerOptions {
  host: string;
  /** 0 picks a free port; see `address` after listen(). */
  port: number;
  /** Decides whether the hello may connect (use connectionKeysMatch for the key). */
  authorize: (hello: Hello) => AuthorizeResult | Promise<AuthorizeResult>;
  /**
   * Receives each authorized link and the peer's hello (its key not enumerable). Register the link's
   * handlers before returning: a request that arrives before its handler is answered 'unknown-type'.
   */
  onLink: (link: ReplicationLink, hello: Hello) => void;
  handshakeTimeoutMs?: number;
  linkOptions?: Omit<ReplicationLinkOptions, 'decoder' | 'logContext'>;
  logger?: LinkLogger;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** One accepted connection until it becomes a link or is dropped. */
interface Handshake {
  readonly socket: net.Socket;
  readonly peer: string;
  timedOut: boolean;
}

export class ReplicationListener {
  private readonly server: net.Server;
  private readonly logger: LinkLogger;
  private readonly handshakeTimeoutMs: number;
  private readonly handshakes = new Set<Handshake>();
  private readonly links = new Set<ReplicationLink>();
  private bound: ListenAddress | undefined;
  private closing = false;

  constructor(private readonly options: ReplicationListenerOptions) {
    this.logger = options.logger ?? silentLinkLogger;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? REPLICATION_HANDSHAKE_TIMEOUT_MS;
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => this.logger.error({ err: error }, 'replication: listener error'));
  }

  async listen(): Promise<ListenAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as net.AddressInfo;
    this.bound = { host: address.address, port: address.port };
    this.logger.info({ ...this.bound }, 'replication: listening');
    return this.bound;
  }

  get address(): ListenAddress {
    if (this.bound === undefined) throw new Error('replication listener: listen() has not completed');
    return this.bound;
  }

  /** Stops accepting, drops connections still in their hello, closes the links it handed out. */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const handshake of this.handshakes) handshake.socket.destroy();
    await Promise.all([...this.links].map((link) => link.close()));
    await stopped;
  }

  private accept(socket: net.Socket): void {
    // Kept for the socket's whole life: an 'error' with no listener would take the process down.
    socket.on('error', () => {});
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.closing || this.handshakes.size >= REPLICATION_HANDSHAKES_PENDING_MAX) {
      this.logger.warn({ peer, pending: this.handshakes.size }, 'replication: connection dropped at accept');
      socket.destroy();
      return;
    }
    const handshake: Handshake = { socket, peer, timedOut: false };
    this.handshakes.add(handshake);
    const timer = setTimeout(() => {
      handshake.timedOut = true;
      this.logger.info({ peer }, 'replication: hello not completed in time; connection dropped');
      socket.destroy();
    }, this.handshakeTimeoutMs);
    void this.runHandshake(handshake)
      .catch((bug: unknown) => {
        this.logger.error({ peer, message: (bug as Error).message }, 'replication: handshake failed');
        socket.destroy();
      })
      .finally(() => {
        clearTimeout(timer);
        this.handshakes.delete(handshake);
      });
  }

  private async runHandshake(handshake: Handshake): Promise<void> {
    const { socket, peer } = handshake;
    const first = await readFirstFrame(socket);
    if ('failure' in first) {
      if (!handshake.timedOut) this.drop(socket, peer, `${first.failure}: ${first.detail}`);
      return;
    }
    const { frame, decoder } = first;
    if (frame.kind !== 'request') {
      this.drop(socket, peer, `first frame is a ${frame.kind}, not a hello`);
      return;
    }
    const hello = parseHello(frame.header);
    if ('invalid' in hello) {
      this.refuse(handshake, frame.requestId, 'hello-invalid', hello.invalid);
      return;
    }

    const verdict = await this.authorize(hello, peer);
    if (socket.destroyed) return; // timed out, or the peer left, while authorize ran
    if (!verdict.ok) {
      const reason = redactKey(verdict.reason, hello.connectionKey);
      this.refuse(handshake, frame.requestId, 'refused', reason, hello.array.id);
      return;
    }
    if (this.closing) {
      socket.destroy();
      return;
    }

    const answer = encodeFrame({
      kind: 'response',
      requestId: frame.requestId,
      header: { array: verdict.array },
    });
    for (const chunk of answer.chunks) socket.write(chunk);
    const link = new ReplicationLink(socket, {
      ...this.options.linkOptions,
      logger: this.options.linkOptions?.logger ?? this.logger,
      decoder,
      logContext: { peerArray: hello.array.id },
    });
    this.links.add(link);
    link.once('close', () => this.links.delete(link));
    this.logger.info(
      { peer, peerArray: hello.array.id, peerName: hello.array.name, replication: hello.type },
      'replication: link accepted',
    );
    try {
      this.options.onLink(link, hello);
    } catch (bug) {
      const message = redactKey(String((bug as Error)?.message), hello.connectionKey);
      this.logger.error({ peer, message }, 'replication: onLink threw; link closed');
      link.destroy();
    }
  }

  private async authorize(hello: Hello, peer: string): Promise<AuthorizeResult> {
    try {
      return await this.options.authorize(hello);
    } catch (bug) {
      const message = redactKey(String((bug as Error)?.message), hello.connectionKey);
      this.logger.error({ peer, peerArray: hello.array.id, message }, 'replication: authorize threw');
      return { ok: false, reason: 'authorization failed' };
    }
  }

  private drop(socket: net.Socket, peer: string, why: string): void {
    this.logger.info({ peer, why }, 'replication: connection dropped before hello');
    socket.destroy();
  }

  private refuse(
    handshake: Handshake,
    requestId: number,
    code: HelloRefusalCode,
    reason: string,
    peerArray?: string,
  ): void {
    const { socket, peer } = handshake;
    const message = reason.slice(0, REPLICATION_ERROR_MESSAGE_MAX_CHARS);
    this.logger.info({ peer, peerArray, code, reason: message }, 'replication: hello refused');
    const answer = encodeFrame({ kind: 'error-response', requestId, header: { message, code } });
    for (const chunk of answer.chunks) socket.write(chunk);
    socket.end();
    socket.resume(); // discards anything more, and sees the dialer's close
    // The dialer closes on reading the refusal; one that does not is cut off.
    setTimeout(() => socket.destroy(), REPLICATION_CLOSE_GRACE_MS).unref();
  }
}
