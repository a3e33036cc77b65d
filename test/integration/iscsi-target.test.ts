// The iSCSI target in-process (startIscsiServer on 127.0.0.1:0, memory devices, the SCSI device
// server) driven by Debian's real initiators: libiscsi's iscsi-ls, iscsi-inq and
// iscsi-readcapacity16, and qemu-img over iscsi://. Discovery, LUN listing, inquiry, capacity, a
// write and read-back byte for byte, one-way and mutual CHAP, wrong secrets, and a malformed PDU
// that closes only its own connection.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import { type IscsiServer, startIscsiServer } from '../../src/array/iscsi/server.js';
import { qemuRoundTrip, runTool, succeeded } from '../helpers/iscsi-clients.js';
import { MemoryDevice, MemoryIscsiCatalog, TEST_TARGET_IQN } from '../helpers/iscsi-transport-fakes.js';

const _TOOL_TIMEOUT_MS = 60_000;
const VOLUME_BYTES = 64 * 1024 * 1024;
const HOST_IQN = 'iqn.2026-11.test.tandem:iscsi-host';
const CHAP_IQN = 'iqn.2026-11.test.tandem:chap-host';
const STRANGER_IQN = 'iqn.2026-11.test.tandem:stranger';
const CHAP_USER = 'chap-user';
const CHAP_SECRET = 'chap-secret-0123';
const TARGET_USER = 'array-user';
const TARGET_SECRET = 'array-secret-4567';

let server: IscsiServer;
let dir: string;
const logLines: string[] = [];

const run = runTool;
const ok = succeeded;

const portal = () => `127.0.0.1:${server.address.port}`;
const lunUrl = (lun: number, credentials = '') =>
  `iscsi://${credentials}${portal()}/${TEST_TARGET_IQN}/${lun}`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-iscsi-target-'));
  const catalog = new MemoryIscsiCatalog();
  const volume = new MemoryDevice('v1', VOLUME_BYTES, { recordCalls: false });
  catalog.addHost(HOST_IQN, 'host-1', new Map([[0, volume]]));
  catalog.addHost(CHAP_IQN, 'host-2', new Map([[0, volume]]), {
    hostUser: CHAP_USER,
    hostPassword: CHAP_SECRET,
    targetUser: TARGET_USER,
    targetPassword: TARGET_SECRET,
  });
  const record = (level: string) => (obj: object, msg: string) =>
    logLines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  server = await startIscsiServer({
    host: '127.0.0.1',
    port: 0,
    catalog,
    scsi: createScsiDeviceServer(),
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
  });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('iscsi-ls: SendTargets discovery lists our target and portal', async () => {
  const listed = ok(await run('iscsi-ls', ['-i', HOST_IQN, `iscsi://${portal()}`]), 'discovery');
  assert.ok(listed.stdout.includes(`Target:${TEST_TARGET_IQN} Portal:${portal()},1`), listed.stdout);
});

test('iscsi-ls -s: a known host sees its LUN, a stranger none', async () => {
  const luns = ok(await run('iscsi-ls', ['-s', '-i', HOST_IQN, `iscsi://${portal()}`]), 'ls -s');
  // iscsi-ls prints last LBA x block size, so 64 MiB shows as 63M.
  assert.match(luns.stdout, /Lun:0\s+Type:DIRECT_ACCESS \(Size:6[34]M\)/);
  const stranger = ok(await run('iscsi-ls', ['-s', '-i', STRANGER_IQN, `iscsi://${portal()}`]), 'stranger');
  assert.ok(!/Lun:0/.test(stranger.stdout), stranger.stdout);
});

test('iscsi-inq and iscsi-readcapacity16 on LUN 0', async () => {
  const inquiry = ok(await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(0)]), 'inquiry');
  assert.match(inquiry.stdout, /Peripheral Device Type:DIRECT_ACCESS/);
  const capacity = ok(await run('iscsi-readcapacity16', ['-i', HOST_IQN, lunUrl(0)]), 'readcapacity16');
  assert.match(capacity.stdout, new RegExp(`Total size:${VOLUME_BYTES}`));
  assert.match(capacity.stdout, /LOGICAL BLOCK LENGTH IN BYTES:512/);
});

test('qemu-img over iscsi:// writes 8 MiB and reads the volume back byte for byte', async () => {
  const data = randomBytes(8 * 1024 * 1024);
  const opts = `driver=iscsi,transport=tcp,portal=${portal()},target=${TEST_TARGET_IQN},lun=0,initiator-name=${HOST_IQN}`;
  const read = await qemuRoundTrip(dir, opts, data);
  assert.equal(read.length, VOLUME_BYTES);
  assert.ok(read.subarray(0, data.length).equals(data), 'the bytes read back are the ones written');
  assert.ok(
    read.subarray(data.length).every((b) => b === 0),
    'the rest reads as zeroes',
  );
});

test('header digests (CRC32C): a qemu-img round trip that asks for them gets them', async () => {
  const loginsBefore = logLines.filter((l) => l.includes('login complete')).length;
  const data = randomBytes(4 * 1024 * 1024);
  const opts = `driver=iscsi,transport=tcp,portal=${portal()},target=${TEST_TARGET_IQN},lun=0,initiator-name=${HOST_IQN},header-digest=crc32c`;
  const read = await qemuRoundTrip(dir, opts, data);
  assert.ok(read.subarray(0, data.length).equals(data), 'the bytes read back are the ones written');
  const logins = logLines.filter((l) => l.includes('login complete')).slice(loginsBefore);
  assert.equal(logins.length, 2, 'qemu-img convert in, then out');
  assert.ok(
    logins.every((l) => l.includes('"headerDigest":true')),
    `both sessions ran with header digests: ${logins.join(' | ')}`,
  );
});

test('CHAP: required for a host with credentials; wrong secret refused; mutual CHAP answered', async () => {
  const without = await run('iscsi-inq', ['-i', CHAP_IQN, lunUrl(0)]);
  assert.notEqual(without.code, 0, 'no credentials: login refused');
  const wrong = await run('iscsi-inq', ['-i', CHAP_IQN, lunUrl(0, `${CHAP_USER}%wrong-secret-000@`)]);
  assert.notEqual(wrong.code, 0, 'wrong secret: login refused');
  assert.match(wrong.stderr + wrong.stdout, /Authentication failure/);
  ok(await run('iscsi-inq', ['-i', CHAP_IQN, lunUrl(0, `${CHAP_USER}%${CHAP_SECRET}@`)]), 'one-way CHAP');
  const mutualEnv = {
    LIBISCSI_CHAP_TARGET_USERNAME: TARGET_USER,
    LIBISCSI_CHAP_TARGET_PASSWORD: TARGET_SECRET,
  };
  ok(
    await run('iscsi-inq', ['-i', CHAP_IQN, lunUrl(0, `${CHAP_USER}%${CHAP_SECRET}@`)], mutualEnv),
    'mutual CHAP',
  );
  const badTarget = await run('iscsi-inq', ['-i', CHAP_IQN, lunUrl(0, `${CHAP_USER}%${CHAP_SECRET}@`)], {
    ...mutualEnv,
    LIBISCSI_CHAP_TARGET_PASSWORD: 'not-the-array-secret',
  });
  assert.notEqual(badTarget.code, 0, 'the initiator refuses a target proving the wrong secret');
  const qemuChap = `driver=iscsi,transport=tcp,portal=${portal()},target=${TEST_TARGET_IQN},lun=0,initiator-name=${CHAP_IQN},user=${CHAP_USER},password=${CHAP_SECRET}`;
  ok(await run('qemu-img', ['info', '--image-opts', qemuChap]), 'qemu-img with one-way CHAP');
  const log = logLines.join('\n');
  for (const secret of [CHAP_SECRET, TARGET_SECRET])
    assert.ok(!log.includes(secret), 'no CHAP secret in the log');
});

test('a malformed PDU closes only its own connection; the target keeps serving', async () => {
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: server.address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 10_000);
    socket.on('connect', () => {
      const junk = Buffer.alloc(48, 0xff);
      junk[0] = 0x3f; // a target opcode, and a data segment length far over the limit
      socket.write(Buffer.concat([junk, randomBytes(4096)]));
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  assert.ok(closed, 'the target closed the bad connection');
  assert.ok(logLines.some((l) => l.includes('malformed PDU')));
  ok(await run('iscsi-ls', ['-s', '-i', HOST_IQN, `iscsi://${portal()}`]), 'still serving');
});
