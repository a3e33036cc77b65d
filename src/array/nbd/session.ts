// One NBD connection as a state machine without a socket: bytes go in through feed(), replies
// come out through takeOutput() (the host is told when there are some), and decisions to pause
// reading or to close are calls on the host. Device calls may complete in any order; each reply
// carries its request's cookie. Nothing here throws on bad input: the request is refused or the
// connection closed, with a reason from errors.ts.

import { NBD_HANDSHAKE_TIMEOUT_MS, NBD_INFLIGHT_MAX } from '../../constants.js';
import type { BufferPool } from '../../platform/buffer-pool.js';
import { type BlockDevice, type ExportCatalog, IoError } from '../engine/block-device.js';
import { ByteQueue } from './byte-queue.js';
import {
  type ClientFlags,
  encodeGreeting,
  newRequestHeader,
  type OptionHeader,
  parseClientFlags,
  parseOptionHeader,
  parseRequestHeader,
  type RequestHeader,
  requestPayloadBytes,
  validateRequest,
  writeSimpleReply,
} from './codec.js';
import { CLOSE_REASONS, type CloseReason, errnoForFailure, REQUEST_REJECTIONS } from './errors.js';
import { answerOption, transmissionFlags } from './handshake.js';
import { NBD_INFLIGHT_PAYLOAD_MAX_BYTES } from './limits.js';
import { type NbdLogger, silentLogger } from './logger.js';
import {
  NBD_CLIENT_FLAGS_BYTES,
  NBD_CMD_DISC,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_WRITE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_OK,
  NBD_OPTION_HEADER_BYTES,
  NBD_REQUEST_HEADER_BYTES,
  NBD_SIMPLE_REPLY_BYTES,
} from './protocol.js';
import { ReplyBuffer } from './reply-buffer.js';
import { Request } from './request.js';

export type { NbdLogger } from './logger.js';

/** What the session asks of whoever owns the connection. */
export interface NbdSessionHost {
  /** takeOutput() has bytes; called once per batch, i.e. until the next takeOutput(). */
  outputReady(): void;
  /** Too much is in flight: stop delivering input until resumeInput(). */
  pauseInput(): void;
  resumeInput(): void;
  /** The session is over: send what takeOutput() still holds, then close the connection. */
  closeConnection(reason: CloseReason): void;
}

export type NbdSessionPhase = 'client-flags' | 'options' | 'transmission' | 'draining' | 'ended';

export interface NbdSessionOptions {
  catalog: ExportCatalog;
  host: NbdSessionHost;
  logger?: NbdLogger;
  /** Added to every log line of this session (e.g. the peer address). */
  logContext?: object;
  /** WRITE payloads are gathered in these, and handed back once the device no longer holds them. */
  writeBuffers?: BufferPool;
}

export class NbdSession {
  private phaseNow: NbdSessionPhase = 'client-flags';
  private readonly input = new ByteQueue();
  private readonly output = new ReplyBuffer();
  private readonly catalog: ExportCatalog;
  private readonly host: NbdSessionHost;
  private readonly logger: NbdLogger;
  private readonly logContext: object;
  private readonly writeBuffers: BufferPool | undefined;
  private readonly clientFlags: ClientFlags = { flags: 0 };
  private readonly optionHeader: OptionHeader = { option: 0, lengthBytes: 0 };
  private readonly header: RequestHeader = newRequestHeader();
  private readonly freeRequests: Request[] = [];
  private device: BlockDevice | undefined;
  /** Read replies queued since the last takeOutput(), whose buffers go back to the device once sent. */
  private sentReads: Buffer[] = [];
  private deviceSizeBytes = 0;
  private deviceReadOnly = true;
  private inflightCount = 0;
  private inflightBytes = 0;
  private processing = false;
  private inputPaused = false;
  private inputClosed = false;
  private outputSignalled = false;
  private unexpectedFailures = 0;

  constructor(options: NbdSessionOptions) {
    this.catalog = options.catalog;
    this.host = options.host;
    this.logger = options.logger ?? silentLogger;
    this.logContext = options.logContext ?? {};
    this.writeBuffers = options.writeBuffers;
  }

  get phase(): NbdSessionPhase {
    return this.phaseNow;
  }

  /** Requests handed to the device and not yet answered. */
  get inflight(): number {
    return this.inflightCount;
  }

  /** Queues the server greeting; call once, before the first feed(). */
  start(): void {
    this.send(encodeGreeting());
  }

  feed(chunk: Buffer): void {
    if (this.phaseNow === 'ended' || this.phaseNow === 'draining') return;
    this.input.push(chunk);
    this.processInput();
  }

  /** Everything to send, in order, since the last call. */
  takeOutput(): Buffer[] {
    this.outputSignalled = false;
    return this.output.take();
  }

  /** Hands the read buffers in the output just taken back to the device once written. */
  takeAfterWrite(): (() => void) | null {
    const device = this.device;
    if (this.sentReads.length === 0 || !device?.release) return null;
    const buffers = this.sentReads;
    this.sentReads = [];
    return () => {
      for (const buffer of buffers) device.release!(buffer);
    };
  }

  /** The host's timer fired NBD_HANDSHAKE_TIMEOUT_MS after start(); harmless once transmitting. */
  handshakeTimedOut(): void {
    if (this.phaseNow === 'client-flags' || this.phaseNow === 'options') {
      this.finish('handshake-timeout', { timeoutMs: NBD_HANDSHAKE_TIMEOUT_MS });
    }
  }

  /** The peer will send nothing more (half-close): answer what arrived complete, then close. */
  inputEnded(): void {
    if (this.phaseNow === 'client-flags' || this.phaseNow === 'options') {
      this.finish('peer-closed');
    } else if (this.phaseNow === 'transmission') {
      this.inputClosed = true;
      this.closeIfIdle();
    } // draining closes by itself once idle; ended is ended
  }

  /** The connection is gone (or the server is closing it): drop output, release the device later. */
  end(reason: CloseReason): void {
    if (this.phaseNow === 'ended') return;
    this.enterEnded(reason);
    this.output.take();
    this.sentReads = []; // never written: left to the garbage collector
  }

  private processInput(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.step()) {}
    } finally {
      this.processing = false;
    }
    this.updateInputPause();
    this.closeIfIdle();
  }

  /** Consumes one message; false when it needs more bytes, is blocked, or the session ended. */
  private step(): boolean {
    switch (this.phaseNow) {
      case 'client-flags':
        return this.stepClientFlags();
      case 'options':
        return this.stepOption();
      case 'transmission':
        return this.stepRequest();
      default:
        return false;
    }
  }

  private stepClientFlags(): boolean {
    if (!this.input.gather(NBD_CLIENT_FLAGS_BYTES)) return false;
    const parsed = parseClientFlags(this.input.front, this.input.frontAt, this.clientFlags);
    if (typeof parsed === 'string') return this.refuse(parsed);
    this.input.skip(parsed);
    this.phaseNow = 'options';
    return true;
  }

  private stepOption(): boolean {
    const input = this.input;
    if (!input.gather(NBD_OPTION_HEADER_BYTES)) return false;
    const parsed = parseOptionHeader(input.front, input.frontAt, this.optionHeader);
    if (typeof parsed === 'string') return this.refuse(parsed);
    const { option, lengthBytes } = this.optionHeader;
    if (input.length < parsed + lengthBytes) return false;
    input.skip(parsed);
    const outcome = answerOption(option, input.take(lengthBytes), {
      catalog: this.catalog,
      noZeroes: (this.clientFlags.flags & NBD_FLAG_C_NO_ZEROES) !== 0,
      logger: this.logger,
      send: (bytes) => this.send(bytes),
    });
    if (outcome.kind === 'close') return this.refuse(outcome.reason, { option, detail: outcome.detail });
    if (outcome.kind === 'transmit') {
      this.device = outcome.device;
      this.deviceSizeBytes = outcome.device.sizeBytes;
      this.deviceReadOnly = outcome.device.readOnly;
      this.phaseNow = 'transmission';
      this.log(
        'info',
        { exportName: outcome.exportName, flags: transmissionFlags(outcome.device) },
        'export opened',
      );
    }
    return true;
  }

  private stepRequest(): boolean {
    if (this.isBlocked()) return false;
    const input = this.input;
    if (!input.gather(NBD_REQUEST_HEADER_BYTES)) return false;
    const header = this.header;
    const parsed = parseRequestHeader(input.front, input.frontAt, header);
    if (typeof parsed === 'string') {
      return this.refuse(parsed, { command: header.command, lengthBytes: header.lengthBytes });
    }
    const payloadBytes = requestPayloadBytes(header);
    if (input.length < parsed + payloadBytes) return false; // a WRITE is dispatched only when whole
    input.skip(parsed);
    const payload = payloadBytes > 0 ? input.takeWith(payloadBytes, this.takeWriteBuffer) : undefined;
    if (header.command === NBD_CMD_DISC) {
      this.phaseNow = 'draining';
      this.input.clear();
      return false;
    }
    this.dispatch(header, payload);
    return true;
  }

  private dispatch(header: RequestHeader, payload: Buffer | undefined): void {
    const rejection = validateRequest(header, this.deviceSizeBytes, this.deviceReadOnly);
    if (rejection !== null) {
      this.reply(REQUEST_REJECTIONS[rejection].errno, header.cookieHi, header.cookieLo, undefined);
      return;
    }
    const { command, lengthBytes } = header;
    if (lengthBytes === 0 && command !== NBD_CMD_FLUSH) {
      this.reply(NBD_OK, header.cookieHi, header.cookieLo, undefined);
      return;
    }
    const request = this.freeRequests.pop() ?? new Request(this.completeRequest, this.failRequest);
    request.begin(header, command === NBD_CMD_READ || command === NBD_CMD_WRITE ? lengthBytes : 0);
    this.inflightCount++;
    this.inflightBytes += request.payloadBytes;
    request.start(this.device!, payload);
  }

  // Both run from device promise callbacks: a throw there would be an unhandled rejection, so
  // our own bugs are caught and end this connection only.
  private readonly completeRequest = (request: Request, data: Buffer | undefined): void => {
    try {
      if (data !== undefined && data.length !== request.lengthBytes) {
        const error = new Error(`device read returned ${data.length} of ${request.lengthBytes} bytes`);
        this.failRequest(request, error);
        return;
      }
      this.settle(request, NBD_OK, data);
    } catch (bug) {
      this.internalError(bug);
    }
  };

  private readonly failRequest = (request: Request, error: unknown): void => {
    try {
      if (!(error instanceof IoError)) {
        this.unexpectedFailures++;
        if (this.unexpectedFailures === 1) {
          this.log(
            'error',
            { err: error, command: request.command },
            'device failed unexpectedly; answering EIO',
          );
        }
      }
      this.settle(request, errnoForFailure(error), undefined);
    } catch (bug) {
      this.internalError(bug);
    }
  };

  /** For the host too: its handlers call this when the session itself threw. */
  internalError(bug: unknown): void {
    this.log('error', { err: bug }, 'internal error');
    this.finish('internal-error');
  }

  /** A buffer for a WRITE's payload: from the pool when there is one. */
  private readonly takeWriteBuffer = (bytes: number): Buffer =>
    this.writeBuffers ? this.writeBuffers.take(bytes) : Buffer.allocUnsafe(bytes);

  private settle(request: Request, errno: number, data: Buffer | undefined): void {
    const written = request.payload;
    if (written) {
      request.payload = undefined;
      if (this.writeBuffers && this.device?.mayReuse?.(written)) this.writeBuffers.give(written);
    }
    this.inflightCount--;
    this.inflightBytes -= request.payloadBytes;
    if (this.phaseNow !== 'ended') this.reply(errno, request.cookieHi, request.cookieLo, data);
    this.freeRequests.push(request);
    if (this.processing) return; // the parse loop re-checks pause and idleness when it stops
    if (this.inputPaused) this.processInput();
    else this.closeIfIdle();
  }

  private reply(errno: number, cookieHi: number, cookieLo: number, data: Buffer | undefined): void {
    const at = this.output.reserve(NBD_SIMPLE_REPLY_BYTES);
    writeSimpleReply(this.output.arena, at, errno, cookieHi, cookieLo);
    if (errno === NBD_OK && data !== undefined) {
      this.output.push(data);
      if (this.device?.release) this.sentReads.push(data);
    }
    this.signalOutput();
  }

  private send(bytes: Buffer): void {
    this.output.push(bytes);
    this.signalOutput();
  }

  private signalOutput(): void {
    if (this.outputSignalled) return;
    this.outputSignalled = true;
    this.host.outputReady();
  }

  private isBlocked(): boolean {
    return this.inflightCount >= NBD_INFLIGHT_MAX || this.inflightBytes >= NBD_INFLIGHT_PAYLOAD_MAX_BYTES;
  }

  private updateInputPause(): void {
    const pause = this.phaseNow === 'transmission' && this.isBlocked();
    if (pause === this.inputPaused) return;
    this.inputPaused = pause;
    if (pause) this.host.pauseInput();
    else this.host.resumeInput();
  }

  /** After DISC or a half-close, the connection closes once every request is answered. */
  private closeIfIdle(): void {
    if (this.inflightCount > 0) return;
    if (this.phaseNow === 'draining') this.finish('client-disconnect');
    else if (this.phaseNow === 'transmission' && this.inputClosed) this.finish('peer-closed');
    else if (this.phaseNow === 'ended') this.releaseDevice();
  }

  /** Closes because of the client's bytes; returns false so the parse loop stops. */
  private refuse(reason: CloseReason, detail?: object): false {
    this.finish(reason, detail);
    return false;
  }

  private finish(reason: CloseReason, detail?: object): void {
    if (this.phaseNow === 'ended') return;
    this.enterEnded(reason, detail);
    this.host.closeConnection(reason);
  }

  private enterEnded(reason: CloseReason, detail?: object): void {
    const peerSide = reason === 'client-abort' || reason === 'client-disconnect' || reason === 'peer-closed';
    const level = peerSide || reason === 'server-shutdown' ? 'info' : 'warn';
    this.log(level, { reason, inflight: this.inflightCount, ...detail }, CLOSE_REASONS[reason]);
    if (this.unexpectedFailures > 1) {
      this.log('error', { count: this.unexpectedFailures }, 'device failed unexpectedly more than once');
    }
    this.phaseNow = 'ended';
    this.input.clear();
    if (this.inputPaused) {
      this.inputPaused = false; // nothing more will be read; the host is closing anyway
    }
    if (this.inflightCount === 0) this.releaseDevice();
  }

  private releaseDevice(): void {
    const device = this.device;
    if (device === undefined) return;
    this.device = undefined;
    try {
      device.close();
    } catch (error) {
      this.log('error', { err: error }, 'device close failed');
    }
  }

  private log(level: 'info' | 'warn' | 'error', obj: object, msg: string): void {
    this.logger[level]({ ...this.logContext, ...obj }, `nbd: ${msg}`);
  }
}
