// A VolumeApi without arrays, for testing the HTTP layer: records live in a CinderStore (so the
// catalog's quotas and type-in-use checks see them) and every long operation finishes at once.
// A create answers 'creating' while the stored record is already 'available', as a client polling
// the real service would see a moment later. The semantics follow cinder/volume/api.py; where the
// fake had to choose, the choice is marked "fake:" (the real service must agree).

import { randomUUID } from 'node:crypto';
import type { CatalogLookup } from '../../src/cinder/catalog/catalog.js';
import { isReplicatedSpec } from '../../src/cinder/catalog/spec-keys.js';
import { CinderError, cinderErrors } from '../../src/cinder/errors.js';
import {
  type AttachmentRecord,
  cinderTime,
  type SnapshotRecord,
  type VolumeRecord,
  type VolumeStatus,
} from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import type { CinderStore } from '../../src/cinder/store/store.js';
import {
  type CreateAttachmentRequest,
  type CreateVolumeRequest,
  DELETABLE_VOLUME_STATUSES,
  type VolumeActionName,
  type VolumeApi,
  type VolumeFilters,
} from '../../src/cinder/volume/volume-api.js';
import { FakeAttachments } from './fake-attachments.js';
import { type FakeEnv, page, visible } from './fake-env.js';
import { FakeGroups } from './fake-groups.js';
import { FakeServices } from './fake-services.js';
import { FakeSnapshots, type NewSnapshot } from './fake-snapshots.js';

export interface FakeVolumeApiOptions {
  store: CinderStore;
  catalog: CatalogLookup;
  volumeHost?: string;
  pool?: string;
  replicationTargets?: string[];
  now?: () => Date;
}

const DELETE_REFUSED =
  'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';

export class FakeVolumeApi implements VolumeApi {
  readonly services: FakeServices;
  readonly groups: FakeGroups;
  readonly attachments: FakeAttachments;
  readonly snapshots: FakeSnapshots;
  private readonly env: FakeEnv;

  constructor(options: FakeVolumeApiOptions) {
    this.env = {
      store: options.store,
      catalog: options.catalog,
      now: options.now ?? (() => new Date()),
      newId: randomUUID,
      volumeHost: options.volumeHost ?? 'tandem@pure',
      pool: options.pool ?? 'pure',
      availabilityZone: 'nova',
      replicationTargets: options.replicationTargets ?? ['target'],
    };
    this.services = new FakeServices(this.env);
    this.groups = new FakeGroups(this.env);
    const getVolume = (context: RequestContext, id: string) => this.getVolume(context, id);
    this.attachments = new FakeAttachments(this.env, getVolume);
    this.snapshots = new FakeSnapshots(this.env, getVolume, (host) => this.services.isFrozen(host));
  }

  /** Registers the scheduler and volume services. */
  async start(): Promise<void> {
    await this.services.start();
  }

  async createVolume(context: RequestContext, request: CreateVolumeRequest): Promise<VolumeRecord> {
    const type = this.env.catalog.resolveType(request.volumeType, context);
    const source = request.snapshotId ? this.getSnapshot(context, request.snapshotId) : null;
    const sourceVolume = request.sourceVolid ? this.getVolume(context, request.sourceVolid) : null;
    const size = request.size ?? source?.volumeSize ?? sourceVolume?.size;
    if (size === undefined) throw cinderErrors.invalidInput('size must be an integer and greater than 0.');
    if (source && size < source.volumeSize)
      throw cinderErrors.invalidInput(
        `Volume size '${size}'GB cannot be smaller than the snapshot size ${source.volumeSize}GB.`,
      );
    if (request.groupId) this.groups.get(context, request.groupId);
    this.env.catalog.checkQuota(context.projectId, {
      volumes: 1,
      gigabytes: size,
      volumeTypeId: type.id,
      volumeSizeGiB: size,
    });
    const service = this.services.list({ host: this.env.volumeHost, binary: 'cinder-volume' })[0];
    // fake: a disabled (frozen, failed-over) service gets nothing scheduled; the volume is 'error'.
    const scheduled = service !== undefined && !service.disabled;
    const now = cinderTime(this.env.now());
    const volume: VolumeRecord = {
      id: this.env.newId(),
      projectId: context.projectId,
      userId: context.userId,
      name: request.name,
      description: request.description,
      size,
      status: scheduled ? 'available' : 'error',
      previousStatus: null,
      attachStatus: 'detached',
      host: scheduled ? `${this.env.volumeHost}#${this.env.pool}` : null,
      volumeTypeId: type.id,
      availabilityZone: request.availabilityZone ?? this.env.availabilityZone,
      bootable: false,
      multiattach: request.multiattach,
      snapshotId: request.snapshotId,
      sourceVolid: request.sourceVolid,
      groupId: request.groupId,
      providerId: null,
      replicationStatus: isReplicatedSpec(type.extraSpecs.replication_enabled) ? 'enabled' : 'disabled',
      metadata: { ...request.metadata },
      adminMetadata: {},
      migrationStatus: null,
      createdAt: now,
      updatedAt: now,
      launchedAt: null,
      terminatedAt: null,
    };
    volume.providerId = `volume-${volume.id}-cinder`;
    await this.env.store.put('volume', volume);
    return { ...volume, status: 'creating' };
  }

  getVolume(context: RequestContext, id: string): VolumeRecord {
    const volume = this.env.store.get('volume', id);
    if (!volume || !visible(context, volume.projectId)) throw cinderErrors.volumeNotFound(id);
    return volume;
  }

  /** fake: admins see their own project unless all_tenants, as Cinder; newest first. */
  listVolumes(context: RequestContext, filters: VolumeFilters): VolumeRecord[] {
    const project = filters.projectId ?? (filters.allTenants ? undefined : context.projectId);
    const volumes = this.env.store
      .list('volume', (v) => project === undefined || v.projectId === project)
      .filter(
        (v) =>
          (filters.name === undefined || v.name === filters.name) &&
          (filters.status === undefined || v.status === filters.status),
      );
    return page(volumes, filters);
  }

  async updateVolume(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
  ): Promise<VolumeRecord> {
    const volume = this.getVolume(context, id);
    if (changes.name !== undefined) volume.name = changes.name;
    if (changes.description !== undefined) volume.description = changes.description;
    if (changes.metadata !== undefined) volume.metadata = { ...changes.metadata };
    return this.save(volume);
  }

  async setVolumeMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ) {
    const volume = this.getVolume(context, id);
    volume.metadata = replace ? { ...metadata } : { ...volume.metadata, ...metadata };
    return (await this.save(volume)).metadata;
  }

  async deleteVolumeMetadata(context: RequestContext, id: string, key: string): Promise<void> {
    const volume = this.getVolume(context, id);
    if (!(key in volume.metadata))
      throw new CinderError(404, `Volume ${id} has no metadata with key ${key}.`);
    delete volume.metadata[key];
    await this.save(volume);
  }

  async manageVolume(): Promise<VolumeRecord> {
    throw cinderErrors.notImplemented('Managing volumes in the fake volume service');
  }

  async deleteVolume(
    context: RequestContext,
    id: string,
    options: { cascade: boolean; force: boolean },
  ): Promise<void> {
    const volume = this.getVolume(context, id);
    if (this.services.isFrozen(volume.host)) throw cinderErrors.frozen();
    const snapshots = this.env.store.list('snapshot', (s) => s.volumeId === volume.id);
    const attached = this.attachments.ofVolume(volume.id).length > 0;
    const deletable = options.force || DELETABLE_VOLUME_STATUSES.includes(volume.status);
    if (!deletable || attached || volume.groupId !== null || (snapshots.length > 0 && !options.cascade))
      throw cinderErrors.invalidVolume(DELETE_REFUSED);
    for (const snapshot of snapshots) await this.env.store.remove('snapshot', snapshot.id);
    await this.env.store.remove('volume', volume.id);
  }

  async volumeAction(
    context: RequestContext,
    id: string,
    action: VolumeActionName,
    body: unknown,
  ): Promise<object | null> {
    const volume = this.getVolume(context, id);
    const args = (body ?? {}) as Record<string, unknown>;
    switch (action) {
      case 'os-extend':
        return this.extend(context, volume, Number(args.new_size));
      case 'os-reset_status':
        if (typeof args.status === 'string') volume.status = args.status as VolumeStatus;
        if (typeof args.attach_status === 'string')
          volume.attachStatus = args.attach_status as VolumeRecord['attachStatus'];
        if (typeof args.migration_status === 'string') volume.migrationStatus = args.migration_status;
        await this.save(volume);
        return null;
      case 'os-force_delete':
        await this.deleteVolume(context, id, { cascade: false, force: true });
        return null;
      case 'os-retype': {
        const type = this.env.catalog.resolveType(String(args.new_type), context);
        volume.volumeTypeId = type.id;
        volume.replicationStatus = isReplicatedSpec(type.extraSpecs.replication_enabled)
          ? 'enabled'
          : 'disabled';
        await this.save(volume);
        return null;
      }
      case 'os-set_bootable':
        volume.bootable = args.bootable === true;
        await this.save(volume);
        return null;
      case 'os-initialize_connection':
        return { connection_info: this.attachments.connectionInfoFor(volume) };
      default:
        return this.attachments.legacyAction(context, volume, action, args);
    }
  }

  createSnapshot(context: RequestContext, request: NewSnapshot): Promise<SnapshotRecord> {
    return this.snapshots.create(context, request);
  }
  getSnapshot(context: RequestContext, id: string): SnapshotRecord {
    return this.snapshots.get(context, id);
  }
  listSnapshots(context: RequestContext, filters: VolumeFilters & { volumeId?: string }): SnapshotRecord[] {
    return this.snapshots.list(context, filters);
  }
  updateSnapshot(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null },
  ): Promise<SnapshotRecord> {
    return this.snapshots.update(context, id, changes);
  }
  deleteSnapshot(context: RequestContext, id: string, force: boolean): Promise<void> {
    return this.snapshots.delete(context, id, force);
  }
  resetSnapshotStatus(context: RequestContext, id: string, status: string): Promise<void> {
    return this.snapshots.resetStatus(context, id, status);
  }
  /** The extension the API uses for snapshot metadata writes (SnapshotMetadataApi; not in VolumeApi yet). */
  setSnapshotMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ) {
    return this.snapshots.setMetadata(context, id, metadata, replace);
  }
  deleteSnapshotMetadata(context: RequestContext, id: string, key: string): Promise<void> {
    return this.snapshots.deleteMetadata(context, id, key);
  }

  createAttachment(context: RequestContext, request: CreateAttachmentRequest): Promise<AttachmentRecord> {
    return this.attachments.create(context, request);
  }
  getAttachment(context: RequestContext, id: string): AttachmentRecord {
    return this.attachments.get(context, id);
  }
  listAttachments(
    context: RequestContext,
    filters: { allTenants: boolean; volumeId?: string },
  ): AttachmentRecord[] {
    return this.attachments.list(context, filters);
  }
  updateAttachment(
    context: RequestContext,
    id: string,
    connector: Record<string, unknown>,
  ): Promise<AttachmentRecord> {
    return this.attachments.update(context, id, connector);
  }
  completeAttachment(context: RequestContext, id: string): Promise<void> {
    return this.attachments.complete(context, id);
  }
  deleteAttachment(context: RequestContext, id: string): Promise<AttachmentRecord[]> {
    return this.attachments.delete(context, id);
  }

  listServices(_context: RequestContext, filters: { host?: string; binary?: string }) {
    return this.services.list(filters);
  }
  setServiceEnabled(
    _context: RequestContext,
    host: string,
    binary: string,
    enabled: boolean,
    reason: string | null,
  ) {
    return this.services.setEnabled(host, binary, enabled, reason);
  }
  freezeHost(_context: RequestContext, host: string): Promise<void> {
    return this.services.freeze(host);
  }
  thawHost(_context: RequestContext, host: string): Promise<void> {
    return this.services.thaw(host);
  }
  failoverHost(_context: RequestContext, host: string, backendId: string | null): Promise<void> {
    return this.services.failover(host, backendId);
  }
  getPools(_context: RequestContext, filters: { name?: string; backend?: string; volumeType?: string }) {
    return this.services.pools(filters);
  }

  createGroup(context: RequestContext, request: Parameters<FakeGroups['create']>[1]) {
    return this.groups.create(context, request);
  }
  getGroup(context: RequestContext, id: string) {
    return this.groups.get(context, id);
  }
  listGroups(context: RequestContext, filters: { allTenants: boolean }) {
    return this.groups.list(context, filters.allTenants);
  }
  updateGroup(context: RequestContext, id: string, changes: Parameters<FakeGroups['update']>[2]) {
    return this.groups.update(context, id, changes);
  }
  deleteGroup(context: RequestContext, id: string, deleteVolumes: boolean) {
    return this.groups.delete(context, id, deleteVolumes);
  }
  createGroupSnapshot(
    context: RequestContext,
    request: { groupId: string; name: string | null; description: string | null },
  ) {
    return this.groups.createSnapshot(context, request);
  }
  getGroupSnapshot(context: RequestContext, id: string) {
    return this.groups.getSnapshot(context, id);
  }
  listGroupSnapshots(context: RequestContext, filters: { allTenants: boolean }) {
    return this.groups.listSnapshots(context, filters.allTenants);
  }
  deleteGroupSnapshot(context: RequestContext, id: string) {
    return this.groups.deleteSnapshot(context, id);
  }

  private async extend(context: RequestContext, volume: VolumeRecord, newSize: number): Promise<null> {
    if (volume.status !== 'available' && volume.status !== 'in-use')
      throw cinderErrors.invalidVolume(
        `Volume ${volume.id} status must be available or in-use, but current status is: ${volume.status}.`,
      );
    if (newSize <= volume.size)
      throw cinderErrors.invalidInput(
        `New size for extend must be greater than current size. (current: ${volume.size}, extended: ${newSize}).`,
      );
    const delta = newSize - volume.size;
    this.env.catalog.checkQuota(context.projectId, {
      gigabytes: delta,
      volumeTypeId: volume.volumeTypeId,
      volumeSizeGiB: newSize,
    });
    volume.size = newSize;
    await this.save(volume);
    return null;
  }

  private async save(volume: VolumeRecord): Promise<VolumeRecord> {
    volume.updatedAt = cinderTime(this.env.now());
    await this.env.store.put('volume', volume);
    return volume;
  }
}
