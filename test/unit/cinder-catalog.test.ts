// The catalog over a memory store: type visibility (is_public=None/true/false, private access),
// the default type, refusals while a type is in use, QoS associations, quotas and limits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CinderCatalog } from '../../src/cinder/catalog/catalog.js';
import { CinderError } from '../../src/cinder/errors.js';
import { cinderTime, type VolumeRecord } from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import { MemoryCinderStore } from '../helpers/memory-cinder-store.js';

function context(projectId: string, isAdmin: boolean): RequestContext {
  return {
    userId: 'u',
    userName: 'u',
    projectId,
    projectName: projectId,
    roles: isAdmin ? ['admin'] : ['member'],
    isAdmin,
    requestId: 'req-test',
    microversion: [3, 70],
  };
}

const ADMIN = context('p-admin', true);
const MEMBER = context('p-demo', false);

async function open() {
  let tick = 0;
  const store = new MemoryCinderStore();
  // Distinct creation times, so listing order is creation order.
  const now = () => new Date(Date.UTC(2026, 0, 1) + tick++ * 1000);
  const catalog = await CinderCatalog.open({ store, env: { now } });
  return { store, catalog };
}

function volume(id: string, projectId: string, volumeTypeId: string, size: number): VolumeRecord {
  const time = cinderTime(new Date(0));
  return {
    id,
    projectId,
    userId: 'u',
    name: id,
    description: null,
    size,
    status: 'available',
    previousStatus: null,
    attachStatus: 'detached',
    host: null,
    volumeTypeId,
    availabilityZone: 'nova',
    bootable: false,
    multiattach: false,
    snapshotId: null,
    sourceVolid: null,
    groupId: null,
    providerId: null,
    replicationStatus: 'disabled',
    metadata: {},
    adminMetadata: {},
    migrationStatus: null,
    createdAt: time,
    updatedAt: null,
    launchedAt: null,
    terminatedAt: null,
  };
}

function rejects(status: number, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof CinderError && error.status === status && pattern.test(error.message);
}

test('catalog types: is_public None/true/false for admins; members see public types and the private ones they were given', async () => {
  const { catalog } = await open();
  const types = catalog.types;
  await types.create({ name: 'public', description: null, isPublic: true });
  const secret = await types.create({ name: 'secret', description: null, isPublic: false });
  const names = (list: { name: string }[]) => list.map((t) => t.name);
  assert.deepEqual(names(types.list(ADMIN, null)), ['__DEFAULT__', 'public', 'secret']);
  assert.deepEqual(names(types.list(ADMIN, true)), ['__DEFAULT__', 'public']);
  assert.deepEqual(names(types.list(ADMIN, false)), ['secret']);
  assert.deepEqual(names(types.list(MEMBER, null)), ['__DEFAULT__', 'public']);
  assert.throws(() => catalog.resolveType('secret', MEMBER), rejects(404, /secret could not be found/));
  await types.addAccess(secret.id, MEMBER.projectId);
  assert.deepEqual(names(types.list(MEMBER, false)), ['__DEFAULT__', 'public', 'secret']);
  assert.equal(catalog.resolveType('secret', MEMBER).id, secret.id);
  await assert.rejects(types.addAccess(secret.id, MEMBER.projectId), rejects(409, /already exists/));
  assert.throws(() => types.accessList(catalog.defaultType().id), rejects(404, /public volume types/));
});

test('catalog types: unique names, the default type, and no changes while a volume uses the type', async () => {
  const { store, catalog } = await open();
  assert.equal(catalog.resolveType(null).name, '__DEFAULT__');
  const gold = await catalog.types.create({
    name: 'gold',
    description: 'fast',
    isPublic: true,
    extraSpecs: { a: '1' },
  });
  await assert.rejects(
    catalog.types.create({ name: 'gold', description: null, isPublic: true }),
    rejects(409, /gold/),
  );
  assert.deepEqual(await catalog.types.setExtraSpecs(gold.id, { replication_enabled: '<is> True' }), {
    replication_enabled: '<is> True',
  });
  await store.put('volume', volume('v1', MEMBER.projectId, gold.id, 1));
  await assert.rejects(catalog.types.setExtraSpecs(gold.id, { b: '2' }), rejects(400, /currently in use/));
  await assert.rejects(catalog.types.deleteExtraSpec(gold.id, 'a'), rejects(400, /currently in use/));
  await assert.rejects(catalog.types.delete(gold.id), rejects(400, /deletion is not allowed/));
  await assert.rejects(catalog.types.delete(catalog.defaultType().id), rejects(400, /Default volume type/));
  await store.remove('volume', 'v1');
  await catalog.types.delete(gold.id);
  assert.equal(catalog.findType(gold.id), undefined);
  await assert.rejects(
    catalog.types.setExtraSpecs(catalog.defaultType().id, { 'bad key!': 'x' }),
    rejects(400, /not a valid key/),
  );
});

test('catalog qos: one QoS entry per type; deleting an associated entry needs force', async () => {
  const { catalog } = await open();
  const gold = await catalog.types.create({ name: 'gold', description: null, isPublic: true });
  const fast = await catalog.qos.create('fast', { consumer: 'back-end', maxIOPS: '1000' });
  const slow = await catalog.qos.create('slow', { maxIOPS: '100' });
  assert.equal(slow.consumer, 'back-end');
  await assert.rejects(
    catalog.qos.create('odd', { consumer: 'nobody' }),
    rejects(400, /Consumer nobody is invalid/),
  );
  await catalog.qos.associate(fast.id, gold.id);
  await assert.rejects(catalog.qos.associate(slow.id, gold.id), rejects(400, /already associated/));
  assert.deepEqual(catalog.qosFor(catalog.getType(gold.id))?.specs, { maxIOPS: '1000' });
  await assert.rejects(catalog.qos.delete(fast.id, false), rejects(400, /still associated/));
  await catalog.qos.delete(fast.id, true);
  assert.equal(catalog.qosFor(catalog.getType(gold.id)), null);
});

test('catalog quotas: usage from the store, per-type keys, 413 past a limit, updates below usage refused', async () => {
  const { store, catalog } = await open();
  const gold = await catalog.types.create({ name: 'gold', description: null, isPublic: true });
  await store.put('volume', volume('v1', 'p1', gold.id, 5));
  await store.put('volume', volume('v2', 'p2', gold.id, 7));
  const limits = catalog.quotas.limits('p1');
  assert.deepEqual(
    [limits.volumes, limits.gigabytes, limits.volumes_gold, limits.per_volume_gigabytes],
    [10, 1000, -1, -1],
  );
  assert.deepEqual(catalog.quotas.usageDetail('p1').gigabytes_gold, { limit: -1, in_use: 5, reserved: 0 });
  assert.equal(catalog.quotas.absoluteLimits('p1').totalGigabytesUsed, 5);

  // cinderclient's quota-update sends tenant_id inside quota_set; Cinder skips it.
  await catalog.quotas.update('p1', { tenant_id: 'p1', volumes_gold: 1, per_volume_gigabytes: 10 });
  assert.throws(
    () => catalog.checkQuota('p1', { volumes: 1, gigabytes: 1, volumeTypeId: gold.id }),
    rejects(413, /volumes_gold/),
  );
  assert.throws(
    () => catalog.checkQuota('p1', { volumeSizeGiB: 11 }),
    rejects(413, /VolumeSizeExceedsLimit/),
  );
  catalog.checkQuota('p1', { volumes: 1, gigabytes: 1 });
  await catalog.quotas.update('p1', { gigabytes: 6 });
  assert.throws(
    () => catalog.checkQuota('p1', { gigabytes: 2 }),
    rejects(413, /VolumeSizeExceedsAvailableQuota/),
  );
  await assert.rejects(catalog.quotas.update('p1', { gigabytes: 4 }), rejects(400, /Current usage is 5/));
  await assert.rejects(catalog.quotas.update('p1', { bogus: 1 }), rejects(400, /Bad key/));
  await catalog.quotas.reset('p1');
  assert.equal(catalog.quotas.limits('p1').gigabytes, 1000);
});

test('catalog group types: specs, default group type, and no delete while a group uses it', async () => {
  const { store, catalog } = await open();
  assert.throws(() => catalog.groupTypes.defaultType(), rejects(404, /Default group type/));
  const cg = await catalog.groupTypes.create({ name: 'cg', description: null, isPublic: true });
  await catalog.groupTypes.setSpecs(cg.id, { consistent_group_snapshot_enabled: '<is> True' });
  assert.deepEqual(catalog.resolveGroupType('cg').groupSpecs, {
    consistent_group_snapshot_enabled: '<is> True',
  });
  await store.put('group', {
    id: 'g1',
    projectId: 'p1',
    userId: 'u',
    name: null,
    description: null,
    status: 'available',
    groupTypeId: cg.id,
    volumeTypeIds: [],
    host: null,
    availabilityZone: 'nova',
    groupSnapshotId: null,
    sourceGroupId: null,
    replicationStatus: 'disabled',
    createdAt: cinderTime(),
    updatedAt: null,
  });
  await assert.rejects(catalog.groupTypes.delete(cg.id), rejects(400, /groups present/));
});
