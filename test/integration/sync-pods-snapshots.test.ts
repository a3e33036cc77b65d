// Snapshots and copies in a stretched pod, between two real array processes: a snapshot taken on
// either array exists on both with the same name and the same point in time; copies into pod
// volumes (from a pod snapshot, from a volume outside the pod, overwriting a volume hosts use)
// end with the same bytes on both; destroying and eradicating follows to the peer; a copy made
// while one array serves alone reaches the other with the resync.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type ArrayProcess,
  connectArrays,
  makeTempDir,
  type RestResponse,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 8 * MiB;

let a: ArrayProcess;
let b: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = await makeTempDir('tandem-pod-snapshots-');
  a = await startArrayProcess({ name: 'array-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'array-b', dataDir: join(work.path, 'b') });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await work?.remove();
});

async function bothOnline(): Promise<boolean> {
  for (const array of [a, b]) {
    const session = await restSession(array);
    const res = await session.call('GET', '/pods?names=pod1');
    if (res.status !== 200) return false;
    if (!res.body.items[0].arrays.every((m: { status: string }) => m.status === 'online')) return false;
  }
  return true;
}

async function readAll(array: ArrayProcess, name: string, bytes = VOLUME_BYTES): Promise<Buffer> {
  const session = await restSession(array);
  const isSnapshot = /\.[^:]+$/.test(name) && !name.endsWith('::');
  const volumeName = isSnapshot ? name.slice(0, name.lastIndexOf('.')) : name;
  const connected = ok(await session.call('GET', `/connections?volume_names=${volumeName}`)).items;
  if (connected.length === 0)
    ok(await session.call('POST', `/connections?host_names=app&volume_names=${volumeName}`));
  const client = await NbdTestClient.open(array.nbdPort, name);
  try {
    return await client.read(0, bytes);
  } finally {
    client.close();
  }
}

async function writeAt(array: ArrayProcess, name: string, offset: number, data: Buffer): Promise<void> {
  const client = await NbdTestClient.open(array.nbdPort, name);
  try {
    await client.write(offset, data);
  } finally {
    client.close();
  }
}

test('stretched pod: snapshots and copies are the same on both arrays, also after serving alone', async () => {
  const sa = await restSession(a);
  const sb = await restSession(b);
  await connectArrays(a, b, 'sync-replication');
  ok(await sa.call('POST', '/pods?names=pod1', { failover_preferences: [{ name: 'array-a' }] }));
  ok(await sa.call('POST', '/volumes?names=pod1::v', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/pods/arrays?group_names=pod1&member_names=array-b'));
  await waitFor(bothOnline, 60_000, () => `pod not online: ${a.output().slice(-1500)}`);
  for (const s of [sa, sb]) {
    ok(
      await s.call('POST', '/hosts?names=app', {
        iqns: [`iqn.2026-11.test:${randomBytes(3).toString('hex')}`],
      }),
    );
    ok(await s.call('POST', '/connections?host_names=app&volume_names=pod1::v'));
  }
  const model = Buffer.alloc(VOLUME_BYTES);
  const first = randomBytes(2 * MiB);
  await writeAt(b, 'pod1::v', 0, first);
  first.copy(model, 0);

  // A snapshot taken on B (not the leader) is one point in time on both arrays.
  const snap = ok(await sb.call('POST', '/volume-snapshots?source_names=pod1::v')).items[0];
  assert.equal(snap.name, 'pod1::v.1');
  const later = randomBytes(MiB);
  await writeAt(a, 'pod1::v', 0, later);
  const atSnapshot = Buffer.from(model);
  later.copy(model, 0);
  const snapOnA = ok(await sa.call('GET', '/volume-snapshots?names=pod1::v.1')).items[0];
  assert.equal(snapOnA.serial, snap.serial, 'the same snapshot identity on both arrays');
  assert.equal(sha(await readAll(a, 'pod1::v.1')), sha(atSnapshot), 'A: snapshot holds the writes before it');
  assert.equal(sha(await readAll(b, 'pod1::v.1')), sha(atSnapshot), 'B: the same point in time');
  assert.equal(sha(await readAll(b, 'pod1::v')), sha(model), 'B: the volume holds the later write');

  // A copy of the pod snapshot into a new pod volume, made on A: instant on both.
  ok(await sa.call('POST', '/volumes?names=pod1::clone', { source: { name: 'pod1::v.1' } }));
  const cloneOnB = ok(await sb.call('GET', '/volumes?names=pod1::clone')).items[0];
  assert.equal(cloneOnB.source.name, 'pod1::v');
  assert.equal(sha(await readAll(b, 'pod1::clone')), sha(atSnapshot), 'B: the clone holds the snapshot');
  const cloneWrite = randomBytes(64 * 1024);
  await writeAt(b, 'pod1::clone', 4 * MiB, cloneWrite);
  const cloneModel = Buffer.from(atSnapshot);
  cloneWrite.copy(cloneModel, 4 * MiB);
  assert.equal(
    sha(await readAll(a, 'pod1::clone')),
    sha(cloneModel),
    'A: a write to the clone on B is mirrored',
  );

  // A copy from a volume outside the pod, made on B: A (the leader) lacks the source and gets the blocks.
  ok(await sb.call('POST', '/volumes?names=plain-b', { provisioned: VOLUME_BYTES }));
  ok(await sb.call('POST', '/connections?host_names=app&volume_names=plain-b'));
  const plainB = Buffer.alloc(VOLUME_BYTES);
  randomBytes(3 * MiB).copy(plainB, MiB);
  await writeAt(b, 'plain-b', 0, plainB);
  ok(await sb.call('POST', '/volumes?names=pod1::from-plain', { source: { name: 'plain-b' } }));
  assert.equal(sha(await readAll(a, 'pod1::from-plain')), sha(plainB), 'A: the copy from outside the pod');

  // Overwriting a pod volume hosts use, on A, from a volume B lacks: its blocks go as ordered writes.
  ok(await sa.call('POST', '/volumes?names=plain-a', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/connections?host_names=app&volume_names=plain-a'));
  const plainA = randomBytes(VOLUME_BYTES);
  await writeAt(a, 'plain-a', 0, plainA);
  ok(await sa.call('POST', '/volumes?names=pod1::v&overwrite=true', { source: { name: 'plain-a' } }));
  assert.equal(sha(await readAll(b, 'pod1::v')), sha(plainA), 'B: the overwritten volume');
  assert.equal(sha(await readAll(a, 'pod1::v')), sha(plainA), 'A: the overwritten volume');
  assert.equal(sha(await readAll(b, 'pod1::v.1')), sha(atSnapshot), 'B: the snapshot is untouched');

  // Destroy and eradicate on A follow on B.
  ok(await sa.call('PATCH', '/volume-snapshots?names=pod1::v.1', { destroyed: true }));
  assert.equal(ok(await sb.call('GET', '/volume-snapshots?names=pod1::v.1')).items[0].destroyed, true);
  ok(await sa.call('DELETE', '/volume-snapshots?names=pod1::v.1'));
  assert.equal((await sb.call('GET', '/volume-snapshots?names=pod1::v.1')).status, 400, 'eradicated on B');

  // B goes away; A (preferred, pre-elected as no mediator is set) serves alone and makes a copy;
  // B gets it with the resync.
  await waitFor(
    async () => {
      const pod = ok(await sa.call('GET', '/pods?names=pod1')).items[0];
      return pod.arrays.some(
        (m: { name: string; pre_elected: boolean }) => m.name === 'array-a' && m.pre_elected,
      );
    },
    10_000,
    () => 'A was never pre-elected',
  );
  await b.kill();
  const aloneSnap = ok(await sa.call('POST', '/volume-snapshots?source_names=pod1::clone')).items[0];
  ok(await sa.call('POST', '/volumes?names=pod1::while-alone', { source: { name: aloneSnap.name } }));
  ok(await sa.call('POST', '/connections?host_names=app&volume_names=pod1::while-alone'));
  const aloneWrite = randomBytes(MiB);
  await writeAt(a, 'pod1::while-alone', 2 * MiB, aloneWrite);
  const aloneModel = Buffer.from(cloneModel);
  aloneWrite.copy(aloneModel, 2 * MiB);
  b = await b.restart();
  await waitFor(bothOnline, 60_000, () => `pod not back online: ${a.output().slice(-1500)}`);
  const sb2 = await restSession(b);
  assert.equal(ok(await sb2.call('GET', '/volumes?names=pod1::while-alone')).items.length, 1);
  assert.equal(
    sha(await readAll(b, 'pod1::while-alone')),
    sha(aloneModel),
    'B: the copy made alone, resynced',
  );
  assert.equal(sha(await readAll(b, 'pod1::from-plain')), sha(plainB), 'B: earlier copies intact');
  // The snapshot A took alone reached B with the resync: same identity, same point in time.
  const aloneOnB = ok(await sb2.call('GET', `/volume-snapshots?names=${aloneSnap.name}`)).items[0];
  assert.equal(aloneOnB.serial, aloneSnap.serial);
  assert.equal(
    sha(await readAll(b, aloneSnap.name)),
    sha(cloneModel),
    'B: the snapshot taken alone, resynced',
  );
});
