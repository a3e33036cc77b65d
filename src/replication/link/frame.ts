// Replication frame codec, version 1. All integers big-endian:
//
//   offset  size  field
//        0     4  lengthBytes: bytes after this field (checksum through payload)
//        4     4  crc32 of bytes 8..end (everything after the checksum)
//        8     1  version (1)
//        9     1  kind: 1 request, 2 response, 3 message, 4 error-response
//       10     2  reserved, 0
//       12     4  request id (0 for messages, never 0 otherwise)
//       16     4  headerBytes: length of the UTF-8 JSON header
//       20     h  JSON header (an object)
//     20+h     -  payload: the rest of the frame, opaque bytes
//
// The encoder never copies the payload (it returns [prefix+header, payload]); the decoder hands out
// a payload that is a view of the socket chunk when the frame arrived in one chunk, or of a single
// copy when it spanned several. The length is checked before any of the frame is buffered.

import { ByteQueue } from '../../array/nbd/byte-queue.js';
import { REPLICATION_FRAME_HEADER_MAX_BYTES, REPLICATION_FRAME_MAX_BYTES } from '../../constants.js';
import { crc32 } from '../../platform/crc32.js';
import { LinkProtocolError } from './errors.js';

export const FRAME_VERSION = 1;
const LENGTH_FIELD_BYTES = 4;
const CHECKSUMMED_FROM = 8;
/** Length field through header length: everything before the JSON header. */
export const FRAME_PREFIX_BYTES = 20;
const FRAME_LENGTH_MIN = FRAME_PREFIX_BYTES - LENGTH_FIELD_BYTES;

export type FrameKind = 'request' | 'response' | 'message' | 'error-response';
const KIND_CODES: Readonly<Record<FrameKind, number>> = {
  request: 1,
  response: 2,
  message: 3,
  'error-response': 4,
};
const KINDS_BY_CODE: ReadonlyArray<FrameKind | undefined> = [
  undefined,
  'request',
  'response',
  'message',
  'error-response',
];

/** A header as it arrives from the peer: parsed JSON, not yet validated by whoever consumes it. */
export type FrameHeader = Record<string, unknown>;

export interface Frame {
  kind: FrameKind;
  requestId: number;
  header: FrameHeader;
  payload: Buffer;
}

export interface OutgoingFrame {
  kind: FrameKind;
  requestId: number;
  header: object;
  payload?: Buffer;
}

export interface EncodedFrame {
  /** Prefix with header, then the caller's payload (not copied) when there is one. */
  chunks: Buffer[];
  /** Bytes on the wire, length field included. */
  wireBytes: number;
  payloadBytes: number;
}

const EMPTY = Buffer.alloc(0);

export function encodeFrame(frame: OutgoingFrame, frameMaxBytes = REPLICATION_FRAME_MAX_BYTES): EncodedFrame {
  const payload = frame.payload ?? EMPTY;
  checkRequestId(frame.kind, frame.requestId);
  const json = JSON.stringify(frame.header);
  const headerBytes = Buffer.byteLength(json);
  if (headerBytes > REPLICATION_FRAME_HEADER_MAX_BYTES) {
    throw new LinkProtocolError('header-too-large', `${headerBytes} bytes`);
  }
  const lengthBytes = FRAME_LENGTH_MIN + headerBytes + payload.length;
  if (lengthBytes > frameMaxBytes) throw new LinkProtocolError('frame-too-large', `${lengthBytes} bytes`);

  const prefix = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + headerBytes);
  prefix.writeUInt32BE(lengthBytes, 0);
  prefix.writeUInt8(FRAME_VERSION, 8);
  prefix.writeUInt8(KIND_CODES[frame.kind], 9);
  prefix.writeUInt16BE(0, 10);
  prefix.writeUInt32BE(frame.requestId, 12);
  prefix.writeUInt32BE(headerBytes, 16);
  prefix.write(json, FRAME_PREFIX_BYTES, 'utf8');
  const checksum = crc32(payload, crc32(prefix.subarray(CHECKSUMMED_FROM)));
  prefix.writeUInt32BE(checksum, 4);

  return {
    chunks: payload.length === 0 ? [prefix] : [prefix, payload],
    wireBytes: LENGTH_FIELD_BYTES + lengthBytes,
    payloadBytes: payload.length,
  };
}

/** What the fixed prefix of the frame being received said. */
interface PendingFrame {
  kind: FrameKind;
  requestId: number;
  headerBytes: number;
  /** Bytes on the wire, length field included. */
  wireBytes: number;
}

/**
 * Accepts socket chunks of any size and boundary; next() returns complete frames in order. After a
 * LinkProtocolError the stream cannot be resynchronised: every later next() throws the same error.
 */
export class FrameDecoder {
  private readonly queue = new ByteQueue();
  private pending: PendingFrame | undefined;
  private failure: LinkProtocolError | undefined;

  constructor(private frameMaxBytes = REPLICATION_FRAME_MAX_BYTES) {}

  /** Changes the limit for frames whose prefix has not been read yet (the hello is held to less). */
  setFrameMaxBytes(bytes: number): void {
    this.frameMaxBytes = bytes;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  push(chunk: Buffer): void {
    if (this.failure === undefined) this.queue.push(chunk);
  }

  /** The next complete frame, or undefined until more bytes arrive. Throws LinkProtocolError. */
  next(): Frame | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.pending ??= this.readPrefix();
      if (this.pending === undefined || this.queue.length < this.pending.wireBytes) return undefined;
      const pending = this.pending;
      this.pending = undefined;
      return parseFrame(this.queue.take(pending.wireBytes), pending);
    } catch (error) {
      if (error instanceof LinkProtocolError) {
        this.failure = error;
        this.queue.clear();
      }
      throw error;
    }
  }

  /** Validates the fixed prefix as soon as it is here, so an oversize frame is refused before buffering. */
  private readPrefix(): PendingFrame | undefined {
    if (!this.queue.gather(FRAME_PREFIX_BYTES)) return undefined;
    const prefix = this.queue.front;
    const at = this.queue.frontAt;
    const lengthBytes = prefix.readUInt32BE(at);
    if (lengthBytes < FRAME_LENGTH_MIN)
      throw new LinkProtocolError('frame-too-short', `${lengthBytes} bytes`);
    if (lengthBytes > this.frameMaxBytes) {
      throw new LinkProtocolError('frame-too-large', `${lengthBytes} bytes`);
    }
    const version = prefix.readUInt8(at + 8);
    if (version !== FRAME_VERSION) throw new LinkProtocolError('version-unsupported', `version ${version}`);
    const kindCode = prefix.readUInt8(at + 9);
    const kind = KINDS_BY_CODE[kindCode];
    if (kind === undefined) throw new LinkProtocolError('kind-unknown', `kind ${kindCode}`);
    if (prefix.readUInt16BE(at + 10) !== 0) throw new LinkProtocolError('reserved-nonzero');
    const requestId = prefix.readUInt32BE(at + 12);
    checkRequestId(kind, requestId);
    const headerBytes = prefix.readUInt32BE(at + 16);
    if (headerBytes > lengthBytes - FRAME_LENGTH_MIN) {
      throw new LinkProtocolError('header-length-overflows', `${headerBytes} of ${lengthBytes} bytes`);
    }
    if (headerBytes > REPLICATION_FRAME_HEADER_MAX_BYTES) {
      throw new LinkProtocolError('header-too-large', `${headerBytes} bytes`);
    }
    return { kind, requestId, headerBytes, wireBytes: LENGTH_FIELD_BYTES + lengthBytes };
  }
}

function parseFrame(bytes: Buffer, pending: PendingFrame): Frame {
  const stored = bytes.readUInt32BE(4);
  const computed = crc32(bytes.subarray(CHECKSUMMED_FROM));
  if (stored !== computed) throw new LinkProtocolError('crc-mismatch');
  const headerEnd = FRAME_PREFIX_BYTES + pending.headerBytes;
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', FRAME_PREFIX_BYTES, headerEnd));
  } catch {
    throw new LinkProtocolError('header-not-json');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new LinkProtocolError('header-not-object');
  }
  return {
    kind: pending.kind,
    requestId: pending.requestId,
    header: header as FrameHeader,
    payload: bytes.subarray(headerEnd),
  };
}

function checkRequestId(kind: FrameKind, requestId: number): void {
  if (kind === 'message') {
    if (requestId !== 0) throw new LinkProtocolError('request-id-unexpected', `id ${requestId}`);
  } else if (requestId === 0) {
    throw new LinkProtocolError('request-id-missing');
  }
}
