// One replication connection after its hello: requests, responses and one-way messages in both
// directions over one socket. Both arrays use this same class; which side dialed no longer matters.
//
// Bounds: this side has at most requestsInflightMax requests outstanding (more wait in a FIFO
// queue); at most handlingMax incoming requests and messages (or handlingMaxBytes of their
// payloads) are being handled before the link stops reading the socket; frames are written one at
// a time with 'drain' respected (FrameWriter). Liveness: pings when idle, dead after deadAfterMs of
// silence (Liveness).

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import {
  REPLICATION_CLOSE_GRACE_MS,
  REPLICATION_DEAD_AFTER_MS,
  REPLICATION_HANDLING_MAX,
  REPLICATION_HANDLING_MAX_BYTES,
  REPLICATION_HEARTBEAT_MS,
  REPLICATION_REQUESTS_INFLIGHT_MAX,
} from '../../constants.js';
import {
  errorHeader,
  LinkClosedError,
  type LinkCloseReason,
  LinkProtocolError,
  RemoteError,
  remoteErrorFrom,
} from './errors.js';
import { type EncodedFrame, encodeFrame, type Frame, FrameDecoder, type FrameHeader } from './frame.js';
import { Liveness } from './liveness.js';
import { type LinkLogger, silentLinkLogger } from './logger.js';
import { Slots } from './slots.js';
import { FrameWriter } from './writer.js';

export interface LinkReply {
  header: object;
  payload?: Buffer;
}

export interface LinkResponse {
  /** Parsed JSON from the peer: validate before use. */
  header: FrameHeader;
  /** A view of received bytes; it stays valid (nothing reuses it). */
  payload: Buffer;
}

/** The request's header includes its `type`. A throw becomes a RemoteError at the requester. */
export type RequestHandler = (header: FrameHeader, payload: Buffer) => Promise<LinkReply> | LinkReply;
/** A throw is logged here; the sender never learns of it (messages are one-way). */
export type MessageHandler = (header: FrameHeader, payload: Buffer) => Promise<void> | void;

export interface ReplicationLinkOptions {
  heartbeatMs?: number;
  deadAfterMs?: number;
  requestsInflightMax?: number;
  handlingMax?: number;
  handlingMaxBytes?: number;
  /** How long close() waits for outstanding requests and answers before ending the connection. */
  closeGraceMs?: number;
  logger?: LinkLogger;
  /** Added to every log line (the peer array's id, say). */
  logContext?: object;
  /** Holds bytes the handshake read past the hello; the link decodes them first. */
  decoder?: FrameDecoder;
}

export interface LinkCounters {
  framesSent: number;
  framesReceived: number;
  /** Bytes on the wire, frame overhead included. */
  bytesSent: number;
  bytesReceived: number;
  payloadBytesSent: number;
  payloadBytesReceived: number;
}

export type LinkState = 'open' | 'closing' | 'closed';

interface LinkEvents {
  close: [reason: LinkCloseReason, detail: string | undefined];
}

interface PendingRequest {
  resolve: (response: LinkResponse) => void;
  reject: (error: Error) => void;
}

/** Types starting with this are the link's own (ping); handlers cannot claim them. */
const RESERVED_TYPE_PREFIX = 'link.';
const PING = encodeFrame({ kind: 'message', requestId: 0, header: { type: `${RESERVED_TYPE_PREFIX}ping` } });
const REQUEST_ID_MAX = 0xffff_ffff;
/** Peer-chosen type names echoed in errors and logs are cut to this length. */
const ECHOED_TYPE_MAX_CHARS = 64;

export class ReplicationLink extends EventEmitter<LinkEvents> {
  private linkState: LinkState = 'open';
  private readonly handlingMax: number;
  private readonly handlingMaxBytes: number;
  private readonly closeGraceMs: number;
  private readonly logger: LinkLogger;
  private readonly logContext: object;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly slots: Slots;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly messageHandlers = new Map<string, MessageHandler>();
  private readonly counts: LinkCounters = {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    payloadBytesSent: 0,
    payloadBytesReceived: 0,
  };
  private lastRequestId = 0;
  private handling = 0;
  private handlingBytes = 0;
  private readingPaused = false;
  private readonly liveness: Liveness;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closeError: LinkClosedError | undefined;
  private settleWaiters: Array<() => void> = [];
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: net.Socket,
    options: ReplicationLinkOptions = {},
  ) {
    super();
    this.handlingMax = options.handlingMax ?? REPLICATION_HANDLING_MAX;
    this.handlingMaxBytes = options.handlingMaxBytes ?? REPLICATION_HANDLING_MAX_BYTES;
    this.closeGraceMs = options.closeGraceMs ?? REPLICATION_CLOSE_GRACE_MS;
    this.logger = options.logger ?? silentLinkLogger;
    this.logContext = { peer: `${socket.remoteAddress}:${socket.remotePort}`, ...options.logContext };
    this.decoder = options.decoder ?? new FrameDecoder();
    this.slots = new Slots(options.requestsInflightMax ?? REPLICATION_REQUESTS_INFLIGHT_MAX);
    this.writer = new FrameWriter(socket, () => this.closeError ?? new LinkClosedError('socket-error'));
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });

    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onSocketEnded);
    socket.on('close', this.onSocketEnded);
    socket.on('error', (error: NodeJS.ErrnoException) => this.finish('socket-error', error.code));
    this.liveness = new Liveness({
      heartbeatMs: options.heartbeatMs ?? REPLICATION_HEARTBEAT_MS,
      deadAfterMs: options.deadAfterMs ?? REPLICATION_DEAD_AFTER_MS,
      ping: this.ping,
      dead: this.peerSilent,
    });
    // Frames the handshake already holds wait until the owner has registered its handlers.
    setImmediate(() => this.processFrames());
    if (socket.destroyed) setImmediate(this.onSocketEnded);
    else socket.resume();
  }

  get state(): LinkState {
    return this.linkState;
  }

  get counters(): Readonly<LinkCounters> {
    return { ...this.counts };
  }

  /** Requests of this side sent and not yet answered. */
  get requestsInFlight(): number {
    return this.pending.size;
  }

  /** Registers the handler for one request type; register right after the link is handed over. */
  handle(type: string, handler: RequestHandler): void {
    checkOwnType(type, this.requestHandlers);
    this.requestHandlers.set(type, handler);
  }

  onMessage(type: string, handler: MessageHandler): void {
    checkOwnType(type, this.messageHandlers);
    this.messageHandlers.set(type, handler);
  }

  /**
   * Sends a request and resolves with the peer's answer. Rejects with RemoteError when the peer's
   * handler failed, LinkClosedError when the link ends first, LinkProtocolError when the frame is
   * too large to send.
   */
  async request(type: string, header: object, payload?: Buffer): Promise<LinkResponse> {
    checkOwnType(type);
    if (this.linkState !== 'open') throw this.closeError ?? new LinkClosedError('local-close');
    await this.slots.acquire();
    try {
      return await this.exchange(type, header, payload);
    } finally {
      this.slots.release();
    }
  }

  /** One-way message; resolves once handed to the socket. Await it: that is the backpressure. */
  async send(type: string, header: object, payload?: Buffer): Promise<void> {
    checkOwnType(type);
    if (this.linkState !== 'open') throw this.closeError ?? new LinkClosedError('local-close');
    await this.writeFrame(
      encodeFrame({ kind: 'message', requestId: 0, header: { ...header, type }, payload }),
    );
  }

  /**
   * Graceful: requests still queued fail, those sent get their answers and our answers go out
   * (for at most closeGraceMs), then the connection ends. Resolves when it is closed.
   */
  close(): Promise<void> {
    if (this.linkState === 'open') {
      this.linkState = 'closing';
      void this.closeGracefully();
    }
    return this.closed;
  }

  /** Immediate: the socket is destroyed and everything outstanding fails with LinkClosedError. */
  destroy(): void {
    this.finish('local-close');
  }

  private exchange(type: string, header: object, payload: Buffer | undefined): Promise<LinkResponse> {
    if (this.closeError !== undefined) throw this.closeError;
    const requestId = this.nextRequestId();
    const frame = encodeFrame({ kind: 'request', requestId, header: { ...header, type }, payload });
    return new Promise<LinkResponse>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.writeFrame(frame).catch((error: Error) => {
        if (!this.pending.delete(requestId)) return;
        reject(error);
        this.notifySettled();
      });
    });
  }

  private nextRequestId(): number {
    do {
      this.lastRequestId = this.lastRequestId === REQUEST_ID_MAX ? 1 : this.lastRequestId + 1;
    } while (this.pending.has(this.lastRequestId));
    return this.lastRequestId;
  }

  private async writeFrame(frame: EncodedFrame): Promise<void> {
    await this.writer.write(frame.chunks);
    this.liveness.sent();
    this.counts.framesSent++;
    this.counts.bytesSent += frame.wireBytes;
    this.counts.payloadBytesSent += frame.payloadBytes;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.liveness.received();
    this.counts.bytesReceived += chunk.length;
    this.decoder.push(chunk);
    this.processFrames();
  };

  private processFrames(): void {
    while (this.linkState !== 'closed' && !this.readingPaused) {
      let frame: Frame | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        if (!(error instanceof LinkProtocolError)) throw error;
        this.logger.warn({ ...this.logContext, code: error.code }, 'replication link: invalid frame');
        this.finish('protocol-error', error.code);
        return;
      }
      if (frame === undefined) return;
      this.counts.framesReceived++;
      this.counts.payloadBytesReceived += frame.payload.length;
      if (frame.kind === 'request') this.handleRequest(frame);
      else if (frame.kind === 'message') this.handleMessage(frame);
      else this.settleRequest(frame);
    }
  }

  private settleRequest(frame: Frame): void {
    const request = this.pending.get(frame.requestId);
    if (request === undefined) {
      this.finish('protocol-error', `answer to request ${frame.requestId}, which is not outstanding`);
      return;
    }
    this.pending.delete(frame.requestId);
    if (frame.kind === 'response') request.resolve({ header: frame.header, payload: frame.payload });
    else request.reject(remoteErrorFrom(frame.header));
    this.notifySettled();
  }

  private handleRequest(frame: Frame): void {
    this.beginHandling(frame);
    void this.answer(frame).finally(() => this.endHandling(frame));
  }

  private async answer(frame: Frame): Promise<void> {
    let reply: EncodedFrame;
    try {
      const result = await this.runRequestHandler(frame);
      reply = encodeFrame({ kind: 'response', requestId: frame.requestId, ...result });
    } catch (error) {
      reply = encodeFrame({ kind: 'error-response', requestId: frame.requestId, header: errorHeader(error) });
    }
    // A failed write means the link closed; the requester's request fails there with LinkClosedError.
    await this.writeFrame(reply).catch(() => {});
  }

  private async runRequestHandler(frame: Frame): Promise<LinkReply> {
    if (this.linkState !== 'open') throw new RemoteError('the replication link is closing', 'link-closing');
    const type = frame.header['type'];
    const handler = typeof type === 'string' ? this.requestHandlers.get(type) : undefined;
    if (handler === undefined) {
      throw new RemoteError(`no handler for request type ${echoType(type)}`, 'unknown-type');
    }
    return handler(frame.header, frame.payload);
  }

  private handleMessage(frame: Frame): void {
    const type = frame.header['type'];
    // A ping's arrival is all it says (Liveness heard it in onData).
    if (typeof type === 'string' && type.startsWith(RESERVED_TYPE_PREFIX)) return;
    const handler = typeof type === 'string' ? this.messageHandlers.get(type) : undefined;
    if (handler === undefined) {
      this.logger.warn(
        { ...this.logContext, type: echoType(type) },
        'replication link: message of unknown type',
      );
      return;
    }
    this.beginHandling(frame);
    void (async () => handler(frame.header, frame.payload))()
      .catch((error: unknown) => {
        const message = errorHeader(error).message;
        this.logger.warn({ ...this.logContext, type, message }, 'replication link: message handler failed');
      })
      .finally(() => this.endHandling(frame));
  }

  private beginHandling(frame: Frame): void {
    this.handling++;
    this.handlingBytes += frame.payload.length;
    if (this.handlingFull() && !this.readingPaused) {
      this.readingPaused = true;
      this.liveness.readingPaused(true);
      this.socket.pause();
    }
  }

  private endHandling(frame: Frame): void {
    this.handling--;
    this.handlingBytes -= frame.payload.length;
    this.notifySettled();
    if (this.readingPaused && !this.handlingFull() && this.linkState !== 'closed') {
      this.readingPaused = false;
      this.liveness.readingPaused(false);
      this.socket.resume();
      this.processFrames();
    }
  }

  private handlingFull(): boolean {
    return this.handling >= this.handlingMax || this.handlingBytes >= this.handlingMaxBytes;
  }

  private readonly ping = (): void => {
    // A busy writer means frames are already going out (or that the peer is not reading, and then
    // a ping would not arrive either).
    if (this.writer.idle) this.writeFrame(PING).catch(() => {});
  };

  private readonly peerSilent = (silentMs: number): void => {
    this.logger.warn({ ...this.logContext, silentMs }, 'replication link: peer silent');
    this.finish('dead', `nothing received for ${silentMs} ms`);
  };

  private async closeGracefully(): Promise<void> {
    this.slots.fail(new LinkClosedError('local-close'));
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.closeGraceMs);
    });
    await Promise.race([this.quiet(), graceOver]);
    clearTimeout(graceTimer);
    if (this.linkState === 'closed') return;
    this.socket.end(); // FIN after every queued byte; the peer answers with its own
    this.lingerTimer = setTimeout(() => this.finish('local-close'), this.closeGraceMs);
  }

  /** Resolves when nothing is outstanding in either direction and every queued frame is written. */
  private async quiet(): Promise<void> {
    while (this.pending.size > 0 || this.handling > 0) {
      await new Promise<void>((resolve) => this.settleWaiters.push(resolve));
    }
    await this.writer.write([]).catch(() => {}); // queued behind every frame already waiting
  }

  private notifySettled(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const wake of waiters) wake();
  }

  private readonly onSocketEnded = (): void => {
    this.finish(this.linkState === 'closing' ? 'local-close' : 'peer-closed');
  };

  private finish(reason: LinkCloseReason, detail?: string): void {
    if (this.linkState === 'closed') return;
    this.linkState = 'closed';
    const error = new LinkClosedError(reason, detail);
    this.closeError = error;
    this.liveness.stop();
    clearTimeout(this.lingerTimer);
    this.slots.fail(error);
    this.writer.fail(error);
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
    this.notifySettled();
    this.socket.destroy();
    this.logger.info({ ...this.logContext, reason, detail }, 'replication link: closed');
    this.emit('close', reason, detail);
    this.resolveClosed();
  }
}

function checkOwnType(type: string, registered?: Map<string, unknown>): void {
  if (typeof type !== 'string' || type.length === 0 || type.startsWith(RESERVED_TYPE_PREFIX)) {
    throw new Error(
      `replication link: type must be a non-empty string not starting with ${RESERVED_TYPE_PREFIX}`,
    );
  }
  if (registered?.has(type)) throw new Error(`replication link: a handler for ${type} is already registered`);
}

function echoType(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type.slice(0, ECHOED_TYPE_MAX_CHARS)) : '(missing)';
}
