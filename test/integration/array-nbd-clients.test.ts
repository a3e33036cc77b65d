// Real NBD clients against a real array process: data goes through the journal, the destage,
// dedup, compression and the data log, and must come back bit for bit.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { fioVerify, run, runOk, sha256File, writeRandomFile } from '../helpers/clients.js';

const MiB = 1024 * 1024;
let array: ArrayProcess;
let dir: { path: string; remove: () => Promise<void> };
let base: string;

before(async () => {
  dir = await makeTempDir('tandem-array-nbd-');
  array = await startArrayProcess({ name: 'array-nbd', dataDir: join(dir.path, 'array') });
  base = `nbd://127.0.0.1:${array.nbdPort}`;
  const rest = await restSession(array);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await rest.call(method, path, body);
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
  };
  await call('POST', '/hosts?names=clients', { iqns: ['iqn.2026-11.test:clients'] });
  for (const [name, size] of [
    ['copyvol', 512 * MiB],
    ['qemuvol', 64 * MiB],
    ['fiovol', 64 * MiB],
  ] as const) {
    await call('POST', `/volumes?names=${name}`, { provisioned: size });
    await call('POST', `/connections?host_names=clients&volume_names=${name}`);
  }
  await call('POST', '/volumes?names=hidden', { provisioned: 64 * MiB });
});

after(async () => {
  await array?.stop();
  await dir?.remove();
});

test('array nbd: nbdcopy writes 256 MiB into a volume and reads back the same sha256, also after a restart', async () => {
  const source = join(dir.path, 'source.raw');
  const back = join(dir.path, 'back.raw');
  const sourceHash = await writeRandomFile(source, 256 * MiB);
  await runOk(dir.path, 'nbdcopy', [source, `${base}/copyvol`], 300_000);
  // The volume is 512 MiB: the first 256 MiB are the data, the rest must read as zeroes.
  await runOk(
    dir.path,
    'qemu-img',
    ['compare', '-f', 'raw', '-F', 'raw', source, `${base}/copyvol`],
    300_000,
  );
  await array.stop();
  array = await array.restart();
  base = `nbd://127.0.0.1:${array.nbdPort}`;
  await runOk(dir.path, 'nbdcopy', [`${base}/copyvol`, back], 300_000);
  await runOk(dir.path, 'truncate', ['-s', String(256 * MiB), back]);
  assert.equal(await sha256File(back), sourceHash);
  await rm(source);
  await rm(back);
});

test('array nbd: qemu-img convert into a volume, then qemu-img compare finds it identical', async () => {
  const source = join(dir.path, 'qemu-source.raw');
  await writeRandomFile(source, 64 * MiB);
  await runOk(dir.path, 'qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', source, `${base}/qemuvol`]);
  await runOk(dir.path, 'qemu-img', ['compare', '-f', 'raw', '-F', 'raw', source, `${base}/qemuvol`]);
  await rm(source);
});

test('array nbd: fio randwrite QD32 with crc32c verify passes on a volume', async () => {
  await fioVerify(dir.path, `${base}/fiovol`);
});

test('array nbd: a volume not connected to any host is not exported', async () => {
  const listed = JSON.parse(await runOk(dir.path, 'nbdinfo', ['--list', '--json', base]));
  const names = listed.exports.map((e: { 'export-name': string }) => e['export-name']);
  assert.ok(names.includes('fiovol'));
  assert.ok(!names.includes('hidden'), `exported: ${names.join(',')}`);
  const refused = await run(dir.path, 'nbdinfo', [`${base}/hidden`]);
  assert.notEqual(refused.code, 0);
});
