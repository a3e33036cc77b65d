// A tiny in-memory NBD server (fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies) for tests of
// NBD clients that must see I/O errors and dying servers on demand, without an array.

import { createServer, type Server, type Socket } from 'node:net';
import {
  NBD_CMD_DISC,
  NBD_CMD_READ,
  NBD_CMD_WRITE,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_HAS_FLAGS,
  NBD_FLAG_NO_ZEROES,
  NBD_INIT_MAGIC,
  NBD_OPTS_MAGIC,
  NBD_REQUEST_HEADER_BYTES,
  NBD_SIMPLE_REPLY_MAGIC,
} from '../../src/array/nbd/protocol.js';

const EIO = 5;

export interface FakeNbdServer {
  address: string;
  /** Written data by byte offset (the tests write whole, aligned blocks). */
  data: Map<number, Buffer>;
  /** From now on every write is answered with EIO, as an array whose pod went offline. */
  failWrites(): void;
  /** Closes every connection and stops listening, as a SIGKILLed array. */
  kill(): Promise<void>;
}

function reply(socket: Socket, cookie: Buffer, errno: number, data?: Buffer): void {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
  head.writeUInt32BE(errno, 4);
  cookie.copy(head, 8);
  socket.write(data ? Buffer.concat([head, data]) : head);
}

export async function startFakeNbdServer(exportName: string, sizeBytes: number): Promise<FakeNbdServer> {
  const data = new Map<number, Buffer>();
  const sockets = new Set<Socket>();
  let failing = false;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    const greeting = Buffer.alloc(18);
    greeting.writeBigUInt64BE(NBD_INIT_MAGIC, 0);
    greeting.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
    greeting.writeUInt16BE(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, 16);
    socket.write(greeting);
    let buffer = Buffer.alloc(0);
    let opened = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!opened) {
        if (buffer.length < 20) return;
        const nameBytes = buffer.readUInt32BE(16);
        if (buffer.length < 20 + nameBytes) return;
        if (buffer.subarray(20, 20 + nameBytes).toString() !== exportName) return void socket.destroy();
        buffer = buffer.subarray(20 + nameBytes);
        const answer = Buffer.alloc(10);
        answer.writeBigUInt64BE(BigInt(sizeBytes), 0);
        answer.writeUInt16BE(NBD_FLAG_HAS_FLAGS, 8);
        socket.write(answer);
        opened = true;
      }
      while (buffer.length >= NBD_REQUEST_HEADER_BYTES) {
        const type = buffer.readUInt16BE(6);
        const cookie = Buffer.from(buffer.subarray(8, 16));
        const offset = Number(buffer.readBigUInt64BE(16));
        const length = buffer.readUInt32BE(24);
        const payloadBytes = type === NBD_CMD_WRITE ? length : 0;
        if (buffer.length < NBD_REQUEST_HEADER_BYTES + payloadBytes) return;
        const payload = Buffer.from(
          buffer.subarray(NBD_REQUEST_HEADER_BYTES, NBD_REQUEST_HEADER_BYTES + payloadBytes),
        );
        buffer = buffer.subarray(NBD_REQUEST_HEADER_BYTES + payloadBytes);
        if (type === NBD_CMD_DISC) return void socket.end();
        if (type === NBD_CMD_WRITE) {
          if (failing) reply(socket, cookie, EIO);
          else {
            data.set(offset, payload);
            reply(socket, cookie, 0);
          }
        } else if (type === NBD_CMD_READ) {
          const out = Buffer.alloc(length);
          for (const [at, bytes] of data)
            if (at >= offset && at < offset + length) bytes.copy(out, at - offset);
          reply(socket, cookie, 0, out);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    data,
    failWrites: () => {
      failing = true;
    },
    kill: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
