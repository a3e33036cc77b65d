// Moving volumes into and out of pods (how Cinder's driver retypes a volume to and from sync
// replication, through "ghost" pods), between two real array processes: root <-> an unstretched
// pod, then between two pods stretched over the same arrays, where the peer follows and writes
// keep mirroring. Also the REST details the driver relies on around pods.

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
const q = encodeURIComponent;
let a: ArrayProcess;
let b: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = await makeTempDir('tandem-pod-moves-');
  a = await startArrayProcess({ name: 'array-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'array-b', dataDir: join(work.path, 'b') });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await work?.remove();
});

async function readVolume(array: ArrayProcess, name: string, bytes: number): Promise<Buffer> {
  const client = await NbdTestClient.open(array.nbdPort, name);
  try {
    return await client.read(0, bytes);
  } finally {
    client.close();
  }
}

test('volume moves: root -> unstretched pod -> root keep data, snapshots and names; protection groups are left on request', async () => {
  const sa = await restSession(a);
  ok(await sa.call('POST', '/pods?names=ghost'));
  ok(await sa.call('POST', '/protection-groups?names=pg'));
  ok(await sa.call('POST', '/volumes?names=v&add_to_protection_group_names=pg', { provisioned: 4 * MiB }));
  const members = ok(await sa.call('GET', '/protection-groups/volumes?group_names=pg')).items;
  assert.deepEqual(
    members.map((m: { member: { name: string } }) => m.member.name),
    ['v'],
    'add_to_protection_group_names on create',
  );
  ok(await sa.call('POST', '/hosts?names=h', { iqns: ['iqn.2026-11.test:moves'] }));
  ok(await sa.call('POST', '/connections?host_names=h&volume_names=v'));
  const data = randomBytes(4 * MiB);
  const client = await NbdTestClient.open(a.nbdPort, 'v');
  await client.write(0, data);
  client.close();
  ok(await sa.call('POST', '/volume-snapshots?source_names=v', { suffix: 'before' }));

  const refused = await sa.call('PATCH', '/volumes?names=v', { pod: { name: 'ghost' } });
  assert.equal(refused.status, 400, 'a member of a group outside the pod cannot move in');
  assert.match(refused.body.errors[0].message, /protection group pg/);
  const moved = ok(
    await sa.call('PATCH', '/volumes?names=v&remove_from_protection_group_names=pg', {
      pod: { name: 'ghost' },
    }),
  ).items[0];
  assert.equal(moved.name, 'ghost::v');
  assert.equal(moved.pod.name, 'ghost');
  const inPod = ok(await sa.call('GET', `/volumes?filter=${q("pod.name='ghost'")}`)).items;
  assert.deepEqual(
    inPod.map((v: { name: string }) => v.name),
    ['ghost::v'],
  );
  assert.equal(
    ok(await sa.call('GET', '/volume-snapshots?names=ghost::v.before')).items[0].pod.name,
    'ghost',
  );
  assert.equal(sha(await readVolume(a, 'ghost::v', 4 * MiB)), sha(data), 'the data moved with it');
  const notMember = await sa.call(
    'DELETE',
    '/protection-groups/volumes?group_names=pg&member_names=ghost::v',
  );
  assert.equal(notMember.status, 400);
  assert.match(notMember.body.errors[0].message, /could not be found/, 'the wording the driver tolerates');

  const back = ok(await sa.call('PATCH', '/volumes?names=ghost::v', { pod: { name: '' } })).items[0];
  assert.equal(back.name, 'v');
  assert.equal(back.pod.name, null);
  assert.equal(sha(await readVolume(a, 'v', 4 * MiB)), sha(data));
  assert.equal(
    (await sa.call('PATCH', '/volumes?names=v', { volume_group: { name: 'vg' } })).status,
    400,
    'volume groups are refused, not silently ignored',
  );

  // SafeMode default protections: none, and an empty list can be set; destroy/eradicate contents.
  const protections = ok(await sa.call('GET', '/container-default-protections?names=ghost')).items[0];
  assert.deepEqual(protections.default_protections, []);
  ok(await sa.call('PATCH', '/container-default-protections?names=ghost', { default_protections: [] }));
  ok(await sa.call('POST', '/volumes?names=ghost::w', { provisioned: MiB }));
  assert.equal((await sa.call('PATCH', '/pods?names=ghost', { destroyed: true })).status, 400, 'not empty');
  ok(await sa.call('PATCH', '/pods?names=ghost&destroy_contents=true', { destroyed: true }));
  ok(await sa.call('DELETE', '/pods?names=ghost&eradicate_contents=true'));
  assert.equal((await sa.call('GET', '/volumes?names=ghost::w')).status, 400, 'eradicated with its pod');
});

test('volume moves: between two pods stretched over the same arrays, the peer follows and writes keep mirroring', async () => {
  const sa = await restSession(a);
  const sb = await restSession(b);
  await connectArrays(a, b, 'sync-replication');
  for (const pod of ['p1', 'p2']) {
    ok(await sa.call('POST', `/pods?names=${pod}`, { failover_preferences: [{ name: 'array-a' }] }));
    ok(await sa.call('POST', `/pods/arrays?group_names=${pod}&member_names=array-b`));
  }
  ok(await sa.call('POST', '/volumes?names=p1::x', { provisioned: 2 * MiB }));
  const online = async () => {
    for (const s of [sa, sb]) {
      const pods = ok(await s.call('GET', '/pods?names=p1,p2')).items;
      if (
        !pods.every((p: { arrays: Array<{ status: string }> }) =>
          p.arrays.every((m) => m.status === 'online'),
        )
      )
        return false;
    }
    return true;
  };
  await waitFor(online, 60_000, () => 'pods never online on both arrays');
  for (const s of [sa, sb]) {
    ok(
      await s.call('POST', '/hosts?names=app', {
        iqns: [`iqn.2026-11.test:${randomBytes(3).toString('hex')}`],
      }),
    );
  }
  ok(await sa.call('POST', '/connections?host_names=app&volume_names=p1::x'));
  const data = randomBytes(2 * MiB);
  const writer = await NbdTestClient.open(a.nbdPort, 'p1::x');
  await writer.write(0, data);
  writer.close();
  const serial = ok(await sa.call('GET', '/volumes?names=p1::x')).items[0].serial;

  const refusedRoot = await sa.call('PATCH', '/volumes?names=p1::x', { pod: { name: '' } });
  assert.equal(refusedRoot.status, 400, 'a stretched pod volume cannot move to the root');
  ok(await sa.call('PATCH', '/volumes?names=p1::x', { pod: { name: 'p2' } }));
  const onB = ok(await sb.call('GET', '/volumes?names=p2::x')).items[0];
  assert.equal(onB.serial, serial, 'the same volume on B, now in p2');
  assert.equal(onB.pod.name, 'p2');
  assert.equal((await sb.call('GET', '/volumes?names=p1::x')).status, 400, 'no longer in p1 on B');
  ok(await sb.call('POST', '/connections?host_names=app&volume_names=p2::x'));
  assert.equal(sha(await readVolume(b, 'p2::x', 2 * MiB)), sha(data));
  const later = randomBytes(MiB);
  const writerB = await NbdTestClient.open(b.nbdPort, 'p2::x');
  await writerB.write(MiB, later);
  writerB.close();
  later.copy(data, MiB);
  assert.equal(
    sha(await readVolume(a, 'p2::x', 2 * MiB)),
    sha(data),
    'a write on B after the move reaches A',
  );
});
