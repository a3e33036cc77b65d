// The FlashArray volume driver against three real `tandem array start` processes: a primary, its
// ActiveCluster peer (sync) and a DR array (async), connected as an operator connects them. Each
// scenario drives the driver as the volume manager would and checks what ended up on the arrays:
// names, pods, protection groups, bytes read back over NBD, failover and failback.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import {
  createFlashArrayDriver,
  DriverNotImplemented,
  type FlashArrayDriver,
  InvalidQoSSpecs,
  InvalidReplicationTarget,
  ManageExistingInvalidReference,
} from '../../src/cinder/driver/index.js';
import type { VolumeRecord } from '../../src/cinder/model.js';
import {
  type ArrayProcess,
  connectArrays,
  makeTempDir,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import {
  applied,
  backendFor,
  captureLogger,
  type DeviceAccess,
  driverVolume,
  groupRecord,
  groupSnapshotRecord,
  groupType,
  ok,
  pgroupsOf,
  q,
  type Rest,
  snapshotRecord,
  volumeType,
} from '../helpers/cinder-driver-env.js';
import { type MediatorProcess, startMediatorProcess } from '../helpers/mediator-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** A scenario takes seconds; one that hangs (an array that stopped answering) fails instead. */
const SCENARIO_TIMEOUT_MS = 90_000;

function scenario(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: SCENARIO_TIMEOUT_MS }, fn);
}

let a: ArrayProcess;
let b: ArrayProcess;
let c: ArrayProcess;
let mediator: MediatorProcess;
let work: { path: string; remove: () => Promise<void> };
let ra: Rest;
let rb: Rest;
let rc: Rest;
let devices: DeviceAccess[];
let driver: FlashArrayDriver;
const drivers: FlashArrayDriver[] = [];
const logLines: string[] = [];

const plain = volumeType('plain', {});
const asyncType = volumeType('async', { replication_enabled: '<is> True' });
const syncType = volumeType('sync', { replication_enabled: '<is> True', replication_type: '<in> sync' });
const trisyncType = volumeType('trisync', {
  replication_enabled: '<is> True',
  replication_type: '<in> trisync',
});
const connector = {
  host: 'compute-1.example',
  initiator: 'iqn.2026-11.test:compute-1',
  'system uuid': '4C4C4544-0042-3510-8052-B7C04F4B4E31',
  ip: '127.0.0.1',
  platform: 'x86_64',
  os_type: 'linux',
  multipath: false,
};

async function newDriver(
  devicesOf: DeviceAccess[] = devices,
  options: Record<string, string> = { pure_trisync_enabled: 'True' },
  driverPath?: string,
): Promise<FlashArrayDriver> {
  const backend = await backendFor(a, devicesOf, options, driverPath);
  const made = createFlashArrayDriver(backend, { logger: captureLogger(logLines), hostName: 'ctl@pure-1' });
  drivers.push(made);
  return made;
}

before(async () => {
  work = await makeTempDir('tandem-cinder-driver-');
  mediator = await startMediatorProcess(join(work.path, 'mediator'));
  const start = (name: string) => startArrayProcess({ name, dataDir: join(work.path, name) });
  [a, b, c] = await Promise.all([start('cd-a'), start('cd-b'), start('cd-c')]);
  await connectArrays(a, b, 'sync-replication');
  await connectArrays(a, c, 'async-replication');
  await connectArrays(b, c, 'async-replication');
  [ra, rb, rc] = await Promise.all([restSession(a), restSession(b), restSession(c)]);
  await waitFor(
    async () => ok(await ra.call('GET', '/array-connections')).items.every((x) => x.status === 'connected'),
    20_000,
    () => 'array connections never connected',
  );
  devices = [
    { backendId: 'peer', array: b, type: 'sync' },
    { backendId: 'dr', array: c, type: 'async' },
  ];
  // The operator's part of ActiveCluster: a mediator decides which array goes on alone. It is set
  // before the driver stretches the pod: the arrays do not yet apply a mediator changed later.
  ok(await ra.call('POST', '/pods?names=cinder-pod', {}));
  ok(await ra.call('PATCH', '/pods?names=cinder-pod', { mediator: mediator.url }));
  driver = await newDriver();
  await driver.doSetup(null);
});

after(async () => {
  for (const made of drivers) await made.close().catch(() => {});
  for (const array of [a, b, c]) await array?.stop();
  await mediator?.stop();
  await work?.remove();
});

/** Attaches through the driver, runs `use` on the NBD export it describes, then detaches. */
async function withExport<T>(
  target: FlashArrayDriver,
  volume: VolumeRecord,
  use: (nbd: NbdTestClient) => Promise<T>,
): Promise<T> {
  const info = await target.initializeConnection(volume, connector);
  assert.equal(info.driverVolumeType, 'nbd');
  assert.equal(info.data.host, '127.0.0.1');
  const nbd = await NbdTestClient.open(info.data.port as number, info.data.export_name as string);
  try {
    return await use(nbd);
  } finally {
    nbd.close();
    await target.terminateConnection(volume, connector);
  }
}

async function created(type = plain, size = 1, target = driver): Promise<VolumeRecord> {
  const dv = driverVolume(type, { size });
  return applied(dv.volume, await target.createVolume(dv));
}

scenario(
  'doSetup: cinder-pod stretched to the sync peer; cinder-group and the trisync group replicate, allowed on their targets',
  async () => {
    const pod = ok(await ra.call('GET', '/pods?names=cinder-pod')).items[0];
    assert.deepEqual(pod.arrays.map((m: { name: string }) => m.name).sort(), ['cd-a', 'cd-b']);
    const group = ok(await ra.call('GET', '/protection-groups?names=cinder-group')).items[0];
    assert.deepEqual(group.target_retention, { all_for_sec: 14400, per_day: 3, days: 7 });
    assert.equal(group.replication_schedule.frequency, 3_600_000);
    assert.equal(group.replication_schedule.enabled, true);
    const targets = ok(await ra.call('GET', '/protection-groups/targets?group_names=cinder-group')).items;
    assert.deepEqual(targets.map((t) => [t.member.name, t.allowed]).sort(), [
      ['cd-b', true],
      ['cd-c', true],
    ]);
    for (const rest of [rb, rc]) {
      const replica = `/protection-groups/targets?group_names=${q('cd-a:cinder-group')}`;
      assert.equal(ok(await rest.call('GET', replica)).items[0].allowed, true, 'allowed on the target');
    }
    const trisync = ok(
      await ra.call('GET', `/protection-groups/targets?group_names=${q('cinder-pod::cinder-trisync')}`),
    );
    assert.deepEqual(
      trisync.items.map((t) => [t.member.name, t.allowed]),
      [['cd-c', true]],
    );
    ok(await rc.call('GET', `/protection-groups?names=${q('cinder-pod:cinder-trisync')}`));
    // Setup again (a service restart) finds everything in place.
    const again = await newDriver();
    await again.doSetup(null);
    assert.equal(again.activeBackendId, 'pure-1');
    await again.close();
  },
);

scenario(
  'create: plain, async (in cinder-group), sync (one volume on both pod arrays), trisync, with QoS',
  async () => {
    const plainVol = await created(plain);
    assert.equal(plainVol.providerId, `volume-${plainVol.id}-cinder`);
    const [onA] = ok(await ra.call('GET', `/volumes?names=${plainVol.providerId}`)).items;
    assert.equal(onA.provisioned, GiB);
    assert.deepEqual(await pgroupsOf(ra, plainVol.providerId!), []);

    const dvAsync = driverVolume(asyncType, { metadata: { purpose: 'db' } });
    const asyncUpdate = await driver.createVolume(dvAsync);
    assert.deepEqual(asyncUpdate, {
      providerId: `volume-${dvAsync.volume.id}-cinder`,
      replicationStatus: 'enabled',
      metadata: {
        purpose: 'db',
        array_volume_name: `volume-${dvAsync.volume.id}-cinder`,
        array_name: 'cd-a',
      },
    });
    assert.deepEqual(await pgroupsOf(ra, asyncUpdate.providerId!), ['cinder-group']);

    const syncVol = await created(syncType);
    assert.equal(syncVol.providerId, `cinder-pod::volume-${syncVol.id}-cinder`);
    const serialA = ok(await ra.call('GET', `/volumes?names=${q(syncVol.providerId!)}`)).items[0].serial;
    await waitFor(
      async () => (await rb.call('GET', `/volumes?names=${q(syncVol.providerId!)}`)).status === 200,
      10_000,
      () => 'the pod volume never reached the peer',
    );
    const onB = ok(await rb.call('GET', `/volumes?names=${q(syncVol.providerId!)}`)).items[0];
    assert.equal(onB.serial, serialA, 'one volume, the same identity on both arrays');

    const trisyncVol = await created(trisyncType);
    assert.equal(trisyncVol.providerId, `cinder-pod::volume-${trisyncVol.id}-cinder`);
    assert.deepEqual(await pgroupsOf(ra, trisyncVol.providerId!), ['cinder-pod::cinder-trisync']);

    const qosType = volumeType('qos', {}, 'qos-1');
    const dvQos = driverVolume(qosType, { size: 2 }, { maxIOPS: '5000', maxBWS_per_GB: '50' });
    const qosName = (await driver.createVolume(dvQos)).providerId!;
    const [limited] = ok(await ra.call('GET', `/volumes?names=${qosName}`)).items;
    assert.deepEqual(limited.qos, { iops_limit: 5000, bandwidth_limit: 100 * MiB });
    await assert.rejects(
      driver.createVolume(driverVolume(qosType, {}, { maxIOPS: '10' })),
      (e) => e instanceof InvalidQoSSpecs && /maxIOPS QoS error/.test(e.message),
    );
  },
);

scenario(
  'copies: from a snapshot (bigger) and a clone hold the bytes written before; extend; revert',
  async () => {
    const source = await created(plain);
    const first = randomBytes(64 * 1024);
    const second = randomBytes(64 * 1024);
    await withExport(driver, source, (nbd) => nbd.write(0, first));
    const snapshot = snapshotRecord(source);
    const snapUpdate = await driver.createSnapshot(snapshot, source);
    assert.equal(snapUpdate.metadata?.array_snapshot_name, `${source.providerId}.snapshot-${snapshot.id}`);
    await withExport(driver, source, (nbd) => nbd.write(0, second));

    const dvCopy = driverVolume(plain, { size: 2 });
    const copy = applied(dvCopy.volume, await driver.createVolumeFromSnapshot(dvCopy, snapshot, source));
    assert.equal(ok(await ra.call('GET', `/volumes?names=${copy.providerId}`)).items[0].provisioned, 2 * GiB);
    assert.deepEqual(await withExport(driver, copy, (nbd) => nbd.read(0, first.length)), first);

    const dvClone = driverVolume(plain);
    const clone = applied(dvClone.volume, await driver.createClonedVolume(dvClone, source));
    assert.deepEqual(await withExport(driver, clone, (nbd) => nbd.read(0, second.length)), second);

    await driver.extendVolume({ volume: source, type: plain, qosSpecs: null }, 3);
    assert.equal(
      ok(await ra.call('GET', `/volumes?names=${source.providerId}`)).items[0].provisioned,
      3 * GiB,
    );

    await driver.revertToSnapshot(source, snapshot);
    assert.deepEqual(await withExport(driver, source, (nbd) => nbd.read(0, first.length)), first);
    await driver.deleteSnapshot(snapshot, source);
    const [gone] = ok(
      await ra.call('GET', `/volume-snapshots?names=${q(snapUpdate.metadata!.array_snapshot_name!)}`),
    ).items;
    assert.equal(gone.destroyed, true);
    await driver.deleteSnapshot(snapshot, source); // already gone: fine
  },
);

scenario(
  'attach: one generated host per compute host, reused, deleted with its last connection; NBD info usable',
  async () => {
    const first = await created(plain);
    const second = await created(plain);
    const info = await driver.initializeConnection(first, connector);
    assert.deepEqual(info, {
      driverVolumeType: 'nbd',
      data: {
        host: '127.0.0.1',
        port: a.nbdPort,
        export_name: first.providerId,
        target_portals: [`127.0.0.1:${a.nbdPort}`],
        discard: true,
      },
    });
    const nbd = await NbdTestClient.open(a.nbdPort, first.providerId!);
    assert.equal(nbd.sizeBytes, GiB);
    nbd.close();
    await driver.initializeConnection(second, connector);
    const hosts = ok(await ra.call('GET', `/hosts?filter=${q(`iqns='${connector.initiator}'`)}`)).items;
    assert.deepEqual(
      hosts.map((h) => h.name),
      ['compute-1-example-4c4c4544004235108052b7c04f4b4e31-cinder'],
    );
    await driver.terminateConnection(first, connector);
    assert.equal(ok(await ra.call('GET', `/connections?volume_names=${first.providerId}`)).items.length, 0);
    assert.equal(ok(await ra.call('GET', '/hosts')).items.length, 1, 'still used by the second volume');
    await driver.terminateConnection(second, connector);
    assert.equal(ok(await ra.call('GET', '/hosts')).items.length, 0, 'the unused generated host is deleted');

    // Force detach (no connector): every host of the volume.
    await driver.initializeConnection(first, { ...connector, 'system uuid': undefined });
    await driver.terminateConnection(first, null);
    assert.equal(ok(await ra.call('GET', '/hosts')).items.length, 0);
  },
);

/** qemu-img through the iSCSI connection info a driver returned, as os-brick would log in. */
function qemuImg(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('qemu-img', args, { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

interface IscsiData {
  target_portals: string[];
  target_iqns: string[];
  target_luns: number[];
  wwn: string;
  auth_method?: string;
  auth_username?: string;
  auth_password?: string;
}

function iscsiOpts(data: IscsiData, credentials = true): string {
  const chap =
    credentials && data.auth_method === 'CHAP'
      ? `,user=${data.auth_username},password=${data.auth_password}`
      : '';
  return `driver=iscsi,transport=tcp,portal=${data.target_portals[0]},target=${data.target_iqns[0]},lun=${data.target_luns[0]},initiator-name=${connector.initiator}${chap}`;
}

scenario(
  'attach over iSCSI: the portal, IQN, LUN and wwn the array serves, data through them with qemu-img, CHAP with use_chap_auth',
  async () => {
    const iscsi = await newDriver([], {}, 'cinder.volume.drivers.pure.PureISCSIDriver');
    await iscsi.doSetup(null);
    const volume = await created(plain, 1, iscsi);
    const info = await iscsi.initializeConnection(volume, connector);
    assert.equal(info.driverVolumeType, 'iscsi');
    const data = info.data as unknown as IscsiData;
    const port = ok(await ra.call('GET', '/ports')).items.find((p) => p.iqn);
    const connection = ok(await ra.call('GET', `/connections?volume_names=${volume.providerId}`)).items[0];
    const onArray = ok(await ra.call('GET', `/volumes?names=${volume.providerId}`)).items[0];
    assert.deepEqual(data.target_portals, [`127.0.0.1:${a.iscsiPort}`]);
    assert.deepEqual(data.target_iqns, [port.iqn]);
    assert.deepEqual(data.target_luns, [connection.lun]);
    assert.equal(data.wwn, `3624a9370${String(onArray.serial).toLowerCase()}`);
    assert.equal(data.auth_method, undefined);

    const written = join(work.path, 'iscsi-in.raw');
    const back = join(work.path, 'iscsi-back.raw');
    const bytes = randomBytes(1024 * 1024);
    await writeFile(written, bytes);
    const write = await qemuImg([
      'convert',
      '-n',
      '-f',
      'raw',
      written,
      '--target-image-opts',
      iscsiOpts(data),
    ]);
    assert.equal(write.code, 0, write.stderr);
    const read = await qemuImg(['convert', '--image-opts', iscsiOpts(data), '-O', 'raw', back]);
    assert.equal(read.code, 0, read.stderr);
    assert.ok((await readFile(back)).subarray(0, bytes.length).equals(bytes), 'the bytes read back');
    await iscsi.terminateConnection(volume, connector);
    const gone = await qemuImg(['info', '--image-opts', iscsiOpts(data)]);
    assert.notEqual(gone.code, 0, 'after terminate_connection the initiator no longer sees the LUN');
    await iscsi.close();

    const chapDriver = await newDriver(
      [],
      { use_chap_auth: 'True' },
      'cinder.volume.drivers.pure.PureISCSIDriver',
    );
    await chapDriver.doSetup(null);
    const withChap = (await chapDriver.initializeConnection(volume, connector)).data as unknown as IscsiData;
    assert.equal(withChap.auth_method, 'CHAP');
    assert.equal(withChap.auth_username, connector.host);
    assert.ok(withChap.auth_password && withChap.auth_password.length >= 12);
    const refused = await qemuImg(['info', '--image-opts', iscsiOpts(withChap, false)]);
    assert.notEqual(refused.code, 0, 'without the CHAP secret the login is refused');
    const allowed = await qemuImg(['convert', '--image-opts', iscsiOpts(withChap), '-O', 'raw', back]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok((await readFile(back)).subarray(0, bytes.length).equals(bytes));
    assert.ok(!logLines.join('\n').includes(withChap.auth_password!), 'the CHAP secret is not logged');
    await chapDriver.terminateConnection(volume, connector);
    assert.equal(ok(await ra.call('GET', '/hosts')).items.length, 0);
    await chapDriver.close();
  },
);

scenario(
  'delete: destroyed (recoverable) by default, eradicated with pure_eradicate_on_delete; twice is fine',
  async () => {
    const kept = await created(plain);
    await driver.deleteVolume(kept);
    assert.equal(
      ok(await ra.call('GET', `/volumes?names=${kept.providerId}&destroyed=true`)).items.length,
      1,
    );
    await driver.deleteVolume(kept);

    const eradicating = await newDriver([], { pure_eradicate_on_delete: 'True' });
    await eradicating.doSetup(null);
    const erased = await created(plain, 1, eradicating);
    await eradicating.deleteVolume(erased);
    const res = await ra.call('GET', `/volumes?names=${erased.providerId}`);
    assert.equal(res.status, 400);
    assert.match(res.body.errors[0].message, /does not exist/);
    await eradicating.close();
  },
);

scenario('stats: capacity, counts and replication capabilities', async () => {
  const stats = await driver.getVolumeStats(true);
  for (const key of ['total_volumes', 'total_snapshots', 'total_hosts', 'total_pgroups', 'writes_per_sec'])
    assert.equal(typeof stats[key], 'number', key);
  assert.ok((stats.total_capacity_gb as number) > 0);
  assert.ok((stats.free_capacity_gb as number) <= (stats.total_capacity_gb as number));
  assert.deepEqual(
    {
      volume_backend_name: stats.volume_backend_name,
      pool_name: stats.pool_name,
      vendor_name: stats.vendor_name,
      driver_version: stats.driver_version,
      storage_protocol: stats.storage_protocol,
      multiattach: stats.multiattach,
      consistent_group_snapshot_enabled: stats.consistent_group_snapshot_enabled,
      reserved_percentage: stats.reserved_percentage,
      replication_enabled: stats.replication_enabled,
      replication_type: stats.replication_type,
      replication_count: stats.replication_count,
      replication_targets: stats.replication_targets,
      replication_capability: stats.replication_capability,
    },
    {
      volume_backend_name: 'pure-1',
      pool_name: 'pure-1',
      vendor_name: 'Pure Storage',
      driver_version: '22.0.nbd',
      storage_protocol: 'NBD',
      multiattach: true,
      consistent_group_snapshot_enabled: true,
      reserved_percentage: 0,
      replication_enabled: true,
      replication_type: ['async', 'sync', 'trisync'],
      replication_count: 2,
      replication_targets: ['peer', 'dr'],
      replication_capability: 'trisync',
    },
  );
});

scenario('retype: none -> async -> none moves the volume in and out of cinder-group', async () => {
  const volume = await created(plain);
  const dv = { volume, type: plain, qosSpecs: null };
  assert.deepEqual(await driver.retype(dv, asyncType, null), [true, { replicationStatus: 'enabled' }]);
  assert.deepEqual(await pgroupsOf(ra, volume.providerId!), ['cinder-group']);
  const back = await driver.retype({ ...dv, type: asyncType }, plain, null);
  assert.deepEqual(back, [true, { replicationStatus: 'disabled' }]);
  assert.deepEqual(await pgroupsOf(ra, volume.providerId!), []);
});

scenario('retype: none -> sync -> async moves the volume through ghost pods, data kept', async () => {
  const volume = await created(plain);
  const data = randomBytes(64 * 1024);
  await withExport(driver, volume, (nbd) => nbd.write(0, data));
  const [, toSync] = await driver.retype({ volume, type: plain, qosSpecs: null }, syncType, null);
  const podName = `cinder-pod::volume-${volume.id}-cinder`;
  assert.deepEqual(toSync, {
    replicationStatus: 'enabled',
    providerId: podName,
    metadata: { array_volume_name: podName },
  });
  ok(await rb.call('GET', `/volumes?names=${q(podName)}`));
  const inPod = applied(volume, toSync);
  assert.deepEqual(await withExport(driver, inPod, (nbd) => nbd.read(0, data.length)), data);

  const [, toAsync] = await driver.retype({ volume: inPod, type: syncType, qosSpecs: null }, asyncType, null);
  assert.equal(toAsync?.providerId, volume.providerId);
  assert.deepEqual(await pgroupsOf(ra, volume.providerId!), ['cinder-group']);
  assert.equal((await rb.call('GET', `/volumes?names=${q(podName)}`)).status, 400, 'gone from the peer');
  const ghost = await ra.call('GET', `/pods?names=cinder-ghost-pod-${volume.id}&destroyed=false`);
  assert.ok(ghost.status === 400 || ghost.body.items.length === 0, 'no ghost pod left');
  assert.deepEqual(await withExport(driver, volume, (nbd) => nbd.read(0, data.length)), data);
});

scenario(
  'consistency group: protection group, members, group snapshot, a volume from it, delete',
  async () => {
    const cgType = groupType({ consistent_group_snapshot_enabled: '<is> True' });
    const group = groupRecord(cgType, [plain.id]);
    assert.deepEqual(await driver.createGroup(group, [plain], cgType), { status: 'available' });
    const pgroup = `consisgroup-${group.id}-cinder`;
    ok(await ra.call('GET', `/protection-groups?names=${pgroup}`));
    const member = await created(plain);
    const inGroup = driverVolume(plain, { groupId: group.id });
    const joined = applied(inGroup.volume, await driver.createVolume(inGroup));
    assert.deepEqual(await pgroupsOf(ra, joined.providerId!), [pgroup]);
    await driver.updateGroup(group, [member], [], cgType);
    assert.deepEqual(await pgroupsOf(ra, member.providerId!), [pgroup]);

    const groupSnapshot = groupSnapshotRecord(group);
    await driver.createGroupSnapshot(groupSnapshot, group, [], cgType);
    const snapName = `${pgroup}.cgsnapshot-${groupSnapshot.id}-cinder`;
    ok(await ra.call('GET', `/protection-group-snapshots?names=${snapName}`));
    ok(await ra.call('GET', `/volume-snapshots?names=${snapName}.${joined.providerId}`));
    const memberSnapshot = snapshotRecord(joined, { groupSnapshotId: groupSnapshot.id });
    const dvFrom = driverVolume(plain);
    const fromGroup = applied(
      dvFrom.volume,
      await driver.createVolumeFromSnapshot(dvFrom, memberSnapshot, joined),
    );
    ok(await ra.call('GET', `/volumes?names=${fromGroup.providerId}`));

    await driver.deleteGroupSnapshot(groupSnapshot, group, cgType);
    assert.equal(
      ok(await ra.call('GET', `/protection-group-snapshots?names=${snapName}`)).items[0].destroyed,
      true,
    );
    await driver.deleteGroup(group, [joined, member], cgType);
    assert.equal(ok(await ra.call('GET', `/protection-groups?names=${pgroup}`)).items[0].destroyed, true);
    const generic = groupType({});
    await assert.rejects(
      driver.createGroup(groupRecord(generic, []), [plain], generic),
      DriverNotImplemented,
    );
  },
);

scenario(
  'manage: an array volume is renamed, cleared of its QoS and put in cinder-group; unmanage renames it back',
  async () => {
    ok(
      await ra.call('POST', '/volumes?names=legacy-db', {
        provisioned: GiB + MiB,
        qos: { iops_limit: 1000 },
      }),
    );
    const dv = driverVolume(asyncType);
    const reference = { 'source-name': 'legacy-db' };
    assert.equal(await driver.manageExistingGetSize(dv, reference), 2, 'whole GiB, rounded up');
    const update = await driver.manageExisting(dv, reference);
    const name = `volume-${dv.volume.id}-cinder`;
    assert.deepEqual(update, {
      providerId: name,
      replicationStatus: 'enabled',
      metadata: { array_volume_name: name, array_name: 'cd-a' },
    });
    const [managed] = ok(await ra.call('GET', `/volumes?names=${name}`)).items;
    assert.deepEqual(managed.qos, { iops_limit: 100_000_000, bandwidth_limit: 549_755_813_888 });
    assert.deepEqual(await pgroupsOf(ra, name), ['cinder-group']);
    await assert.rejects(
      driver.manageExisting(driverVolume(plain), { 'source-name': 'no-such-volume' }),
      (e) => e instanceof ManageExistingInvalidReference && /Unable to find Purity ref/.test(e.message),
    );
    await driver.unmanage(applied(dv.volume, update));
    ok(await ra.call('GET', `/volumes?names=${name}-unmanaged`));
  },
);

async function waitTransferred(rest: Rest, replica: string, snapshot: string): Promise<void> {
  const query = `/protection-group-snapshots/transfer?names=${q(replica)}&filter=${q('progress="1.0"')}`;
  await waitFor(
    async () => ok(await rest.call('GET', query)).items.some((s) => s.name === snapshot),
    60_000,
    () => `${snapshot} never completed on the target`,
  );
}

scenario(
  'async failover to dr: the newest transferred snapshot is on the DR array; restart resumes; failback',
  async () => {
    const f = await newDriver();
    await f.doSetup(null);
    const asyncVol = await created(asyncType, 1, f);
    const trisyncVol = await created(trisyncType, 1, f);
    const syncVol = await created(syncType, 1, f);
    const before = randomBytes(128 * 1024);
    await withExport(f, asyncVol, (nbd) => nbd.write(MiB, before));
    await withExport(f, trisyncVol, (nbd) => nbd.write(0, before));
    // The replication schedule's work, done now: snapshots sent to the DR array.
    for (const [group, replica] of [
      ['cinder-group', 'cd-a:cinder-group'],
      ['cinder-pod::cinder-trisync', 'cinder-pod:cinder-trisync'],
    ] as const) {
      const [snap] = ok(
        await ra.call('POST', `/protection-group-snapshots?source_names=${q(group)}&replicate_now=true`, {}),
      ).items;
      await waitTransferred(rc, replica, `${replica}.${snap.suffix}`);
    }
    await withExport(f, asyncVol, (nbd) => nbd.write(MiB, randomBytes(128 * 1024)));

    const types = new Map([
      [asyncVol.id, asyncType],
      [trisyncVol.id, trisyncType],
      [syncVol.id, syncType],
    ]);
    const dvs = [asyncVol, trisyncVol, syncVol].map((volume) => ({
      volume,
      type: types.get(volume.id)!,
      qosSpecs: null,
    }));
    await assert.rejects(f.failover(dvs, 'nowhere'), InvalidReplicationTarget);
    await assert.rejects(f.failover(dvs, 'pure-1'), InvalidReplicationTarget);
    await assert.rejects(f.failover(dvs, 'default'), InvalidReplicationTarget);
    const result = await f.failover(dvs, 'dr');
    assert.equal(result.activeBackendId, 'dr');
    const trisyncBase = `volume-${trisyncVol.id}-cinder`;
    assert.deepEqual(result.volumeUpdates, [
      { volumeId: asyncVol.id, updates: { replicationStatus: 'failed-over' } },
      {
        volumeId: trisyncVol.id,
        updates: {
          replicationStatus: 'failed-over',
          providerId: trisyncBase,
          metadata: { array_volume_name: trisyncBase, array_name: 'cd-c' },
        },
      },
      { volumeId: syncVol.id, updates: { status: 'error' } },
    ]);
    await f.failoverCompleted('dr');
    assert.equal(f.activeBackendId, 'dr');
    const onDr = await f.initializeConnection(asyncVol, connector);
    assert.equal(onDr.data.port, c.nbdPort, 'attached on the DR array now');
    const nbd = await NbdTestClient.open(c.nbdPort, asyncVol.providerId!);
    assert.deepEqual(await nbd.read(MiB, before.length), before, 'the bytes of the replicated snapshot');
    nbd.close();
    await f.terminateConnection(asyncVol, connector);
    const trisyncOnDr = applied(trisyncVol, { providerId: trisyncBase });
    assert.deepEqual(await withExport(f, trisyncOnDr, (x) => x.read(0, before.length)), before);
    assert.deepEqual((await f.getVolumeStats(true)).replication_targets, ['peer']);

    const restarted = await newDriver();
    await restarted.doSetup('dr');
    assert.equal(restarted.activeBackendId, 'dr');
    assert.deepEqual((await restarted.getVolumeStats(true)).replication_targets, ['peer']);
    await restarted.close();

    const back = await f.failover(dvs, 'default');
    assert.deepEqual(back, {
      activeBackendId: 'default',
      volumeUpdates: dvs.map((dv) => ({ volumeId: dv.volume.id, updates: { status: 'error' } })),
    });
    await f.failoverCompleted('default');
    assert.equal(f.activeBackendId, 'pure-1');
    const stats = await f.getVolumeStats(true);
    assert.deepEqual(
      [stats.replication_targets, stats.replication_type],
      [
        ['peer', 'dr'],
        ['async', 'sync', 'trisync'],
      ],
    );
    await f.close();
  },
);

scenario(
  'sync failover: the primary is killed; the pod volumes are failed over on the peer; a restart resumes there',
  async () => {
    const syncVol = await created(syncType);
    const asyncVol = await created(asyncType);
    /** The pod's status of each array, as `rest`'s array reports it. */
    const podStatus = async (rest: Rest) =>
      Object.fromEntries(
        ok(await rest.call('GET', '/pods?names=cinder-pod')).items[0].arrays.map(
          (m: { name: string; status: string }) => [m.name, m.status],
        ),
      );
    const synced = { 'cd-a': 'online', 'cd-b': 'online' };
    await waitFor(
      async () =>
        isDeepStrictEqual(await podStatus(ra), synced) && isDeepStrictEqual(await podStatus(rb), synced),
      60_000,
      () => 'pod never online on both arrays',
    );
    await a.kill();
    // The peer goes on alone once the mediator has decided.
    let seen = '';
    await waitFor(
      async () => {
        const res = await rb.call('GET', '/pods?names=cinder-pod');
        seen = JSON.stringify(res.body);
        return (await podStatus(rb))['cd-b'] === 'online';
      },
      30_000,
      () => `the peer never took over the pod: ${seen}\n${b.output().split('\n').slice(-25).join('\n')}`,
    );
    const dvs = [
      { volume: syncVol, type: syncType, qosSpecs: null },
      { volume: asyncVol, type: asyncType, qosSpecs: null },
    ];
    const result = await driver.failover(dvs, null);
    assert.deepEqual(result, {
      activeBackendId: 'peer',
      volumeUpdates: [
        { volumeId: syncVol.id, updates: { replicationStatus: 'failed-over' } },
        { volumeId: asyncVol.id, updates: { status: 'error' } },
      ],
    });
    await driver.failoverCompleted('peer');
    const info = await driver.initializeConnection(syncVol, connector);
    assert.equal(info.data.port, b.nbdPort);
    await driver.terminateConnection(syncVol, connector);

    const restarted = await newDriver();
    await restarted.doSetup('peer');
    assert.equal(restarted.activeBackendId, 'peer');
    const onPeer = await created(plain, 1, restarted);
    ok(await rb.call('GET', `/volumes?names=${onPeer.providerId}`));
    assert.deepEqual((await restarted.getVolumeStats(true)).replication_targets, ['dr']);
    const back = await restarted.failover(dvs, 'default');
    assert.deepEqual(back.volumeUpdates, [{ volumeId: asyncVol.id, updates: { status: 'error' } }]);
    await restarted.close();
  },
);

scenario('no API token in any log line', async () => {
  const tokens = await Promise.all([a, b, c].map((array) => array.apiToken()));
  assert.ok(logLines.length > 10);
  for (const line of logLines) for (const token of tokens) assert.ok(!line.includes(token), line);
});
