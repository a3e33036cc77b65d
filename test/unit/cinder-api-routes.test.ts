// The Cinder routes over HTTP in-process, for what the CLI scenarios do not reach: volume actions
// and metadata, snapshot metadata, type access, quota updates and 413, services enable/disable,
// reserve-only attachments, and the group APIs with their microversion gates.

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  ADMIN_PROJECT_ID,
  DEMO_PROJECT_ID,
  type Harness,
  startHarness,
  USERS,
} from '../helpers/cinder-api-harness.js';

const BASE = `/v3/${ADMIN_PROJECT_ID}`;

async function harness(t: TestContext): Promise<Harness & { admin: string; member: string }> {
  const h = await startHarness();
  t.after(() => h.close());
  return Object.assign(h, { admin: await h.token(), member: await h.token(USERS.demo) });
}

test('volume actions and metadata: extend, bootable, reset-status is admin-only, metadata add/replace/delete', async (t) => {
  const h = await harness(t);
  const created = await h.http('POST', `${BASE}/volumes`, {
    token: h.admin,
    body: {
      volume: {
        size: 1,
        name: 'v',
        description: null,
        metadata: { a: '1' },
        imageRef: null,
        volume_type: null,
      },
    },
  });
  assert.equal(created.status, 202);
  const id = created.body.volume.id;
  const action = (body: object, token = h.admin) =>
    h.http('POST', `${BASE}/volumes/${id}/action`, { token, body });

  assert.equal((await action({ 'os-extend': { new_size: 2 } })).status, 202);
  assert.equal((await action({ 'os-set_bootable': { bootable: 'true' } })).status, 200);
  const shown = await h.http('GET', `${BASE}/volumes/${id}`, { token: h.admin });
  assert.deepEqual([shown.body.volume.size, shown.body.volume.bootable], [2, 'true']);
  const shrink = await action({ 'os-extend': { new_size: 1 } });
  assert.match(shrink.body.badRequest.message, /^Invalid input received: New size for extend/);
  const unknown = await action({ 'os-migrate_volume': {} });
  assert.deepEqual(unknown.body, {
    badRequest: { code: 400, message: 'There is no such action: os-migrate_volume' },
  });
  const connection = await action({ 'os-initialize_connection': { connector: { initiator: 'iqn.x' } } });
  assert.deepEqual([connection.status, connection.body.connection_info.driver_volume_type], [200, 'iscsi']);

  const added = await h.http('POST', `${BASE}/volumes/${id}/metadata`, {
    token: h.admin,
    body: { metadata: { b: '2' } },
  });
  assert.deepEqual(added.body, { metadata: { a: '1', b: '2' } });
  const replaced = await h.http('PUT', `${BASE}/volumes/${id}/metadata`, {
    token: h.admin,
    body: { metadata: { c: '3' } },
  });
  assert.deepEqual(replaced.body, { metadata: { c: '3' } });
  const item = await h.http('PUT', `${BASE}/volumes/${id}/metadata/c`, {
    token: h.admin,
    body: { meta: { c: '4' } },
  });
  assert.deepEqual(item.body, { meta: { c: '4' } });
  const mismatch = await h.http('PUT', `${BASE}/volumes/${id}/metadata/c`, {
    token: h.admin,
    body: { meta: { d: '4' } },
  });
  assert.equal(mismatch.status, 400);
  assert.equal((await h.http('DELETE', `${BASE}/volumes/${id}/metadata/c`, { token: h.admin })).status, 200);
  assert.equal((await h.http('GET', `${BASE}/volumes/${id}/metadata/c`, { token: h.admin })).status, 404);

  const memberVolume = await h.http('POST', `/v3/${DEMO_PROJECT_ID}/volumes`, {
    token: h.member,
    body: { volume: { size: 1 } },
  });
  const reset = await h.http('POST', `/v3/${DEMO_PROJECT_ID}/volumes/${memberVolume.body.volume.id}/action`, {
    token: h.member,
    body: { 'os-reset_status': { status: 'error' } },
  });
  assert.deepEqual(reset.body, {
    forbidden: {
      code: 403,
      message: "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed.",
    },
  });
  // The member's view lacks the admin-only fields.
  const memberView = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/volumes/${memberVolume.body.volume.id}`, {
    token: h.member,
  });
  assert.equal('os-vol-host-attr:host' in memberView.body.volume, false);
  assert.equal(memberView.body.volume.volume_type, '__DEFAULT__');
});

test('snapshots: force=false is refused from 3.66, metadata writes, admin-only reset and force delete', async (t) => {
  const h = await harness(t);
  const volume = await h.http('POST', `${BASE}/volumes`, { token: h.admin, body: { volume: { size: 1 } } });
  const volumeId = volume.body.volume.id;
  const create = (version: string, force?: boolean) =>
    h.http('POST', `${BASE}/snapshots`, {
      token: h.admin,
      version,
      body: { snapshot: { volume_id: volumeId, name: 's', ...(force === undefined ? {} : { force }) } },
    });
  assert.match(
    (await create('volume 3.66', false)).body.badRequest.message,
    /^Since microversion 3.66 the 'force' flag/,
  );
  const snapshot = await create('volume 3.0', false);
  assert.equal(snapshot.status, 202);
  assert.equal('user_id' in snapshot.body.snapshot, false);
  const id = snapshot.body.snapshot.id;
  const meta = await h.http('POST', `${BASE}/snapshots/${id}/metadata`, {
    token: h.admin,
    body: { metadata: { k: 'v' } },
  });
  assert.deepEqual(meta.body, { metadata: { k: 'v' } });
  const reset = await h.http('POST', `${BASE}/snapshots/${id}/action`, {
    token: h.admin,
    body: { 'os-reset_status': { status: 'error' } },
  });
  assert.equal(reset.status, 202);
  assert.equal(h.store.get('snapshot', id)?.status, 'error');
  const deleted = await h.http('POST', `${BASE}/snapshots/${id}/action`, {
    token: h.admin,
    body: { 'os-force_delete': {} },
  });
  assert.equal(deleted.status, 202);
  assert.equal(h.store.get('snapshot', id), undefined);
});

test('types over HTTP: private access list, member visibility, extra spec key routes, is_public filter errors', async (t) => {
  const h = await harness(t);
  const created = await h.http('POST', `${BASE}/types`, {
    token: h.admin,
    body: { volume_type: { name: 'private', description: null, 'os-volume-type-access:is_public': false } },
  });
  assert.deepEqual(
    [created.status, created.body.volume_type.extra_specs, created.body.volume_type.is_public],
    [200, {}, false],
  );
  const id = created.body.volume_type.id;
  const hidden = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/types/${id}`, { token: h.member });
  assert.equal(hidden.status, 404);
  const add = await h.http('POST', `${BASE}/types/${id}/action`, {
    token: h.admin,
    body: { addProjectAccess: { project: DEMO_PROJECT_ID } },
  });
  assert.equal(add.status, 202);
  const access = await h.http('GET', `${BASE}/types/${id}/os-volume-type-access`, { token: h.admin });
  assert.deepEqual(access.body, {
    volume_type_access: [{ volume_type_id: id, project_id: DEMO_PROJECT_ID }],
  });
  const visible = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/types?is_public=None`, { token: h.member });
  assert.deepEqual(
    visible.body.volume_types.map((t: { name: string }) => t.name),
    ['__DEFAULT__', 'private'],
  );
  assert.equal('qos_specs_id' in visible.body.volume_types[0], false);

  const put = await h.http('PUT', `${BASE}/types/${id}/extra_specs/k`, { token: h.admin, body: { k: 'v' } });
  assert.deepEqual(put.body, { k: 'v' });
  assert.deepEqual((await h.http('GET', `${BASE}/types/${id}/extra_specs/k`, { token: h.admin })).body, {
    k: 'v',
  });
  assert.equal((await h.http('DELETE', `${BASE}/types/${id}/extra_specs/k`, { token: h.admin })).status, 202);
  assert.equal((await h.http('GET', `${BASE}/types/${id}/extra_specs/k`, { token: h.admin })).status, 404);
  const badFilter = await h.http('GET', `${BASE}/types?is_public=maybe`, { token: h.admin });
  assert.deepEqual(badFilter.body, {
    badRequest: { code: 400, message: 'Invalid is_public filter [maybe]' },
  });
  const renamed = await h.http('PUT', `${BASE}/types/${id}`, {
    token: h.admin,
    body: { volume_type: { name: 'renamed' } },
  });
  assert.equal(renamed.body.volume_type.name, 'renamed');
  const defaultType = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/types/default`, { token: h.member });
  assert.equal(defaultType.body.volume_type.name, '__DEFAULT__');
});

test('quotas over HTTP: admin update, usage view, 413 overLimit on create, members refused for other projects', async (t) => {
  const h = await harness(t);
  const update = await h.http('PUT', `${BASE}/os-quota-sets/${DEMO_PROJECT_ID}`, {
    token: h.admin,
    body: { quota_set: { volumes: 1 } },
  });
  assert.equal(update.body.quota_set.volumes, 1);
  const first = await h.http('POST', `/v3/${DEMO_PROJECT_ID}/volumes`, {
    token: h.member,
    body: { volume: { size: 1 } },
  });
  assert.equal(first.status, 202);
  const second = await h.http('POST', `/v3/${DEMO_PROJECT_ID}/volumes`, {
    token: h.member,
    body: { volume: { size: 1 } },
  });
  assert.deepEqual([second.status, second.body.overLimit.code], [413, 413]);
  const usage = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/os-quota-sets/${DEMO_PROJECT_ID}?usage=True`, {
    token: h.member,
  });
  assert.deepEqual(usage.body.quota_set.volumes, { limit: 1, in_use: 1, reserved: 0 });
  const others = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/os-quota-sets/${ADMIN_PROJECT_ID}`, {
    token: h.member,
  });
  assert.equal(others.status, 403);
  const memberUpdate = await h.http('PUT', `/v3/${DEMO_PROJECT_ID}/os-quota-sets/${DEMO_PROJECT_ID}`, {
    token: h.member,
    body: { quota_set: { volumes: 5 } },
  });
  assert.equal(memberUpdate.status, 403);
  const defaults = await h.http('GET', `${BASE}/os-quota-sets/${DEMO_PROJECT_ID}/defaults`, {
    token: h.admin,
  });
  assert.equal(defaults.body.quota_set.volumes, 10);
});

test('services and attachments over HTTP: disable with a reason, host filtering, reserve-only attachment, failover checks', async (t) => {
  const h = await harness(t);
  const disabled = await h.http('PUT', `${BASE}/os-services/disable-log-reason`, {
    token: h.admin,
    body: { host: 'tandem@pure', binary: 'cinder-volume', disabled_reason: 'maintenance' },
  });
  assert.deepEqual(disabled.body, {
    host: 'tandem@pure',
    service: 'cinder-volume',
    binary: 'cinder-volume',
    status: 'disabled',
    disabled: true,
    disabled_reason: 'maintenance',
  });
  const filtered = await h.http('GET', `${BASE}/os-services?binary=cinder-scheduler`, {
    token: h.admin,
    version: 'volume 3.49',
  });
  assert.deepEqual(
    filtered.body.services.map((s: { binary: string }) => s.binary),
    ['cinder-scheduler'],
  );
  assert.equal('backend_state' in filtered.body.services[0], false);
  const noHost = await h.http('PUT', `${BASE}/os-services/freeze`, { token: h.admin, body: {} });
  assert.deepEqual(noHost.body, { badRequest: { code: 400, message: 'Host field is missing.' } });
  const unknownHost = await h.http('PUT', `${BASE}/os-services/failover_host`, {
    token: h.admin,
    body: { host: 'x', backend_id: null },
  });
  assert.deepEqual(unknownHost.body, { badRequest: { code: 400, message: 'No service found with host=x' } });
  const pools = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/scheduler-stats/get_pools`, { token: h.member });
  assert.equal(pools.status, 403);

  await h.http('PUT', `${BASE}/os-services/enable`, {
    token: h.admin,
    body: { host: 'tandem@pure', binary: 'cinder-volume' },
  });
  const volume = await h.http('POST', `${BASE}/volumes`, { token: h.admin, body: { volume: { size: 1 } } });
  const reserved = await h.http('POST', `${BASE}/attachments`, {
    token: h.admin,
    version: 'volume 3.27',
    body: { attachment: { volume_uuid: volume.body.volume.id, instance_uuid: null, connector: {} } },
  });
  assert.deepEqual(
    [reserved.status, reserved.body.attachment.status, reserved.body.attachment.connection_info],
    [200, 'reserved', null],
  );
  assert.equal(h.store.get('volume', volume.body.volume.id)?.status, 'reserved');
  const complete326 = await h.http('POST', `${BASE}/attachments/${reserved.body.attachment.id}/action`, {
    token: h.admin,
    version: 'volume 3.43',
    body: { 'os-complete': null },
  });
  assert.equal(complete326.status, 400);
  const removed = await h.http('DELETE', `${BASE}/attachments/${reserved.body.attachment.id}`, {
    token: h.admin,
    version: 'volume 3.27',
  });
  assert.deepEqual(removed.body, { attachments: [] });
});

test('groups over HTTP: group types at 3.11, groups at 3.13, group snapshots at 3.14, each 404 below', async (t) => {
  const h = await harness(t);
  const v = (minor: number) => `volume 3.${minor}`;
  assert.equal((await h.http('GET', `${BASE}/group_types`, { token: h.admin, version: v(10) })).status, 404);
  const groupType = await h.http('POST', `${BASE}/group_types`, {
    token: h.admin,
    version: v(11),
    body: { group_type: { name: 'cg', group_specs: { consistent_group_snapshot_enabled: '<is> True' } } },
  });
  assert.deepEqual(groupType.body.group_type.group_specs, { consistent_group_snapshot_enabled: '<is> True' });
  assert.equal((await h.http('GET', `${BASE}/groups`, { token: h.admin, version: v(12) })).status, 404);
  const group = await h.http('POST', `${BASE}/groups`, {
    token: h.admin,
    version: v(13),
    body: { group: { name: 'g', group_type: 'cg', volume_types: ['__DEFAULT__'], availability_zone: null } },
  });
  assert.equal(group.status, 202);
  const groupId = group.body.group.id;
  const volume = await h.http('POST', `${BASE}/volumes`, {
    token: h.admin,
    version: v(13),
    body: { volume: { size: 1, group_id: groupId } },
  });
  assert.equal(volume.body.volume.group_id, groupId);
  const detail = await h.http('GET', `${BASE}/groups/${groupId}?list_volume=True`, {
    token: h.admin,
    version: v(25),
  });
  assert.deepEqual(detail.body.group.volumes, [volume.body.volume.id]);
  assert.equal(
    (await h.http('GET', `${BASE}/group_snapshots`, { token: h.admin, version: v(13) })).status,
    404,
  );
  const snapshot = await h.http('POST', `${BASE}/group_snapshots`, {
    token: h.admin,
    version: v(14),
    body: { group_snapshot: { group_id: groupId, name: 'gs' } },
  });
  assert.deepEqual([snapshot.status, snapshot.body.group_snapshot.group_id], [202, groupId]);
  const snapshots = await h.http('GET', `${BASE}/group_snapshots/detail`, { token: h.admin, version: v(14) });
  assert.deepEqual(
    snapshots.body.group_snapshots.map((s: { name: string }) => s.name),
    ['gs'],
  );
  const refused = await h.http('POST', `${BASE}/groups/${groupId}/action`, {
    token: h.admin,
    version: v(14),
    body: { delete: {} },
  });
  assert.equal(refused.status, 400);
  const deleted = await h.http('POST', `${BASE}/groups/${groupId}/action`, {
    token: h.admin,
    version: v(14),
    body: { delete: { 'delete-volumes': true } },
  });
  assert.equal(deleted.status, 202);
  assert.deepEqual([h.store.list('group').length, h.store.list('volume').length], [0, 0]);
});
