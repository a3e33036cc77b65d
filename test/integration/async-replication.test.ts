// Async replication (protection groups) between two real array processes, set up with the calls
// the Cinder Pure driver makes (spec purity-rest2.md §3.10-§3.12), data written and read back
// with nbdcopy, and the failover path Cinder takes on the target.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BLOCK_BYTES } from '../../src/constants.js';
import {
  type ArrayProcess,
  makeTempDir,
  type RestResponse,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { runOk, sha256File } from '../helpers/clients.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 16 * MiB;

let source: ArrayProcess;
let target: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };
let src: Awaited<ReturnType<typeof restSession>>;
let tgt: Awaited<ReturnType<typeof restSession>>;

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const q = (text: string) => encodeURIComponent(text);

before(async () => {
  work = await makeTempDir('tandem-async-repl-');
  source = await startArrayProcess({ name: 'site-a', dataDir: join(work.path, 'a') });
  target = await startArrayProcess({ name: 'site-b', dataDir: join(work.path, 'b') });
  src = await restSession(source);
  tgt = await restSession(target);
});

after(async () => {
  await source?.stop();
  await target?.stop();
  await work?.remove();
});

/** 16 MiB where every block appears twice and half the blocks are text-like (compressible). */
function halfDuplicateData(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let offset = 0; offset < bytes; offset += 2 * BLOCK_BYTES) {
    const block =
      (offset / (2 * BLOCK_BYTES)) % 2 === 0
        ? randomBytes(BLOCK_BYTES)
        : Buffer.alloc(BLOCK_BYTES, `replicated block ${offset} `);
    block.copy(out, offset);
    block.copy(out, offset + BLOCK_BYTES);
  }
  return out;
}

async function exportVolume(session: typeof src, name: string) {
  const hosts = ok(await session.call('GET', '/hosts')).items as Array<{ name: string }>;
  if (!hosts.some((h) => h.name === 'reader'))
    ok(
      await session.call('POST', '/hosts?names=reader', {
        iqns: [`iqn.2026-11.test:${randomBytes(4).toString('hex')}`],
      }),
    );
  ok(await session.call('POST', `/connections?host_names=reader&volume_names=${name}`));
}

async function readVolume(array: ArrayProcess, name: string, file: string): Promise<string> {
  const path = join(work.path, file);
  await runOk(work.path, 'nbdcopy', [`nbd://127.0.0.1:${array.nbdPort}/${name}`, path], 120_000);
  return sha256File(path);
}

test('a wrong connection key is refused with 400 and is never echoed', async () => {
  const res = await src.call('POST', '/array-connections', {
    management_address: `127.0.0.1:${target.restPort}`,
    connection_key: 'not-the-key-0123456789',
    type: 'async-replication',
    replication_addresses: [`127.0.0.1:${target.replicationPort}`],
  });
  assert.equal(res.status, 400);
  assert.ok(!JSON.stringify(res.body).includes('not-the-key-0123456789'));
});

test('protection group snapshots replicate to a connected array; the target serves them after failover', async (t) => {
  // Array connection, as an operator makes it: the target's key, the target's replication address.
  const key = ok(await tgt.call('GET', '/array-connections/connection-key')).items[0].connection_key;
  assert.equal(typeof key, 'string');
  const connection = ok(
    await src.call('POST', '/array-connections', {
      management_address: `127.0.0.1:${target.restPort}`,
      connection_key: key,
      type: 'async-replication',
      replication_addresses: [`127.0.0.1:${target.replicationPort}`],
    }),
  ).items[0];
  assert.equal(connection.name, 'site-b');
  await waitFor(
    async () => ok(await tgt.call('GET', '/array-connections')).items[0]?.status === 'connected',
    10_000,
    () => 'the target never saw the connection',
  );
  assert.equal(ok(await src.call('GET', '/array-connections?names=site-b')).items[0].status, 'connected');
  assert.ok(!JSON.stringify(ok(await src.call('GET', '/array-connections'))).includes(key), 'key not shown');

  // Two volumes with data.
  const first = halfDuplicateData(VOLUME_BYTES);
  const second = randomBytes(VOLUME_BYTES);
  for (const [name, data] of [
    ['db-data', first],
    ['db-log', second],
  ] as const) {
    ok(await src.call('POST', `/volumes?names=${name}`, { provisioned: VOLUME_BYTES }));
    await exportVolume(src, name);
    const file = join(work.path, `${name}.in`);
    await writeFile(file, data);
    await runOk(work.path, 'nbdcopy', [file, `nbd://127.0.0.1:${source.nbdPort}/${name}`], 120_000);
  }

  // The Cinder driver's async setup (spec §3.10).
  ok(await src.call('POST', '/protection-groups?names=cinder-group'));
  ok(
    await src.call('PATCH', '/protection-groups?names=cinder-group', {
      target_retention: { all_for_sec: 14400, per_day: 3, days: 7 },
    }),
  );
  ok(
    await src.call('PATCH', '/protection-groups?names=cinder-group', {
      replication_schedule: { frequency: 3600000 },
    }),
  );
  ok(await src.call('POST', '/protection-groups/targets?group_names=cinder-group&member_names=site-b'));
  const replica = ok(await tgt.call('GET', `/protection-groups?names=${q('site-a:cinder-group')}`)).items[0];
  assert.equal(replica.is_local, false);
  assert.equal(replica.source.name, 'site-a');
  ok(
    await tgt.call('PATCH', `/protection-groups/targets?group_names=${q('site-a:cinder-group')}`, {
      allowed: true,
    }),
  );
  const allowedAgain = await tgt.call(
    'PATCH',
    `/protection-groups/targets?group_names=${q('site-a:cinder-group')}`,
    {
      allowed: true,
    },
  );
  assert.equal(allowedAgain.status, 400);
  assert.match(allowedAgain.body.errors[0].message, /already allowed on/);
  const targets = ok(await src.call('GET', '/protection-groups/targets?group_names=cinder-group')).items;
  assert.equal(targets[0].allowed, true);
  ok(
    await src.call('PATCH', '/protection-groups?names=cinder-group', {
      replication_schedule: { enabled: true },
    }),
  );
  ok(
    await src.call('POST', '/protection-groups/volumes?group_names=cinder-group&member_names=db-data,db-log'),
  );

  // First snapshot: a full copy.
  const snap1 = ok(
    await src.call('POST', '/protection-group-snapshots?source_names=cinder-group&replicate_now=true', {}),
  ).items[0];
  assert.equal(snap1.name, 'cinder-group.1');
  const cinderTransferQuery = `/protection-group-snapshots/transfer?names=${q('site-a:cinder-group')}&destroyed=false&filter=${q('progress="1.0"')}&sort=${q('started-')}`;
  await waitFor(
    async () => ok(await tgt.call('GET', cinderTransferQuery)).items.length === 1,
    60_000,
    () => 'the first snapshot never completed on the target',
  );
  // The target records the snapshot before it answers the commit; the source marks it done then.
  const sentOf = async (name: string) => {
    await waitFor(
      async () =>
        ok(await src.call('GET', `/protection-group-snapshots/transfer?names=${name}`)).items[0].progress ===
        1,
      10_000,
      () => `${name} never completed on the source`,
    );
    return ok(await src.call('GET', `/protection-group-snapshots/transfer?names=${name}`)).items[0];
  };
  const sent1 = await sentOf('cinder-group.1');
  t.diagnostic(
    `first transfer: ${sent1.data_transferred} wire bytes for ${2 * VOLUME_BYTES} bytes of volumes`,
  );
  // db-data is half duplicate and half compressible: far fewer bytes cross the wire than it holds.
  // db-log is random (16 MiB on the wire); db-data holds 4 MiB of unique random data and 4 MiB of
  // unique text, each block twice.
  assert.ok(
    sent1.data_transferred < VOLUME_BYTES + VOLUME_BYTES * 0.4,
    `wire bytes ${sent1.data_transferred} for ${2 * VOLUME_BYTES} bytes of volumes`,
  );

  // Second snapshot after a small change: only the changed blocks travel.
  const change = randomBytes(MiB);
  const writer = await NbdTestClient.open(source.nbdPort, 'db-data');
  await writer.write(0, change);
  await writer.close();
  change.copy(first, 0);
  const snap2 = ok(
    await src.call('POST', '/protection-group-snapshots?source_names=cinder-group&replicate_now=true', {}),
  ).items[0];
  assert.equal(snap2.name, 'cinder-group.2');
  await waitFor(
    async () => ok(await tgt.call('GET', cinderTransferQuery)).items.length === 2,
    60_000,
    () => 'the second snapshot never completed on the target',
  );
  const sent2 = await sentOf('cinder-group.2');
  assert.ok(
    sent2.data_transferred < 2 * MiB,
    `incremental transfer sent ${sent2.data_transferred} bytes for 1 MiB changed`,
  );
  t.diagnostic(`second transfer: ${sent2.data_transferred} wire bytes for ${MiB} bytes changed`);
  const newest = ok(await tgt.call('GET', cinderTransferQuery)).items[0];
  assert.equal(newest.name, 'site-a:cinder-group.2');

  // Failover as Cinder does it on the target: volume snapshots of the newest complete snapshot,
  // then overwrite-copy each into a volume of the same name.
  const volumeSnaps = ok(
    await tgt.call('GET', `/volume-snapshots?filter=${q("name='site-a:cinder-group.2.*'")}`),
  ).items as Array<{ name: string }>;
  assert.deepEqual(volumeSnaps.map((s) => s.name).sort(), [
    'site-a:cinder-group.2.db-data',
    'site-a:cinder-group.2.db-log',
  ]);
  for (const snapshot of volumeSnaps) {
    const volume = snapshot.name.slice(snapshot.name.lastIndexOf('.') + 1);
    ok(
      await tgt.call('POST', `/volumes?names=${volume}&overwrite=true`, { source: { name: snapshot.name } }),
    );
    await exportVolume(tgt, volume);
  }
  const expectedFirst = join(work.path, 'db-data.expected');
  await writeFile(expectedFirst, first);
  const expectedSecond = join(work.path, 'db-log.expected');
  await writeFile(expectedSecond, second);
  assert.equal(await readVolume(target, 'db-data', 'db-data.out'), await sha256File(expectedFirst));
  assert.equal(await readVolume(target, 'db-log', 'db-log.out'), await sha256File(expectedSecond));
});
