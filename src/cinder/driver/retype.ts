// retype (spec §9): in place, never by migration. Replication changes move the volume in or out
// of the async protection group, the trisync group and the replication pod; a volume-group
// change moves it between groups; otherwise the new type's QoS is applied. The model update keeps
// every change (Cinder's volume-group branch drops the replication status it computed) and the
// QoS goes to the volume's name after the move (Cinder uses the name under the old type).

import type { VolumeTypeRecord } from '../model.js';
import {
  addToPgroup,
  deleteVgroupIfEmpty,
  ensureVolumeGroup,
  removeFromPgroups,
  setQos,
} from './array-ops.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure } from './errors.js';
import { moveIntoReplicationPod, moveOutOfReplicationPod } from './ghost-pods.js';
import { bareVolumeName } from './names.js';
import {
  isPodKind,
  isReplicatedType,
  qosSettingsOf,
  type ReplicationKind,
  replicationKindOf,
  volumeGroupSpecOf,
} from './type-specs.js';
import type { DriverVolume, VolumeModelUpdate } from './volume-driver.js';
import { volumeNameOf } from './volumes.js';

interface Retyping {
  ctx: DriverContext;
  array: FlashArray;
  dv: DriverVolume;
  /** The volume's array name, as it changes along the way. */
  name: string;
}

async function trisyncMembership(r: Retyping, join: boolean): Promise<void> {
  const trisync = r.ctx.trisync;
  if (trisync === null) {
    r.ctx.logger.warn(
      { volume: r.name },
      'trisync is not enabled: the volume stays out of the trisync group',
    );
    return;
  }
  if (join) await addToPgroup(r.array, trisync.pgroup, [r.name]);
  else await removeFromPgroups(r.array, [trisync.pgroup], r.name);
}

/** The async group only: Cinder removes the volume from all its groups, consistency groups too. */
async function leaveAsync(r: Retyping): Promise<void> {
  await removeFromPgroups(r.array, [r.ctx.pure.replicationPgName], r.name);
}

function withName(r: Retyping, status: 'enabled' | 'disabled'): VolumeModelUpdate {
  return {
    replicationStatus: status,
    providerId: r.name,
    metadata: { ...r.dv.volume.metadata, array_volume_name: r.name },
  };
}

/** `_sync_retype_enable`: into the pod; without a sync target it is only logged, as Cinder does. */
async function enterPod(r: Retyping, next: ReplicationKind): Promise<VolumeModelUpdate | null> {
  if (r.ctx.state.activeClusterTargets.length === 0) {
    r.ctx.logger.error({ volume: r.name }, 'Sync replication is not enabled on the array');
    return null;
  }
  r.name = await moveIntoReplicationPod(r.ctx, r.array, r.dv.volume, r.name);
  if (next === 'trisync') await trisyncMembership(r, true);
  return withName(r, 'enabled');
}

async function leavePod(r: Retyping, prev: ReplicationKind): Promise<void> {
  if (prev === 'trisync') await trisyncMembership(r, false);
  r.name = await moveOutOfReplicationPod(r.ctx, r.array, r.dv.volume, r.name);
}

async function changeReplication(
  r: Retyping,
  prev: ReplicationKind | null,
  prevReplicated: boolean,
  next: ReplicationKind | null,
): Promise<VolumeModelUpdate | null> {
  if (prevReplicated && next === null) {
    if (prev === 'async') {
      await leaveAsync(r);
      return { replicationStatus: 'disabled' };
    }
    if (prev === null) return null;
    await leavePod(r, prev);
    return withName(r, 'disabled');
  }
  if (next === null) return null;
  if (!prevReplicated || prev === 'async') {
    if (isPodKind(next)) return enterPod(r, next);
    if (prevReplicated) return null;
    await addToPgroup(r.array, r.ctx.pure.replicationPgName, [r.name]);
    return { replicationStatus: 'enabled' };
  }
  if (prev === null || prev === next) return null;
  if (next === 'async') {
    await leavePod(r, prev);
    await addToPgroup(r.array, r.ctx.pure.replicationPgName, [r.name]);
    return withName(r, 'enabled');
  }
  // sync <-> trisync: only the trisync group changes.
  await trisyncMembership(r, next === 'trisync');
  return null;
}

async function changeVolumeGroup(
  r: Retyping,
  newType: VolumeTypeRecord,
  update: VolumeModelUpdate | null,
): Promise<VolumeModelUpdate | null> {
  const sourceVg = r.name.includes('/') ? r.name.split('/')[0]! : null;
  const target = volumeGroupSpecOf(newType);
  if (sourceVg === null && target === null) return null;
  if (target !== null) await ensureVolumeGroup(r.ctx, r.array, target);
  if (sourceVg !== target?.name) {
    const res = await r.array.client.volumes.patch(
      { names: [r.name] },
      { volume_group: { name: target?.name ?? '' } },
    );
    if (!res.ok)
      throw arrayFailure(`Moving ${r.name} to volume group '${target?.name ?? ''}'`, r.array.name, res);
    r.name = target === null ? bareVolumeName(r.name) : `${target.name}/${bareVolumeName(r.name)}`;
  }
  if (sourceVg !== null && sourceVg !== target?.name) await deleteVgroupIfEmpty(r.ctx, r.array, sourceVg);
  const metadata = {
    ...(update?.metadata ?? r.dv.volume.metadata),
    array_volume_name: r.name,
    array_name: r.array.name,
  };
  return { ...update, providerId: r.name, metadata };
}

export async function retype(
  ctx: DriverContext,
  dv: DriverVolume,
  newType: VolumeTypeRecord,
  newQosSpecs: Record<string, string> | null,
): Promise<[boolean, VolumeModelUpdate | null]> {
  const r: Retyping = { ctx, array: await ctx.currentArray(), dv, name: volumeNameOf(dv.volume) };
  const prevReplicated = isReplicatedType(dv.type);
  const prev = prevReplicated ? replicationKindOf(dv.type) : null;
  // A replicated type with an unknown replication_type is async here (Cinder's retype does so).
  const next = isReplicatedType(newType) ? (replicationKindOf(newType) ?? 'async') : null;
  const update = await changeReplication(r, prev, prevReplicated, next);
  const moved = await changeVolumeGroup(r, newType, update);
  if (moved !== null) return [true, moved];
  await setQos(r.array, r.name, dv.volume.size, qosSettingsOf(newType, newQosSpecs));
  return [true, update];
}
