// A minimal NBD client for tests that need to know exactly which writes were acknowledged
// (real clients such as nbdcopy do not report that per request).

import { connect, type Socket } from 'node:net';

const INIT_MAGIC = 0x4e42444d41474943n;
const OPTS_MAGIC = 0x49484156454f5054n;
const OPT_EXPORT_NAME = 1;
const REQUEST_MAGIC = 0x25609513;
const REPLY_MAGIC = 0x67446698;
const CMD_READ = 0;
const CMD_WRITE = 1;
const CMD_DISC = 2;

interface Pending {
  resolve: (data: Buffer) => void;
  reject: (error: Error) => void;
  readBytes: number;
}

export class NbdTestClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<bigint, Pending>();
  private nextCookie = 1n;
  private failed: Error | null = null;
  sizeBytes = 0;

  private constructor(private readonly socket: Socket) {}

  static async open(port: number, exportName: string): Promise<NbdTestClient> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const client = new NbdTestClient(socket);
    await client.handshake(exportName);
    return client;
  }

  private handshake(exportName: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let stage = 0;
      const onData = (chunk: Buffer) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        if (stage === 0 && this.buffer.length >= 18) {
          if (this.buffer.readBigUInt64BE(0) !== INIT_MAGIC) return reject(new Error('bad greeting'));
          this.buffer = this.buffer.subarray(18);
          const flags = Buffer.alloc(4);
          flags.writeUInt32BE(3); // fixed newstyle + no zeroes
          const name = Buffer.from(exportName);
          const option = Buffer.alloc(16);
          option.writeBigUInt64BE(OPTS_MAGIC, 0);
          option.writeUInt32BE(OPT_EXPORT_NAME, 8);
          option.writeUInt32BE(name.length, 12);
          this.socket.write(Buffer.concat([flags, option, name]));
          stage = 1;
        }
        if (stage === 1 && this.buffer.length >= 10) {
          this.sizeBytes = Number(this.buffer.readBigUInt64BE(0));
          this.buffer = this.buffer.subarray(10);
          this.socket.off('data', onData);
          this.socket.on('data', (c: Buffer) => this.onReply(c));
          resolve();
        }
      };
      this.socket.on('data', onData);
      this.socket.once('error', reject);
      this.socket.once('close', () => {
        if (stage < 2) reject(new Error(`connection closed during handshake for ${exportName}`));
        this.fail(new Error('connection closed'));
      });
    });
  }

  private fail(error: Error): void {
    this.failed = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private onReply(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 16) {
      if (this.buffer.readUInt32BE(0) !== REPLY_MAGIC) {
        this.fail(new Error('bad reply magic'));
        return;
      }
      const errno = this.buffer.readUInt32BE(4);
      const cookie = this.buffer.readBigUInt64BE(8);
      const pending = this.pending.get(cookie);
      if (!pending) {
        this.fail(new Error(`reply for unknown cookie ${cookie}`));
        return;
      }
      const dataBytes = errno === 0 ? pending.readBytes : 0;
      if (this.buffer.length < 16 + dataBytes) return;
      const data = Buffer.from(this.buffer.subarray(16, 16 + dataBytes));
      this.buffer = this.buffer.subarray(16 + dataBytes);
      this.pending.delete(cookie);
      if (errno !== 0) pending.reject(new Error(`nbd errno ${errno}`));
      else pending.resolve(data);
    }
  }

  private send(type: number, offset: number, length: number, payload?: Buffer): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    const cookie = this.nextCookie++;
    const header = Buffer.alloc(28);
    header.writeUInt32BE(REQUEST_MAGIC, 0);
    header.writeUInt16BE(0, 4);
    header.writeUInt16BE(type, 6);
    header.writeBigUInt64BE(cookie, 8);
    header.writeBigUInt64BE(BigInt(offset), 16);
    header.writeUInt32BE(length, 24);
    const result = new Promise<Buffer>((resolve, reject) => {
      this.pending.set(cookie, { resolve, reject, readBytes: type === CMD_READ ? length : 0 });
    });
    this.socket.write(payload ? Buffer.concat([header, payload]) : header);
    return result;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.send(CMD_READ, offset, length);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    await this.send(CMD_WRITE, offset, data.length, data);
  }

  close(): void {
    if (!this.failed) this.send(CMD_DISC, 0, 0).catch(() => {});
    this.socket.end();
    this.socket.destroy();
  }
}
