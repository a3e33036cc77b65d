// The fake volume service's generic groups and group snapshots (see fake-volume-api.ts).

import { cinderErrors } from '../../src/cinder/errors.js';
import { cinderTime, type GroupRecord, type GroupSnapshotRecord } from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import type { FakeEnv } from './fake-env.js';

/** Generic groups: records only, the fake has no consistency-group snapshots to take. */
export class FakeGroups {
  constructor(private readonly env: FakeEnv) {}

  async create(
    context: RequestContext,
    request: {
      name: string | null;
      description: string | null;
      groupType: string;
      volumeTypes: string[];
      availabilityZone: string | null;
    },
  ): Promise<GroupRecord> {
    const groupType = this.env.catalog.resolveGroupType(request.groupType, context);
    const volumeTypeIds = request.volumeTypes.map((t) => this.env.catalog.resolveType(t, context).id);
    this.env.catalog.checkQuota(context.projectId, { groups: 1 });
    const group: GroupRecord = {
      id: this.env.newId(),
      projectId: context.projectId,
      userId: context.userId,
      name: request.name,
      description: request.description,
      status: 'available',
      groupTypeId: groupType.id,
      volumeTypeIds,
      host: `${this.env.volumeHost}#${this.env.pool}`,
      availabilityZone: request.availabilityZone ?? this.env.availabilityZone,
      groupSnapshotId: null,
      sourceGroupId: null,
      replicationStatus: 'disabled',
      createdAt: cinderTime(this.env.now()),
      updatedAt: null,
    };
    await this.env.store.put('group', group);
    return { ...group, status: 'creating' };
  }

  get(context: RequestContext, id: string): GroupRecord {
    const group = this.env.store.get('group', id);
    if (!group || (!context.isAdmin && group.projectId !== context.projectId))
      throw cinderErrors.groupNotFound(id);
    return group;
  }

  list(context: RequestContext, allTenants: boolean): GroupRecord[] {
    return this.env.store.list('group', (g) => allTenants || g.projectId === context.projectId);
  }

  async update(
    context: RequestContext,
    id: string,
    changes: {
      name?: string | null;
      description?: string | null;
      addVolumes: string[];
      removeVolumes: string[];
    },
  ): Promise<GroupRecord> {
    const group = this.get(context, id);
    for (const volumeId of changes.addVolumes) {
      const volume = this.env.store.get('volume', volumeId);
      if (!volume || (!context.isAdmin && volume.projectId !== context.projectId))
        throw cinderErrors.volumeNotFound(volumeId);
      if (!group.volumeTypeIds.includes(volume.volumeTypeId))
        throw cinderErrors.invalidVolume(`Volume ${volumeId}'s type is not one of the group's volume types.`);
      await this.env.store.put('volume', { ...volume, groupId: group.id });
    }
    for (const volumeId of changes.removeVolumes) {
      const volume = this.env.store.get('volume', volumeId);
      if (volume?.groupId === group.id) await this.env.store.put('volume', { ...volume, groupId: null });
    }
    const updated: GroupRecord = { ...group, updatedAt: cinderTime(this.env.now()) };
    if (changes.name !== undefined) updated.name = changes.name;
    if (changes.description !== undefined) updated.description = changes.description;
    await this.env.store.put('group', updated);
    return updated;
  }

  async delete(context: RequestContext, id: string, deleteVolumes: boolean): Promise<void> {
    const group = this.get(context, id);
    const volumes = this.env.store.list('volume', (v) => v.groupId === group.id);
    if (volumes.length > 0 && !deleteVolumes)
      throw cinderErrors.invalidGroup('Group has volumes; delete them first or use --delete-volumes.');
    for (const volume of volumes) {
      for (const snapshot of this.env.store.list('snapshot', (s) => s.volumeId === volume.id))
        await this.env.store.remove('snapshot', snapshot.id);
      await this.env.store.remove('volume', volume.id);
    }
    await this.env.store.remove('group', group.id);
  }

  async createSnapshot(
    context: RequestContext,
    request: { groupId: string; name: string | null; description: string | null },
  ): Promise<GroupSnapshotRecord> {
    const group = this.get(context, request.groupId);
    const record: GroupSnapshotRecord = {
      id: this.env.newId(),
      projectId: group.projectId,
      groupId: group.id,
      groupTypeId: group.groupTypeId,
      name: request.name,
      description: request.description,
      status: 'available',
      createdAt: cinderTime(this.env.now()),
      updatedAt: null,
    };
    await this.env.store.put('group_snapshot', record);
    return { ...record, status: 'creating' };
  }

  getSnapshot(context: RequestContext, id: string): GroupSnapshotRecord {
    const snapshot = this.env.store.get('group_snapshot', id);
    if (!snapshot || (!context.isAdmin && snapshot.projectId !== context.projectId))
      throw cinderErrors.groupSnapshotNotFound(id);
    return snapshot;
  }

  listSnapshots(context: RequestContext, allTenants: boolean): GroupSnapshotRecord[] {
    return this.env.store.list('group_snapshot', (s) => allTenants || s.projectId === context.projectId);
  }

  async deleteSnapshot(context: RequestContext, id: string): Promise<void> {
    await this.env.store.remove('group_snapshot', this.getSnapshot(context, id).id);
  }
}
