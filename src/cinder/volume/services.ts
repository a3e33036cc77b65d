// Volume services (one per backend, host@backend) and the scheduler service: their records,
// enable/disable, freeze/thaw, and failover-host / failback as cinder/volume/api.py and
// manager.py run them (spec cinder-pure-driver.md §13): the API checks and marks the service
// failing-over, the manager fails non-replicated volumes, asks the driver, applies its volume
// updates and records the active backend, which a restart resumes.

import { CinderError, cinderErrors } from '../errors.js';
import type { ServiceRecord, VolumeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import type { BackendState } from './backends.js';
import { newId, now, requireAdmin, type VolumeServiceDeps } from './deps.js';
import { applyModelUpdate, driverVolume } from './volumes.js';

/** Creates the service records this control plane runs (kept across restarts with their state). */
export async function ensureServices(deps: VolumeServiceDeps, host: string): Promise<void> {
  const wanted: Array<{ host: string; binary: ServiceRecord['binary']; zone: string }> = [
    { host, binary: 'cinder-scheduler', zone: 'nova' },
    ...deps.backends.all.map((b) => ({
      host: b.serviceHost,
      binary: 'cinder-volume' as const,
      zone: b.port.availabilityZone,
    })),
  ];
  for (const want of wanted) {
    const existing = deps.store.list('service', (s) => s.host === want.host && s.binary === want.binary)[0];
    if (existing) {
      existing.updatedAt = now();
      // A restart in the middle of a failover cannot know how far it got.
      if (existing.replicationStatus === 'failing-over') existing.replicationStatus = 'failover-error';
      await deps.store.put('service', existing);
      continue;
    }
    await deps.store.put('service', {
      id: newId(),
      uuid: newId(),
      host: want.host,
      binary: want.binary,
      availabilityZone: want.zone,
      disabled: false,
      disabledReason: null,
      replicationStatus: 'disabled',
      activeBackendId: null,
      frozen: false,
      createdAt: now(),
      updatedAt: now(),
    });
  }
}

/** After each stats report: the service is alive, and replication follows the driver's stats. */
export async function heartbeat(deps: VolumeServiceDeps, backend: BackendState): Promise<void> {
  const service = serviceOf(deps, backend.serviceHost);
  if (!service) return;
  service.updatedAt = now();
  const capable = backend.stats?.replication_enabled === true;
  if (service.replicationStatus === 'disabled' && capable) service.replicationStatus = 'enabled';
  if (service.replicationStatus === 'enabled' && !capable && backend.stats)
    service.replicationStatus = 'disabled';
  await deps.store.put('service', service);
}

export function serviceOf(deps: VolumeServiceDeps, host: string): ServiceRecord | undefined {
  return deps.store.list('service', (s) => s.host === host && s.binary === 'cinder-volume')[0];
}

function requireServiceHost(deps: VolumeServiceDeps, host: unknown): ServiceRecord {
  if (typeof host !== 'string' || host === '') throw new CinderError(400, 'Host field is missing.');
  const service = serviceOf(deps, host);
  if (!service) throw new CinderError(400, `No service found with host=${host}`);
  return service;
}

export function listServices(
  deps: VolumeServiceDeps,
  context: RequestContext,
  filters: { host?: string; binary?: string },
) {
  requireAdmin(context, 'volume_extension:services:index');
  return deps.store.list(
    'service',
    (s) =>
      (filters.host === undefined || s.host === filters.host) &&
      (filters.binary === undefined || s.binary === filters.binary),
  );
}

export async function setServiceEnabled(
  deps: VolumeServiceDeps,
  context: RequestContext,
  host: string,
  binary: string,
  enabled: boolean,
  reason: string | null,
): Promise<ServiceRecord> {
  requireAdmin(context, 'volume_extension:services:update');
  const service = deps.store.list('service', (s) => s.host === host && s.binary === binary)[0];
  if (!service) throw new CinderError(404, `Service ${binary} on host ${host} could not be found.`);
  service.disabled = !enabled;
  service.disabledReason = enabled ? null : reason;
  service.updatedAt = now();
  await deps.store.put('service', service);
  return service;
}

export async function freezeHost(
  deps: VolumeServiceDeps,
  context: RequestContext,
  host: string,
): Promise<void> {
  requireAdmin(context, 'volume:freeze_host');
  const service = requireServiceHost(deps, host);
  if (service.frozen)
    throw cinderErrors.invalidInput(
      `No service could be changed: frozen in ['${host}'] must be False to failover.`,
    );
  Object.assign(service, { frozen: true, disabled: true, disabledReason: 'frozen', updatedAt: now() });
  await deps.store.put('service', service);
}

export async function thawHost(
  deps: VolumeServiceDeps,
  context: RequestContext,
  host: string,
): Promise<void> {
  requireAdmin(context, 'volume:thaw_host');
  const service = requireServiceHost(deps, host);
  if (!service.frozen)
    throw cinderErrors.invalidInput(
      `No service could be changed: frozen in ['${host}'] must be True to thaw.`,
    );
  Object.assign(service, { frozen: false, disabled: false, disabledReason: null, updatedAt: now() });
  await deps.store.put('service', service);
}

export async function failoverHost(
  deps: VolumeServiceDeps,
  context: RequestContext,
  host: string,
  backendId: string | null,
): Promise<void> {
  requireAdmin(context, 'volume:failover_host');
  const service = requireServiceHost(deps, host);
  const backend = deps.backends.forServiceHost(service.host);
  if (!backend || !['enabled', 'failed-over'].includes(service.replicationStatus))
    throw cinderErrors.invalidInput(
      `No service could be changed: replication_status in ['${host}'] must be enabled or failed-over and must be up to failover.`,
    );
  const restoreTo = service.replicationStatus;
  service.replicationStatus = 'failing-over';
  await deps.store.put('service', service);
  deps.tasks.run({ service: host, op: 'failover' }, () =>
    runFailover(deps, backend, service, backendId, restoreTo),
  );
}

async function runFailover(
  deps: VolumeServiceDeps,
  backend: BackendState,
  service: ServiceRecord,
  backendId: string | null,
  restoreTo: ServiceRecord['replicationStatus'],
): Promise<void> {
  const failback = backendId === 'default';
  const onHost = deps.store.list('volume', (v) => deps.backends.forHost(v.host) === backend);
  const replicated = onHost.filter((v) => !['disabled', 'not-capable'].includes(v.replicationStatus));
  try {
    const result = await backend.port.driver.failover(
      replicated.map((v) => driverVolume(deps, v)),
      backendId,
    );
    if (!failback)
      for (const volume of onHost.filter((v) => !replicated.includes(v))) await failNotCapable(deps, volume);
    const updates = new Map(result.volumeUpdates.map((u) => [u.volumeId, u.updates]));
    for (const volume of replicated) {
      const update = updates.get(volume.id);
      applyModelUpdate(volume, update ? { ...update, replicationStatus: undefined } : null);
      if (update?.status === 'error') {
        volume.replicationStatus = 'failover-error';
        await markSnapshotsError(deps, volume);
      } else volume.replicationStatus = failback ? 'enabled' : 'failed-over';
      volume.updatedAt = now();
      await deps.store.put('volume', volume);
    }
    await backend.port.driver.failoverCompleted(result.activeBackendId);
    if (failback) {
      Object.assign(service, {
        replicationStatus: 'enabled',
        activeBackendId: null,
        disabled: service.frozen,
        disabledReason: service.frozen ? 'frozen' : null,
      });
    } else {
      Object.assign(service, {
        replicationStatus: 'failed-over',
        activeBackendId: result.activeBackendId,
        disabled: true,
        disabledReason: 'failed-over',
      });
    }
    deps.logger.info(
      { service: service.host, activeBackendId: service.activeBackendId },
      'failover finished',
    );
  } catch (error) {
    // Cinder's InvalidReplicationTarget (by name: the driver's own error class) leaves things as they were.
    if ((error as Error).name === 'InvalidReplicationTarget') service.replicationStatus = restoreTo;
    else Object.assign(service, { replicationStatus: 'failover-error', disabled: true });
    deps.logger.warn({ service: service.host, err: (error as Error).message }, 'failover failed');
  }
  service.updatedAt = now();
  await deps.store.put('service', service);
}

/** A volume that is not replicated cannot follow a failover: it goes to error, and its snapshots. */
async function failNotCapable(deps: VolumeServiceDeps, volume: VolumeRecord): Promise<void> {
  volume.previousStatus = volume.status;
  volume.status = 'error';
  volume.replicationStatus = 'not-capable';
  volume.updatedAt = now();
  await deps.store.put('volume', volume);
  await markSnapshotsError(deps, volume);
}

async function markSnapshotsError(deps: VolumeServiceDeps, volume: VolumeRecord): Promise<void> {
  for (const snapshot of deps.store.list('snapshot', (s) => s.volumeId === volume.id)) {
    snapshot.status = 'error';
    await deps.store.put('snapshot', snapshot);
  }
}

/** The pools the scheduler sees, with their capabilities, as GET /scheduler-stats/get_pools shows them. */
export function getPools(
  deps: VolumeServiceDeps,
  context: RequestContext,
  filters: { name?: string; backend?: string; volumeType?: string },
) {
  requireAdmin(context, 'scheduler_extension:scheduler_stats:get_pools');
  return deps.backends.all
    .filter((b) => b.stats !== null)
    .filter((b) => filters.name === undefined || b.poolName === filters.name)
    .filter((b) => filters.backend === undefined || b.serviceHost === filters.backend)
    .map((b) => ({
      name: b.poolName,
      capabilities: {
        ...b.stats,
        pool_name: b.port.backendName,
        backend_state: b.lastError === null ? 'up' : 'down',
        timestamp: b.statsAtMs ? new Date(b.statsAtMs).toISOString() : null,
      },
    }));
}
