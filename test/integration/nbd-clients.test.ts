// Real NBD clients (libnbd's nbdinfo/nbdcopy, qemu-img, fio) against the real server, in this
// process, over memory devices. The clients come from Debian packages libnbd-bin, qemu-utils and
// fio; a missing one fails the suite with that message instead of skipping it.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type NbdServer, startNbdServer } from '../../src/array/nbd/server.js';
import {
  fioVerify,
  run as runIn,
  runOk as runOkIn,
  sha256File,
  TOOLS,
  writeRandomFile,
} from '../helpers/clients.js';
import { MemoryCatalog, MemoryDevice } from '../helpers/memory-device.js';

const run = (file: string, args: string[], timeoutMs?: number) =>
  runIn(dir || tmpdir(), file, args, timeoutMs);
const runOk = (file: string, args: string[], timeoutMs?: number) =>
  runOkIn(dir || tmpdir(), file, args, timeoutMs);

const MiB = 1024 * 1024;
/** A raw TCP peer: resolves once the server has closed the connection, with all it received. */
function rawPeer(port: number, send: (socket: net.Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (received.length === 1) send(socket);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.setTimeout(10_000, () => reject(new Error('server did not close the connection')));
  });
}

let server: NbdServer;
let catalog: MemoryCatalog;
let dir = ''; // the test's temp dir, made in before()
let base: string;

before(async () => {
  for (const tool of Object.keys(TOOLS)) await run(tool, ['--version']);
  const device = (name: string, sizeBytes: number, readOnly = false) =>
    new MemoryDevice(name, sizeBytes, { readOnly, recordCalls: false });
  catalog = new MemoryCatalog([
    device('big', 1024 * MiB),
    device('copy', 256 * MiB),
    device('qemu', 64 * MiB),
    device('fio', 64 * MiB),
    device('ro', 16 * MiB, true),
  ]);
  server = await startNbdServer({ host: '127.0.0.1', port: 0, catalog });
  base = `nbd://127.0.0.1:${server.address.port}`;
  dir = await mkdtemp(join(tmpdir(), 'tandem-nbd-'));
});

after(async () => {
  await server?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('nbd clients: nbdinfo reports size, flags and block sizes', async () => {
  const info = JSON.parse(await runOk('nbdinfo', ['--json', `${base}/big`]));
  const [big] = info.exports;
  assert.equal(info.protocol, 'newstyle-fixed');
  assert.equal(big['export-size'], 1024 * MiB);
  assert.equal(big.is_read_only, false);
  for (const flag of ['can_flush', 'can_fua', 'can_trim', 'can_zero', 'can_multi_conn'])
    assert.equal(big[flag], true, flag);
  assert.equal(big.can_fast_zero, false);
  assert.deepEqual(
    [big.block_size_minimum, big.block_size_preferred, big.block_size_maximum],
    [512, 4096, 32 * MiB],
  );
  const [ro] = JSON.parse(await runOk('nbdinfo', ['--json', `${base}/ro`])).exports;
  assert.equal(ro.is_read_only, true);
  assert.equal(ro.can_trim, false);
});

test('nbd clients: nbdinfo --list shows every export', async () => {
  const listed = JSON.parse(await runOk('nbdinfo', ['--list', '--json', base]));
  const names = listed.exports.map((entry: { 'export-name': string }) => entry['export-name']).sort();
  assert.deepEqual(names, ['big', 'copy', 'fio', 'qemu', 'ro']);
});

test('nbd clients: nbdcopy writes 256 MiB and reads back the same sha256', async () => {
  const source = join(dir, 'source.raw');
  const back = join(dir, 'back.raw');
  const sourceHash = await writeRandomFile(source, 256 * MiB);
  await runOk('nbdcopy', [source, `${base}/copy`]);
  await runOk('nbdcopy', [`${base}/copy`, back]);
  assert.equal(await sha256File(back), sourceHash);
  await rm(source);
  await rm(back);
});

test('nbd clients: qemu-img convert into the export, then qemu-img compare finds it identical', async () => {
  const source = join(dir, 'qemu-source.raw');
  await writeRandomFile(source, 64 * MiB);
  await runOk('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', source, `${base}/qemu`]);
  await runOk('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', source, `${base}/qemu`]);
  await rm(source);
});

test('nbd clients: fio randwrite QD32 with crc32c verify passes', async () => {
  await fioVerify(dir, `${base}/fio`);
});

test('nbd clients: writing into a read-only export fails', async () => {
  const source = join(dir, 'ro-source.raw');
  await writeRandomFile(source, MiB);
  const result = await run('nbdcopy', [source, `${base}/ro`]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /read-only/);
  await rm(source);
});

test('nbd clients: an unknown export name is refused', async () => {
  const result = await run('nbdinfo', [`${base}/no-such-volume`]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /opt_go|No such file|no export/i);
  const qemu = await run('qemu-img', ['info', '-f', 'raw', `${base}/no-such-volume`]);
  assert.notEqual(qemu.code, 0);
});

test('nbd server: a peer speaking garbage is closed; other clients are unaffected', async () => {
  const received = await rawPeer(server.address.port, (socket) => {
    socket.write(Buffer.from([0, 0, 0, 3])); // fixed newstyle + no zeroes
    socket.write('GET / HTTP/1.1\r\nHost: tandem\r\n\r\n');
  });
  assert.equal(received.subarray(0, 8).toString(), 'NBDMAGIC');
  assert.equal(received.length, 18, 'nothing but the greeting was sent');
  await runOk('nbdinfo', ['--size', `${base}/big`]);
});

test('nbd server: close() ends connections still in the handshake and stops listening', async () => {
  const local = await startNbdServer({ host: '127.0.0.1', port: 0, catalog });
  const peer = rawPeer(local.address.port, () => {
    void local.close();
  });
  assert.equal((await peer).length, 18);
  await local.close();
  const refused = await run('nbdinfo', ['--size', `nbd://127.0.0.1:${local.address.port}/big`]);
  assert.notEqual(refused.code, 0);
});
