// Array calls several operations share: creating a volume (with SafeMode's flag), QoS, tags,
// volume groups and protection-group membership. Each checks the array's answer: Cinder ignores
// many of these answers and reports success for a volume that was never made; here a refusal is
// a PureDriverException, except for tags, which are informational.

import type { VolumePost } from '../purity-client/index.js';
import { hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import { QOS_BANDWIDTH_MAX_BYTES_PER_SEC, QOS_IOPS_MAX, TAG_NAMESPACE } from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure } from './errors.js';
import { pgroupNameCandidates } from './names.js';
import { type QosSettings, qosLimitsFor, type VolumeGroupSpec } from './type-specs.js';

/** POST /volumes; `already exists` is a retried create and counts as done (never for overwrite). */
export async function postVolume(
  ctx: DriverContext,
  array: FlashArray,
  name: string,
  body: VolumePost,
  overwrite = false,
): Promise<void> {
  const res = await array.client.volumes.post(
    {
      names: [name],
      ...(overwrite ? { overwrite: true } : {}),
      ...(array.safemode ? { with_default_protection: ctx.pure.safemodeEnabled } : {}),
    },
    body,
  );
  if (res.ok) return;
  if (!overwrite && hasError(res, PURITY_ERROR_TEXT.alreadyExists)) {
    ctx.logger.warn({ volume: name, array: array.name }, 'volume already exists; taking it as created');
    return;
  }
  throw arrayFailure(`Creating volume ${name}`, array.name, res);
}

export async function extendVolume(array: FlashArray, name: string, sizeGiB: number): Promise<void> {
  const res = await array.client.volumes.patch({ names: [name] }, { provisioned: sizeGiB * 1024 ** 3 });
  if (!res.ok) throw arrayFailure(`Resizing volume ${name} to ${sizeGiB} GiB`, array.name, res);
}

/**
 * `set_qos`: the type's limits for a volume of `sizeGiB` (per-GB values scaled by it), or no
 * limits at all (Purity's maximum) when `qos` is null.
 */
export async function setQos(
  array: FlashArray,
  name: string,
  sizeGiB: number,
  qos: QosSettings | null,
): Promise<void> {
  const limits = qos ? qosLimitsFor(qos, sizeGiB) : { iopsLimit: null, bandwidthBytesPerSec: null };
  const res = await array.client.volumes.patch(
    { names: [name] },
    {
      qos: {
        iops_limit: limits.iopsLimit ?? QOS_IOPS_MAX,
        bandwidth_limit: limits.bandwidthBytesPerSec ?? QOS_BANDWIDTH_MAX_BYTES_PER_SEC,
      },
    },
  );
  if (!res.ok) throw arrayFailure(`Setting QoS of ${name}`, array.name, res);
}

/** `_tag_volume`: tags are informational, so a refusal is only logged. */
export async function tagVolume(
  ctx: DriverContext,
  array: FlashArray,
  name: string,
  tags: Record<string, string>,
): Promise<void> {
  const pairs = { ...tags, DataStoreType: 'Direct Access' };
  const batch = Object.entries(pairs).map(([key, value]) => ({
    key,
    value,
    namespace: TAG_NAMESPACE,
    copyable: false,
  }));
  const res = await array.client.volumesTags.putBatch({ resource_names: [name] }, batch);
  if (!res.ok) ctx.logger.debug?.({ volume: name, status: res.status }, 'volume tags not set');
}

/** `_create_volume_group_if_not_exist`: an existing group gets the type's QoS again. */
export async function ensureVolumeGroup(ctx: DriverContext, array: FlashArray, vg: VolumeGroupSpec) {
  const qos = { iops_limit: vg.iopsLimit, bandwidth_limit: vg.bandwidthBytesPerSec };
  const groups = array.client.volumeGroups;
  const res = await groups.post({ names: [vg.name] }, { qos });
  if (res.ok) return;
  if (hasError(res, PURITY_ERROR_TEXT.alreadyExists)) {
    const patched = await groups.patch({ names: [vg.name] }, { qos });
    if (!patched.ok)
      ctx.logger.warn({ vgroup: vg.name, status: patched.status }, 'Unable to change vgroup QoS');
    return;
  }
  const existing = await groups.get({ names: [vg.name] });
  if (existing.ok && existing.items[0]?.destroyed) {
    ctx.logger.warn({ vgroup: vg.name }, 'volume group is destroyed but not eradicated: making it again');
    await groups.delete({ names: [vg.name] });
    const again = await groups.post({ names: [vg.name] }, { qos });
    if (again.ok) return;
    throw arrayFailure(`Creating volume group ${vg.name}`, array.name, again);
  }
  throw arrayFailure(`Creating volume group ${vg.name}`, array.name, res);
}

/** `_delete_vgroup_if_empty`: best effort, a group that cannot be read is left alone. */
export async function deleteVgroupIfEmpty(ctx: DriverContext, array: FlashArray, vgroup: string) {
  const res = await array.client.volumeGroups.get({ names: [vgroup] });
  if (!res.ok || res.items[0]?.volume_count !== 0) return;
  await array.client.volumeGroups.patch({ names: [vgroup] }, { destroyed: true });
  if (!ctx.eradicateOnDelete) return;
  const gone = await array.client.volumeGroups.delete({ names: [vgroup] });
  if (!gone.ok) ctx.logger.warn({ vgroup, status: gone.status }, 'Volume group deletion failed');
}

/** POST /protection-groups/volumes; a volume already in the group is fine. */
export async function addToPgroup(array: FlashArray, pgroup: string, volumeNames: readonly string[]) {
  if (volumeNames.length === 0) return;
  const res = await array.client.protectionGroupsVolumes.post({
    group_names: [pgroup],
    member_names: volumeNames,
  });
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.alreadyIncludes))
    throw arrayFailure(`Adding ${volumeNames.join(', ')} to protection group ${pgroup}`, array.name, res);
}

/** DELETE /protection-groups/volumes; a volume that is not a member is fine (`could not be found`). */
export async function removeFromPgroups(array: FlashArray, pgroups: readonly string[], volumeName: string) {
  if (pgroups.length === 0) return;
  const res = await array.client.protectionGroupsVolumes.delete({
    group_names: pgroups,
    member_names: [volumeName],
  });
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.couldNotBeFound))
    throw arrayFailure(`Removing ${volumeName} from ${pgroups.join(', ')}`, array.name, res);
}

/** The protection groups a volume is in (`_get_pgroups`). */
export async function pgroupsOfVolume(array: FlashArray, volumeName: string): Promise<string[]> {
  const res = await array.client.protectionGroupsVolumes.get({ member_names: [volumeName] });
  if (!res.ok) return [];
  return res.items.flatMap((m) => (m.group.name === null ? [] : [m.group.name]));
}

/**
 * The protection group of a consistency group, or null for a group that has none (a generic
 * group). The driver cannot always see the group's volume types, so it asks the array which of
 * the two possible names (in the pod or not) exists.
 */
export async function findGroupPgroup(ctx: DriverContext, array: FlashArray, groupId: string) {
  for (const name of pgroupNameCandidates(groupId, ctx.podName)) {
    const res = await array.client.protectionGroups.get({ names: [name], destroyed: false });
    if (res.ok && res.items.length > 0) return name;
  }
  return null;
}
