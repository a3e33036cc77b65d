// failover, failover_completed and failback (spec §12). Async: the target's newest fully
// transferred snapshot of the replication group is copied over each volume there. Sync: the pod's
// volumes are already on the surviving array. Failback ('default') makes no array calls: async
// replication runs one way, so only sync volumes on an ActiveCluster survive it unharmed.

import { PurityClientError } from '../purity-client/index.js';
import { postVolume } from './array-ops.js';
import type { DriverContext, FlashArray } from './context.js';
import { InvalidReplicationTarget, PureDriverException } from './errors.js';
import { bareVolumeName, replicaPgroupName } from './names.js';
import { replicationStateFor } from './replication-state.js';
import { connectArray, stateInputs } from './setup.js';
import { replicationKindOf } from './type-specs.js';
import type { DriverVolume, FailoverResult, VolumeModelUpdate } from './volume-driver.js';
import { volumeNameOf } from './volumes.js';

type Updates = FailoverResult['volumeUpdates'];
const error = (volumeId: string): Updates[number] => ({ volumeId, updates: { status: 'error' } });

/** `_get_latest_replicated_pg_snap`: newest completed transfer of a replica group, or null. */
async function latestSnapshot(target: FlashArray, replica: string): Promise<string | null> {
  const res = await target.client.protectionGroupSnapshots.getTransfer({
    names: [replica],
    destroyed: false,
    filter: 'progress="1.0"',
    sort: ['started-'],
  });
  return res.ok ? (res.items[0]?.name ?? null) : null;
}

/** Volume snapshots of a pgroup snapshot by the volume they hold: `<pgsnap>.<volume>`. */
async function volumeSnapshotsOf(target: FlashArray, pgSnapshot: string): Promise<Map<string, string>> {
  const res = await target.client.listAll((page) =>
    target.client.volumeSnapshots.get({ filter: `name='${pgSnapshot}.*'`, ...page }),
  );
  return new Map((res.ok ? res.items : []).map((s) => [s.name.split('.').at(-1)!, s.name]));
}

/**
 * `_async_failover_host`: each volume overwritten from its snapshot on the target. Trisync
 * volumes come from the trisync group's replica and lose their pod prefix there (Cinder finds
 * nothing for them and marks them error, although that is what the trisync leg is for).
 */
async function asyncFailover(
  ctx: DriverContext,
  target: FlashArray,
  pgSnapshot: string,
  volumes: DriverVolume[],
): Promise<Updates> {
  const snapshots = await volumeSnapshotsOf(target, pgSnapshot);
  const trisync = ctx.trisync?.target.backendId === target.backendId ? ctx.trisync.pgroup : null;
  const trisyncSnapshot =
    trisync === null ? null : await latestSnapshot(target, replicaPgroupName('', trisync));
  const podSnapshots =
    trisyncSnapshot === null ? new Map() : await volumeSnapshotsOf(target, trisyncSnapshot);
  const updates: Updates = [];
  for (const { volume } of volumes) {
    const name = volumeNameOf(volume);
    const inPod = name.includes('::');
    const copyName = inPod ? bareVolumeName(name) : name;
    const source = inPod ? podSnapshots.get(copyName) : snapshots.get(name);
    if (source === undefined) {
      updates.push(error(volume.id));
      continue;
    }
    try {
      await postVolume(ctx, target, copyName, { source: { name: source } }, true);
    } catch (failure) {
      ctx.logger.error({ volume: name, err: (failure as Error).message }, 'failover copy failed');
      updates.push(error(volume.id));
      continue;
    }
    const done: VolumeModelUpdate = { replicationStatus: 'failed-over' };
    if (inPod) {
      done.providerId = copyName;
      done.metadata = { ...volume.metadata, array_volume_name: copyName, array_name: target.name };
    }
    updates.push({ volumeId: volume.id, updates: done });
  }
  return updates;
}

/** `_sync_failover_host`: nothing to promote; the pod's volumes on the survivor are failed over. */
async function syncFailover(
  ctx: DriverContext,
  target: FlashArray,
  volumes: DriverVolume[],
): Promise<Updates> {
  const res = await target.client.listAll((page) =>
    target.client.volumes.get({ filter: `pod.name='${ctx.podName}'`, ...page }),
  );
  const inPod = new Set((res.ok ? res.items : []).map((v) => v.name));
  return volumes.map(({ volume }) =>
    inPod.has(volumeNameOf(volume))
      ? { volumeId: volume.id, updates: { replicationStatus: 'failed-over' } }
      : error(volume.id),
  );
}

/** `_find_sync_failover_target`: the first peer on which the pod is online (Cinder keeps the last). */
async function findSyncTarget(ctx: DriverContext): Promise<FlashArray | null> {
  for (const target of ctx.state.activeClusterTargets) {
    try {
      const res = await target.client.pods.get({ names: [ctx.podName] });
      const own = res.ok ? res.items[0]?.arrays.find((a) => a.id === target.id) : undefined;
      if (own?.status === 'online') return target;
    } catch (failure) {
      if (!(failure instanceof PurityClientError)) throw failure;
    }
    ctx.logger.warn({ array: target.name }, 'Failed to get pod status for secondary array');
  }
  return null;
}

/** The replication group's replica on `target`, named after the configured primary. */
function asyncReplica(ctx: DriverContext): string {
  const source = ctx.state.failedOverPrimary ?? ctx.primary ?? ctx.state.current;
  return replicaPgroupName(source.name, ctx.pure.replicationPgName);
}

async function findAsyncTarget(ctx: DriverContext): Promise<[FlashArray, string]> {
  const targets = ctx.state.targets;
  if (targets.length === 0)
    throw new PureDriverException('Unable to find failover target, no secondary targets configured.');
  let tried: FlashArray | null = null;
  for (const target of targets.filter((t) => t.replicationType === 'async')) {
    tried = target;
    const snapshot = await latestSnapshot(target, asyncReplica(ctx)).catch((failure: Error) => {
      ctx.logger.warn({ array: target.name, err: failure.message }, 'Error finding replicated pg snapshot');
      return null;
    });
    if (snapshot !== null) return [target, snapshot];
  }
  throw new PureDriverException(
    `Unable to find viable pg snapshot to use for failover on selected secondary array: ${tried?.backendId ?? null}.`,
  );
}

function failback(ctx: DriverContext, volumes: DriverVolume[]): FailoverResult {
  const state = ctx.state;
  if (!state.failedOver)
    throw new InvalidReplicationTarget({
      message: 'Unable to failback to "default", this can only be done after a failover has completed.',
    });
  const inActiveCluster = state.current.replicationType === 'sync';
  const volumeUpdates = volumes
    .filter((dv) => !(inActiveCluster && replicationKindOf(dv.type) === 'sync'))
    .map((dv) => error(dv.volume.id));
  return { activeBackendId: 'default', volumeUpdates };
}

export async function failover(
  ctx: DriverContext,
  volumes: DriverVolume[],
  secondaryId: string | null,
): Promise<FailoverResult> {
  if (secondaryId === 'default') return failback(ctx, volumes);
  const state = ctx.state;
  if (secondaryId === state.current.backendId)
    throw new InvalidReplicationTarget({
      reason: `Secondary id can not be the same as primary array, backend_id = ${secondaryId}.`,
    });
  let target: FlashArray | null;
  let snapshot: string | null = null;
  if (secondaryId) {
    target = state.targets.find((t) => t.backendId === secondaryId) ?? null;
    if (target === null)
      throw new InvalidReplicationTarget({
        reason: `Unable to determine secondary_array from supplied secondary: ${secondaryId}.`,
      });
    if (target.replicationType !== 'sync') {
      snapshot = await latestSnapshot(target, asyncReplica(ctx));
      if (snapshot === null)
        throw new PureDriverException(
          `Unable to find viable pg snapshot to use for failover on selected secondary array: ${secondaryId}.`,
        );
    }
  } else {
    target = await findSyncTarget(ctx);
    if (target === null) [target, snapshot] = await findAsyncTarget(ctx);
  }
  ctx.logger.info({ from: state.current.name, to: target.name }, 'Starting failover');
  const volumeUpdates =
    target.replicationType === 'sync'
      ? await syncFailover(ctx, target, volumes)
      : await asyncFailover(ctx, target, snapshot!, volumes);
  return { activeBackendId: target.backendId, volumeUpdates };
}

/** `failover_completed`: switch the current array; a failback needs the primary reachable again. */
export async function failoverCompleted(ctx: DriverContext, activeBackendId: string): Promise<void> {
  const state = ctx.state;
  if (activeBackendId === state.current.backendId) {
    ctx.logger.info({}, 'No need to switch replication backend, already using it');
    return;
  }
  const back = !activeBackendId || activeBackendId === 'default';
  if (back && !state.failedOver) {
    ctx.logger.info({}, 'Failover not occured - secondary array cannot be same as primary');
    return;
  }
  if (back && ctx.primary === null) ctx.primary = await reconnectPrimary(ctx);
  ctx.state = replicationStateFor(stateInputs(ctx), back ? null : activeBackendId);
  ctx.logger.info({ array: ctx.state.current.name }, 'Driver failover completion completed.');
}

async function reconnectPrimary(ctx: DriverContext): Promise<FlashArray> {
  const b = ctx.backend;
  try {
    return await connectArray(ctx, {
      target: b.sanIp,
      apiToken: b.pure.apiToken ?? '',
      verifyTls: b.driverSslCertVerify,
      caPath: b.driverSslCertPath,
      backendId: b.volumeBackendName,
      replicationType: null,
      uniform: true,
    });
  } catch (failure) {
    if (!(failure instanceof PurityClientError)) throw failure;
    throw new PureDriverException(`the primary array cannot be reached for the failback: ${failure.message}`);
  }
}
