// Generic volume groups and their snapshots (3.13+/3.14+). With a group type asking for
// consistent snapshots, the FlashArray driver backs a group with a protection group, so a group
// snapshot is one crash-consistent point in time across its volumes.

import { cinderErrors } from '../errors.js';
import type { GroupRecord, GroupSnapshotRecord, SnapshotRecord, VolumeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import { choosePool } from '../scheduler/index.js';
import { newId, now, requireVolume, type VolumeServiceDeps, visibleRecord } from './deps.js';

/** The driver leaves groups without consistent snapshots to the manager (Cinder's generic groups). */
const generic = (error: unknown) => (error as Error).name === 'DriverNotImplemented';

function groupTypeOf(deps: VolumeServiceDeps, group: GroupRecord) {
  return deps.store.get('group_type', group.groupTypeId) ?? null;
}

export function requireGroup(deps: VolumeServiceDeps, context: RequestContext, id: string): GroupRecord {
  return visibleRecord(deps, context, 'group', id, cinderErrors.groupNotFound);
}

async function saveGroup(deps: VolumeServiceDeps, group: GroupRecord): Promise<void> {
  group.updatedAt = now();
  await deps.store.put('group', group);
}

export async function createGroup(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: {
    name: string | null;
    description: string | null;
    groupType: string;
    volumeTypes: string[];
    availabilityZone: string | null;
  },
): Promise<GroupRecord> {
  const groupType = deps.types.resolveGroupType(context, request.groupType);
  if (request.volumeTypes.length === 0)
    throw cinderErrors.invalidInput('volume_types must be provided to create group.');
  const types = request.volumeTypes.map((t) => deps.types.resolveType(context, t));
  deps.quotas.check(context.projectId, { groups: 1 }, null);
  const group: GroupRecord = {
    id: newId(),
    projectId: context.projectId,
    userId: context.userId,
    name: request.name,
    description: request.description,
    status: 'creating',
    groupTypeId: groupType.id,
    volumeTypeIds: types.map((t) => t.id),
    host: null,
    availabilityZone: request.availabilityZone ?? 'nova',
    groupSnapshotId: null,
    sourceGroupId: null,
    replicationStatus: 'disabled',
    createdAt: now(),
    updatedAt: null,
  };
  await deps.store.put('group', group);
  deps.tasks.run({ group: group.id, op: 'create' }, async () => {
    try {
      // One backend must take every volume type of the group.
      const pools = deps.backends.pools(() => true);
      const fits = pools.filter((pool) =>
        types.every((t) => choosePool([pool], { sizeGiB: 0, extraSpecs: t.extraSpecs }).ok),
      );
      const pool = fits[0];
      if (!pool) throw cinderErrors.noValidBackend('No backend takes every volume type of the group.');
      const backend = deps.backends.all.find((b) => b.poolName === pool.name)!;
      group.host = backend.poolName;
      try {
        const result = await backend.port.driver.createGroup(group, types, groupType);
        group.status = result.status === 'creating' ? 'available' : result.status;
      } catch (error) {
        if (!generic(error)) throw error;
        group.status = 'available';
      }
    } catch (error) {
      group.status = 'error';
      deps.logger.warn({ group: group.id, err: (error as Error).message }, 'group create failed');
    }
    await saveGroup(deps, group);
  });
  return group;
}

export async function updateGroup(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  changes: {
    name?: string | null;
    description?: string | null;
    addVolumes: string[];
    removeVolumes: string[];
  },
): Promise<GroupRecord> {
  const group = requireGroup(deps, context, id);
  if (changes.name !== undefined) group.name = changes.name;
  if (changes.description !== undefined) group.description = changes.description;
  const add = changes.addVolumes.map((v) => requireVolume(deps, context, v));
  const remove = changes.removeVolumes.map((v) => requireVolume(deps, context, v));
  for (const volume of add) {
    if (!group.volumeTypeIds.includes(volume.volumeTypeId))
      throw cinderErrors.invalidVolume(`Volume ${volume.id} is of a type the group does not support.`);
    if (volume.groupId && volume.groupId !== group.id)
      throw cinderErrors.invalidVolume(`Volume ${volume.id} is already in a group.`);
    if (volume.host?.split('#')[0] !== group.host?.split('#')[0])
      throw cinderErrors.invalidVolume(`Volume ${volume.id} is not on the group's backend.`);
  }
  for (const volume of remove)
    if (volume.groupId !== group.id)
      throw cinderErrors.invalidVolume(`Volume ${volume.id} is not in the group.`);
  if (add.length > 0 || remove.length > 0) {
    if (group.status !== 'available')
      throw cinderErrors.invalidGroup('Group status must be available to update its volumes.');
    const backend = deps.backends.forHost(group.host);
    try {
      if (backend) await backend.port.driver.updateGroup(group, add, remove, groupTypeOf(deps, group));
    } catch (error) {
      if (!generic(error)) throw error;
    }
    for (const volume of add)
      await deps.store.put('volume', { ...volume, groupId: group.id, updatedAt: now() });
    for (const volume of remove)
      await deps.store.put('volume', { ...volume, groupId: null, updatedAt: now() });
  }
  await saveGroup(deps, group);
  return group;
}

export async function deleteGroup(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  deleteVolumes: boolean,
) {
  const group = requireGroup(deps, context, id);
  const volumes = deps.store.list('volume', (v) => v.groupId === group.id);
  if (volumes.length > 0 && !deleteVolumes)
    throw cinderErrors.invalidGroup('Group must not contain volumes unless delete-volumes is set.');
  if (volumes.some((v) => v.attachStatus === 'attached'))
    throw cinderErrors.invalidGroup('A volume of the group is attached.');
  if (deps.store.list('group_snapshot', (s) => s.groupId === group.id).length > 0)
    throw cinderErrors.invalidGroup('Group has existing snapshots.');
  group.status = 'deleting';
  await saveGroup(deps, group);
  deps.tasks.run({ group: group.id, op: 'delete' }, async () => {
    try {
      const backend = deps.backends.forHost(group.host);
      if (backend) {
        try {
          await backend.port.driver.deleteGroup(group, volumes, groupTypeOf(deps, group));
        } catch (error) {
          if (!generic(error)) throw error;
          for (const volume of volumes)
            if (volume.providerId !== null) await backend.port.driver.deleteVolume(volume);
        }
      }
      await deps.store.write([
        ...volumes.flatMap((v) => [
          ...deps.store
            .list('snapshot', (s) => s.volumeId === v.id)
            .map((s) => ({ kind: 'snapshot' as const, id: s.id, record: null })),
          { kind: 'volume' as const, id: v.id, record: null },
        ]),
        { kind: 'group', id: group.id, record: null },
      ]);
    } catch (error) {
      group.status = 'error_deleting';
      await saveGroup(deps, group);
      deps.logger.warn({ group: group.id, err: (error as Error).message }, 'group delete failed');
    }
  });
}

export async function createGroupSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: { groupId: string; name: string | null; description: string | null },
): Promise<GroupSnapshotRecord> {
  const group = requireGroup(deps, context, request.groupId);
  if (group.status !== 'available')
    throw cinderErrors.invalidGroup('Group status must be available to snapshot.');
  const volumes: VolumeRecord[] = deps.store.list('volume', (v) => v.groupId === group.id);
  const groupSnapshot: GroupSnapshotRecord = {
    id: newId(),
    projectId: context.projectId,
    groupId: group.id,
    groupTypeId: group.groupTypeId,
    name: request.name,
    description: request.description,
    status: 'creating',
    createdAt: now(),
    updatedAt: null,
  };
  const snapshots: SnapshotRecord[] = volumes.map((volume) => ({
    id: newId(),
    projectId: context.projectId,
    userId: context.userId,
    volumeId: volume.id,
    name: `group-snapshot-${groupSnapshot.id}`,
    description: null,
    status: 'creating',
    volumeSize: volume.size,
    progress: '0%',
    providerId: null,
    groupSnapshotId: groupSnapshot.id,
    metadata: {},
    createdAt: now(),
    updatedAt: null,
  }));
  await deps.store.write([
    { kind: 'group_snapshot', id: groupSnapshot.id, record: groupSnapshot },
    ...snapshots.map((s) => ({ kind: 'snapshot' as const, id: s.id, record: s })),
  ]);
  deps.tasks.run({ groupSnapshot: groupSnapshot.id, op: 'create' }, async () => {
    let status: 'available' | 'error' = 'available';
    try {
      const backend = deps.backends.forHost(group.host);
      if (!backend) throw new Error('the group is on no backend');
      try {
        await backend.port.driver.createGroupSnapshot(
          groupSnapshot,
          group,
          snapshots,
          groupTypeOf(deps, group),
        );
      } catch (error) {
        if (!generic(error)) throw error;
        // Generic group: one snapshot per volume, not one point in time.
        for (const snapshot of snapshots) {
          const volume = volumes.find((v) => v.id === snapshot.volumeId)!;
          await backend.port.driver.createSnapshot(snapshot, volume);
        }
      }
    } catch (error) {
      status = 'error';
      deps.logger.warn(
        { groupSnapshot: groupSnapshot.id, err: (error as Error).message },
        'group snapshot failed',
      );
    }
    groupSnapshot.status = status;
    groupSnapshot.updatedAt = now();
    await deps.store.write([
      { kind: 'group_snapshot', id: groupSnapshot.id, record: groupSnapshot },
      ...snapshots.map((s) => ({
        kind: 'snapshot' as const,
        id: s.id,
        record: {
          ...s,
          status,
          progress: status === 'available' ? '100%' : '0%',
          providerId: s.id,
          updatedAt: now(),
        },
      })),
    ]);
  });
  return groupSnapshot;
}

export async function deleteGroupSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
): Promise<void> {
  const groupSnapshot = visibleRecord(
    deps,
    context,
    'group_snapshot',
    id,
    cinderErrors.groupSnapshotNotFound,
  );
  const group = deps.store.get('group', groupSnapshot.groupId);
  groupSnapshot.status = 'deleting';
  await deps.store.put('group_snapshot', groupSnapshot);
  deps.tasks.run({ groupSnapshot: id, op: 'delete' }, async () => {
    try {
      const backend = group ? deps.backends.forHost(group.host) : undefined;
      const members = deps.store.list('snapshot', (s) => s.groupSnapshotId === id);
      if (backend && group) {
        try {
          await backend.port.driver.deleteGroupSnapshot(groupSnapshot, group, groupTypeOf(deps, group));
        } catch (error) {
          if (!generic(error)) throw error;
          for (const snapshot of members) {
            const volume = deps.store.get('volume', snapshot.volumeId);
            if (volume) await backend.port.driver.deleteSnapshot(snapshot, volume);
          }
        }
      }
      await deps.store.write([
        ...members.map((s) => ({ kind: 'snapshot' as const, id: s.id, record: null })),
        { kind: 'group_snapshot', id, record: null },
      ]);
    } catch (error) {
      groupSnapshot.status = 'error_deleting';
      await deps.store.put('group_snapshot', groupSnapshot);
      deps.logger.warn({ groupSnapshot: id, err: (error as Error).message }, 'group snapshot delete failed');
    }
  });
}
