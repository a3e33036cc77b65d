// ActiveCluster-style stretched pods between two real array processes and a real mediator:
// baseline copy, active-active writes on both arrays, kill -9 of one array, the survivor resuming
// writes after the mediator decides, and resync of only the changed blocks when it returns.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
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
import { runOk } from '../helpers/clients.js';
import { type MediatorProcess, startMediatorProcess } from '../helpers/mediator-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 32 * MiB;

let a: ArrayProcess;
let b: ArrayProcess;
let mediator: MediatorProcess;
let mediatorUrl: string;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = await makeTempDir('tandem-sync-pods-');
  mediator = await startMediatorProcess(join(work.path, 'mediator'));
  mediatorUrl = mediator.url;
  a = await startArrayProcess({ name: 'array-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'array-b', dataDir: join(work.path, 'b') });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await mediator?.stop();
  await work?.remove();
});

async function podStatuses(array: ArrayProcess): Promise<string[]> {
  const session = await restSession(array);
  const pod = ok(await session.call('GET', '/pods?names=pod1')).items[0];
  return pod.arrays.map((m: { status: string }) => m.status);
}

async function readAll(array: ArrayProcess, name: string): Promise<Buffer> {
  const client = await NbdTestClient.open(array.nbdPort, name);
  try {
    const parts: Buffer[] = [];
    for (let at = 0; at < VOLUME_BYTES; at += 4 * MiB) parts.push(await client.read(at, 4 * MiB));
    return Buffer.concat(parts);
  } finally {
    client.close();
  }
}

test('a stretched pod: baseline, writes on both arrays, kill -9 of one, survivor continues, resync on return', async (t) => {
  let sa = await restSession(a);
  const sb = await restSession(b);
  await connectArrays(a, b, 'sync-replication');
  ok(await sa.call('POST', '/pods?names=pod1', { failover_preferences: [{ name: 'array-a' }] }));
  ok(await sa.call('PATCH', '/pods?names=pod1', { mediator: mediatorUrl }));
  ok(await sa.call('POST', '/volumes?names=pod1::db', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/hosts?names=app', { iqns: ['iqn.2026-11.test:app-a'] }));
  ok(await sa.call('POST', '/connections?host_names=app&volume_names=pod1::db'));
  const model = randomBytes(VOLUME_BYTES);
  const file = join(work.path, 'db.in');
  await writeFile(file, model);
  await runOk(work.path, 'nbdcopy', [file, `nbd://127.0.0.1:${a.nbdPort}/pod1::db`], 120_000);

  // Stretch: the baseline copies the volume, then the pod is online on both arrays.
  ok(await sa.call('POST', '/pods/arrays?group_names=pod1&member_names=array-b'));
  await waitFor(
    async () =>
      (await podStatuses(a)).every((s) => s === 'online') &&
      (await podStatuses(b)).every((s) => s === 'online'),
    60_000,
    () => `pod never came online on both: ${a.output().slice(-1500)}\n${b.output().slice(-1500)}`,
  );
  const onA = ok(await sa.call('GET', '/volumes?names=pod1::db')).items[0];
  const onB = ok(await sb.call('GET', '/volumes?names=pod1::db')).items[0];
  assert.equal(onB.serial, onA.serial, 'the same volume identity on both arrays');
  ok(await sb.call('POST', '/hosts?names=app', { iqns: ['iqn.2026-11.test:app-b'] }));
  ok(await sb.call('POST', '/connections?host_names=app&volume_names=pod1::db'));
  assert.equal(sha(await readAll(b, 'pod1::db')), sha(model), 'baseline complete on B');

  // Active-active: a write on either array is on both when acknowledged.
  const writerB = await NbdTestClient.open(b.nbdPort, 'pod1::db');
  const onBWrite = randomBytes(MiB + 512);
  await writerB.write(3 * MiB + 512, onBWrite);
  onBWrite.copy(model, 3 * MiB + 512);
  const writerA = await NbdTestClient.open(a.nbdPort, 'pod1::db');
  const onAWrite = randomBytes(64 * 1024);
  await writerA.write(10 * MiB, onAWrite);
  onAWrite.copy(model, 10 * MiB);
  writerA.close();
  assert.equal(sha(await readAll(a, 'pod1::db')), sha(model), 'A holds both writes');
  assert.equal(sha(await readAll(b, 'pod1::db')), sha(model), 'B holds both writes');

  // kill -9 A: B wins the mediator (A, the preferred array, is gone) and continues.
  await a.kill();
  const killedAt = Date.now();
  const afterKill = randomBytes(2 * MiB);
  await writerB.write(20 * MiB, afterKill);
  const resumedMs = Date.now() - killedAt;
  afterKill.copy(model, 20 * MiB);
  t.diagnostic(`survivor resumed writes ${resumedMs} ms after the peer was killed`);
  assert.ok(resumedMs < 5000, `writes resumed after ${resumedMs} ms`);
  writerB.close();

  // A returns: it is resynced from B with only what changed meanwhile, then both are online.
  a = await a.restart();
  sa = await restSession(a);
  await waitFor(
    async () =>
      (await podStatuses(a)).every((s) => s === 'online') &&
      (await podStatuses(b)).every((s) => s === 'online'),
    60_000,
    () => `pod never came back online on both: ${a.output().slice(-1500)}\n${b.output().slice(-1500)}`,
  );
  assert.equal(sha(await readAll(a, 'pod1::db')), sha(model), 'A has what B wrote alone');
  const resync = b
    .output()
    .match(/"resyncBytes":(\d+)/g)
    ?.at(-1);
  t.diagnostic(`resync: ${resync ?? 'no figure logged'}`);

  // Unstretch: the pod and its volumes leave B; A keeps serving them alone.
  ok(await sa.call('DELETE', '/pods/arrays?group_names=pod1&member_names=array-b'));
  const pod = ok(await sa.call('GET', '/pods?names=pod1')).items[0];
  assert.deepEqual(
    pod.arrays.map((m: { name: string }) => m.name),
    ['array-a'],
  );
  assert.equal((await sb.call('GET', '/pods?names=pod1')).status, 400, 'the pod is gone from B');
  assert.equal((await sb.call('GET', '/volumes?names=pod1::db')).status, 400, 'its volume too');
  assert.equal(sha(await readAll(a, 'pod1::db')), sha(model), 'A still holds the data');

  // Demoted, the pod's volumes take no writes; promoted again, they do.
  const demoted = ok(await sa.call('PATCH', '/pods?names=pod1', { requested_promotion_state: 'demoted' }))
    .items[0];
  assert.equal(demoted.promotion_status, 'demoted');
  const client = await NbdTestClient.open(a.nbdPort, 'pod1::db');
  await assert.rejects(client.write(0, randomBytes(4096)), 'a demoted pod refuses writes');
  assert.equal(sha(await client.read(0, 4 * MiB)), sha(model.subarray(0, 4 * MiB)), 'reads still work');
  ok(await sa.call('PATCH', '/pods?names=pod1', { requested_promotion_state: 'promoted' }));
  await client.write(0, randomBytes(4096));
  client.close();
});
