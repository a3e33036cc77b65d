// The FlashArray volume driver: Cinder's Pure driver (PureISCSIDriver, PureFCDriver,
// PureNVMEDriver and Tandem's PureNBDDriver) over the arrays' REST API. Each call is delegated to
// the module of its responsibility; this class holds the shared context and the per-host lock.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CinderBackendConfig } from '../config/index.js';
import type {
  ConnectionInfo,
  GroupRecord,
  GroupSnapshotRecord,
  GroupTypeRecord,
  SnapshotRecord,
  VolumeRecord,
  VolumeTypeRecord,
} from '../model.js';
import { PurityClientError } from '../purity-client/index.js';
import { initializeConnection, KeyedLock, memoryInitiatorData, terminateConnection } from './connections.js';
import { DriverContext, type FlashArrayDriverOptions, type InitiatorDataStore } from './context.js';
import { PureDriverException } from './errors.js';
import { failover, failoverCompleted } from './failover.js';
import * as groups from './groups.js';
import { manageExisting, manageExistingGetSize, unmanage } from './manage.js';
import { retype } from './retype.js';
import { setUpDriver } from './setup.js';
import { createSnapshot, deleteSnapshot, revertToSnapshot } from './snapshots.js';
import { volumeStats } from './stats.js';
import type {
  Connector,
  DriverVolume,
  FailoverResult,
  SnapshotModelUpdate,
  VolumeDriver,
  VolumeModelUpdate,
} from './volume-driver.js';
import * as volumes from './volumes.js';

const HOST_UUID_BYTES = 16;

export class FlashArrayDriver implements VolumeDriver {
  readonly #ctx: DriverContext;
  readonly #lock = new KeyedLock();
  readonly #initiatorData: InitiatorDataStore;
  #stats: Record<string, unknown> | null = null;

  constructor(backend: CinderBackendConfig, options: FlashArrayDriverOptions) {
    this.#ctx = new DriverContext(backend, options, {
      sleep: (ms) => sleep(ms),
      randomHex: () => randomBytes(HOST_UUID_BYTES).toString('hex'),
    });
    this.#initiatorData = options.initiatorData ?? memoryInitiatorData();
  }

  /** The backend's name (the cinder.conf section), for logs. */
  get backendName(): string {
    return this.#ctx.backend.name;
  }

  /** The backend_id of the array volumes are on now (volume_backend_name on the primary). */
  get activeBackendId(): string {
    return this.#ctx.state.current.backendId;
  }

  async doSetup(activeBackendId: string | null): Promise<void> {
    await this.close();
    try {
      await setUpDriver(this.#ctx, activeBackendId);
    } catch (error) {
      if (!(error instanceof PurityClientError)) throw error;
      throw new PureDriverException(`Unable to set up the arrays: ${error.message}`);
    }
  }

  async getVolumeStats(refresh: boolean): Promise<Record<string, unknown>> {
    if (refresh || this.#stats === null) this.#stats = await volumeStats(this.#ctx);
    return this.#stats;
  }

  createVolume(volume: DriverVolume): Promise<VolumeModelUpdate> {
    return volumes.createVolume(this.#ctx, volume);
  }

  createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: SnapshotRecord,
    source: VolumeRecord,
  ): Promise<VolumeModelUpdate> {
    return volumes.createVolumeFromSnapshot(this.#ctx, volume, snapshot, source);
  }

  createClonedVolume(volume: DriverVolume, source: VolumeRecord): Promise<VolumeModelUpdate> {
    return volumes.createClonedVolume(this.#ctx, volume, source);
  }

  deleteVolume(volume: VolumeRecord): Promise<void> {
    return volumes.deleteVolume(this.#ctx, volume);
  }

  extendVolume(volume: DriverVolume, newSizeGiB: number): Promise<void> {
    return volumes.extendVolumeTo(this.#ctx, volume, newSizeGiB);
  }

  createSnapshot(snapshot: SnapshotRecord, volume: VolumeRecord): Promise<SnapshotModelUpdate> {
    return createSnapshot(this.#ctx, snapshot, volume);
  }

  deleteSnapshot(snapshot: SnapshotRecord, volume: VolumeRecord): Promise<void> {
    return deleteSnapshot(this.#ctx, snapshot, volume);
  }

  revertToSnapshot(volume: VolumeRecord, snapshot: SnapshotRecord): Promise<void> {
    return revertToSnapshot(this.#ctx, volume, snapshot);
  }

  initializeConnection(volume: VolumeRecord, connector: Connector): Promise<ConnectionInfo> {
    return initializeConnection(this.#ctx, this.#lock, this.#initiatorData, volume, connector);
  }

  terminateConnection(volume: VolumeRecord, connector: Connector | null): Promise<void> {
    return terminateConnection(this.#ctx, this.#lock, volume, connector);
  }

  retype(
    volume: DriverVolume,
    newType: VolumeTypeRecord,
    newQosSpecs: Record<string, string> | null,
  ): Promise<[boolean, VolumeModelUpdate | null]> {
    return retype(this.#ctx, volume, newType, newQosSpecs);
  }

  manageExisting(volume: DriverVolume, reference: Record<string, unknown>): Promise<VolumeModelUpdate> {
    return manageExisting(this.#ctx, volume, reference);
  }

  manageExistingGetSize(_volume: DriverVolume, reference: Record<string, unknown>): Promise<number> {
    return manageExistingGetSize(this.#ctx, reference);
  }

  unmanage(volume: VolumeRecord): Promise<void> {
    return unmanage(this.#ctx, volume);
  }

  createGroup(
    group: GroupRecord,
    types: VolumeTypeRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<{ status: GroupRecord['status'] }> {
    return groups.createGroup(this.#ctx, group, types, groupType);
  }

  deleteGroup(
    group: GroupRecord,
    members: VolumeRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<void> {
    return groups.deleteGroup(this.#ctx, group, members, groupType);
  }

  updateGroup(
    group: GroupRecord,
    add: VolumeRecord[],
    remove: VolumeRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<void> {
    return groups.updateGroup(this.#ctx, group, add, remove, groupType);
  }

  createGroupSnapshot(
    groupSnapshot: GroupSnapshotRecord,
    group: GroupRecord,
    _snapshots: SnapshotRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<void> {
    return groups.createGroupSnapshot(this.#ctx, groupSnapshot, group, groupType);
  }

  deleteGroupSnapshot(
    groupSnapshot: GroupSnapshotRecord,
    group: GroupRecord,
    groupType?: GroupTypeRecord | null,
  ): Promise<void> {
    return groups.deleteGroupSnapshot(this.#ctx, groupSnapshot, group, groupType);
  }

  failover(volumes: DriverVolume[], secondaryId: string | null): Promise<FailoverResult> {
    return failover(this.#ctx, volumes, secondaryId);
  }

  failoverCompleted(activeBackendId: string): Promise<void> {
    return failoverCompleted(this.#ctx, activeBackendId);
  }

  /** Logs out of every array. */
  async close(): Promise<void> {
    const ctx = this.#ctx;
    const arrays = [ctx.primary, ...ctx.devices, ctx.isSetUp ? ctx.state.failedOverPrimary : null];
    const clients = new Set(arrays.flatMap((a) => (a === null ? [] : [a.client])));
    for (const client of clients) await client.close().catch(() => {});
  }
}

export function createFlashArrayDriver(
  backend: CinderBackendConfig,
  options: FlashArrayDriverOptions,
): FlashArrayDriver {
  return new FlashArrayDriver(backend, options);
}
