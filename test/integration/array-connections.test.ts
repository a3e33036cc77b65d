// Array connections between two real array processes, the replication path through a TCP proxy
// the test controls: the status says which path is down (replication link, management address,
// both), PATCH moves the link to a new address and throttles async replication, and bad changes
// are refused in Purity's error envelope.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type ArrayProcess,
  makeTempDir,
  type RestResponse,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const MiB = 1024 * 1024;

let a: ArrayProcess;
let b: ArrayProcess;
let proxy: TcpProxy;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const q = encodeURIComponent;

before(async () => {
  work = await makeTempDir('tandem-array-connections-');
  a = await startArrayProcess({ name: 'site-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'site-b', dataDir: join(work.path, 'b') });
  proxy = await startTcpProxy(b.replicationPort);
});

after(async () => {
  await proxy?.close();
  await a?.stop();
  await b?.stop();
  await work?.remove();
});

test('array connection: status names the path that is down; PATCH redials, throttles and refuses bad changes', async (t) => {
  const sa = await restSession(a);
  let sb = await restSession(b);
  const key = ok(await sb.call('GET', '/array-connections/connection-key')).items[0].connection_key;
  const created = ok(
    await sa.call('POST', '/array-connections', {
      connection_key: key,
      type: 'async-replication',
      management_address: `127.0.0.1:${b.restPort}`,
      replication_addresses: [`127.0.0.1:${proxy.port}`],
    }),
  ).items[0];
  assert.equal(created.name, 'site-b');
  assert.ok(!JSON.stringify(created).includes(key), 'the connection key is never shown');
  const statusOnA = async () => ok(await sa.call('GET', '/array-connections?names=site-b')).items[0].status;
  await waitFor(
    async () => (await statusOnA()) === 'connected',
    10_000,
    () => 'never connected',
  );
  assert.equal(ok(await sb.call('GET', '/array-connections')).items[0].status, 'connected');

  // The replication path is cut, the peer's management address still answers.
  proxy.cut();
  await waitFor(
    async () => (await statusOnA()) === 'partially_connected',
    10_000,
    () => 'not partially_connected with only the replication path cut',
  );
  // The peer is gone: neither path answers.
  await b.kill();
  await waitFor(
    async () => (await statusOnA()) === 'connecting',
    10_000,
    () => 'not connecting with the peer down',
  );
  b = await b.restart();
  sb = await restSession(b);
  await waitFor(
    async () => (await statusOnA()) === 'partially_connected',
    10_000,
    () => 'peer back, link cut',
  );

  // PATCH: the link moves to the peer's own address (around the cut proxy).
  const moved = ok(
    await sa.call('PATCH', '/array-connections?names=site-b', {
      replication_addresses: [`127.0.0.1:${b.replicationPort}`],
    }),
  ).items[0];
  assert.deepEqual(moved.replication_addresses, [`127.0.0.1:${b.replicationPort}`]);
  await waitFor(
    async () => (await statusOnA()) === 'connected',
    10_000,
    () => 'never reconnected',
  );

  // Bad changes are refused, and nothing changes.
  const encrypted = await sa.call('PATCH', '/array-connections?names=site-b', { encryption: 'encrypted' });
  assert.equal(encrypted.status, 400);
  assert.ok(encrypted.body.errors[0].message.length > 0);
  const badThrottle = await sa.call('PATCH', '/array-connections?names=site-b', {
    throttle: { default_limit: -5 },
  });
  assert.equal(badThrottle.status, 400);
  assert.equal((await sa.call('PATCH', '/array-connections?names=nope', { throttle: {} })).status, 400);

  // A protection group to B, then a throttle of 1 MiB/s: a 3 MiB transfer takes about 3 s.
  ok(await sa.call('POST', '/volumes?names=data', { provisioned: 8 * MiB }));
  ok(await sa.call('POST', '/hosts?names=h', { iqns: ['iqn.2026-11.test:h'] }));
  ok(await sa.call('POST', '/connections?host_names=h&volume_names=data'));
  ok(await sa.call('POST', '/protection-groups?names=pg'));
  ok(await sa.call('POST', '/protection-groups/volumes?group_names=pg&member_names=data'));
  ok(await sa.call('POST', '/protection-groups/targets?group_names=pg&member_names=site-b'));
  ok(await sb.call('PATCH', `/protection-groups/targets?group_names=${q('site-a:pg')}`, { allowed: true }));
  await waitFor(
    async () => ok(await sa.call('GET', '/protection-groups/targets?group_names=pg')).items[0].allowed,
    10_000,
    () => 'never allowed',
  );
  const typeChange = await sa.call('PATCH', '/array-connections?names=site-b', { type: 'sync-replication' });
  assert.equal(typeChange.status, 400, 'the type cannot change under a protection group target');

  const throttled = ok(
    await sa.call('PATCH', '/array-connections?names=site-b', { throttle: { default_limit: MiB } }),
  ).items[0];
  assert.equal(throttled.throttle.default_limit, MiB);
  const transferSeconds = async (offset: number) => {
    const client = await NbdTestClient.open(a.nbdPort, 'data');
    await client.write(offset, randomBytes(3 * MiB));
    client.close();
    const snap = ok(
      await sa.call('POST', '/protection-group-snapshots?source_names=pg&replicate_now=true', {}),
    ).items[0];
    await waitFor(
      async () =>
        ok(await sa.call('GET', `/protection-group-snapshots/transfer?names=${snap.name}`)).items[0]
          .progress === 1,
      30_000,
      () => `${snap.name} never completed`,
    );
    const done = ok(await sa.call('GET', `/protection-group-snapshots/transfer?names=${snap.name}`)).items[0];
    return { seconds: (done.completed - done.started) / 1000, bytes: done.data_transferred };
  };
  const slow = await transferSeconds(0);
  t.diagnostic(`throttled at 1 MiB/s: ${slow.bytes} bytes in ${slow.seconds.toFixed(2)} s`);
  assert.ok(slow.seconds >= 2, `3 MiB at 1 MiB/s took ${slow.seconds} s`);

  ok(await sa.call('PATCH', '/array-connections?names=site-b', { throttle: { default_limit: null } }));
  const fast = await transferSeconds(4 * MiB);
  t.diagnostic(`unthrottled: ${fast.bytes} bytes in ${fast.seconds.toFixed(2)} s`);
  assert.ok(fast.seconds < slow.seconds / 2, `unthrottled took ${fast.seconds} s`);
  assert.equal(
    ok(await sa.call('GET', '/array-connections?names=site-b')).items[0].throttle.default_limit,
    null,
  );
});
