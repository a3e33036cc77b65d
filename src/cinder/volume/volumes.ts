// Volume lifecycle as cinder/volume/api.py and manager.py run it: checks and quota at the API,
// then (after the 202) the scheduler picks a pool and the backend's driver creates the volume on
// the array; deletes, extends and retypes go the same way, each with Cinder's intermediate and
// error statuses.

import type { DriverVolume, VolumeModelUpdate } from '../driver/volume-driver.js';
import { CinderError, cinderErrors } from '../errors.js';
import type { SnapshotRecord, VolumeRecord, VolumeStatus, VolumeTypeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import { choosePool } from '../scheduler/index.js';
import type { BackendState } from './backends.js';
import {
  assertNotFrozen,
  backendOf,
  inListScope,
  isReplicatedType,
  newestFirst,
  newId,
  now,
  requireVolume,
  saveVolume,
  type VolumeServiceDeps,
  visibleRecord,
} from './deps.js';
import {
  type CreateVolumeRequest,
  DELETABLE_VOLUME_STATUSES,
  type ManageVolumeRequest,
  type VolumeFilters,
} from './volume-api.js';

/** The volume with its type and QoS specs resolved, as drivers take it. */
export function driverVolume(deps: VolumeServiceDeps, volume: VolumeRecord): DriverVolume {
  const type = deps.types.getType(volume.volumeTypeId) ?? null;
  return { volume, type, qosSpecs: type ? deps.types.qosSpecsFor(type) : null };
}

export function applyModelUpdate(volume: VolumeRecord, update: VolumeModelUpdate | null): void {
  if (!update) return;
  if (update.providerId !== undefined) volume.providerId = update.providerId;
  if (update.replicationStatus !== undefined) volume.replicationStatus = update.replicationStatus;
  if (update.status !== undefined) volume.status = update.status;
  if (update.metadata !== undefined) volume.metadata = { ...volume.metadata, ...update.metadata };
}

function positiveSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0)
    throw cinderErrors.invalidInput(`Volume size '${String(size)}' must be an integer and greater than 0`);
  return size;
}

export async function createVolume(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: CreateVolumeRequest,
): Promise<VolumeRecord> {
  let snapshot: SnapshotRecord | undefined;
  let source: VolumeRecord | undefined;
  if (request.snapshotId) {
    snapshot = visibleRecord(deps, context, 'snapshot', request.snapshotId, cinderErrors.snapshotNotFound);
    if (snapshot.status !== 'available')
      throw cinderErrors.invalidSnapshot('Originating snapshot status must be one of available values');
  }
  if (request.sourceVolid) {
    source = requireVolume(deps, context, request.sourceVolid);
    if (!['available', 'in-use'].includes(source.status))
      throw cinderErrors.invalidVolume('Source volume status must be available or in-use.');
  }
  const minimum = snapshot?.volumeSize ?? source?.size ?? 1;
  const size = request.size === null && (snapshot || source) ? minimum : positiveSize(request.size);
  if (size < minimum)
    throw cinderErrors.invalidInput(`Volume size ${size}GB cannot be smaller than the source ${minimum}GB.`);
  const origin = snapshot ? deps.store.get('volume', snapshot.volumeId) : source;
  const type = request.volumeType
    ? deps.types.resolveType(context, request.volumeType)
    : origin
      ? (deps.types.getType(origin.volumeTypeId) ?? deps.types.defaultType())
      : deps.types.defaultType();
  deps.quotas.check(context.projectId, { volumes: 1, gigabytes: size }, type);
  const volume: VolumeRecord = {
    id: newId(),
    projectId: context.projectId,
    userId: context.userId,
    name: request.name,
    description: request.description,
    size,
    status: 'creating',
    previousStatus: null,
    attachStatus: 'detached',
    host: null,
    volumeTypeId: type.id,
    availabilityZone: request.availabilityZone ?? 'nova',
    bootable: false,
    multiattach: request.multiattach || type.extraSpecs.multiattach === '<is> True',
    snapshotId: snapshot?.id ?? null,
    sourceVolid: source?.id ?? null,
    groupId: request.groupId,
    providerId: null,
    replicationStatus: isReplicatedType(type) ? 'enabled' : 'disabled',
    metadata: { ...request.metadata },
    adminMetadata: {},
    migrationStatus: null,
    createdAt: now(),
    updatedAt: null,
    launchedAt: null,
    terminatedAt: null,
  };
  await deps.store.put('volume', volume);
  deps.tasks.run({ volume: volume.id, op: 'create' }, () =>
    finishCreate(deps, volume.id, type, snapshot, origin),
  );
  return volume;
}

/** The manager's half of a create: schedule, then the driver; errors leave the volume in error. */
async function finishCreate(
  deps: VolumeServiceDeps,
  volumeId: string,
  type: VolumeTypeRecord,
  snapshot: SnapshotRecord | undefined,
  origin: VolumeRecord | undefined,
): Promise<void> {
  const volume = deps.store.get('volume', volumeId);
  if (!volume) return;
  try {
    // A copy stays on its source's backend, as Cinder's scheduler requires.
    const backend = origin ? backendOf(deps, origin) : schedule(deps, volume, type);
    volume.host = backend.poolName;
    volume.availabilityZone = backend.port.availabilityZone;
    await saveVolume(deps, volume);
    const driver = backend.port.driver;
    const target = driverVolume(deps, volume);
    const update = snapshot
      ? await driver.createVolumeFromSnapshot(target, snapshot, origin!)
      : origin
        ? await driver.createClonedVolume(target, origin)
        : await driver.createVolume(target);
    applyModelUpdate(volume, update);
    if (volume.status === 'creating') volume.status = 'available';
    volume.launchedAt = now();
  } catch (error) {
    volume.status = 'error';
    deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'volume create failed');
  }
  await saveVolume(deps, volume);
}

function schedule(deps: VolumeServiceDeps, volume: VolumeRecord, type: VolumeTypeRecord): BackendState {
  const usable = (backend: BackendState) => {
    const service = deps.store.list('service', (s) => s.host === backend.serviceHost)[0];
    return service !== undefined && !service.disabled;
  };
  const choice = choosePool(deps.backends.pools(usable), {
    sizeGiB: volume.size,
    extraSpecs: type.extraSpecs,
    ...(volume.availabilityZone !== 'nova' ? { availabilityZone: volume.availabilityZone } : {}),
  });
  if (!choice.ok) throw cinderErrors.noValidBackend(choice.reason);
  return deps.backends.all.find((b) => b.poolName === choice.pool.name)!;
}

export function listVolumes(
  deps: VolumeServiceDeps,
  context: RequestContext,
  filters: VolumeFilters,
): VolumeRecord[] {
  let volumes = deps.store.list(
    'volume',
    (v) =>
      inListScope(context, filters, v.projectId) &&
      (filters.name === undefined || v.name === filters.name) &&
      (filters.status === undefined || v.status === filters.status),
  );
  volumes.sort(newestFirst);
  if (filters.marker !== undefined) {
    const at = volumes.findIndex((v) => v.id === filters.marker);
    if (at < 0) throw new CinderError(400, `Invalid input received: marker [${filters.marker}] not found`);
    volumes = volumes.slice(at + 1);
  }
  return filters.limit !== undefined ? volumes.slice(0, filters.limit) : volumes;
}

export async function deleteVolume(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  options: { cascade: boolean; force: boolean },
): Promise<void> {
  const volume = requireVolume(deps, context, id);
  if (options.force && !context.isAdmin) throw cinderErrors.forbidden('volume:force_delete');
  assertNotFrozen(deps, volume.host);
  if (!options.force) {
    if (volume.attachStatus === 'attached' || volume.status === 'in-use')
      throw cinderErrors.invalidVolume(
        'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.',
      );
    if (!DELETABLE_VOLUME_STATUSES.includes(volume.status))
      throw cinderErrors.invalidVolume(
        `Volume status must be available or error, but current status is: ${volume.status}.`,
      );
  }
  const snapshots = deps.store.list('snapshot', (s) => s.volumeId === volume.id);
  if (snapshots.length > 0 && !options.cascade)
    throw cinderErrors.invalidVolume(`Volume still has ${snapshots.length} dependent snapshots.`);
  volume.status = 'deleting';
  volume.previousStatus = null;
  await saveVolume(deps, volume);
  deps.tasks.run({ volume: volume.id, op: 'delete' }, () => finishDelete(deps, volume.id));
}

async function finishDelete(deps: VolumeServiceDeps, volumeId: string): Promise<void> {
  const volume = deps.store.get('volume', volumeId);
  if (!volume) return;
  try {
    const backend = deps.backends.forHost(volume.host);
    for (const snapshot of deps.store.list('snapshot', (s) => s.volumeId === volume.id)) {
      if (backend && snapshot.providerId !== null) await backend.port.driver.deleteSnapshot(snapshot, volume);
      await deps.store.remove('snapshot', snapshot.id);
    }
    // A volume that never reached a backend has nothing on any array.
    if (backend && volume.providerId !== null) await backend.port.driver.deleteVolume(volume);
    const attachments = deps.store.list('attachment', (a) => a.volumeId === volume.id);
    await deps.store.write([
      ...attachments.map((a) => ({ kind: 'attachment' as const, id: a.id, record: null })),
      { kind: 'volume', id: volume.id, record: null },
    ]);
  } catch (error) {
    volume.status = 'error_deleting';
    await saveVolume(deps, volume);
    deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'volume delete failed');
  }
}

export async function extendVolume(
  deps: VolumeServiceDeps,
  context: RequestContext,
  volume: VolumeRecord,
  newSize: unknown,
): Promise<void> {
  const size = positiveSize(newSize);
  if (volume.status !== 'available' && !(volume.status === 'in-use' && context.microversion[1] >= 42))
    throw cinderErrors.invalidVolume(
      `Volume status must be 'available' or 'in-use' to extend, currently ${volume.status}.`,
    );
  if (size <= volume.size)
    throw cinderErrors.invalidInput(
      `New size for extend must be greater than current size. (current: ${volume.size}, extended: ${size}).`,
    );
  const type = deps.types.getType(volume.volumeTypeId) ?? null;
  deps.quotas.check(volume.projectId, { gigabytes: size - volume.size }, type);
  const previous = volume.status;
  volume.status = 'extending';
  await saveVolume(deps, volume);
  deps.tasks.run({ volume: volume.id, op: 'extend' }, async () => {
    try {
      await backendOf(deps, volume).port.driver.extendVolume(driverVolume(deps, volume), size);
      volume.size = size;
      volume.status = previous;
    } catch (error) {
      volume.status = 'error_extending';
      deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'volume extend failed');
    }
    await saveVolume(deps, volume);
  });
}

export async function retypeVolume(
  deps: VolumeServiceDeps,
  context: RequestContext,
  volume: VolumeRecord,
  newTypeRef: unknown,
): Promise<void> {
  if (typeof newTypeRef !== 'string') throw cinderErrors.invalidInput('New volume type must be specified.');
  const newType = deps.types.resolveType(context, newTypeRef);
  if (newType.id === volume.volumeTypeId)
    throw cinderErrors.invalidInput('Retype requested to the same volume type.');
  if (!['available', 'in-use'].includes(volume.status))
    throw cinderErrors.invalidVolume(
      `Volume status must be available or in-use, but current status is: ${volume.status}.`,
    );
  assertNotFrozen(deps, volume.host);
  const oldType = deps.types.getType(volume.volumeTypeId) ?? null;
  const previous = volume.status;
  volume.status = 'retyping';
  await saveVolume(deps, volume);
  deps.tasks.run({ volume: volume.id, op: 'retype' }, async () => {
    try {
      const [done, update] = await backendOf(deps, volume).port.driver.retype(
        driverVolume(deps, volume),
        newType,
        deps.types.qosSpecsFor(newType),
      );
      if (!done)
        throw new Error('the driver cannot retype this volume in place (migration is not supported)');
      volume.volumeTypeId = newType.id;
      applyModelUpdate(volume, update);
      // The manager derives the replication status from the type change when the driver did not.
      if (update?.replicationStatus === undefined && isReplicatedType(oldType) !== isReplicatedType(newType))
        volume.replicationStatus = isReplicatedType(newType) ? 'enabled' : 'disabled';
    } catch (error) {
      deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'volume retype failed');
    }
    volume.status = previous;
    await saveVolume(deps, volume);
  });
}

const RESETTABLE: readonly VolumeStatus[] = [
  'available',
  'error',
  'in-use',
  'creating',
  'deleting',
  'error_deleting',
  'error_extending',
  'reserved',
  'attaching',
  'detaching',
  'maintenance',
];

export async function resetVolumeStatus(
  deps: VolumeServiceDeps,
  volume: VolumeRecord,
  body: unknown,
): Promise<void> {
  const fields = (body ?? {}) as { status?: unknown; attach_status?: unknown; migration_status?: unknown };
  if (fields.status !== undefined) {
    if (typeof fields.status !== 'string' || !RESETTABLE.includes(fields.status as VolumeStatus))
      throw cinderErrors.invalidInput(`'${String(fields.status)}' is not a valid volume status.`);
    volume.status = fields.status as VolumeStatus;
  }
  if (fields.attach_status !== undefined) {
    if (fields.attach_status !== 'attached' && fields.attach_status !== 'detached')
      throw cinderErrors.invalidInput(`'${String(fields.attach_status)}' is not a valid attach status.`);
    volume.attachStatus = fields.attach_status;
  }
  if (fields.migration_status !== undefined)
    volume.migrationStatus = fields.migration_status as string | null;
  await saveVolume(deps, volume);
}

/** cinder manage: the driver finds the array volume by `ref`, renames it to Cinder's name, reports its size. */
export async function manageVolume(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: ManageVolumeRequest,
): Promise<VolumeRecord> {
  const backend = deps.backends.forHost(request.host);
  if (!backend) throw cinderErrors.invalidInput(`No volume backend on host ${request.host}.`);
  assertNotFrozen(deps, backend.poolName);
  const type = request.volumeType
    ? deps.types.resolveType(context, request.volumeType)
    : deps.types.defaultType();
  const volume: VolumeRecord = {
    id: newId(),
    projectId: context.projectId,
    userId: context.userId,
    name: request.name,
    description: request.description,
    size: 0,
    status: 'managing',
    previousStatus: null,
    attachStatus: 'detached',
    host: backend.poolName,
    volumeTypeId: type.id,
    availabilityZone: request.availabilityZone ?? backend.port.availabilityZone,
    bootable: request.bootable,
    multiattach: false,
    snapshotId: null,
    sourceVolid: null,
    groupId: null,
    providerId: null,
    replicationStatus: isReplicatedType(type) ? 'enabled' : 'disabled',
    metadata: { ...request.metadata },
    adminMetadata: {},
    migrationStatus: null,
    createdAt: now(),
    updatedAt: null,
    launchedAt: null,
    terminatedAt: null,
  };
  // The size comes first, so a wrong reference is refused before anything is recorded.
  try {
    volume.size = await backend.port.driver.manageExistingGetSize(driverVolume(deps, volume), request.ref);
  } catch (error) {
    throw cinderErrors.invalidInput(`Manage existing volume failed: ${(error as Error).message}`);
  }
  deps.quotas.check(context.projectId, { volumes: 1, gigabytes: volume.size }, type);
  await deps.store.put('volume', volume);
  deps.tasks.run({ volume: volume.id, op: 'manage' }, async () => {
    try {
      applyModelUpdate(
        volume,
        await backend.port.driver.manageExisting(driverVolume(deps, volume), request.ref),
      );
      volume.status = 'available';
    } catch (error) {
      volume.status = 'error_managing';
      deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'manage failed');
    }
    await saveVolume(deps, volume);
  });
  return volume;
}

/** cinder unmanage: the driver renames the array volume (-unmanaged); Cinder forgets it. */
export async function unmanageVolume(deps: VolumeServiceDeps, volume: VolumeRecord): Promise<void> {
  if (!['available', 'error', 'error_managing'].includes(volume.status) || volume.attachStatus === 'attached')
    throw cinderErrors.invalidVolume(`Volume ${volume.id} must be available and not attached to unmanage.`);
  if (deps.store.list('snapshot', (s) => s.volumeId === volume.id).length > 0)
    throw cinderErrors.invalidVolume('Volume cannot have snapshots when it is unmanaged.');
  assertNotFrozen(deps, volume.host);
  volume.status = 'deleting';
  await saveVolume(deps, volume);
  deps.tasks.run({ volume: volume.id, op: 'unmanage' }, async () => {
    try {
      if (volume.providerId !== null) await backendOf(deps, volume).port.driver.unmanage(volume);
      await deps.store.remove('volume', volume.id);
    } catch (error) {
      volume.status = 'error';
      await saveVolume(deps, volume);
      deps.logger.warn({ volume: volume.id, err: (error as Error).message }, 'unmanage failed');
    }
  });
}
