// snapshots and copies with real data: what NBD clients wrote is what snapshots, copies and
// restores read back, and eradicating a snapshot gives its space back.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
let array: ArrayProcess;
let dir: { path: string; remove: () => Promise<void> };
let rest: Awaited<ReturnType<typeof restSession>>;

before(async () => {
  dir = await makeTempDir('tandem-snapdata-');
  array = await startArrayProcess({ name: 'snapdata', dataDir: dir.path });
  rest = await restSession(array);
  assert.equal(
    (await rest.call('POST', '/hosts?names=snaphost', { iqns: ['iqn.2026-11.test:snap'] })).status,
    200,
  );
});

after(async () => {
  await array?.stop();
  await dir?.remove();
});

async function ok(method: string, path: string, body?: unknown) {
  const res = await rest.call(method, path, body);
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function withClient<T>(exportName: string, fn: (c: NbdTestClient) => Promise<T>): Promise<T> {
  const client = await NbdTestClient.open(array.nbdPort, exportName);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

test('snapshot, copy and restore read back exactly the data written before the snapshot', async () => {
  await ok('POST', '/volumes?names=data1', { provisioned: 64 * MiB });
  await ok('POST', '/connections?host_names=snaphost&volume_names=data1');
  const before = randomBytes(4 * MiB);
  await withClient('data1', (c) => c.write(0, before));
  await ok('POST', '/volume-snapshots?source_names=data1', { suffix: 'before' });
  const afterData = randomBytes(4 * MiB);
  await withClient('data1', (c) => c.write(0, afterData));

  assert.deepEqual(
    await withClient('data1.before', (c) => c.read(0, before.length)),
    before,
    'snapshot export',
  );
  await assert.rejects(
    withClient('data1.before', (c) => c.write(0, Buffer.alloc(4096))),
    /errno/,
    'snapshots are read-only',
  );

  await ok('POST', '/volumes?names=data1-copy', { source: { name: 'data1.before' } });
  await ok('POST', '/connections?host_names=snaphost&volume_names=data1-copy');
  assert.deepEqual(
    await withClient('data1-copy', (c) => c.read(0, before.length)),
    before,
    'copy of the snapshot',
  );
  await withClient('data1-copy', (c) => c.write(0, Buffer.alloc(4096, 9)));
  assert.deepEqual(
    await withClient('data1.before', (c) => c.read(0, 4096)),
    before.subarray(0, 4096),
    'copy writes stay in the copy',
  );

  await ok('POST', '/volumes?names=data1&overwrite=true', { source: { name: 'data1.before' } });
  assert.deepEqual(
    await withClient('data1', (c) => c.read(0, before.length)),
    before,
    'restored from the snapshot',
  );
});

test('eradicating a snapshot whose blocks were overwritten gives the space back', async () => {
  await ok('POST', '/volumes?names=space1', { provisioned: 64 * MiB });
  await ok('POST', '/connections?host_names=snaphost&volume_names=space1');
  await withClient('space1', (c) => c.write(0, randomBytes(8 * MiB)));
  await ok('POST', '/volume-snapshots?source_names=space1', { suffix: 'old' });
  await withClient('space1', (c) => c.write(0, randomBytes(8 * MiB)));
  const physical = async () => {
    await new Promise((r) => setTimeout(r, 2500)); // destage idle timer + the space cache
    return (await ok('GET', '/arrays/space')).items[0].space.total_physical as number;
  };
  const withSnapshot = await physical();
  const [snap] = (await ok('GET', '/volume-snapshots?names=space1.old')).items;
  assert.ok(snap.space.unique >= 8 * MiB, `snapshot unique ${snap.space.unique}`);
  await ok('PATCH', '/volume-snapshots?names=space1.old', { destroyed: true });
  await ok('DELETE', '/volume-snapshots?names=space1.old');
  const without = await physical();
  assert.ok(withSnapshot - without >= 8 * MiB, `freed only ${withSnapshot - without} bytes`);
});

test('duplicate data is stored once and reported as data reduction', async () => {
  await ok('POST', '/volumes?names=dedup1', { provisioned: 64 * MiB });
  await ok('POST', '/connections?host_names=snaphost&volume_names=dedup1');
  const chunk = randomBytes(MiB);
  await withClient('dedup1', async (c) => {
    for (let i = 0; i < 8; i++) await c.write(i * MiB, chunk);
  });
  await new Promise((r) => setTimeout(r, 2500));
  const [volume] = (await ok('GET', '/volumes/space?names=dedup1')).items;
  assert.equal(volume.space.virtual, 8 * MiB);
  assert.ok(volume.space.data_reduction >= 7, `data_reduction ${volume.space.data_reduction}`);
});
