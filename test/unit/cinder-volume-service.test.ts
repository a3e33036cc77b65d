// The volume service (Cinder's API checks and manager flows) over a recording driver and a real
// in-memory SQLite store: scheduling by extra specs, lifecycle statuses, frozen backends, and
// failover-host / failback as Cinder's manager runs them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DriverVolume, FailoverResult, VolumeDriver } from '../../src/cinder/driver/volume-driver.js';
import { CinderError } from '../../src/cinder/errors.js';
import type { VolumeTypeRecord } from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import { openStore } from '../../src/cinder/store/index.js';
import type { CreateVolumeRequest } from '../../src/cinder/volume/volume-api.js';
import { VolumeService } from '../../src/cinder/volume/volume-service.js';

const admin: RequestContext = {
  userId: 'u-admin',
  userName: 'admin',
  projectId: 'p-admin',
  projectName: 'admin',
  roles: ['admin', 'member'],
  isAdmin: true,
  requestId: 'req-1',
  microversion: [3, 70],
};
const member: RequestContext = {
  ...admin,
  userId: 'u-demo',
  projectId: 'p-demo',
  roles: ['member'],
  isAdmin: false,
};

function type(id: string, extraSpecs: Record<string, string>): VolumeTypeRecord {
  return {
    id,
    name: id,
    description: null,
    isPublic: true,
    extraSpecs,
    qosSpecsId: null,
    projects: [],
    createdAt: '',
  };
}
const TYPES = [
  type('plain', {}),
  type('async', { replication_enabled: '<is> True' }),
  type('gold', { volume_backend_name: 'gold' }),
];

/** A driver that records calls and can be told to fail. */
class RecordingDriver implements Partial<VolumeDriver> {
  calls: string[] = [];
  failNext: string | null = null;
  failoverResult: FailoverResult | Error = { activeBackendId: 'pure-dr', volumeUpdates: [] };

  constructor(private readonly backendName: string) {}

  private record(call: string) {
    this.calls.push(call);
    if (this.failNext === call) {
      this.failNext = null;
      throw new Error(`${call} failed on the array`);
    }
  }

  doSetup = async () => this.record('doSetup');
  getVolumeStats = async () => ({
    volume_backend_name: this.backendName,
    total_capacity_gb: 1000,
    free_capacity_gb: 900,
    provisioned_capacity_gb: 0,
    reserved_percentage: 0,
    max_over_subscription_ratio: 20,
    thin_provisioning_support: true,
    replication_enabled: true,
    replication_targets: ['pure-dr'],
  });
  createVolume = async (v: DriverVolume) => {
    this.record('createVolume');
    return { providerId: `volume-${v.volume.id}-cinder` };
  };
  deleteVolume = async () => this.record('deleteVolume');
  createSnapshot = async () => {
    this.record('createSnapshot');
    return {};
  };
  deleteSnapshot = async () => this.record('deleteSnapshot');
  failover = async (volumes: DriverVolume[]) => {
    this.record('failover');
    if (this.failoverResult instanceof Error) throw this.failoverResult;
    return {
      ...this.failoverResult,
      volumeUpdates: volumes.map((v) => ({
        volumeId: v.volume.id,
        updates: { replicationStatus: 'failed-over' as const },
      })),
    };
  };
  failoverCompleted = async () => this.record('failoverCompleted');
  close = async () => {};
}

async function setup() {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  const drivers = { silver: new RecordingDriver('silver'), gold: new RecordingDriver('gold') };
  const service = new VolumeService({
    host: 'tandem',
    store,
    types: {
      resolveType: (_c, ref) => {
        const found = TYPES.find((t) => t.id === ref);
        if (!found) throw new CinderError(404, `Volume type ${ref} could not be found.`);
        return found;
      },
      getType: (id) => TYPES.find((t) => t.id === id),
      defaultType: () => TYPES[0]!,
      qosSpecsFor: () => null,
      resolveGroupType: () => {
        throw new Error('no group types here');
      },
    },
    quotas: { check: () => {} },
    backends: Object.entries(drivers).map(([name, driver]) => ({
      name,
      backendName: name,
      driver: driver as unknown as VolumeDriver,
      availabilityZone: 'nova',
      reservedPercentage: 0,
      maxOverSubscriptionRatio: 20,
    })),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  await service.start();
  return { store, drivers, service };
}

const request = (over: Partial<CreateVolumeRequest>): CreateVolumeRequest => ({
  size: 1,
  name: 'v',
  description: null,
  volumeType: null,
  availabilityZone: null,
  snapshotId: null,
  sourceVolid: null,
  groupId: null,
  metadata: {},
  multiattach: false,
  ...over,
});

test('cinder volume service: the scheduler honours volume_backend_name; create goes creating -> available', async () => {
  const { service, drivers } = await setup();
  const created = await service.createVolume(member, request({ volumeType: 'gold' }));
  assert.equal(created.status, 'creating');
  await service.idle();
  const volume = service.getVolume(member, created.id);
  assert.equal(volume.status, 'available');
  assert.equal(volume.host, 'tandem@gold#gold');
  assert.equal(volume.providerId, `volume-${volume.id}-cinder`);
  assert.deepEqual(
    drivers.gold.calls.filter((c) => c === 'createVolume'),
    ['createVolume'],
  );
  assert.throws(() => service.getVolume({ ...member, projectId: 'other' }, created.id), /could not be found/);
  await service.stop();
});

test('cinder volume service: a driver failure leaves the volume in error; snapshots block a plain delete', async () => {
  const { service, drivers } = await setup();
  drivers.silver.failNext = 'createVolume';
  drivers.gold.failNext = 'createVolume';
  const broken = await service.createVolume(member, request({}));
  await service.idle();
  assert.equal(service.getVolume(member, broken.id).status, 'error');
  drivers.silver.failNext = null;
  drivers.gold.failNext = null;

  const volume = await service.createVolume(member, request({ volumeType: 'gold' }));
  await service.idle();
  await service.createSnapshot(member, {
    volumeId: volume.id,
    name: 's',
    description: null,
    force: null,
    metadata: {},
  });
  await service.idle();
  await assert.rejects(
    service.deleteVolume(member, volume.id, { cascade: false, force: false }),
    /dependent snapshots/,
  );
  await service.deleteVolume(member, volume.id, { cascade: true, force: false });
  await service.idle();
  assert.throws(() => service.getVolume(member, volume.id), /could not be found/);
  assert.ok(drivers.gold.calls.includes('deleteSnapshot') && drivers.gold.calls.includes('deleteVolume'));
  await service.stop();
});

test('cinder volume service: failover-host fails non-replicated volumes, records the active backend; failback restores', async () => {
  const { service, store } = await setup();
  const plain = await service.createVolume(admin, request({ volumeType: 'gold' }));
  await service.idle();
  const host = 'tandem@gold';
  await assert.rejects(service.freezeHost(member, host), /Policy doesn't allow/);
  await service.freezeHost(admin, host);
  await assert.rejects(service.deleteVolume(admin, plain.id, { cascade: false, force: false }), /frozen/);
  await service.thawHost(admin, host);

  await service.failoverHost(admin, host, 'pure-dr');
  await service.idle();
  const failed = service.listServices(admin, { host })[0]!;
  assert.equal(failed.replicationStatus, 'failed-over');
  assert.equal(failed.activeBackendId, 'pure-dr');
  assert.equal(failed.disabled, true);
  const after = service.getVolume(admin, plain.id);
  assert.equal(after.status, 'error', 'not replicated: cannot follow');
  assert.equal(after.replicationStatus, 'not-capable');
  await assert.rejects(
    service.failoverHost(admin, 'tandem@nowhere', null),
    /No service found with host=tandem@nowhere/,
  );

  await service.failoverHost(admin, host, 'default');
  await service.idle();
  const back = service.listServices(admin, { host })[0]!;
  assert.equal(back.replicationStatus, 'enabled');
  assert.equal(back.activeBackendId, null);
  assert.equal(back.disabled, false);
  assert.equal(
    store.get('volume', plain.id)!.status,
    'error',
    'failback leaves non-replicated volumes as they are',
  );
  await service.stop();
});

test('cinder volume service: InvalidReplicationTarget leaves the service as it was; another error is failover-error', async () => {
  const { service, drivers } = await setup();
  const host = 'tandem@silver';
  const invalid = new Error('no such target');
  invalid.name = 'InvalidReplicationTarget';
  drivers.silver.failoverResult = invalid;
  await service.failoverHost(admin, host, 'nope');
  await service.idle();
  assert.equal(service.listServices(admin, { host })[0]!.replicationStatus, 'enabled');
  drivers.silver.failoverResult = new Error('array unreachable');
  await service.failoverHost(admin, host, 'pure-dr');
  await service.idle();
  const broken = service.listServices(admin, { host })[0]!;
  assert.equal(broken.replicationStatus, 'failover-error');
  assert.equal(broken.disabled, true);
  await assert.rejects(service.failoverHost(admin, host, 'pure-dr'), /must be enabled or failed-over/);
  await service.stop();
});
