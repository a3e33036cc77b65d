// The volume service: the VolumeApi the HTTP layer calls, put together from the lifecycle
// modules next to it, plus start/stop (service records, backend setup and stats).

import { CinderError, cinderErrors } from '../errors.js';
import type { RequestContext } from '../request-context.js';
import type { CinderStore } from '../store/store.js';
import * as attachments from './attachments.js';
import { BACKEND_STATS_INTERVAL_MS, Backends } from './backends.js';
import {
  assertNotFrozen,
  inListScope,
  requireAdmin,
  requireVolume,
  saveVolume,
  type VolumeServiceDeps,
  visibleRecord,
} from './deps.js';
import * as groups from './groups.js';
import type { BackendPort, QuotaPort, TypeCatalogPort, VolumeServiceLogger } from './ports.js';
import * as services from './services.js';
import * as snapshots from './snapshots.js';
import { TaskRunner } from './tasks.js';
import type { VolumeActionName, VolumeApi } from './volume-api.js';
import * as volumes from './volumes.js';

const ADMIN_ACTIONS: ReadonlySet<VolumeActionName> = new Set([
  'os-unmanage',
  'os-reset_status',
  'os-force_delete',
  'os-force_detach',
  'os-update_volume_admin_metadata',
]);

export class VolumeService implements VolumeApi {
  readonly deps: VolumeServiceDeps;

  constructor(options: {
    host: string;
    store: CinderStore;
    types: TypeCatalogPort;
    quotas: QuotaPort;
    backends: BackendPort[];
    logger: VolumeServiceLogger;
  }) {
    const backends = new Backends(options.host, options.backends, options.logger);
    this.deps = {
      store: options.store,
      types: options.types,
      quotas: options.quotas,
      backends,
      tasks: new TaskRunner(options.logger),
      logger: options.logger,
    };
    this.host = options.host;
  }

  private readonly host: string;
  private statsTimer: NodeJS.Timeout | null = null;

  /** Service records, each backend's driver set up (resuming a failover), first stats. */
  async start(): Promise<void> {
    const deps = this.deps;
    await services.ensureServices(deps, this.host);
    for (const backend of deps.backends.all) {
      const service = services.serviceOf(deps, backend.serviceHost);
      try {
        await backend.port.driver.doSetup(service?.activeBackendId ?? null);
      } catch (error) {
        // Cinder keeps the service running (and reporting down) when do_setup fails.
        backend.lastError = (error as Error).message;
        deps.logger.error({ backend: backend.port.name, err: backend.lastError }, 'backend setup failed');
        continue;
      }
      await deps.backends.refresh(backend);
      await services.heartbeat(deps, backend);
    }
    this.statsTimer = setInterval(() => void this.reportStats(), BACKEND_STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }

  private async reportStats(): Promise<void> {
    for (const backend of this.deps.backends.all) {
      await this.deps.backends.refresh(backend);
      await services.heartbeat(this.deps, backend).catch(() => {});
    }
  }

  /** Waits for background work (creates, deletes, failovers) to finish. */
  idle(): Promise<void> {
    return this.deps.tasks.idle();
  }

  async stop(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.deps.tasks.idle();
    for (const backend of this.deps.backends.all) await backend.port.driver.close().catch(() => {});
  }

  // ---- volumes ----

  createVolume: VolumeApi['createVolume'] = (context, request) =>
    volumes.createVolume(this.deps, context, request);
  getVolume: VolumeApi['getVolume'] = (context, id) => requireVolume(this.deps, context, id);
  listVolumes: VolumeApi['listVolumes'] = (context, filters) =>
    volumes.listVolumes(this.deps, context, filters);

  async updateVolume(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
  ) {
    const volume = requireVolume(this.deps, context, id);
    if (changes.name !== undefined) volume.name = changes.name;
    if (changes.description !== undefined) volume.description = changes.description;
    if (changes.metadata !== undefined) volume.metadata = { ...changes.metadata };
    await saveVolume(this.deps, volume);
    return volume;
  }

  async setVolumeMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ) {
    const volume = requireVolume(this.deps, context, id);
    volume.metadata = replace ? { ...metadata } : { ...volume.metadata, ...metadata };
    await saveVolume(this.deps, volume);
    return volume.metadata;
  }

  async deleteVolumeMetadata(context: RequestContext, id: string, key: string) {
    const volume = requireVolume(this.deps, context, id);
    if (!(key in volume.metadata))
      throw new CinderError(404, `Volume ${id} has no metadata with key ${key}.`);
    delete volume.metadata[key];
    await saveVolume(this.deps, volume);
  }

  deleteVolume: VolumeApi['deleteVolume'] = (context, id, options) =>
    volumes.deleteVolume(this.deps, context, id, options);

  async manageVolume(context: RequestContext, request: Parameters<VolumeApi['manageVolume']>[1]) {
    requireAdmin(context, 'volume_extension:volume_manage');
    return volumes.manageVolume(this.deps, context, request);
  }

  async volumeAction(
    context: RequestContext,
    id: string,
    action: VolumeActionName,
    body: unknown,
  ): Promise<object | null> {
    if (ADMIN_ACTIONS.has(action))
      requireAdmin(context, `volume_extension:volume_admin_actions:${action.replace('os-', '')}`);
    const volume = requireVolume(this.deps, context, id);
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    switch (action) {
      case 'os-extend':
        assertNotFrozen(this.deps, volume.host);
        await volumes.extendVolume(this.deps, context, volume, fields.new_size);
        return null;
      case 'os-retype':
        await volumes.retypeVolume(this.deps, context, volume, fields.new_type);
        return null;
      case 'os-reset_status':
        await volumes.resetVolumeStatus(this.deps, volume, body);
        return null;
      case 'os-force_delete':
        // Cinder's force delete skips the status checks but not the snapshots.
        await volumes.deleteVolume(this.deps, context, id, { cascade: false, force: true });
        return null;
      case 'revert':
        await snapshots.revertToSnapshot(this.deps, context, volume, fields.snapshot_id);
        return null;
      case 'os-set_bootable':
        volume.bootable =
          fields.bootable === true || fields.bootable === 'true' || fields.bootable === 'True';
        await saveVolume(this.deps, volume);
        return null;
      case 'os-update_readonly_flag':
        volume.adminMetadata = { ...volume.adminMetadata, readonly: String(fields.readonly === true) };
        await saveVolume(this.deps, volume);
        return null;
      case 'os-update_volume_admin_metadata':
        return null;
      case 'os-unmanage':
        await volumes.unmanageVolume(this.deps, volume);
        return null;
      default:
        return attachments.legacyAttachAction(this.deps, context, volume, action, fields);
    }
  }

  // ---- snapshots ----

  createSnapshot: VolumeApi['createSnapshot'] = (context, request) =>
    snapshots.createSnapshot(this.deps, context, request);
  getSnapshot: VolumeApi['getSnapshot'] = (context, id) => snapshots.requireSnapshot(this.deps, context, id);
  listSnapshots: VolumeApi['listSnapshots'] = (context, filters) =>
    snapshots.listSnapshots(this.deps, context, filters);

  async updateSnapshot(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null },
  ) {
    const snapshot = snapshots.requireSnapshot(this.deps, context, id);
    if (changes.name !== undefined) snapshot.name = changes.name;
    if (changes.description !== undefined) snapshot.description = changes.description;
    await this.deps.store.put('snapshot', snapshot);
    return snapshot;
  }

  async setSnapshotMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ) {
    const snapshot = snapshots.requireSnapshot(this.deps, context, id);
    snapshot.metadata = replace ? { ...metadata } : { ...snapshot.metadata, ...metadata };
    await this.deps.store.put('snapshot', snapshot);
    return snapshot.metadata;
  }

  async deleteSnapshotMetadata(context: RequestContext, id: string, key: string) {
    const snapshot = snapshots.requireSnapshot(this.deps, context, id);
    if (!(key in snapshot.metadata))
      throw new CinderError(404, `Snapshot ${id} has no metadata with key ${key}.`);
    delete snapshot.metadata[key];
    await this.deps.store.put('snapshot', snapshot);
  }

  deleteSnapshot: VolumeApi['deleteSnapshot'] = (context, id, force) =>
    snapshots.deleteSnapshot(this.deps, context, id, force);

  async resetSnapshotStatus(context: RequestContext, id: string, status: string) {
    requireAdmin(context, 'volume_extension:snapshot_admin_actions:reset_status');
    await snapshots.resetSnapshotStatus(this.deps, context, id, status);
  }

  // ---- attachments ----

  createAttachment: VolumeApi['createAttachment'] = (context, request) =>
    attachments.createAttachment(this.deps, context, request);
  getAttachment: VolumeApi['getAttachment'] = (context, id) =>
    attachments.requireAttachment(this.deps, context, id);

  listAttachments(context: RequestContext, filters: { allTenants: boolean; volumeId?: string }) {
    return this.deps.store.list(
      'attachment',
      (a) =>
        inListScope(context, filters, a.projectId) &&
        (filters.volumeId === undefined || a.volumeId === filters.volumeId),
    );
  }

  updateAttachment: VolumeApi['updateAttachment'] = (context, id, connector) =>
    attachments.updateAttachment(this.deps, context, id, connector);
  completeAttachment: VolumeApi['completeAttachment'] = (context, id) =>
    attachments.completeAttachment(this.deps, context, id);
  deleteAttachment: VolumeApi['deleteAttachment'] = (context, id) =>
    attachments.deleteAttachment(this.deps, context, id);

  // ---- services, pools ----

  listServices: VolumeApi['listServices'] = (context, filters) =>
    services.listServices(this.deps, context, filters);
  setServiceEnabled: VolumeApi['setServiceEnabled'] = (context, host, binary, enabled, reason) =>
    services.setServiceEnabled(this.deps, context, host, binary, enabled, reason);
  freezeHost: VolumeApi['freezeHost'] = (context, host) => services.freezeHost(this.deps, context, host);
  thawHost: VolumeApi['thawHost'] = (context, host) => services.thawHost(this.deps, context, host);
  failoverHost: VolumeApi['failoverHost'] = (context, host, backendId) =>
    services.failoverHost(this.deps, context, host, backendId);
  getPools: VolumeApi['getPools'] = (context, filters) => services.getPools(this.deps, context, filters);

  // ---- groups ----

  createGroup: VolumeApi['createGroup'] = (context, request) =>
    groups.createGroup(this.deps, context, request);
  getGroup: VolumeApi['getGroup'] = (context, id) => groups.requireGroup(this.deps, context, id);

  listGroups(context: RequestContext, filters: { allTenants: boolean }) {
    return this.deps.store.list('group', (g) => inListScope(context, filters, g.projectId));
  }

  updateGroup: VolumeApi['updateGroup'] = (context, id, changes) =>
    groups.updateGroup(this.deps, context, id, changes);
  deleteGroup: VolumeApi['deleteGroup'] = (context, id, deleteVolumes) =>
    groups.deleteGroup(this.deps, context, id, deleteVolumes);
  createGroupSnapshot: VolumeApi['createGroupSnapshot'] = (context, request) =>
    groups.createGroupSnapshot(this.deps, context, request);
  getGroupSnapshot: VolumeApi['getGroupSnapshot'] = (context, id) =>
    visibleRecord(this.deps, context, 'group_snapshot', id, cinderErrors.groupSnapshotNotFound);

  listGroupSnapshots(context: RequestContext, filters: { allTenants: boolean }) {
    return this.deps.store.list('group_snapshot', (g) => inListScope(context, filters, g.projectId));
  }

  deleteGroupSnapshot: VolumeApi['deleteGroupSnapshot'] = (context, id) =>
    groups.deleteGroupSnapshot(this.deps, context, id);
}
