// The drill's NBD client: one connection to one export, requests pipelined, and each request
// settled exactly once: with its answer, with the server's errno, with the connection's end, or
// after NBD_REQUEST_TIMEOUT_MS. The drill must know precisely which writes were acknowledged,
// which real clients (nbdcopy, the kernel) do not report per request.

import { connect, type Socket } from 'node:net';
import {
  NBD_CMD_DISC,
  NBD_CMD_READ,
  NBD_CMD_WRITE,
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOSPC,
  NBD_EPERM,
  NBD_ESHUTDOWN,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_GREETING_BYTES,
  NBD_INIT_MAGIC,
  NBD_OPT_EXPORT_NAME,
  NBD_OPTS_MAGIC,
  NBD_REQUEST_HEADER_BYTES,
  NBD_REQUEST_MAGIC,
  NBD_SIMPLE_REPLY_BYTES,
  NBD_SIMPLE_REPLY_MAGIC,
} from '../array/nbd/protocol.js';
import { NBD_CONNECT_TIMEOUT_MS, NBD_REQUEST_TIMEOUT_MS } from './constants.js';

/** Export size (8 bytes) and transmission flags (2) after NBD_OPT_EXPORT_NAME with NO_ZEROES. */
const EXPORT_REPLY_BYTES = 10;

interface Pending {
  resolve: (data: Buffer) => void;
  reject: (error: Error) => void;
  readBytes: number;
  timer: NodeJS.Timeout;
}

/** `host:port` -> parts; the lab writes addresses this way. */
export function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

/** What an NBD server's errno means on a Tandem array (NBD's own errno numbers). */
const NBD_ERRNO_MEANING: Record<number, string> = {
  [NBD_EPERM]: ' (EPERM: the volume is read-only here, e.g. a replica or a demoted pod)',
  [NBD_EIO]: ' (EIO: the array failed the request; see its log)',
  [NBD_EINVAL]: ' (EINVAL: request outside the volume or misaligned)',
  [NBD_ENOSPC]: ' (ENOSPC: the array is out of space)',
  [NBD_ESHUTDOWN]:
    ' (ESHUTDOWN: the volume is offline on this array: its pod lost the peer and the mediator chose the other array, or the volume was destroyed)',
};

export class NbdClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<bigint, Pending>();
  private nextCookie = 1n;
  private failure: Error | null = null;
  sizeBytes = 0;

  private constructor(private readonly socket: Socket) {}

  /** Connects and selects `exportName`; an export the array does not serve ends the connection. */
  static async open(address: string, exportName: string): Promise<NbdClient> {
    const socket = connect({ ...parseAddress(address), noDelay: true });
    const client = new NbdClient(socket);
    const timer = setTimeout(
      () => socket.destroy(new Error(`NBD ${address}: no handshake in ${NBD_CONNECT_TIMEOUT_MS} ms`)),
      NBD_CONNECT_TIMEOUT_MS,
    );
    try {
      await client.handshake(exportName, address);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  private handshake(exportName: string, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let greeted = false;
      const onData = (chunk: Buffer) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        if (!greeted && this.buffer.length >= NBD_GREETING_BYTES) {
          if (this.buffer.readBigUInt64BE(0) !== NBD_INIT_MAGIC) {
            this.socket.destroy();
            return reject(new Error(`NBD ${address}: not an NBD server`));
          }
          this.buffer = this.buffer.subarray(NBD_GREETING_BYTES);
          this.socket.write(this.exportNameOption(exportName));
          greeted = true;
        }
        if (greeted && this.buffer.length >= EXPORT_REPLY_BYTES) {
          this.sizeBytes = Number(this.buffer.readBigUInt64BE(0));
          this.buffer = this.buffer.subarray(EXPORT_REPLY_BYTES);
          this.socket.off('data', onData);
          this.socket.on('data', (c: Buffer) => this.onReply(c));
          resolve();
        }
      };
      this.socket.on('data', onData);
      this.socket.on('error', (error) => this.fail(error));
      this.socket.once('close', () => {
        reject(new Error(`NBD ${address}: connection closed before export ${exportName} was opened`));
        this.fail(new Error(`NBD ${address}: connection closed`));
      });
    });
  }

  private exportNameOption(exportName: string): Buffer {
    const name = Buffer.from(exportName, 'utf8');
    const out = Buffer.alloc(4 + 16 + name.length);
    out.writeUInt32BE(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES, 0);
    out.writeBigUInt64BE(NBD_OPTS_MAGIC, 4);
    out.writeUInt32BE(NBD_OPT_EXPORT_NAME, 12);
    out.writeUInt32BE(name.length, 16);
    name.copy(out, 20);
    return out;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
    this.pending.clear();
  }

  private onReply(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= NBD_SIMPLE_REPLY_BYTES) {
      if (this.buffer.readUInt32BE(0) !== NBD_SIMPLE_REPLY_MAGIC) {
        this.socket.destroy();
        this.fail(new Error('NBD: bad reply magic'));
        return;
      }
      const errno = this.buffer.readUInt32BE(4);
      const cookie = this.buffer.readBigUInt64BE(8);
      const pending = this.pending.get(cookie);
      // A reply to a request that timed out: its data, if any, is skipped by its declared length.
      const dataBytes = errno === 0 ? (pending?.readBytes ?? 0) : 0;
      if (this.buffer.length < NBD_SIMPLE_REPLY_BYTES + dataBytes) return;
      const data = Buffer.from(
        this.buffer.subarray(NBD_SIMPLE_REPLY_BYTES, NBD_SIMPLE_REPLY_BYTES + dataBytes),
      );
      this.buffer = this.buffer.subarray(NBD_SIMPLE_REPLY_BYTES + dataBytes);
      if (!pending) continue;
      this.pending.delete(cookie);
      clearTimeout(pending.timer);
      if (errno !== 0) pending.reject(new Error(`NBD errno ${errno}${NBD_ERRNO_MEANING[errno] ?? ''}`));
      else pending.resolve(data);
    }
  }

  private send(type: number, offsetBytes: number, lengthBytes: number, payload?: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const cookie = this.nextCookie++;
    const header = Buffer.alloc(NBD_REQUEST_HEADER_BYTES);
    header.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
    header.writeUInt16BE(type, 6);
    header.writeBigUInt64BE(cookie, 8);
    header.writeBigUInt64BE(BigInt(offsetBytes), 16);
    header.writeUInt32BE(lengthBytes, 24);
    const result = new Promise<Buffer>((resolve, reject) => {
      // A request that never gets an answer would stall the writer for ever: it becomes an error,
      // and the connection is dropped, since its state is no longer known.
      const timer = setTimeout(() => {
        this.socket.destroy();
        this.fail(new Error(`NBD: no answer in ${NBD_REQUEST_TIMEOUT_MS} ms`));
      }, NBD_REQUEST_TIMEOUT_MS);
      this.pending.set(cookie, {
        resolve,
        reject,
        readBytes: type === NBD_CMD_READ ? lengthBytes : 0,
        timer,
      });
    });
    this.socket.write(payload ? Buffer.concat([header, payload]) : header);
    return result;
  }

  read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return this.send(NBD_CMD_READ, offsetBytes, lengthBytes);
  }

  async write(offsetBytes: number, data: Buffer): Promise<void> {
    await this.send(NBD_CMD_WRITE, offsetBytes, data.length, data);
  }

  close(): void {
    if (!this.failure) this.send(NBD_CMD_DISC, 0, 0).catch(() => {});
    this.fail(new Error('NBD: closed by the drill'));
    this.socket.end();
    this.socket.destroy();
  }
}
