// The fake volume service's snapshots (see fake-volume-api.ts): taken at once ('creating' in the
// answer, 'available' in the store), refused on a frozen backend, and an in-use volume needs force
// (the API passes force=true from 3.66 on, when Cinder stopped asking for it).

import { CinderError, cinderErrors } from '../../src/cinder/errors.js';
import { cinderTime, type SnapshotRecord, type VolumeRecord } from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import type { VolumeFilters } from '../../src/cinder/volume/volume-api.js';
import { type FakeEnv, page, visible } from './fake-env.js';

export interface NewSnapshot {
  volumeId: string;
  name: string | null;
  description: string | null;
  force: boolean | null;
  metadata: Record<string, string>;
}

export class FakeSnapshots {
  constructor(
    private readonly env: FakeEnv,
    private readonly getVolume: (context: RequestContext, id: string) => VolumeRecord,
    private readonly isFrozen: (volumeHost: string | null) => boolean,
  ) {}

  async create(context: RequestContext, request: NewSnapshot): Promise<SnapshotRecord> {
    const volume = this.getVolume(context, request.volumeId);
    if (this.isFrozen(volume.host)) throw cinderErrors.frozen();
    const allowed = request.force === true ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(volume.status))
      throw cinderErrors.invalidVolume(
        `Volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
      );
    this.env.catalog.checkQuota(context.projectId, {
      snapshots: 1,
      gigabytes: volume.size,
      volumeTypeId: volume.volumeTypeId,
    });
    const now = cinderTime(this.env.now());
    const snapshot: SnapshotRecord = {
      id: this.env.newId(),
      projectId: context.projectId,
      userId: context.userId,
      volumeId: volume.id,
      name: request.name,
      description: request.description,
      status: 'available',
      volumeSize: volume.size,
      progress: '100%',
      providerId: null,
      groupSnapshotId: null,
      metadata: { ...request.metadata },
      createdAt: now,
      updatedAt: now,
    };
    await this.env.store.put('snapshot', snapshot);
    return { ...snapshot, status: 'creating', progress: '0%' };
  }

  get(context: RequestContext, id: string): SnapshotRecord {
    const snapshot = this.env.store.get('snapshot', id);
    if (!snapshot || !visible(context, snapshot.projectId)) throw cinderErrors.snapshotNotFound(id);
    return snapshot;
  }

  list(context: RequestContext, filters: VolumeFilters & { volumeId?: string }): SnapshotRecord[] {
    const project = filters.projectId ?? (filters.allTenants ? undefined : context.projectId);
    const snapshots = this.env.store.list(
      'snapshot',
      (s) =>
        (project === undefined || s.projectId === project) &&
        (filters.name === undefined || s.name === filters.name) &&
        (filters.status === undefined || s.status === filters.status) &&
        (filters.volumeId === undefined || s.volumeId === filters.volumeId),
    );
    return page(snapshots, filters);
  }

  async update(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null },
  ): Promise<SnapshotRecord> {
    const snapshot = this.get(context, id);
    if (changes.name !== undefined) snapshot.name = changes.name;
    if (changes.description !== undefined) snapshot.description = changes.description;
    return this.save(snapshot);
  }

  async delete(context: RequestContext, id: string, force: boolean): Promise<void> {
    const snapshot = this.get(context, id);
    const volume = this.env.store.get('volume', snapshot.volumeId);
    if (this.isFrozen(volume?.host ?? null)) throw cinderErrors.frozen();
    if (!force && snapshot.status !== 'available' && snapshot.status !== 'error')
      throw cinderErrors.invalidSnapshot(
        'Volume Snapshot status must be available or error and must not be part of a group.',
      );
    await this.env.store.remove('snapshot', snapshot.id);
  }

  async resetStatus(context: RequestContext, id: string, status: string): Promise<void> {
    const snapshot = this.get(context, id);
    snapshot.status = status as SnapshotRecord['status'];
    await this.save(snapshot);
  }

  async setMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    const snapshot = this.get(context, id);
    snapshot.metadata = replace ? { ...metadata } : { ...snapshot.metadata, ...metadata };
    return (await this.save(snapshot)).metadata;
  }

  async deleteMetadata(context: RequestContext, id: string, key: string): Promise<void> {
    const snapshot = this.get(context, id);
    if (!(key in snapshot.metadata))
      throw new CinderError(404, `Snapshot ${id} has no metadata with key ${key}.`);
    delete snapshot.metadata[key];
    await this.save(snapshot);
  }

  private async save(snapshot: SnapshotRecord): Promise<SnapshotRecord> {
    snapshot.updatedAt = cinderTime(this.env.now());
    await this.env.store.put('snapshot', snapshot);
    return snapshot;
  }
}
