// Purity's default mediator name ('purestorage', Pure1 Cloud Mediator) resolves to the mediator the
// arrays were started with (--mediator): a pod that never set one is mediated, and the survivor of
// a kill -9 keeps serving. The mediator of a stretched pod cannot be switched under it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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

let a: ArrayProcess;
let b: ArrayProcess;
let mediator: MediatorProcess;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

before(async () => {
  work = await makeTempDir('tandem-pod-mediator-');
  mediator = await startMediatorProcess(join(work.path, 'mediator'));
  const extraArgs = ['--mediator', mediator.url];
  a = await startArrayProcess({ name: 'array-a', dataDir: join(work.path, 'a'), extraArgs });
  b = await startArrayProcess({ name: 'array-b', dataDir: join(work.path, 'b'), extraArgs });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await mediator?.stop();
  await work?.remove();
});

test("sync: the default mediator is the arrays' --mediator; a stretched pod keeps its mediator; the survivor serves", async () => {
  const sa = await restSession(a);
  const sb = await restSession(b);
  await connectArrays(a, b, 'sync-replication');
  ok(await sa.call('POST', '/pods?names=pod1'));
  ok(await sa.call('POST', '/volumes?names=pod1::v', { provisioned: 1024 * 1024 }));
  ok(await sa.call('POST', '/pods/arrays?group_names=pod1&member_names=array-b'));
  const pod = async () => ok(await sb.call('GET', '/pods?names=pod1')).items[0];
  await waitFor(
    async () => {
      const p = await pod();
      return p.arrays.every(
        (m: { status: string; mediator_status: string }) =>
          m.status === 'online' && m.mediator_status === 'online',
      );
    },
    30_000,
    () => 'the pod never reported online with its mediator online',
  );
  assert.equal((await pod()).mediator, 'purestorage');
  const changed = await sa.call('PATCH', '/pods?names=pod1', { mediator: 'http://127.0.0.1:1' });
  assert.equal(changed.status, 400, 'no switching mediators under a stretched pod');
  assert.match(changed.body.errors[0].message, /before stretching/);

  ok(await sb.call('POST', '/hosts?names=h', { iqns: ['iqn.2026-11.test:mediated'] }));
  ok(await sb.call('POST', '/connections?host_names=h&volume_names=pod1::v'));
  await a.kill();
  const writer = await NbdTestClient.open(b.nbdPort, 'pod1::v');
  await writer.write(0, randomBytes(4096)); // resolves once B has won the split at the mediator
  writer.close();
  const bId = ok(await sb.call('GET', '/arrays')).items[0].id;
  const { grants } = (await (await fetch(`${mediator.url}/claims?pod=${(await pod()).id}`)).json()) as {
    grants: Array<{ holder: string }>;
  };
  assert.deepEqual(
    grants.map((g) => g.holder),
    [bId],
    'the split was granted to B by the default mediator',
  );
});
