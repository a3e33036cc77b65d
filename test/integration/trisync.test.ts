// Tri-sync: a volume in a pod stretched over two arrays (sync, zero RPO) and in a protection group
// inside that pod replicating to a third array (async). The async leg goes on from the surviving
// pod array when the other one is killed.

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
import { type MediatorProcess, startMediatorProcess } from '../helpers/mediator-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 8 * MiB;
const q = encodeURIComponent;

let a: ArrayProcess;
let b: ArrayProcess;
let c: ArrayProcess;
let mediator: MediatorProcess;
let mediatorUrl: string;
let work: { path: string; remove: () => Promise<void> };

const ok = (res: RestResponse) => {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = await makeTempDir('tandem-trisync-');
  mediator = await startMediatorProcess(join(work.path, 'mediator'));
  mediatorUrl = mediator.url;
  a = await startArrayProcess({ name: 'near-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'near-b', dataDir: join(work.path, 'b') });
  c = await startArrayProcess({ name: 'far-c', dataDir: join(work.path, 'c') });
});

after(async () => {
  for (const array of [a, b, c]) await array?.stop();
  await mediator?.stop();
  await work?.remove();
});

const logLines = (array: ArrayProcess, pattern: RegExp) =>
  array
    .output()
    .split('\n')
    .filter((line) => pattern.test(line))
    .slice(-6)
    .join('\n');

async function readOnC(snapshot: string, volume: string): Promise<Buffer> {
  const sc = await restSession(c);
  ok(await sc.call('POST', `/volumes?names=${volume}&overwrite=true`, { source: { name: snapshot } }));
  const hosts = ok(await sc.call('GET', '/hosts')).items as Array<{ name: string }>;
  if (!hosts.some((h) => h.name === 'dr'))
    ok(await sc.call('POST', '/hosts?names=dr', { iqns: ['iqn.2026-11.test:dr'] }));
  const connected = ok(await sc.call('GET', `/connections?volume_names=${volume}`)).items;
  if (connected.length === 0) ok(await sc.call('POST', `/connections?host_names=dr&volume_names=${volume}`));
  const client = await NbdTestClient.open(c.nbdPort, volume);
  try {
    return await client.read(0, VOLUME_BYTES);
  } finally {
    client.close();
  }
}

test('tri-sync: pod volume replicated sync to a near array and async to a far one; the async leg survives losing a pod array', async (t) => {
  await connectArrays(a, b, 'sync-replication');
  await connectArrays(a, c, 'async-replication');
  await connectArrays(b, c, 'async-replication');
  const sa = await restSession(a);
  const sb = await restSession(b);
  const sc = await restSession(c);
  ok(await sa.call('POST', '/pods?names=tp', { failover_preferences: [{ name: 'near-a' }] }));
  ok(await sa.call('PATCH', '/pods?names=tp', { mediator: mediatorUrl }));
  ok(await sa.call('POST', '/volumes?names=tp::vol', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/pods/arrays?group_names=tp&member_names=near-b'));
  for (const [session, iqn] of [
    [sa, 'iqn.2026-11.test:ha'],
    [sb, 'iqn.2026-11.test:hb'],
  ] as const) {
    ok(await session.call('POST', '/hosts?names=app', { iqns: [iqn] }));
    ok(await session.call('POST', '/connections?host_names=app&volume_names=tp::vol'));
  }
  const online = async (array: ArrayProcess) =>
    (
      ok(await (await restSession(array)).call('GET', '/pods?names=tp')).items[0].arrays as Array<{
        status: string;
      }>
    ).every((m) => m.status === 'online');
  await waitFor(
    async () => (await online(a)) && (await online(b)),
    30_000,
    () => 'pod never online',
  );

  const model = Buffer.alloc(VOLUME_BYTES);
  const writerA = await NbdTestClient.open(a.nbdPort, 'tp::vol');
  const first = randomBytes(2 * MiB);
  await writerA.write(0, first);
  first.copy(model, 0);
  writerA.close();

  // The group lives in the pod (tp::pg) and replicates to the far array, where it is tp:pg.
  ok(await sa.call('POST', `/protection-groups?names=${q('tp::pg')}`));
  ok(
    await sa.call(
      'POST',
      `/protection-groups/volumes?group_names=${q('tp::pg')}&member_names=${q('tp::vol')}`,
    ),
  );
  ok(await sa.call('POST', `/protection-groups/targets?group_names=${q('tp::pg')}&member_names=far-c`));
  assert.equal(
    ok(await sb.call('GET', `/protection-groups?names=${q('tp::pg')}`)).items[0].target_count,
    1,
    'B knows the group',
  );
  ok(await sc.call('PATCH', `/protection-groups/targets?group_names=${q('tp:pg')}`, { allowed: true }));
  for (const session of [sa, sb]) {
    await waitFor(
      async () =>
        ok(await session.call('GET', `/protection-groups/targets?group_names=${q('tp::pg')}`)).items[0]
          .allowed,
      10_000,
      () => 'a pod array never learnt it is allowed',
    );
  }
  const snap1 = ok(
    await sa.call('POST', `/protection-group-snapshots?source_names=${q('tp::pg')}&replicate_now=true`, {}),
  ).items[0];
  assert.equal(snap1.name, 'tp::pg.1');
  const complete = async (name: string) =>
    (
      ok(
        await sc.call(
          'GET',
          `/protection-group-snapshots/transfer?names=${q('tp:pg')}&filter=${q('progress="1.0"')}`,
        ),
      ).items as Array<{ name: string }>
    ).some((s) => s.name === name);
  await waitFor(
    () => complete('tp:pg.1'),
    60_000,
    () =>
      `tp:pg.1 never arrived: ${logLines(a, /transfer|replicat|pgroup/)}\nC: ${logLines(c, /transfer|replicat|pgroup|allowed/)}`,
  );
  assert.equal(sha(await readOnC('tp:pg.1.vol', 'restore1')), sha(model), 'far copy of snapshot 1');

  // Lose the pod's leader: B serves the pod alone and carries on the async leg.
  const writerB = await NbdTestClient.open(b.nbdPort, 'tp::vol');
  const second = randomBytes(MiB);
  await writerB.write(4 * MiB, second);
  second.copy(model, 4 * MiB);
  await a.kill();
  const third = randomBytes(MiB);
  await writerB.write(6 * MiB, third);
  third.copy(model, 6 * MiB);
  writerB.close();
  const snap2 = ok(
    await sb.call('POST', `/protection-group-snapshots?source_names=${q('tp::pg')}&replicate_now=true`, {}),
  ).items[0];
  t.diagnostic(`snapshot taken on the surviving pod array: ${snap2.name}`);
  await waitFor(
    () => complete(`tp:pg.${snap2.suffix}`),
    60_000,
    () => `${snap2.name} never arrived: ${b.output().slice(-1500)}`,
  );
  const sent = ok(await sb.call('GET', `/protection-group-snapshots/transfer?names=${q(snap2.name)}`))
    .items[0];
  t.diagnostic(`far transfer from the survivor: ${sent.data_transferred} wire bytes`);
  assert.ok(sent.data_transferred < 3 * MiB, 'only what the far array lacks travels');
  assert.equal(
    sha(await readOnC(`tp:pg.${snap2.suffix}.vol`, 'restore2')),
    sha(model),
    'far copy after the failover',
  );
  a = await a.restart();
});
