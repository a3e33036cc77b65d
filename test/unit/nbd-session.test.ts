import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import {
  type ClientRequest,
  encodeClientFlags,
  encodeInfoPayload,
  encodeOption,
  encodeRequest,
  type OptionReply,
  readGreeting,
  readOptionReply,
  readSimpleReplyHeader,
} from '../../src/array/nbd/client-codec.js';
import type { CloseReason } from '../../src/array/nbd/errors.js';
import * as P from '../../src/array/nbd/protocol.js';
import { NbdSession, type NbdSessionHost } from '../../src/array/nbd/session.js';
import { NBD_INFLIGHT_MAX, NBD_OPTION_MAX_BYTES, NBD_REQUEST_MAX_BYTES } from '../../src/constants.js';
import { BufferPool } from '../../src/platform/buffer-pool.js';
import { MemoryCatalog, MemoryDevice } from '../helpers/memory-device.js';

const MiB = 1024 * 1024;

/** Plays the socket: collects what the session sends and what it decides. */
class Wire implements NbdSessionHost {
  readonly session: NbdSession;
  readonly catalog: MemoryCatalog;
  readonly errors: object[] = [];
  received = Buffer.alloc(0);
  closedFor: CloseReason | undefined;
  paused = false;
  pauses = 0;

  constructor(devices: MemoryDevice[] = [new MemoryDevice('vol', 16 * MiB)], writeBuffers?: BufferPool) {
    this.catalog = new MemoryCatalog(devices);
    const logger = { info() {}, warn() {}, error: (obj: object) => this.errors.push(obj) };
    this.session = new NbdSession({
      catalog: this.catalog,
      host: this,
      logger,
      ...(writeBuffers ? { writeBuffers } : {}),
    });
    this.session.start();
  }

  outputReady(): void {}
  pauseInput(): void {
    this.paused = true;
    this.pauses++;
  }
  resumeInput(): void {
    this.paused = false;
  }
  closeConnection(reason: CloseReason): void {
    this.closedFor = reason;
  }

  send(...parts: Buffer[]): void {
    for (const part of parts) this.session.feed(part);
  }

  /** Removes and returns `count` bytes the session has sent. */
  take(count: number): Buffer {
    this.received = Buffer.concat([this.received, ...this.session.takeOutput()]);
    assert.ok(this.received.length >= count, `expected ${count} bytes, have ${this.received.length}`);
    const out = this.received.subarray(0, count);
    this.received = this.received.subarray(count);
    return out;
  }

  pending(): number {
    this.received = Buffer.concat([this.received, ...this.session.takeOutput()]);
    return this.received.length;
  }

  optionReply(): OptionReply {
    this.pending();
    const reply = readOptionReply(this.received);
    assert.ok(reply, 'an option reply');
    this.received = this.received.subarray(reply.bytes);
    return reply;
  }

  /** One simple reply; `dataBytes` of payload follow a successful READ. */
  reply(dataBytes = 0): { errno: number; cookie: bigint; data: Buffer } {
    const header = readSimpleReplyHeader(this.take(16));
    assert.ok(header);
    return { ...header, data: header.errno === 0 ? this.take(dataBytes) : Buffer.alloc(0) };
  }

  request(request: ClientRequest): void {
    this.send(encodeRequest(request));
  }
}

/** Greeting read, flags sent, GO done: the wire is in transmission. */
function transmitting(devices?: MemoryDevice[], exportName = 'vol', writeBuffers?: BufferPool): Wire {
  const wire = new Wire(devices, writeBuffers);
  wire.take(18);
  wire.send(encodeClientFlags(P.NBD_FLAG_C_FIXED_NEWSTYLE | P.NBD_FLAG_C_NO_ZEROES));
  wire.send(encodeOption(P.NBD_OPT_GO, encodeInfoPayload(exportName)));
  assert.equal(wire.optionReply().replyType, P.NBD_REP_INFO);
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ACK);
  assert.equal(wire.session.phase, 'transmission');
  return wire;
}

function options(flags = P.NBD_FLAG_C_FIXED_NEWSTYLE | P.NBD_FLAG_C_NO_ZEROES): Wire {
  const wire = new Wire([new MemoryDevice('vol', 16 * MiB), new MemoryDevice('ro', MiB, { readOnly: true })]);
  wire.take(18);
  wire.send(encodeClientFlags(flags));
  return wire;
}

test('session: greeting offers fixed newstyle and no-zeroes', () => {
  const wire = new Wire();
  assert.deepEqual(readGreeting(wire.take(18)), { handshakeFlags: 3 });
});

test('session: client without fixed newstyle or with unknown flags is closed', () => {
  assert.equal(options(P.NBD_FLAG_C_NO_ZEROES).closedFor, 'client-not-fixed-newstyle');
  assert.equal(options(P.NBD_FLAG_C_FIXED_NEWSTYLE | 0x100).closedFor, 'client-flags-unknown');
});

test('session: LIST names every export then ACKs; LIST with a payload is invalid', () => {
  const wire = options();
  wire.catalog.refuse('gone', 'destroyed');
  wire.send(encodeOption(P.NBD_OPT_LIST));
  const names: string[] = [];
  for (let reply = wire.optionReply(); reply.replyType !== P.NBD_REP_ACK; reply = wire.optionReply()) {
    assert.equal(reply.replyType, P.NBD_REP_SERVER);
    names.push(reply.payload.toString('utf8', 4, 4 + reply.payload.readUInt32BE(0)));
  }
  assert.deepEqual(names, ['vol', 'ro', 'gone']);
  wire.send(encodeOption(P.NBD_OPT_LIST, 'x'));
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ERR_INVALID);
});

test('session: INFO reports export, name, description and block size, then closes the device', () => {
  const wire = options();
  const types = [P.NBD_INFO_BLOCK_SIZE, P.NBD_INFO_NAME, P.NBD_INFO_DESCRIPTION, 77];
  wire.send(encodeOption(P.NBD_OPT_INFO, encodeInfoPayload('ro', types)));
  const exportInfo = wire.optionReply().payload;
  assert.equal(exportInfo.readUInt16BE(0), P.NBD_INFO_EXPORT);
  assert.equal(Number(exportInfo.readBigUInt64BE(2)), MiB);
  const flags = exportInfo.readUInt16BE(10);
  assert.equal(flags & P.NBD_FLAG_READ_ONLY, P.NBD_FLAG_READ_ONLY);
  assert.equal(flags & (P.NBD_FLAG_SEND_TRIM | P.NBD_FLAG_SEND_WRITE_ZEROES), 0);
  const block = wire.optionReply().payload;
  assert.deepEqual(
    [0, 2, 6, 10].map((at) => (at === 0 ? block.readUInt16BE(0) : block.readUInt32BE(at))),
    [P.NBD_INFO_BLOCK_SIZE, 512, 4096, NBD_REQUEST_MAX_BYTES],
  );
  assert.equal(wire.optionReply().payload.subarray(2).toString(), 'ro');
  assert.match(wire.optionReply().payload.subarray(2).toString(), /ro.*read-only/);
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ACK);
  assert.equal(wire.session.phase, 'options');
  assert.equal(wire.catalog.devices.get('ro')!.closeCount, 1);
});

test('session: GO to an unknown export is ERR_UNKNOWN, to a refused one ERR_POLICY, both with text', () => {
  const wire = options();
  wire.catalog.refuse('old', 'volume is being eradicated');
  wire.send(encodeOption(P.NBD_OPT_GO, encodeInfoPayload('nope')));
  const unknown = wire.optionReply();
  assert.equal(unknown.replyType, P.NBD_REP_ERR_UNKNOWN);
  assert.match(unknown.payload.toString(), /nope/);
  wire.send(encodeOption(P.NBD_OPT_GO, encodeInfoPayload('old')));
  const refused = wire.optionReply();
  assert.equal(refused.replyType, P.NBD_REP_ERR_POLICY);
  assert.match(refused.payload.toString(), /being eradicated/);
  const malformed = encodeInfoPayload('vol');
  malformed.writeUInt32BE(999, 0);
  wire.send(encodeOption(P.NBD_OPT_GO, malformed));
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ERR_INVALID);
  wire.send(encodeOption(P.NBD_OPT_GO, encodeInfoPayload('vol')));
  const exportInfo = wire.optionReply().payload;
  const flags = exportInfo.readUInt16BE(10);
  const expected = [P.NBD_FLAG_HAS_FLAGS, P.NBD_FLAG_SEND_FLUSH, P.NBD_FLAG_SEND_FUA, P.NBD_FLAG_SEND_TRIM];
  for (const flag of [...expected, P.NBD_FLAG_SEND_WRITE_ZEROES, P.NBD_FLAG_CAN_MULTI_CONN]) {
    assert.equal(flags & flag, flag);
  }
  assert.equal(flags & (P.NBD_FLAG_READ_ONLY | P.NBD_FLAG_SEND_FAST_ZERO | P.NBD_FLAG_SEND_DF), 0);
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ACK);
  assert.equal(wire.session.phase, 'transmission');
});

test('session: EXPORT_NAME answers size and flags, with 124 zeroes unless NO_ZEROES', () => {
  const short = options();
  short.send(encodeOption(P.NBD_OPT_EXPORT_NAME, 'vol'));
  const reply = short.take(10);
  assert.equal(Number(reply.readBigUInt64BE(0)), 16 * MiB);
  assert.equal(short.pending(), 0);
  assert.equal(short.session.phase, 'transmission');

  const long = options(P.NBD_FLAG_C_FIXED_NEWSTYLE);
  long.send(encodeOption(P.NBD_OPT_EXPORT_NAME, 'vol'));
  assert.equal(long.pending(), 134);
});

test('session: EXPORT_NAME of an unknown export closes the connection', () => {
  const wire = options();
  wire.send(encodeOption(P.NBD_OPT_EXPORT_NAME, 'nope'));
  assert.equal(wire.closedFor, 'export-name-refused');
  assert.equal(wire.pending(), 0);
});

test('session: ABORT is acknowledged, then the connection closes', () => {
  const wire = options();
  wire.send(encodeOption(P.NBD_OPT_ABORT));
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ACK);
  assert.equal(wire.closedFor, 'client-abort');
});

test('session: STARTTLS is refused by policy, unknown and unsupported options are ERR_UNSUP', () => {
  const wire = options();
  wire.send(encodeOption(P.NBD_OPT_STARTTLS));
  assert.equal(wire.optionReply().replyType, P.NBD_REP_ERR_POLICY);
  const unsupported = [
    P.NBD_OPT_STRUCTURED_REPLY,
    P.NBD_OPT_LIST_META_CONTEXT,
    P.NBD_OPT_SET_META_CONTEXT,
    P.NBD_OPT_EXTENDED_HEADERS,
    4242,
  ];
  for (const option of unsupported) {
    wire.send(encodeOption(option, Buffer.alloc(12)));
    const reply = wire.optionReply();
    assert.deepEqual([reply.option, reply.replyType], [option, P.NBD_REP_ERR_UNSUP]);
  }
  assert.equal(wire.closedFor, undefined);
});

test('session: oversize option and bad option magic close the connection', () => {
  const oversize = options();
  const header = encodeOption(P.NBD_OPT_GO);
  header.writeUInt32BE(NBD_OPTION_MAX_BYTES + 1, 12);
  oversize.send(header);
  assert.equal(oversize.closedFor, 'option-too-large');
  const garbage = options();
  garbage.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(garbage.closedFor, 'option-magic-bad');
});

test('session: a handshake fed one byte at a time works; the timeout only bites while haggling', () => {
  const wire = new Wire();
  wire.take(18);
  const bytes = Buffer.concat([
    encodeClientFlags(3),
    encodeOption(P.NBD_OPT_GO, encodeInfoPayload('vol')),
    encodeRequest({ command: P.NBD_CMD_READ, cookie: 5n, offsetBytes: 0, lengthBytes: 512 }),
  ]);
  for (const byte of bytes) wire.send(Buffer.from([byte]));
  wire.optionReply();
  wire.optionReply();
  assert.equal(wire.reply(512).cookie, 5n);
  wire.session.handshakeTimedOut();
  assert.equal(wire.closedFor, undefined);
  const slow = options();
  slow.session.handshakeTimedOut();
  assert.equal(slow.closedFor, 'handshake-timeout');
});

test('session: write, read back, flush, trim and write zeroes', async () => {
  const wire = transmitting();
  const data = Buffer.alloc(8192, 0xab);
  const fua = P.NBD_CMD_FLAG_FUA;
  wire.request({
    command: P.NBD_CMD_WRITE,
    flags: fua,
    cookie: 1n,
    offsetBytes: 4096,
    lengthBytes: 8192,
    payload: data,
  });
  await tick();
  assert.deepEqual(wire.reply(), { cookie: 1n, errno: 0, data: Buffer.alloc(0) });
  wire.request({ command: P.NBD_CMD_READ, cookie: 2n, offsetBytes: 4096, lengthBytes: 8192 });
  assert.deepEqual(wire.reply(8192).data, data);
  wire.request({ command: P.NBD_CMD_FLUSH, cookie: 3n, offsetBytes: 0, lengthBytes: 0 });
  wire.request({ command: P.NBD_CMD_TRIM, cookie: 4n, offsetBytes: 4096, lengthBytes: 4096 });
  const noHole = P.NBD_CMD_FLAG_NO_HOLE;
  wire.request({
    command: P.NBD_CMD_WRITE_ZEROES,
    flags: noHole,
    cookie: 5n,
    offsetBytes: 8192,
    lengthBytes: 512,
  });
  await tick();
  for (const cookie of [3n, 4n, 5n])
    assert.deepEqual(wire.reply(), { cookie, errno: 0, data: Buffer.alloc(0) });
  wire.request({ command: P.NBD_CMD_READ, cookie: 6n, offsetBytes: 4096, lengthBytes: 8192 });
  const expected = Buffer.concat([Buffer.alloc(4096 + 512), Buffer.alloc(4096 - 512, 0xab)]);
  assert.deepEqual(wire.reply(8192).data, expected);
});

test('session: invalid requests get EINVAL/ENOSPC/EPERM and the stream stays in step', async () => {
  const wire = transmitting([new MemoryDevice('vol', MiB), new MemoryDevice('ro', MiB, { readOnly: true })]);
  const cases: [ClientRequest, number][] = [
    [{ command: P.NBD_CMD_READ, cookie: 1n, offsetBytes: 100, lengthBytes: 512 }, P.NBD_EINVAL],
    [
      { command: P.NBD_CMD_WRITE, cookie: 2n, offsetBytes: 0, lengthBytes: 100, payload: Buffer.alloc(100) },
      P.NBD_EINVAL,
    ],
    [{ command: P.NBD_CMD_READ, cookie: 3n, offsetBytes: MiB, lengthBytes: 512 }, P.NBD_EINVAL],
    [
      {
        command: P.NBD_CMD_WRITE,
        cookie: 4n,
        offsetBytes: MiB,
        lengthBytes: 512,
        payload: Buffer.alloc(512),
      },
      P.NBD_ENOSPC,
    ],
    [
      { command: P.NBD_CMD_READ, cookie: 5n, offsetBytes: 0, lengthBytes: NBD_REQUEST_MAX_BYTES + 512 },
      P.NBD_EINVAL,
    ],
    [{ command: 42, cookie: 6n, offsetBytes: 0, lengthBytes: 512 }, P.NBD_EINVAL],
    [
      { command: P.NBD_CMD_READ, flags: P.NBD_CMD_FLAG_DF, cookie: 7n, offsetBytes: 0, lengthBytes: 512 },
      P.NBD_EINVAL,
    ],
    [{ command: P.NBD_CMD_READ, cookie: 8n, offsetBytes: 0, lengthBytes: 512 }, P.NBD_OK],
  ];
  for (const [request] of cases) wire.request(request);
  await tick();
  for (const [request, errno] of cases) {
    assert.deepEqual(wire.reply(512), {
      cookie: request.cookie,
      errno,
      data: Buffer.alloc(errno === 0 ? 512 : 0),
    });
  }
  assert.equal(wire.catalog.devices.get('vol')!.calls.length, 1, 'only the valid read reached the device');

  const ro = transmitting([new MemoryDevice('ro', MiB, { readOnly: true })], 'ro');
  ro.request({
    command: P.NBD_CMD_WRITE,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: 512,
    payload: Buffer.alloc(512),
  });
  ro.request({ command: P.NBD_CMD_TRIM, cookie: 2n, offsetBytes: 0, lengthBytes: 512 });
  ro.request({ command: P.NBD_CMD_WRITE_ZEROES, cookie: 3n, offsetBytes: 0, lengthBytes: 512 });
  await tick();
  for (const cookie of [1n, 2n, 3n])
    assert.deepEqual(ro.reply(), { cookie, errno: P.NBD_EPERM, data: Buffer.alloc(0) });
});

test('session: bad request magic and an oversize write close the connection', () => {
  const garbage = transmitting();
  garbage.request({
    command: P.NBD_CMD_READ,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: 512,
    magic: 0xdeadbeef,
  });
  assert.equal(garbage.closedFor, 'request-magic-bad');
  const huge = transmitting();
  huge.request({
    command: P.NBD_CMD_WRITE,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: NBD_REQUEST_MAX_BYTES + 512,
  });
  assert.equal(huge.closedFor, 'write-too-large');
});

test('session: replies go out in completion order, each with its cookie', async () => {
  const device = new MemoryDevice('vol', MiB);
  const wire = transmitting([device]);
  device.holdNext(1);
  wire.request({ command: P.NBD_CMD_READ, cookie: 0xa1n, offsetBytes: 0, lengthBytes: 4096 });
  wire.request({ command: P.NBD_CMD_READ, cookie: 0xb2n, offsetBytes: 4096, lengthBytes: 4096 });
  await tick();
  assert.equal(wire.reply(4096).cookie, 0xb2n);
  assert.equal(wire.pending(), 0);
  device.releaseHeld();
  await tick();
  assert.equal(wire.reply(4096).cookie, 0xa1n);
});

test('session: DISC answers in-flight requests first, then closes and releases the device once', async () => {
  const device = new MemoryDevice('vol', MiB);
  const wire = transmitting([device]);
  device.holdNext(1);
  wire.request({
    command: P.NBD_CMD_WRITE,
    cookie: 7n,
    offsetBytes: 0,
    lengthBytes: 512,
    payload: Buffer.alloc(512, 1),
  });
  wire.request({ command: P.NBD_CMD_DISC, cookie: 8n, offsetBytes: 0, lengthBytes: 0 });
  wire.request({ command: P.NBD_CMD_READ, cookie: 9n, offsetBytes: 0, lengthBytes: 512 }); // ignored after DISC
  await tick();
  assert.equal(wire.closedFor, undefined);
  assert.equal(device.closeCount, 0);
  device.releaseHeld();
  await tick();
  assert.equal(wire.reply().cookie, 7n);
  assert.equal(wire.pending(), 0);
  assert.equal(wire.closedFor, 'client-disconnect');
  assert.equal(device.closeCount, 1);
  wire.session.end('peer-closed');
  assert.equal(device.closeCount, 1);
});

test('session: device failures map to EIO, EPERM, ENOSPC, ESHUTDOWN; foreign errors log once', async () => {
  const device = new MemoryDevice('vol', MiB, { asyncReads: true });
  const wire = transmitting([device]);
  const read = (cookie: bigint) =>
    wire.request({ command: P.NBD_CMD_READ, cookie, offsetBytes: 0, lengthBytes: 512 });
  const cases = [
    ['io', P.NBD_EIO],
    ['read-only', P.NBD_EPERM],
    ['no-space', P.NBD_ENOSPC],
    ['gone', P.NBD_ESHUTDOWN],
    ['offline', P.NBD_ESHUTDOWN],
  ] as const;
  for (const [code, errno] of cases) {
    device.failNext(1, code);
    read(1n);
    await tick();
    assert.equal(wire.reply(512).errno, errno, code);
  }
  device.failNext(2, new TypeError('engine bug'));
  read(2n);
  read(3n);
  await tick();
  assert.equal(wire.reply(512).errno, P.NBD_EIO);
  assert.equal(wire.reply(512).errno, P.NBD_EIO);
  assert.equal(wire.errors.length, 1, 'logged once, not per request');
  read(4n);
  await tick();
  assert.equal(wire.reply(512).errno, P.NBD_OK);
});

test('session: above NBD_INFLIGHT_MAX requests it pauses input, and resumes as replies drain', async () => {
  const device = new MemoryDevice('vol', 16 * MiB);
  const wire = transmitting([device]);
  const total = NBD_INFLIGHT_MAX + 10;
  device.holdNext(total);
  const requests = Array.from({ length: total }, (_, i) =>
    encodeRequest({ command: P.NBD_CMD_READ, cookie: BigInt(i), offsetBytes: i * 4096, lengthBytes: 4096 }),
  );
  wire.send(Buffer.concat(requests));
  assert.equal(wire.session.inflight, NBD_INFLIGHT_MAX);
  assert.ok(wire.paused);
  device.releaseHeld();
  await tick();
  assert.equal(wire.paused, false);
  device.releaseHeld();
  await tick();
  const cookies = Array.from({ length: total }, () => wire.reply(4096).cookie);
  assert.deepEqual(new Set(cookies).size, total);
  assert.equal(wire.session.inflight, 0);
});

test('session: a write arriving in many small chunks is dispatched once, whole', async () => {
  const device = new MemoryDevice('vol', 16 * MiB);
  const wire = transmitting([device]);
  const data = Buffer.alloc(MiB);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
  const bytes = encodeRequest({
    command: P.NBD_CMD_WRITE,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: MiB,
    payload: data,
  });
  for (let at = 0; at < bytes.length; at += 1000) wire.send(bytes.subarray(at, at + 1000));
  await tick();
  assert.equal(wire.reply().errno, 0);
  assert.deepEqual(device.read(0, MiB), data);
  assert.deepEqual(device.calls.filter((c) => c.op === 'write').length, 1);
});

test('session: a WRITE buffer is reused only after its write settled, and only if the device lets go of it', async () => {
  const write = (wire: Wire, cookie: bigint, offsetBytes: number, payload: Buffer) => {
    const bytes = encodeRequest({
      command: P.NBD_CMD_WRITE,
      cookie,
      offsetBytes,
      lengthBytes: payload.length,
      payload,
    });
    // Fed in small pieces: the payload spans chunks, so it is gathered into a buffer of the pool.
    for (let at = 0; at < bytes.length; at += 1000) wire.send(bytes.subarray(at, at + 1000));
  };
  const payload = (seed: number) => Buffer.alloc(64 * 1024, seed);

  const device = new MemoryDevice('vol', 16 * MiB, { reuseWrites: true });
  const wire = transmitting([device], 'vol', new BufferPool(4096, 16 * MiB));
  device.holdNext(1);
  write(wire, 1n, 0, payload(1));
  write(wire, 2n, 64 * 1024, payload(2)); // the first is still held: a buffer of its own
  await tick();
  assert.equal(wire.reply().cookie, 2n);
  device.releaseHeld();
  await tick();
  assert.equal(wire.reply().cookie, 1n);
  write(wire, 3n, 128 * 1024, payload(3));
  await tick();
  assert.equal(wire.reply().cookie, 3n);
  const [first, second, third] = device.writtenBuffers;
  assert.notEqual(first, second, 'a buffer in use by a pending write is not handed out again');
  assert.ok(third === first || third === second, 'a settled write buffer is reused');
  for (const seed of [1, 2, 3])
    assert.deepEqual(device.read((seed - 1) * 64 * 1024, 64 * 1024), payload(seed));

  // A device without mayReuse (or saying no) keeps its buffers: every write gets a fresh one.
  for (const reuseWrites of [undefined, false]) {
    const keeping = new MemoryDevice('vol', 16 * MiB, reuseWrites === undefined ? {} : { reuseWrites });
    const other = transmitting([keeping], 'vol', new BufferPool(4096, 16 * MiB));
    for (const cookie of [1n, 2n, 3n]) {
      write(other, cookie, 0, payload(Number(cookie)));
      await tick();
      assert.equal(other.reply().cookie, cookie);
    }
    assert.equal(new Set(keeping.writtenBuffers).size, 3, `reuseWrites ${reuseWrites}`);
  }
});

test('session: when the peer vanishes mid-request the device is closed only after it settles', async () => {
  const device = new MemoryDevice('vol', MiB);
  const wire = transmitting([device]);
  device.holdNext(1);
  wire.request({ command: P.NBD_CMD_READ, cookie: 1n, offsetBytes: 0, lengthBytes: 512 });
  wire.session.end('peer-closed');
  assert.equal(device.closeCount, 0);
  device.releaseHeld();
  await tick();
  assert.equal(device.closeCount, 1);
  assert.equal(wire.pending(), 0);
});

test('session: after a half-close, complete requests are answered, then the session closes', async () => {
  const device = new MemoryDevice('vol', MiB);
  const wire = transmitting([device]);
  device.holdNext(1);
  wire.request({ command: P.NBD_CMD_READ, cookie: 1n, offsetBytes: 0, lengthBytes: 512 });
  wire.session.inputEnded();
  assert.equal(wire.closedFor, undefined);
  device.releaseHeld();
  await tick();
  assert.equal(wire.reply(512).cookie, 1n);
  assert.equal(wire.closedFor, 'peer-closed');
});
