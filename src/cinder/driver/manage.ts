// manage_existing, manage_existing_get_size and unmanage (spec §10): bring an array volume under
// Cinder (renamed to `volume-<id>-cinder`, given the type's QoS, group and replication) or let one
// go (renamed `...-unmanaged`, tags removed).

import type { VolumeRecord } from '../model.js';
import type { Volume } from '../purity-client/index.js';
import { hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import {
  addToPgroup,
  deleteVgroupIfEmpty,
  ensureVolumeGroup,
  pgroupsOfVolume,
  removeFromPgroups,
  setQos,
  tagVolume,
} from './array-ops.js';
import { CINDER_SUFFIX, GiB, TAG_NAMESPACE, UNMANAGED_SUFFIX, VOLUME_NAME_CHARS_MAX } from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure, ManageExistingInvalidReference } from './errors.js';
import { moveIntoReplicationPod } from './ghost-pods.js';
import { bareVolumeName, unmanagedName, volumeBaseName } from './names.js';
import { qosSettingsOf, replicationKindOf, volumeGroupSpecOf } from './type-specs.js';
import type { DriverVolume, VolumeModelUpdate } from './volume-driver.js';
import { volumeNameOf } from './volumes.js';

/** `_validate_manage_existing_ref`: the named volume, if Cinder may take it. */
async function validateReference(
  array: FlashArray,
  reference: Record<string, unknown>,
): Promise<{ name: string; volume: Volume }> {
  const name = reference['source-name'];
  const invalid = (reason: string) => new ManageExistingInvalidReference(reference, reason);
  if (typeof name !== 'string' || name === '')
    throw invalid("manage_existing requires a 'source-name' key to identify an existing volume.");
  if (name.split('::').length > 2) throw invalid('Unable to manage volume in a Realm');
  if (name.includes('::')) {
    const pods = await array.client.pods.get({ names: [name.split('::')[0]!] });
    const pod = pods.ok ? pods.items[0] : undefined;
    if (pod && (pod.array_count > 1 || pod.link_source_count > 0 || pod.link_target_count > 0))
      throw invalid('Unable to manage volume in a Replicated Pod');
  }
  const res = await array.client.volumes.get({ names: [name] });
  const volume = res.ok ? res.items[0] : undefined;
  if (volume === undefined || volume.destroyed)
    throw invalid(`Unable to find Purity ref with source-name=${name}`);
  return { name, volume };
}

export async function manageExistingGetSize(
  ctx: DriverContext,
  reference: Record<string, unknown>,
): Promise<number> {
  const { volume } = await validateReference(await ctx.currentArray(), reference);
  return Math.ceil(volume.provisioned / GiB);
}

/** `_safemode_check` and `_check_repl`: reads the volume's protection groups once for both. */
async function inspectPgroups(array: FlashArray, name: string, reference: Record<string, unknown>) {
  let replicated = false;
  for (const pgroup of await pgroupsOfVolume(array, name)) {
    const res = await array.client.protectionGroups.get({ names: [pgroup] });
    const info = res.ok ? res.items[0] : undefined;
    if (info?.retention_lock === 'ratcheted')
      throw new ManageExistingInvalidReference(
        reference,
        'FlashArrayDriver manage_existing cannot manage a SafeMode protected volume as its not supported.',
      );
    if ((info?.target_count ?? 0) >= 1) replicated = true;
  }
  return replicated;
}

async function rename(array: FlashArray, from: string, to: string): Promise<void> {
  const res = await array.client.volumes.patch({ names: [from] }, { name: to });
  if (!res.ok) throw arrayFailure(`Renaming ${from} to ${to}`, array.name, res);
}

export async function manageExisting(
  ctx: DriverContext,
  dv: DriverVolume,
  reference: Record<string, unknown>,
): Promise<VolumeModelUpdate> {
  const array = await ctx.currentArray();
  const { name: ref, volume } = await validateReference(array, reference);
  const wasAsync = await inspectPgroups(array, ref, reference);
  if (volume.connection_count > 0)
    throw new ManageExistingInvalidReference(
      reference,
      'FlashArrayDriver manage_existing cannot manage a volume connected to hosts. Please disconnect this volume from existing hosts before importing',
    );
  // The new name keeps the volume's pod; a volume group is left by the rename (as Cinder does).
  const base = `${volumeBaseName(dv.volume.id)}${CINDER_SUFFIX}`;
  let name = ref.includes('::') ? `${ref.split('::')[0]}::${base}` : base;
  await rename(array, ref, name);
  if (volume.qos.iops_limit || volume.qos.bandwidth_limit) await setQos(array, name, 0, null);
  const vg = volumeGroupSpecOf(dv.type);
  if (vg !== null) {
    await ensureVolumeGroup(ctx, array, vg);
    const moved = await array.client.volumes.patch({ names: [name] }, { volume_group: { name: vg.name } });
    if (!moved.ok)
      ctx.logger.warn({ volume: name, vgroup: vg.name }, 'Failed to move volume to volume group');
    else name = `${vg.name}/${bareVolumeName(name)}`;
  }
  if (ref.includes('/') && !name.startsWith(`${ref.split('/')[0]}/`))
    await deleteVgroupIfEmpty(ctx, array, ref.split('/')[0]!);
  const qos = qosSettingsOf(dv.type, dv.qosSpecs);
  if (qos !== null) await setQos(array, name, Math.ceil(volume.provisioned / GiB), qos);
  const kind = replicationKindOf(dv.type);
  if (wasAsync && kind !== 'async') await removeFromPgroups(array, [ctx.pure.replicationPgName], name);
  if (kind === 'async') await addToPgroup(array, ctx.pure.replicationPgName, [name]);
  if (kind === 'sync') name = await moveIntoReplicationPod(ctx, array, dv.volume, name);
  await tagVolume(ctx, array, name, { ProjectId: dv.volume.projectId });
  return {
    providerId: name,
    replicationStatus: kind === 'async' || kind === 'sync' ? 'enabled' : 'disabled',
    metadata: { ...dv.volume.metadata, array_volume_name: name, array_name: array.name },
  };
}

/** `unmanage`: tags removed, renamed with `-unmanaged` so that the name is free again. */
export async function unmanage(ctx: DriverContext, volume: VolumeRecord): Promise<void> {
  const array = await ctx.currentArray();
  const name = volumeNameOf(volume);
  await array.client.volumesTags.delete({ resource_names: [name], namespaces: [TAG_NAMESPACE] });
  const res = await array.client.volumes.patch(
    { names: [name] },
    { name: unmanagedName(name, UNMANAGED_SUFFIX, VOLUME_NAME_CHARS_MAX) },
  );
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.doesNotExist))
    throw arrayFailure(`Renaming ${name} for unmanage`, array.name, res);
}
