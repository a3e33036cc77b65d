// Consistency groups (spec §11): a group whose type has consistent_group_snapshot_enabled is a
// protection group `consisgroup-<id>-cinder` (in the pod for sync types), replicated when the
// group type asks for consistent_group_replication_enabled; its snapshots are protection-group
// snapshots. Other groups are Cinder's generic groups: DriverNotImplemented hands them back.

import type {
  GroupRecord,
  GroupSnapshotRecord,
  GroupTypeRecord,
  VolumeRecord,
  VolumeTypeRecord,
} from '../model.js';
import { hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import { boolFromString, splitWords } from '../scheduler/python-semantics.js';
import { addToPgroup, findGroupPgroup, removeFromPgroups } from './array-ops.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure, DriverNotImplemented, PureDriverException } from './errors.js';
import { groupSnapshotSuffix, pgroupName } from './names.js';
import { createPgroupIfNotExist, setUpReplicatedPgroup } from './replication-setup.js';
import { replicationKindOf } from './type-specs.js';
import { deleteVolume, volumeNameOf } from './volumes.js';

/** volume_utils.is_group_a_type: the group spec reads `<is> True`. */
function groupSpecIsTrue(groupType: GroupTypeRecord, key: string): boolean {
  const words = splitWords(groupType.groupSpecs[key] ?? '');
  return words.length === 2 && words[0] === '<is>' && boolFromString(words[1]);
}

/** Without the group type (callers that do not pass it) a group is taken as a consistency group. */
export function isConsistencyGroup(groupType: GroupTypeRecord | null | undefined): boolean {
  return groupType == null || groupSpecIsTrue(groupType, 'consistent_group_snapshot_enabled');
}

function requireConsistencyGroup(groupType: GroupTypeRecord | null | undefined, what: string) {
  if (!isConsistencyGroup(groupType)) throw new DriverNotImplemented(what);
}

/** The group's protection group; a consistency group without one was never made or is gone. */
async function groupPgroup(
  ctx: DriverContext,
  array: FlashArray,
  group: GroupRecord,
): Promise<string | null> {
  return findGroupPgroup(ctx, array, group.id);
}

export async function createGroup(
  ctx: DriverContext,
  group: GroupRecord,
  types: VolumeTypeRecord[],
  groupType: GroupTypeRecord | null | undefined,
): Promise<{ status: GroupRecord['status'] }> {
  requireConsistencyGroup(groupType, 'create_group');
  const array = await ctx.currentArray();
  const name = pgroupName(group.id, types, ctx.podName);
  const replicated = groupType != null && groupSpecIsTrue(groupType, 'consistent_group_replication_enabled');
  if (!replicated) {
    await createPgroupIfNotExist(ctx, array, name);
    return { status: 'available' };
  }
  if (!ctx.state.replicationEnabled)
    throw new PureDriverException('Replication not properly configured on backend.');
  const kinds = new Set(types.map((t) => replicationKindOf(t)));
  const [kind] = kinds;
  if (kinds.size !== 1 || (kind !== 'async' && kind !== 'trisync')) {
    ctx.logger.error(
      { group: group.id },
      'Unable to create group: consistent replication needs one async or trisync volume type',
    );
    return { status: 'error' };
  }
  // A trisync group lives in the pod and replicates to the async target only (the pod's peer
  // already has it); Cinder also names the sync peer as a target, which the array refuses.
  const targets =
    kind === 'trisync' ? ctx.state.targets.filter((t) => t.replicationType !== 'sync') : ctx.state.targets;
  const frequencyMs = ctx.pure.replicaIntervalSeconds * 1000;
  await setUpReplicatedPgroup(ctx, array, targets, name, { frequencyMs, retention: null });
  return { status: 'available' };
}

export async function deleteGroup(
  ctx: DriverContext,
  group: GroupRecord,
  volumes: VolumeRecord[],
  groupType: GroupTypeRecord | null | undefined,
): Promise<void> {
  requireConsistencyGroup(groupType, 'delete_group');
  const array = await ctx.currentArray();
  const name = await groupPgroup(ctx, array, group);
  if (name !== null) {
    const res = await array.client.protectionGroups.patch({ names: [name] }, { destroyed: true });
    const gone =
      hasError(res, PURITY_ERROR_TEXT.hasBeenDestroyed) || hasError(res, PURITY_ERROR_TEXT.doesNotExist);
    if (!res.ok && !gone) throw arrayFailure(`Destroying protection group ${name}`, array.name, res);
    if (res.ok && ctx.eradicateOnDelete) await array.client.protectionGroups.delete({ names: [name] });
  }
  for (const volume of volumes) await deleteVolume(ctx, volume);
}

export async function updateGroup(
  ctx: DriverContext,
  group: GroupRecord,
  add: VolumeRecord[],
  remove: VolumeRecord[],
  groupType: GroupTypeRecord | null | undefined,
): Promise<void> {
  requireConsistencyGroup(groupType, 'update_group');
  const array = await ctx.currentArray();
  const name = await groupPgroup(ctx, array, group);
  if (name === null) throw new PureDriverException(`consistency group ${group.id} has no protection group`);
  // Cinder always makes both calls, empty lists too, which the array refuses unchecked.
  await addToPgroup(array, name, add.map(volumeNameOf));
  for (const volume of remove) await removeFromPgroups(array, [name], volumeNameOf(volume));
}

export async function createGroupSnapshot(
  ctx: DriverContext,
  groupSnapshot: GroupSnapshotRecord,
  group: GroupRecord,
  groupType: GroupTypeRecord | null | undefined,
): Promise<void> {
  requireConsistencyGroup(groupType, 'create_group_snapshot');
  const array = await ctx.currentArray();
  const name = await groupPgroup(ctx, array, group);
  if (name === null) throw new PureDriverException(`consistency group ${group.id} has no protection group`);
  const suffix = groupSnapshotSuffix(groupSnapshot.id);
  const res = await array.client.protectionGroupSnapshots.post({ source_names: [name] }, { suffix });
  if (!res.ok) throw arrayFailure(`Creating group snapshot ${name}.${suffix}`, array.name, res);
}

export async function deleteGroupSnapshot(
  ctx: DriverContext,
  groupSnapshot: GroupSnapshotRecord,
  group: GroupRecord,
  groupType: GroupTypeRecord | null | undefined,
): Promise<void> {
  requireConsistencyGroup(groupType, 'delete_group_snapshot');
  const array = await ctx.currentArray();
  const pgroup = await groupPgroup(ctx, array, group);
  if (pgroup === null) return;
  const name = `${pgroup}.${groupSnapshotSuffix(groupSnapshot.id)}`;
  const snapshots = array.client.protectionGroupSnapshots;
  const res = await snapshots.patch({ names: [name] }, { destroyed: true });
  const gone =
    hasError(res, PURITY_ERROR_TEXT.hasBeenDestroyed) || hasError(res, PURITY_ERROR_TEXT.doesNotExist);
  if (!res.ok && !gone) throw arrayFailure(`Destroying group snapshot ${name}`, array.name, res);
  if (ctx.eradicateOnDelete) await snapshots.delete({ names: [name] });
}
