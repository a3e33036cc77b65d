// The control plane end to end: three real arrays (primary, sync peer, async DR), `tandem cinder
// start` with a cinder.conf as an operator writes it, and the real openstack and cinder CLIs.
// Volume types ask for sync or async replication and the volumes land where they ask (in the pod
// on both pod arrays, in the protection group); a volume attached over NBD holds real data; a
// failover to the DR array brings that data up there; a restart keeps the failed-over state.

import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
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
import {
  type CinderProcess,
  startCinderProcess,
  TEST_USERS,
  writeIdentityFile,
} from '../helpers/cinder-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';
import { cliEnvironment, parsePropertyTable, parseTable, runCli } from '../helpers/openstack-cli.js';

const MiB = 1024 * 1024;
const HOST = 'tandem@puredriver-1';
let a: ArrayProcess;
let b: ArrayProcess;
let c: ArrayProcess;
let cinder: CinderProcess;
let work: { path: string; remove: () => Promise<void> };
let home: string;

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function cli(tool: 'openstack' | 'cinder', args: string[], user = TEST_USERS.admin) {
  const result = await runCli(tool, args, cliEnvironment(cinder.authUrl, user, home), work.path);
  return result;
}

async function cliOk(tool: 'openstack' | 'cinder', args: string[], user = TEST_USERS.admin) {
  const result = await cli(tool, args, user);
  assert.equal(
    result.code,
    0,
    `${tool} ${args.join(' ')}: ${result.stderr}\n${result.stdout}\n${cinder.output().slice(-3000)}`,
  );
  return result.stdout;
}

async function volumeShow(id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await cliOk('openstack', ['volume', 'show', id, '-f', 'json']));
}

async function waitStatus(id: string, status: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(
    async () => {
      last = await volumeShow(id);
      return last.status === status;
    },
    60_000,
    () => `volume ${id} stayed ${String(last.status)}, never ${status}:\n${cinder.output().slice(-3000)}`,
  );
  return last;
}

before(async () => {
  work = await makeTempDir('tandem-cinder-e2e-');
  home = join(work.path, 'home');
  await mkdir(home);
  [a, b, c] = await Promise.all([
    startArrayProcess({ name: 'site-a', dataDir: join(work.path, 'a') }),
    startArrayProcess({ name: 'site-b', dataDir: join(work.path, 'b') }),
    startArrayProcess({ name: 'site-c', dataDir: join(work.path, 'c') }),
  ]);
  await connectArrays(a, b, 'sync-replication');
  await connectArrays(a, c, 'async-replication');
  const config = join(work.path, 'cinder.conf');
  await writeFile(
    config,
    [
      '[DEFAULT]',
      'enabled_backends = puredriver-1',
      'host = tandem',
      '',
      '[database]',
      `connection = sqlite:///${join(work.path, 'cinder.sqlite')}`,
      '',
      '[puredriver-1]',
      'volume_backend_name = puredriver-1',
      'volume_driver = cinder.volume.drivers.pure.PureNBDDriver',
      `san_ip = 127.0.0.1:${a.restPort}`,
      `pure_api_token = ${await a.apiToken()}`,
      `replication_device = backend_id:pure-sync,san_ip:127.0.0.1:${b.restPort},api_token:${await b.apiToken()},type:sync`,
      `replication_device = backend_id:pure-dr,san_ip:127.0.0.1:${c.restPort},api_token:${await c.apiToken()},type:async`,
      '',
    ].join('\n'),
  );
  cinder = await startCinderProcess({ configFile: config, identityFile: await writeIdentityFile(work.path) });
});

after(async () => {
  await cinder?.stop();
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await work?.remove();
});

test('cinder e2e: replicated volume types place volumes in the pod or the protection group; data attached over NBD fails over to the DR array', async (t) => {
  const tokens = await Promise.all([a.apiToken(), b.apiToken(), c.apiToken()]);
  for (const token of tokens)
    assert.ok(!cinder.output().includes(token), 'no api token in the control plane log');
  await cliOk('openstack', [
    'volume',
    'type',
    'create',
    'SyncReplicated',
    '--property',
    'replication_enabled=<is> True',
    '--property',
    'replication_type=<in> sync',
  ]);
  await cliOk('openstack', [
    'volume',
    'type',
    'create',
    'AsyncReplicated',
    '--property',
    'replication_enabled=<is> True',
    '--property',
    'replication_type=<in> async',
  ]);
  const refused = await cli('openstack', ['volume', 'type', 'create', 'Nope'], TEST_USERS.demo);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /HTTP 403/);

  // The pool reports what the driver set up.
  const pools = await cliOk('cinder', ['get-pools', '--detail']);
  const caps = parsePropertyTable(parseTable(pools));
  assert.equal(caps.replication_enabled, 'True');
  assert.match(caps.replication_targets ?? '', /pure-sync/);
  assert.match(caps.replication_targets ?? '', /pure-dr/);

  const asyncVolume = JSON.parse(
    await cliOk('openstack', [
      'volume',
      'create',
      '--size',
      '1',
      '--type',
      'AsyncReplicated',
      'v-async',
      '-f',
      'json',
    ]),
  );
  const syncVolume = JSON.parse(
    await cliOk('openstack', [
      'volume',
      'create',
      '--size',
      '1',
      '--type',
      'SyncReplicated',
      'v-sync',
      '-f',
      'json',
    ]),
  );
  const shownAsync = await waitStatus(asyncVolume.id, 'available');
  await waitStatus(syncVolume.id, 'available');
  assert.equal(shownAsync.replication_status, 'enabled');
  const sa = await restSession(a);
  const sb = await restSession(b);
  const asyncName = `volume-${asyncVolume.id}-cinder`;
  const syncName = `cinder-pod::volume-${syncVolume.id}-cinder`;
  assert.equal(ok(await sa.call('GET', `/volumes?names=${asyncName}`)).items[0].provisioned, 1024 * MiB);
  const members = ok(await sa.call('GET', '/protection-groups/volumes?group_names=cinder-group')).items;
  assert.ok(
    members.some((m: { member: { name: string } }) => m.member.name === asyncName),
    'async volume in cinder-group',
  );
  const syncOnA = ok(await sa.call('GET', `/volumes?names=${syncName}`)).items[0];
  const syncOnB = ok(await sb.call('GET', `/volumes?names=${syncName}`)).items[0];
  assert.equal(syncOnB.serial, syncOnA.serial, 'the sync volume is the same volume on both pod arrays');

  // Attach over NBD, write real data, detach.
  const server = randomUUID();
  const attached = await cliOk('cinder', [
    'attachment-create',
    asyncVolume.id,
    server,
    '--connect',
    'True',
    '--initiator',
    'iqn.2026-11.test:host1',
    '--ip',
    '127.0.0.1',
    '--host',
    'host1',
  ]);
  const tables = parseTable(attached);
  const attachment = parsePropertyTable(tables);
  assert.match(cinder.output() + attached, /nbd/);
  const exportName = asyncName;
  const data = randomBytes(4 * MiB);
  const client = await NbdTestClient.open(a.nbdPort, exportName);
  await client.write(0, data);
  client.close();
  await cliOk('cinder', ['attachment-delete', attachment.ID ?? attachment.id ?? '']);

  // Snapshot, then a volume from it holds the same bytes.
  const snap = JSON.parse(
    await cliOk('openstack', [
      '--os-volume-api-version',
      '3.65',
      'volume',
      'snapshot',
      'create',
      '--volume',
      asyncVolume.id,
      's1',
      '-f',
      'json',
    ]),
  );
  await waitFor(
    async () =>
      JSON.parse(await cliOk('openstack', ['volume', 'snapshot', 'show', snap.id, '-f', 'json'])).status ===
      'available',
    60_000,
    () => 'snapshot never available',
  );
  const fromSnap = JSON.parse(
    await cliOk('openstack', [
      'volume',
      'create',
      '--snapshot',
      snap.id,
      '--size',
      '1',
      'v-from-snap',
      '-f',
      'json',
    ]),
  );
  await waitStatus(fromSnap.id, 'available');
  ok(await sa.call('POST', '/hosts?names=checker', { iqns: ['iqn.2026-11.test:checker'] }));
  ok(await sa.call('POST', `/connections?host_names=checker&volume_names=volume-${fromSnap.id}-cinder`));
  const reader = await NbdTestClient.open(a.nbdPort, `volume-${fromSnap.id}-cinder`);
  assert.equal(sha(await reader.read(0, 4 * MiB)), sha(data), 'the volume from the snapshot holds the data');
  reader.close();

  // An array volume taken under management, then given back; a plain volume retyped to async.
  ok(await sa.call('POST', '/volumes?names=legacy-vol', { provisioned: 1024 * MiB }));
  const managed = parsePropertyTable(
    parseTable(
      await cliOk('cinder', [
        'manage',
        '--name',
        'managed',
        '--volume-type',
        'AsyncReplicated',
        `${HOST}#puredriver-1`,
        'legacy-vol',
      ]),
    ),
  );
  const managedShown = await waitStatus(managed.id!, 'available');
  assert.equal(managedShown.size, 1);
  assert.equal((await sa.call('GET', '/volumes?names=legacy-vol')).status, 400, "renamed to Cinder's name");
  ok(await sa.call('GET', `/volumes?names=volume-${managed.id}-cinder`));
  await cliOk('cinder', ['unmanage', managed.id!]);
  await waitFor(
    async () => (await cli('openstack', ['volume', 'show', managed.id!])).code !== 0,
    30_000,
    () => 'unmanaged volume still listed',
  );
  ok(await sa.call('GET', `/volumes?names=volume-${managed.id}-cinder-unmanaged`));
  const plain = JSON.parse(
    await cliOk('openstack', ['volume', 'create', '--size', '1', 'v-plain', '-f', 'json']),
  );
  assert.equal((await waitStatus(plain.id, 'available')).replication_status, 'disabled');
  await cliOk('openstack', [
    'volume',
    'set',
    '--type',
    'AsyncReplicated',
    '--retype-policy',
    'on-demand',
    plain.id,
  ]);
  await waitFor(
    async () =>
      (await volumeShow(plain.id)).type === 'AsyncReplicated' &&
      (await volumeShow(plain.id)).status === 'available',
    30_000,
    () => 'retype never finished',
  );
  assert.equal((await volumeShow(plain.id)).replication_status, 'enabled');
  const membersNow = ok(await sa.call('GET', '/protection-groups/volumes?group_names=cinder-group')).items;
  assert.ok(
    membersNow.some((m: { member: { name: string } }) => m.member.name === `volume-${plain.id}-cinder`),
    'retyped into cinder-group',
  );

  // Replicate now (the schedule runs hourly), then fail over to the DR array.
  ok(await sa.call('POST', '/protection-group-snapshots?source_names=cinder-group&replicate_now=true', {}));
  const sc = await restSession(c);
  await waitFor(
    async () =>
      ok(await sc.call('GET', '/protection-group-snapshots/transfer?names=site-a:cinder-group')).items.some(
        (s: { progress: number }) => s.progress === 1,
      ),
    60_000,
    () => 'the protection group snapshot never reached the DR array',
  );
  const denied = await cli('cinder', ['failover-host', HOST, '--backend_id', 'pure-dr'], TEST_USERS.demo);
  assert.notEqual(denied.code, 0, 'a member cannot fail over');
  await cliOk('cinder', ['failover-host', HOST, '--backend_id', 'pure-dr']);
  const serviceRow = async () =>
    parseTable(await cliOk('cinder', ['service-list', '--withreplication'])).find((r) => r.Host === HOST) ??
    {};
  await waitFor(
    async () => (await serviceRow())['Replication Status'] === 'failed-over',
    60_000,
    () => `failover never finished:\n${cinder.output().slice(-3000)}`,
  );
  assert.equal((await serviceRow())['Active Backend ID'], 'pure-dr');
  assert.equal((await volumeShow(asyncVolume.id)).replication_status, 'failed-over');
  assert.equal(
    (await volumeShow(syncVolume.id)).status,
    'error',
    'a sync volume is not on the async DR array',
  );
  ok(await sc.call('POST', '/hosts?names=checker', { iqns: ['iqn.2026-11.test:checker-c'] }));
  ok(await sc.call('POST', `/connections?host_names=checker&volume_names=${asyncName}`));
  const onDr = await NbdTestClient.open(c.nbdPort, asyncName);
  assert.equal(
    sha(await onDr.read(0, 4 * MiB)),
    sha(data),
    'the DR array holds the data written before the snapshot',
  );
  onDr.close();

  // A restart while failed over keeps that state.
  await cinder.stop();
  cinder = await cinder.restart();
  const afterRestart = await serviceRow();
  assert.equal(afterRestart['Replication Status'], 'failed-over');
  assert.equal(afterRestart['Active Backend ID'], 'pure-dr');

  // Failback to the primary ('default'): the service is enabled on the primary again. Async data
  // does not flow back (the driver's documented behaviour), so async volumes come back in error.
  await cliOk('cinder', ['failover-host', HOST, '--backend_id', 'default']);
  await waitFor(
    async () => (await serviceRow())['Replication Status'] === 'enabled',
    60_000,
    () => `failback never finished:\n${cinder.output().slice(-3000)}`,
  );
  const back = await serviceRow();
  assert.ok(
    ['', 'None', '-'].includes((back['Active Backend ID'] ?? '').trim()),
    `active backend after failback: ${back['Active Backend ID']}`,
  );
  assert.equal(back.Status, 'enabled');
  t.diagnostic(`control plane log lines: ${cinder.output().split('\n').length}`);
});
