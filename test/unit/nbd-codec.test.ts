import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IoError, type IoErrorCode } from '../../src/array/engine/block-device.js';
import { ByteQueue } from '../../src/array/nbd/byte-queue.js';
import {
  encodeClientFlags,
  encodeInfoPayload,
  encodeOption,
  encodeRequest,
} from '../../src/array/nbd/client-codec.js';
import {
  type ClientFlags,
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeOptionReply,
  NEED_MORE,
  newRequestHeader,
  type OptionHeader,
  parseClientFlags,
  parseExportName,
  parseInfoRequest,
  parseOptionHeader,
  parseRequestHeader,
  validateRequest,
  writeSimpleReply,
} from '../../src/array/nbd/codec.js';
import {
  CLOSE_REASONS,
  errnoForFailure,
  IO_ERROR_ERRNO,
  OPTION_INVALID_REASONS,
  REQUEST_REJECTIONS,
} from '../../src/array/nbd/errors.js';
import * as P from '../../src/array/nbd/protocol.js';
import { ReplyBuffer } from '../../src/array/nbd/reply-buffer.js';
import { NBD_OPTION_MAX_BYTES, NBD_REQUEST_MAX_BYTES } from '../../src/constants.js';

test('codec: greeting is NBDMAGIC, IHAVEOPT, FIXED_NEWSTYLE|NO_ZEROES', () => {
  assert.equal(encodeGreeting().toString('hex'), '4e42444d41474943' + '49484156454f5054' + '0003');
});

test('codec: client flags need 4 bytes, must be fixed newstyle, must not carry unknown bits', () => {
  const out: ClientFlags = { flags: 0 };
  assert.equal(parseClientFlags(Buffer.alloc(3), 0, out), NEED_MORE);
  assert.equal(parseClientFlags(encodeClientFlags(3), 0, out), 4);
  assert.equal(out.flags, 3);
  assert.equal(parseClientFlags(encodeClientFlags(2), 0, out), 'client-not-fixed-newstyle');
  assert.equal(parseClientFlags(encodeClientFlags(1 | 4), 0, out), 'client-flags-unknown');
});

test('codec: option header is parsed, bad magic and oversize payloads are reasons', () => {
  const out: OptionHeader = { option: 0, lengthBytes: 0 };
  const option = encodeOption(P.NBD_OPT_GO, Buffer.alloc(7));
  assert.equal(parseOptionHeader(option.subarray(0, 15), 0, out), NEED_MORE);
  assert.equal(parseOptionHeader(option, 0, out), 16);
  assert.deepEqual(out, { option: P.NBD_OPT_GO, lengthBytes: 7 });
  const garbage = Buffer.from(option);
  garbage[0] = 0;
  assert.equal(parseOptionHeader(garbage, 0, out), 'option-magic-bad');
  const huge = encodeOption(P.NBD_OPT_GO);
  huge.writeUInt32BE(NBD_OPTION_MAX_BYTES + 1, 12);
  assert.equal(parseOptionHeader(huge, 0, out), 'option-too-large');
});

test('codec: INFO/GO payload gives name and info types, or why it is malformed', () => {
  assert.deepEqual(parseInfoRequest(encodeInfoPayload('vol-1', [3, 1])), {
    exportName: 'vol-1',
    infoTypes: [3, 1],
  });
  assert.deepEqual(parseInfoRequest(encodeInfoPayload('')), { exportName: '', infoTypes: [] });
  const overflow = encodeInfoPayload('abc');
  overflow.writeUInt32BE(100, 0);
  assert.equal(parseInfoRequest(overflow), 'name-length-overflows');
  assert.equal(parseInfoRequest(Buffer.alloc(3)), 'name-length-overflows');
  const miscount = encodeInfoPayload('abc', [1]);
  miscount.writeUInt16BE(2, 7);
  assert.equal(parseInfoRequest(miscount), 'info-count-mismatch');
  assert.deepEqual(parseExportName(Buffer.from('x')), { exportName: 'x' });
  assert.equal(parseExportName(Buffer.alloc(5000)), 'string-too-long');
});

test('codec: request header round-trips cookie halves and 64-bit offsets', () => {
  const header = newRequestHeader();
  const bytes = encodeRequest({
    command: P.NBD_CMD_READ,
    flags: P.NBD_CMD_FLAG_FUA,
    cookie: 0x0102030405060708n,
    offsetBytes: 5 * 2 ** 32 + 4096,
    lengthBytes: 8192,
  });
  assert.equal(parseRequestHeader(bytes.subarray(0, 27), 0, header), NEED_MORE);
  assert.equal(parseRequestHeader(bytes, 0, header), 28);
  assert.deepEqual(header, {
    flags: 1,
    command: 0,
    cookieHi: 0x01020304,
    cookieLo: 0x05060708,
    offsetBytes: 5 * 2 ** 32 + 4096,
    lengthBytes: 8192,
  });
  const badMagic = encodeRequest({
    command: 0,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: 0,
    magic: 0x12345678,
  });
  assert.equal(parseRequestHeader(badMagic, 0, header), 'request-magic-bad');
  const tooBig = {
    command: P.NBD_CMD_WRITE,
    cookie: 1n,
    offsetBytes: 0,
    lengthBytes: NBD_REQUEST_MAX_BYTES + 512,
  };
  assert.equal(parseRequestHeader(encodeRequest(tooBig), 0, header), 'write-too-large');
});

test('codec: validateRequest refuses with the errno the spec asks for', () => {
  const size = 1024 * 1024;
  const check = (command: number, offsetBytes: number, lengthBytes: number, flags = 0, readOnly = false) =>
    validateRequest({ ...newRequestHeader(), command, offsetBytes, lengthBytes, flags }, size, readOnly);
  assert.equal(check(P.NBD_CMD_READ, 0, 4096), null);
  assert.equal(check(P.NBD_CMD_READ, 0, 4096, P.NBD_CMD_FLAG_FUA), null);
  assert.equal(check(P.NBD_CMD_READ, 100, 512), 'request-misaligned');
  assert.equal(check(P.NBD_CMD_WRITE, 0, 100), 'request-misaligned');
  assert.equal(check(P.NBD_CMD_READ, size - 512, 1024), 'request-out-of-range');
  assert.equal(check(P.NBD_CMD_TRIM, size, 512), 'request-out-of-range');
  assert.equal(check(P.NBD_CMD_WRITE, size, 512), 'write-out-of-range');
  assert.equal(check(P.NBD_CMD_WRITE_ZEROES, 0, size + 512), 'write-out-of-range');
  assert.equal(check(P.NBD_CMD_READ, 0, NBD_REQUEST_MAX_BYTES + 512), 'read-too-large');
  assert.equal(check(P.NBD_CMD_WRITE, 0, 512, 0, true), 'export-read-only');
  assert.equal(check(P.NBD_CMD_TRIM, 0, 512, 0, true), 'export-read-only');
  assert.equal(check(P.NBD_CMD_READ, 0, 512, 0, true), null);
  assert.equal(check(P.NBD_CMD_WRITE_ZEROES, 0, 512, P.NBD_CMD_FLAG_NO_HOLE | P.NBD_CMD_FLAG_FUA), null);
  assert.equal(check(P.NBD_CMD_WRITE, 0, 512, P.NBD_CMD_FLAG_NO_HOLE), 'command-flags-invalid');
  assert.equal(check(P.NBD_CMD_WRITE_ZEROES, 0, 512, P.NBD_CMD_FLAG_FAST_ZERO), 'command-flags-invalid');
  assert.equal(check(P.NBD_CMD_BLOCK_STATUS, 0, 512), 'command-unknown');
  assert.equal(check(P.NBD_CMD_CACHE, 0, 512), 'command-unknown');
  assert.equal(check(99, 0, 512), 'command-unknown');
  assert.equal(check(P.NBD_CMD_FLUSH, 7, 3), null, 'flush offset/length are reserved, not judged');
});

test('codec: replies and infos have the documented layout', () => {
  const reply = Buffer.alloc(16);
  writeSimpleReply(reply, 0, P.NBD_EIO, 0xaabbccdd, 0x11223344);
  assert.equal(reply.toString('hex'), '67446698' + '00000005' + 'aabbccdd11223344');
  const option = encodeOptionReply(P.NBD_OPT_LIST, P.NBD_REP_ERR_UNSUP, 'no');
  assert.equal(option.toString('hex'), '0003e889045565a9' + '00000003' + '80000001' + '00000002' + '6e6f');
  const size = 3 * 2 ** 32 + 512;
  const exportInfo = encodeInfoExport(size, 0x0105);
  assert.equal(exportInfo.toString('hex'), '0000' + '0000000300000200' + '0105');
  const blockInfo = encodeInfoBlockSize(512, 4096, 32 * 1024 * 1024);
  assert.equal(blockInfo.toString('hex'), '0003' + '00000200' + '00001000' + '02000000');
  assert.equal(encodeExportNameReply(size, 1, true).length, 10);
  const withZeroes = encodeExportNameReply(size, 1, false);
  assert.equal(withZeroes.length, 134);
  assert.ok(withZeroes.subarray(10).every((byte) => byte === 0));
});

test('errors: every IoError code maps to a spec errno, anything else is EIO', () => {
  const codes: IoErrorCode[] = ['io', 'read-only', 'out-of-range', 'no-space', 'offline', 'gone'];
  const allowed = new Set([P.NBD_EPERM, P.NBD_EIO, P.NBD_EINVAL, P.NBD_ENOSPC, P.NBD_ESHUTDOWN]);
  for (const code of codes) {
    assert.ok(allowed.has(IO_ERROR_ERRNO[code]), code);
    assert.equal(errnoForFailure(new IoError(code, 'x')), IO_ERROR_ERRNO[code]);
  }
  assert.equal(errnoForFailure(new IoError('read-only', 'x')), P.NBD_EPERM);
  assert.equal(errnoForFailure(new IoError('no-space', 'x')), P.NBD_ENOSPC);
  assert.equal(errnoForFailure(new TypeError('bug')), P.NBD_EIO);
  assert.equal(errnoForFailure('not even an error'), P.NBD_EIO);
});

test('errors: every catalogued reason has an explanation', () => {
  for (const [code, text] of Object.entries({ ...CLOSE_REASONS, ...OPTION_INVALID_REASONS })) {
    assert.ok(text.length > 10, code);
  }
  for (const [code, { errno, text }] of Object.entries(REQUEST_REJECTIONS)) {
    assert.ok(errno > 0 && text.length > 10, code);
  }
});

test('byte queue: headers gathered across chunks, payloads taken as views or one copy', () => {
  const queue = new ByteQueue();
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  for (let at = 0; at < data.length; at += 7) queue.push(data.subarray(at, Math.min(at + 7, data.length)));
  assert.equal(queue.length, 5000);
  assert.ok(queue.gather(28));
  assert.deepEqual(queue.front.subarray(queue.frontAt, queue.frontAt + 28), data.subarray(0, 28));
  queue.skip(3);
  assert.deepEqual(queue.take(4000), data.subarray(3, 4003));
  assert.deepEqual(queue.take(10), data.subarray(4003, 4013));
  assert.equal(queue.gather(988), false);
  assert.ok(queue.gather(987));
  assert.deepEqual(queue.take(987), data.subarray(4013));
  assert.equal(queue.length, 0);

  const big = Buffer.alloc(64 * 1024, 9);
  queue.push(big);
  const view = queue.take(4096);
  assert.equal(view.buffer, big.buffer, 'a payload inside one chunk is not copied');
});

test('reply buffer: replies of one batch are one buffer, payloads ride along uncopied', () => {
  const replies = new ReplyBuffer();
  for (let i = 0; i < 3; i++) writeSimpleReply(replies.arena, replies.reserve(16), 0, 0, i);
  const payload = Buffer.alloc(4096, 1);
  replies.push(payload);
  writeSimpleReply(replies.arena, replies.reserve(16), 0, 0, 9);
  const out = replies.take();
  assert.deepEqual(
    out.map((b) => b.length),
    [48, 4096, 16],
  );
  assert.equal(out[1], payload);
  assert.ok(replies.isEmpty);
  assert.deepEqual(replies.take(), []);
});
