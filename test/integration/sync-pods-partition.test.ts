// A stretched pod whose replication link is cut by a proxy (a silent partition: both arrays stay
// up). The mediator keeps the preferred array serving; the other refuses I/O, so only one side
// acknowledges writes during the split. After the link returns, only the blocks written during
// the split travel, and both arrays are online with the same data.

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
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 16 * MiB;

let a: ArrayProcess;
let b: ArrayProcess;
let proxy: TcpProxy;
let mediator: MediatorProcess;
let mediatorUrl: string;
let work: { path: string; remove: () => Promise<void> };

const ok = (res: RestResponse) => {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = await makeTempDir('tandem-sync-partition-');
  mediator = await startMediatorProcess(join(work.path, 'mediator'));
  mediatorUrl = mediator.url;
  a = await startArrayProcess({ name: 'site-1', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'site-2', dataDir: join(work.path, 'b') });
  proxy = await startTcpProxy(b.replicationPort);
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await proxy?.close();
  await mediator?.stop();
  await work?.remove();
});

async function statuses(array: ArrayProcess): Promise<string[]> {
  const pod = ok(await (await restSession(array)).call('GET', '/pods?names=pod1')).items[0];
  return pod.arrays.map((m: { status: string }) => m.status);
}

async function readAll(array: ArrayProcess): Promise<Buffer> {
  const client = await NbdTestClient.open(array.nbdPort, 'pod1::vol');
  try {
    return await client.read(0, VOLUME_BYTES);
  } finally {
    client.close();
  }
}

test('sync: partition during writes -> mediator keeps the preferred array, the other refuses I/O, resync sends only the split writes', async (t) => {
  const sa = await restSession(a);
  const sb = await restSession(b);
  // A reaches B's replication port only through the proxy.
  await connectArrays(a, b, 'sync-replication', `127.0.0.1:${proxy.port}`);
  ok(await sa.call('POST', '/pods?names=pod1', { failover_preferences: [{ name: 'site-1' }] }));
  ok(await sa.call('PATCH', '/pods?names=pod1', { mediator: mediatorUrl }));
  ok(await sa.call('POST', '/volumes?names=pod1::vol', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/pods/arrays?group_names=pod1&member_names=site-2'));
  for (const [session, iqn] of [
    [sa, 'iqn.2026-11.test:h1'],
    [sb, 'iqn.2026-11.test:h2'],
  ] as const) {
    ok(await session.call('POST', '/hosts?names=host', { iqns: [iqn] }));
    ok(await session.call('POST', '/connections?host_names=host&volume_names=pod1::vol'));
  }
  await waitFor(
    async () =>
      (await statuses(a)).every((s) => s === 'online') && (await statuses(b)).every((s) => s === 'online'),
    30_000,
    () => 'pod never online on both',
  );
  const model = Buffer.alloc(VOLUME_BYTES);
  const writerA = await NbdTestClient.open(a.nbdPort, 'pod1::vol');
  const writerB = await NbdTestClient.open(b.nbdPort, 'pod1::vol');
  const first = randomBytes(4 * MiB);
  await writerA.write(0, first);
  first.copy(model, 0);

  // The partition: nothing passes; each array notices through its heartbeats.
  proxy.cut();
  const cutAt = Date.now();
  const duringSplit = randomBytes(MiB);
  await writerA.write(8 * MiB, duringSplit); // held until decided, then served by the preferred array
  duringSplit.copy(model, 8 * MiB);
  t.diagnostic(`preferred array acknowledged its first write ${Date.now() - cutAt} ms after the cut`);
  await assert.rejects(writerB.write(12 * MiB, randomBytes(4096)), 'the other array must refuse writes');
  await waitFor(
    async () => (await statuses(b))[1] === 'offline',
    20_000,
    () => `B statuses ${JSON.stringify(b.output().slice(-800))}`,
  );

  proxy.restore();
  await waitFor(
    async () =>
      (await statuses(a)).every((s) => s === 'online') && (await statuses(b)).every((s) => s === 'online'),
    60_000,
    () => `pod never back online: ${a.output().slice(-1500)}`,
  );
  writerA.close();
  writerB.close();
  assert.equal(sha(await readAll(b)), sha(model), 'B caught up');
  assert.equal(sha(await readAll(a)), sha(model), 'A unchanged');
  const sent = [...a.output().matchAll(/"resyncBytes":(\d+)/g)].map((m) => Number(m[1]));
  const resyncBytes = (sent.at(-1) ?? 0) - (sent.at(-2) ?? 0);
  t.diagnostic(`resync after the partition sent ${resyncBytes} bytes for ${MiB} bytes written during it`);
  assert.ok(resyncBytes <= MiB + 64 * 1024, `resync sent ${resyncBytes} bytes`);
});
