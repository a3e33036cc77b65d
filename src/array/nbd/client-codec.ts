// The client's side of the wire format: what a client sends, and readers for what the server
// answers. Used by the in-process tests and by probes; the server itself never imports it.

import {
  NBD_GREETING_BYTES,
  NBD_INIT_MAGIC,
  NBD_OPTION_REPLY_HEADER_BYTES,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  NBD_REQUEST_HEADER_BYTES,
  NBD_REQUEST_MAGIC,
  NBD_SIMPLE_REPLY_BYTES,
  NBD_SIMPLE_REPLY_MAGIC,
} from './protocol.js';

export function encodeClientFlags(flags: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(flags >>> 0, 0);
  return out;
}

export function encodeOption(option: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(16 + body.length);
  out.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
  out.writeUInt32BE(option, 8);
  out.writeUInt32BE(body.length, 12);
  body.copy(out, 16);
  return out;
}

/** Payload of NBD_OPT_INFO / NBD_OPT_GO. */
export function encodeInfoPayload(exportName: string, infoTypes: number[] = []): Buffer {
  const name = Buffer.from(exportName, 'utf8');
  const out = Buffer.allocUnsafe(4 + name.length + 2 + infoTypes.length * 2);
  out.writeUInt32BE(name.length, 0);
  name.copy(out, 4);
  out.writeUInt16BE(infoTypes.length, 4 + name.length);
  infoTypes.forEach((type, i) => {
    out.writeUInt16BE(type, 4 + name.length + 2 + i * 2);
  });
  return out;
}

export interface ClientRequest {
  command: number;
  flags?: number;
  cookie: bigint;
  offsetBytes: number;
  lengthBytes: number;
  /** WRITE payload, sent right behind the header. */
  payload?: Buffer;
  /** Override the magic (to test a server's reaction to garbage). */
  magic?: number;
}

export function encodeRequest(request: ClientRequest): Buffer {
  const payloadBytes = request.payload?.length ?? 0;
  const out = Buffer.allocUnsafe(NBD_REQUEST_HEADER_BYTES + payloadBytes);
  out.writeUInt32BE(request.magic ?? NBD_REQUEST_MAGIC, 0);
  out.writeUInt16BE(request.flags ?? 0, 4);
  out.writeUInt16BE(request.command, 6);
  out.writeBigUInt64BE(request.cookie, 8);
  out.writeBigUInt64BE(BigInt(request.offsetBytes), 16);
  out.writeUInt32BE(request.lengthBytes, 24);
  request.payload?.copy(out, NBD_REQUEST_HEADER_BYTES);
  return out;
}

export interface Greeting {
  handshakeFlags: number;
}

export function readGreeting(buffer: Buffer): Greeting | undefined {
  if (buffer.length < NBD_GREETING_BYTES) return undefined;
  if (buffer.readBigUInt64BE(0) !== NBD_INIT_MAGIC || buffer.readBigUInt64BE(8) !== NBD_OPTS_MAGIC) {
    throw new Error('not an NBD newstyle greeting');
  }
  return { handshakeFlags: buffer.readUInt16BE(16) };
}

export interface OptionReply {
  option: number;
  replyType: number;
  payload: Buffer;
  bytes: number;
}

export function readOptionReply(buffer: Buffer, at = 0): OptionReply | undefined {
  if (buffer.length - at < NBD_OPTION_REPLY_HEADER_BYTES) return undefined;
  if (buffer.readBigUInt64BE(at) !== NBD_REP_MAGIC) throw new Error(`no option reply magic at ${at}`);
  const length = buffer.readUInt32BE(at + 16);
  const bytes = NBD_OPTION_REPLY_HEADER_BYTES + length;
  if (buffer.length - at < bytes) return undefined;
  return {
    option: buffer.readUInt32BE(at + 8),
    replyType: buffer.readUInt32BE(at + 12),
    payload: buffer.subarray(at + NBD_OPTION_REPLY_HEADER_BYTES, at + bytes),
    bytes,
  };
}

export interface SimpleReplyHeader {
  errno: number;
  cookie: bigint;
}

/** Reads the 16-byte header; a successful READ's data follows it (the client knows its length). */
export function readSimpleReplyHeader(buffer: Buffer, at = 0): SimpleReplyHeader | undefined {
  if (buffer.length - at < NBD_SIMPLE_REPLY_BYTES) return undefined;
  if (buffer.readUInt32BE(at) !== NBD_SIMPLE_REPLY_MAGIC) throw new Error(`no simple reply magic at ${at}`);
  return { errno: buffer.readUInt32BE(at + 4), cookie: buffer.readBigUInt64BE(at + 8) };
}
