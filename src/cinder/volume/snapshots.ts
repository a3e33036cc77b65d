// Snapshots as Cinder runs them: checks (status, force before 3.66, frozen backend, quota), then
// the driver takes the snapshot on the array; delete and revert likewise.

import { cinderErrors } from '../errors.js';
import type { SnapshotRecord, SnapshotStatus, VolumeRecord } from '../model.js';
import { atLeast, type RequestContext } from '../request-context.js';
import {
  assertNotFrozen,
  backendOf,
  inListScope,
  newestFirst,
  newId,
  now,
  requireVolume,
  saveVolume,
  type VolumeServiceDeps,
  visibleRecord,
} from './deps.js';
import type { VolumeFilters } from './volume-api.js';

export function requireSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
): SnapshotRecord {
  return visibleRecord(deps, context, 'snapshot', id, cinderErrors.snapshotNotFound);
}

async function saveSnapshot(deps: VolumeServiceDeps, snapshot: SnapshotRecord): Promise<void> {
  snapshot.updatedAt = now();
  await deps.store.put('snapshot', snapshot);
}

export async function createSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: {
    volumeId: string;
    name: string | null;
    description: string | null;
    force: boolean | null;
    metadata: Record<string, string>;
  },
): Promise<SnapshotRecord> {
  const volume = requireVolume(deps, context, request.volumeId);
  assertNotFrozen(deps, volume.host);
  if (atLeast(context, 3, 66)) {
    // From 3.66 in-use volumes are snapshotted without force, and force=false is refused.
    if (request.force === false)
      throw cinderErrors.invalidInput(
        "Since microversion 3.66 the 'force' flag is invalid for this request.",
      );
  } else if (volume.status === 'in-use' && request.force !== true) {
    throw cinderErrors.invalidVolume(
      "Volume status must be 'available', or use force to snapshot an in-use volume.",
    );
  }
  if (!['available', 'in-use'].includes(volume.status))
    throw cinderErrors.invalidVolume(
      `Volume ${volume.id} status must be available or in-use, but current status is: ${volume.status}.`,
    );
  const type = deps.types.getType(volume.volumeTypeId) ?? null;
  deps.quotas.check(volume.projectId, { snapshots: 1 }, type);
  const snapshot: SnapshotRecord = {
    id: newId(),
    projectId: context.projectId,
    userId: context.userId,
    volumeId: volume.id,
    name: request.name,
    description: request.description,
    status: 'creating',
    volumeSize: volume.size,
    progress: '0%',
    providerId: null,
    groupSnapshotId: null,
    metadata: { ...request.metadata },
    createdAt: now(),
    updatedAt: null,
  };
  await deps.store.put('snapshot', snapshot);
  deps.tasks.run({ snapshot: snapshot.id, op: 'create' }, async () => {
    try {
      const update = await backendOf(deps, volume).port.driver.createSnapshot(snapshot, volume);
      snapshot.providerId = update.providerId ?? snapshot.id;
      if (update.metadata) snapshot.metadata = { ...snapshot.metadata, ...update.metadata };
      snapshot.status = 'available';
      snapshot.progress = '100%';
    } catch (error) {
      snapshot.status = 'error';
      deps.logger.warn({ snapshot: snapshot.id, err: (error as Error).message }, 'snapshot create failed');
    }
    await saveSnapshot(deps, snapshot);
  });
  return snapshot;
}

export function listSnapshots(
  deps: VolumeServiceDeps,
  context: RequestContext,
  filters: VolumeFilters & { volumeId?: string },
): SnapshotRecord[] {
  const snapshots = deps.store.list(
    'snapshot',
    (s) =>
      inListScope(context, filters, s.projectId) &&
      (filters.name === undefined || s.name === filters.name) &&
      (filters.status === undefined || s.status === filters.status) &&
      (filters.volumeId === undefined || s.volumeId === filters.volumeId),
  );
  snapshots.sort(newestFirst);
  return filters.limit !== undefined ? snapshots.slice(0, filters.limit) : snapshots;
}

export async function deleteSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  force: boolean,
): Promise<void> {
  const snapshot = requireSnapshot(deps, context, id);
  if (force && !context.isAdmin) throw cinderErrors.forbidden('volume:snapshot_force_delete');
  const volume = deps.store.get('volume', snapshot.volumeId);
  assertNotFrozen(deps, volume?.host ?? null);
  if (!force && !['available', 'error'].includes(snapshot.status))
    throw cinderErrors.invalidSnapshot('Volume Snapshot status must be available or error.');
  if (deps.store.list('volume', (v) => v.snapshotId === snapshot.id && v.status === 'creating').length > 0)
    throw cinderErrors.invalidSnapshot('Snapshot is being used to create a volume.');
  snapshot.status = 'deleting';
  await saveSnapshot(deps, snapshot);
  deps.tasks.run({ snapshot: snapshot.id, op: 'delete' }, async () => {
    try {
      if (volume && snapshot.providerId !== null)
        await backendOf(deps, volume).port.driver.deleteSnapshot(snapshot, volume);
      await deps.store.remove('snapshot', snapshot.id);
    } catch (error) {
      snapshot.status = 'error_deleting';
      await saveSnapshot(deps, snapshot);
      deps.logger.warn({ snapshot: snapshot.id, err: (error as Error).message }, 'snapshot delete failed');
    }
  });
}

export async function resetSnapshotStatus(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  status: string,
): Promise<void> {
  const snapshot = requireSnapshot(deps, context, id);
  const allowed: SnapshotStatus[] = ['available', 'error', 'creating', 'deleting', 'error_deleting'];
  if (!allowed.includes(status as SnapshotStatus))
    throw cinderErrors.invalidInput(`'${status}' is not a valid snapshot status.`);
  snapshot.status = status as SnapshotStatus;
  await saveSnapshot(deps, snapshot);
}

/** Revert a volume to its newest snapshot (3.40), as Cinder allows. */
export async function revertToSnapshot(
  deps: VolumeServiceDeps,
  context: RequestContext,
  volume: VolumeRecord,
  snapshotId: unknown,
): Promise<void> {
  if (typeof snapshotId !== 'string') throw cinderErrors.invalidInput('snapshot_id is required.');
  const snapshot = requireSnapshot(deps, context, snapshotId);
  if (snapshot.volumeId !== volume.id)
    throw cinderErrors.invalidInput('The snapshot does not belong to the volume.');
  const newest = deps.store.list('snapshot', (s) => s.volumeId === volume.id).sort(newestFirst)[0];
  if (newest?.id !== snapshot.id)
    throw cinderErrors.invalidInput('The volume can only be reverted to its latest snapshot.');
  if (volume.status !== 'available' || snapshot.status !== 'available')
    throw cinderErrors.invalidVolume('The volume and the snapshot must be available to revert.');
  if (snapshot.volumeSize !== volume.size)
    throw cinderErrors.invalidVolume('The volume size must be the snapshot size to revert.');
  assertNotFrozen(deps, volume.host);
  volume.status = 'reverting';
  snapshot.status = 'restoring';
  await saveVolume(deps, volume);
  await saveSnapshot(deps, snapshot);
  deps.tasks.run({ volume: volume.id, op: 'revert' }, async () => {
    try {
      await backendOf(deps, volume).port.driver.revertToSnapshot(volume, snapshot);
      volume.status = 'available';
    } catch (error) {
      volume.status = 'error';
      deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'revert failed');
    }
    snapshot.status = 'available';
    await saveVolume(deps, volume);
    await saveSnapshot(deps, snapshot);
  });
}
