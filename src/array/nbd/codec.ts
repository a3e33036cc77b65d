// Server side of the NBD wire format as pure functions: bytes -> values (or a reason they are
// invalid), values -> bytes. No state, no I/O.
//
// Parsers read from `buffer` at `at` and return the number of bytes consumed, 0 when more bytes
// are needed, or a reason string when the bytes are invalid. They fill a caller-owned `out`
// object so the request path allocates nothing per request.

import { NBD_OPTION_MAX_BYTES, NBD_REQUEST_MAX_BYTES, SECTOR_BYTES } from '../../constants.js';
import type { CloseReason, OptionInvalidReason, RequestRejection } from './errors.js';
import { NBD_STRING_MAX_BYTES } from './limits.js';
import {
  NBD_CLIENT_FLAGS_BYTES,
  NBD_CLIENT_FLAGS_KNOWN,
  NBD_CMD_DISC,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EXPORT_NAME_ZEROES_BYTES,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_GREETING_BYTES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_EXPORT,
  NBD_INIT_MAGIC,
  NBD_OPTION_HEADER_BYTES,
  NBD_OPTION_REPLY_HEADER_BYTES,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  NBD_REQUEST_HEADER_BYTES,
  NBD_REQUEST_MAGIC,
  NBD_SIMPLE_REPLY_MAGIC,
} from './protocol.js';

export const NEED_MORE = 0;
const TWO_POW_32 = 0x1_0000_0000;

export function readU64(buffer: Buffer, at: number): number {
  // Above 2^53 the value is approximate, which is fine: it is then past the end of any export.
  return buffer.readUInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

export function writeU64(buffer: Buffer, at: number, value: number): void {
  buffer.writeUInt32BE(Math.floor(value / TWO_POW_32), at);
  buffer.writeUInt32BE(value % TWO_POW_32, at + 4);
}

// ---- Handshake ----------------------------------------------------------------------------

/** Server greeting: NBDMAGIC, IHAVEOPT, handshake flags. */
export function encodeGreeting(): Buffer {
  const out = Buffer.alloc(NBD_GREETING_BYTES);
  out.writeBigUInt64BE(NBD_INIT_MAGIC, 0);
  out.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
  out.writeUInt16BE(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, 16);
  return out;
}

export interface ClientFlags {
  flags: number;
}

export function parseClientFlags(buffer: Buffer, at: number, out: ClientFlags): number | CloseReason {
  if (buffer.length - at < NBD_CLIENT_FLAGS_BYTES) return NEED_MORE;
  const flags = buffer.readUInt32BE(at);
  if ((flags & ~NBD_CLIENT_FLAGS_KNOWN) !== 0) return 'client-flags-unknown';
  if ((flags & NBD_FLAG_C_FIXED_NEWSTYLE) === 0) return 'client-not-fixed-newstyle';
  out.flags = flags;
  return NBD_CLIENT_FLAGS_BYTES;
}

export interface OptionHeader {
  option: number;
  lengthBytes: number;
}

/** Parses the 16-byte option header; the payload (lengthBytes) follows it. */
export function parseOptionHeader(buffer: Buffer, at: number, out: OptionHeader): number | CloseReason {
  if (buffer.length - at < NBD_OPTION_HEADER_BYTES) return NEED_MORE;
  if (buffer.readBigUInt64BE(at) !== NBD_OPTS_MAGIC) return 'option-magic-bad';
  const lengthBytes = buffer.readUInt32BE(at + 12);
  if (lengthBytes > NBD_OPTION_MAX_BYTES) return 'option-too-large';
  out.option = buffer.readUInt32BE(at + 8);
  out.lengthBytes = lengthBytes;
  return NBD_OPTION_HEADER_BYTES;
}

export interface InfoRequest {
  exportName: string;
  infoTypes: number[];
}

/** Payload of NBD_OPT_INFO / NBD_OPT_GO: u32 name length, name, u16 count, count x u16 types. */
export function parseInfoRequest(payload: Buffer): InfoRequest | OptionInvalidReason {
  if (payload.length < 6) return 'name-length-overflows';
  const nameBytes = payload.readUInt32BE(0);
  if (nameBytes > payload.length - 6) return 'name-length-overflows';
  if (nameBytes > NBD_STRING_MAX_BYTES) return 'string-too-long';
  const exportName = payload.toString('utf8', 4, 4 + nameBytes);
  const countAt = 4 + nameBytes;
  const count = payload.readUInt16BE(countAt);
  if (payload.length !== countAt + 2 + count * 2) return 'info-count-mismatch';
  const infoTypes: number[] = [];
  for (let i = 0; i < count; i++) infoTypes.push(payload.readUInt16BE(countAt + 2 + i * 2));
  return { exportName, infoTypes };
}

/** Payload of NBD_OPT_EXPORT_NAME: the whole payload is the name. */
export function parseExportName(payload: Buffer): { exportName: string } | OptionInvalidReason {
  if (payload.length > NBD_STRING_MAX_BYTES) return 'string-too-long';
  return { exportName: payload.toString('utf8') };
}

export function encodeOptionReply(option: number, replyType: number, payload?: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const bodyBytes = body?.length ?? 0;
  const out = Buffer.allocUnsafe(NBD_OPTION_REPLY_HEADER_BYTES + bodyBytes);
  out.writeBigUInt64BE(NBD_REP_MAGIC, 0);
  out.writeUInt32BE(option, 8);
  out.writeUInt32BE(replyType, 12);
  out.writeUInt32BE(bodyBytes, 16);
  if (body !== undefined) body.copy(out, NBD_OPTION_REPLY_HEADER_BYTES);
  return out;
}

/** NBD_REP_SERVER payload: u32 name length, name. */
export function encodeServerEntry(exportName: string): Buffer {
  const name = Buffer.from(exportName, 'utf8');
  const out = Buffer.allocUnsafe(4 + name.length);
  out.writeUInt32BE(name.length, 0);
  name.copy(out, 4);
  return out;
}

/** NBD_REP_INFO payload of type NBD_INFO_EXPORT: u16 type, u64 size, u16 transmission flags. */
export function encodeInfoExport(sizeBytes: number, transmissionFlags: number): Buffer {
  const out = Buffer.allocUnsafe(12);
  out.writeUInt16BE(NBD_INFO_EXPORT, 0);
  writeU64(out, 2, sizeBytes);
  out.writeUInt16BE(transmissionFlags, 10);
  return out;
}

/** NBD_REP_INFO payload of type NBD_INFO_BLOCK_SIZE: u16 type, u32 min, preferred, max. */
export function encodeInfoBlockSize(minBytes: number, preferredBytes: number, maxBytes: number): Buffer {
  const out = Buffer.allocUnsafe(14);
  out.writeUInt16BE(NBD_INFO_BLOCK_SIZE, 0);
  out.writeUInt32BE(minBytes, 2);
  out.writeUInt32BE(preferredBytes, 6);
  out.writeUInt32BE(maxBytes, 10);
  return out;
}

/** NBD_REP_INFO payload of type NBD_INFO_NAME or NBD_INFO_DESCRIPTION: u16 type, string. */
export function encodeInfoString(infoType: number, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(infoType, 0);
  bytes.copy(out, 2);
  return out;
}

/** Answer to NBD_OPT_EXPORT_NAME (no option-reply framing): u64 size, u16 flags, [124 zeroes]. */
export function encodeExportNameReply(
  sizeBytes: number,
  transmissionFlags: number,
  noZeroes: boolean,
): Buffer {
  const out = Buffer.alloc(10 + (noZeroes ? 0 : NBD_EXPORT_NAME_ZEROES_BYTES));
  writeU64(out, 0, sizeBytes);
  out.writeUInt16BE(transmissionFlags, 8);
  return out;
}

// ---- Transmission -------------------------------------------------------------------------

export interface RequestHeader {
  flags: number;
  command: number;
  /** The client's 8-byte cookie (handle), kept as two u32 halves to avoid a BigInt per request. */
  cookieHi: number;
  cookieLo: number;
  offsetBytes: number;
  lengthBytes: number;
}

export function newRequestHeader(): RequestHeader {
  return { flags: 0, command: 0, cookieHi: 0, cookieLo: 0, offsetBytes: 0, lengthBytes: 0 };
}

/**
 * Parses the 28-byte request header (not the WRITE payload behind it). Only faults that make the
 * stream unreadable are reasons here; everything else is judged by validateRequest.
 */
export function parseRequestHeader(buffer: Buffer, at: number, out: RequestHeader): number | CloseReason {
  if (buffer.length - at < NBD_REQUEST_HEADER_BYTES) return NEED_MORE;
  if (buffer.readUInt32BE(at) !== NBD_REQUEST_MAGIC) return 'request-magic-bad';
  out.flags = buffer.readUInt16BE(at + 4);
  out.command = buffer.readUInt16BE(at + 6);
  out.cookieHi = buffer.readUInt32BE(at + 8);
  out.cookieLo = buffer.readUInt32BE(at + 12);
  out.offsetBytes = readU64(buffer, at + 16);
  out.lengthBytes = buffer.readUInt32BE(at + 24);
  if (out.command === NBD_CMD_WRITE && out.lengthBytes > NBD_REQUEST_MAX_BYTES) return 'write-too-large';
  return NBD_REQUEST_HEADER_BYTES;
}

/** Bytes of payload that follow this request header on the wire. */
export function requestPayloadBytes(request: RequestHeader): number {
  return request.command === NBD_CMD_WRITE ? request.lengthBytes : 0;
}

const ALLOWED_FLAGS: Record<number, number> = {
  [NBD_CMD_READ]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_WRITE]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_DISC]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_FLUSH]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_TRIM]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_WRITE_ZEROES]: NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE,
};

/**
 * Judges a request against the export. FUA is accepted on every command (the spec notes clients
 * set it on reads too); a FLUSH's offset and length are reserved and ignored.
 */
export function validateRequest(
  request: RequestHeader,
  exportBytes: number,
  readOnly: boolean,
): RequestRejection | null {
  const { command, offsetBytes, lengthBytes } = request;
  const allowed = ALLOWED_FLAGS[command];
  if (allowed === undefined) return 'command-unknown';
  if (command === NBD_CMD_DISC || command === NBD_CMD_FLUSH) return null;
  const writes = command !== NBD_CMD_READ;
  if (writes && readOnly) return 'export-read-only';
  if ((request.flags & ~allowed) !== 0) return 'command-flags-invalid';
  if (offsetBytes % SECTOR_BYTES !== 0 || lengthBytes % SECTOR_BYTES !== 0) return 'request-misaligned';
  if (command === NBD_CMD_READ && lengthBytes > NBD_REQUEST_MAX_BYTES) return 'read-too-large';
  if (offsetBytes + lengthBytes > exportBytes) {
    const growsData = command === NBD_CMD_WRITE || command === NBD_CMD_WRITE_ZEROES;
    return growsData ? 'write-out-of-range' : 'request-out-of-range';
  }
  return null;
}

/** Writes a 16-byte simple reply header (magic, error, cookie) at `at`. */
export function writeSimpleReply(
  target: Buffer,
  at: number,
  errno: number,
  cookieHi: number,
  cookieLo: number,
): void {
  target.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, at);
  target.writeUInt32BE(errno, at + 4);
  target.writeUInt32BE(cookieHi, at + 8);
  target.writeUInt32BE(cookieLo, at + 12);
}
