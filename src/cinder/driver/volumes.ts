// Volume operations (spec §6): create (plain, with QoS, in a volume group, in the replication
// pod), copies from a snapshot or a volume, extend and delete, each ending in `_setup_volume`,
// which puts the volume in its consistency group and replication groups and tags it.

import type { SnapshotRecord, VolumeRecord } from '../model.js';
import { hasError, PURITY_ERROR_TEXT, type VolumePost } from '../purity-client/index.js';
import {
  addToPgroup,
  deleteVgroupIfEmpty,
  ensureVolumeGroup,
  extendVolume,
  findGroupPgroup,
  postVolume,
  setQos,
  tagVolume,
} from './array-ops.js';
import { GiB } from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure } from './errors.js';
import { disconnectHost } from './hosts.js';
import {
  groupSnapshotSuffix,
  pgroupVolumeSnapshotName,
  purityVolumeName,
  snapshotName,
  volumeBaseName,
} from './names.js';
import { qosLimitsFor, qosSettingsOf, replicationKindOf, volumeGroupSpecOf } from './type-specs.js';
import type { DriverVolume, VolumeModelUpdate } from './volume-driver.js';

/** The array name of an existing volume: its provider_id, or what create would have named it. */
export function volumeNameOf(volume: VolumeRecord): string {
  return volume.providerId ?? `${volumeBaseName(volume.id)}-cinder`;
}

/**
 * `_setup_volume`: consistency group, async or trisync protection group, tags, and the model
 * update. A volume that cannot join its replication group is removed and the create fails
 * (Cinder removes it too but reports success, leaving a volume record without a volume).
 */
async function setUpVolume(ctx: DriverContext, array: FlashArray, dv: DriverVolume, name: string) {
  const { volume } = dv;
  if (volume.groupId !== null) {
    const cg = await findGroupPgroup(ctx, array, volume.groupId);
    if (cg !== null) await addToPgroup(array, cg, [name]);
  }
  const kind = replicationKindOf(dv.type);
  const pgroup =
    kind === 'async'
      ? ctx.pure.replicationPgName
      : kind === 'trisync' && ctx.trisync !== null
        ? ctx.trisync.pgroup
        : null;
  if (pgroup !== null) {
    try {
      await addToPgroup(array, pgroup, [name]);
    } catch (error) {
      ctx.logger.error({ volume: name, pgroup }, 'Failed to add volume to pgroup, removing volume');
      await array.client.volumes.patch({ names: [name] }, { destroyed: true });
      await array.client.volumes.delete({ names: [name] });
      throw error;
    }
  }
  const replicated = name.includes('::') || pgroup !== null;
  const volType = volume.bootable ? 'Boot' : 'Data';
  await tagVolume(ctx, array, name, { VolType: volType, ProjectId: volume.projectId });
  const update: VolumeModelUpdate = {
    providerId: name,
    replicationStatus: replicated ? 'enabled' : 'disabled',
    metadata: { ...volume.metadata, array_volume_name: name, array_name: array.name },
  };
  return update;
}

export async function createVolume(ctx: DriverContext, dv: DriverVolume): Promise<VolumeModelUpdate> {
  const array = await ctx.currentArray();
  const name = purityVolumeName(dv.volume.id, dv.type, ctx.podName);
  const provisioned = dv.volume.size * GiB;
  const vg = volumeGroupSpecOf(dv.type);
  if (vg !== null) {
    // Volume-level QoS does not apply inside a volume group: the group carries it.
    await ensureVolumeGroup(ctx, array, vg);
    await postVolume(ctx, array, `${vg.name}/${name}`, { provisioned });
    return setUpVolume(ctx, array, dv, `${vg.name}/${name}`);
  }
  const qos = qosSettingsOf(dv.type, dv.qosSpecs);
  const body: VolumePost = { provisioned };
  if (qos !== null) {
    const limits = qosLimitsFor(qos, dv.volume.size);
    const wanted = { iops_limit: limits.iopsLimit, bandwidth_limit: limits.bandwidthBytesPerSec };
    const given = Object.entries(wanted).filter(([, v]) => v !== null);
    if (given.length > 0) body.qos = Object.fromEntries(given);
  }
  await postVolume(ctx, array, name, body);
  return setUpVolume(ctx, array, dv, name);
}

/** Where a copy goes and with which QoS: in the type's volume group, or plain with the type's QoS. */
async function copyVolume(
  ctx: DriverContext,
  array: FlashArray,
  dv: DriverVolume,
  sourceName: string,
  sourceSizeGiB: number,
): Promise<VolumeModelUpdate> {
  const name = purityVolumeName(dv.volume.id, dv.type, ctx.podName);
  const vg = volumeGroupSpecOf(dv.type);
  const target = vg === null ? name : `${vg.name}/${name}`;
  if (vg !== null) await ensureVolumeGroup(ctx, array, vg);
  await postVolume(ctx, array, target, { source: { name: sourceName } });
  if (dv.volume.size > sourceSizeGiB) await extendVolume(array, target, dv.volume.size);
  // The copy carries the source's QoS: it gets the type's, or none.
  if (vg === null) await setQos(array, target, dv.volume.size, qosSettingsOf(dv.type, dv.qosSpecs));
  return setUpVolume(ctx, array, dv, target);
}

/** The array name of a snapshot: its own, or the member snapshot of its group snapshot. */
export async function snapshotArrayName(
  ctx: DriverContext,
  array: FlashArray,
  snapshot: SnapshotRecord,
  source: VolumeRecord,
): Promise<string> {
  const volumeName = volumeNameOf(source);
  const own = snapshotName(volumeName, snapshot.id);
  if (snapshot.groupSnapshotId === null || source.groupId === null) return own;
  // A generic group's snapshots are made one by one and have their own names.
  const pgroup = await findGroupPgroup(ctx, array, source.groupId);
  if (pgroup === null) return own;
  return pgroupVolumeSnapshotName(pgroup, groupSnapshotSuffix(snapshot.groupSnapshotId), volumeName);
}

export async function createVolumeFromSnapshot(
  ctx: DriverContext,
  dv: DriverVolume,
  snapshot: SnapshotRecord,
  source: VolumeRecord,
): Promise<VolumeModelUpdate> {
  const array = await ctx.currentArray();
  const snap = await snapshotArrayName(ctx, array, snapshot, source);
  return copyVolume(ctx, array, dv, snap, snapshot.volumeSize);
}

export async function createClonedVolume(
  ctx: DriverContext,
  dv: DriverVolume,
  source: VolumeRecord,
): Promise<VolumeModelUpdate> {
  const array = await ctx.currentArray();
  return copyVolume(ctx, array, dv, volumeNameOf(source), source.size);
}

export async function extendVolumeTo(ctx: DriverContext, dv: DriverVolume, newSizeGiB: number) {
  const array = await ctx.currentArray();
  const name = volumeNameOf(dv.volume);
  await extendVolume(array, name, newSizeGiB);
  // Per-GB QoS follows the new size (Cinder passes the size in bytes here, which caps it).
  const qos = qosSettingsOf(dv.type, dv.qosSpecs);
  if (qos !== null) await setQos(array, name, newSizeGiB, qos);
}

/** `delete_volume`: disconnect every host, destroy, eradicate if configured, drop an emptied vgroup. */
export async function deleteVolume(ctx: DriverContext, volume: VolumeRecord): Promise<void> {
  const array = await ctx.currentArray();
  const name = volumeNameOf(volume);
  const connections = await array.client.connections.get({ volume_names: [name] });
  if (connections.ok) {
    for (const c of connections.items) if (c.host.name) await disconnectHost(ctx, array, c.host.name, name);
  }
  const res = await array.client.volumes.patch({ names: [name] }, { destroyed: true });
  const gone =
    hasError(res, PURITY_ERROR_TEXT.doesNotExist) || hasError(res, PURITY_ERROR_TEXT.hasBeenDestroyed);
  if (!res.ok && !gone) throw arrayFailure(`Destroying volume ${name}`, array.name, res);
  if (!res.ok) ctx.logger.warn({ volume: name, array: array.name }, 'Volume deletion: already gone');
  if (ctx.eradicateOnDelete) {
    const erased = await array.client.volumes.delete({ names: [name] });
    if (!erased.ok && !hasError(erased, PURITY_ERROR_TEXT.doesNotExist))
      throw arrayFailure(`Eradicating volume ${name}`, array.name, erased);
  }
  if (name.includes('/')) await deleteVgroupIfEmpty(ctx, array, name.split('/')[0]!);
}
