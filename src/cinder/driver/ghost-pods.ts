// Moving a volume into or out of the stretched replication pod (spec §9). Purity moves volumes
// only between pods stretched to the same arrays, and into or out of the root only from an
// unstretched pod, so the volume passes through a temporary "ghost" pod of its own
// (`cinder-ghost-pod-<volume id>`), stretched and unstretched around the move.

import type { VolumeRecord } from '../model.js';
import { pgroupsOfVolume } from './array-ops.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure } from './errors.js';
import { bareVolumeName, ghostPodName } from './names.js';
import { createPodIfNotExist, stretchPod } from './replication-setup.js';

/** `_wait_for_stretch`, with a bound: Cinder spins on it without a pause or a limit. */
async function waitForStretch(ctx: DriverContext, array: FlashArray, pod: string): Promise<void> {
  await ctx.pollUntil(`Pod ${pod} did not come online on every array.`, async () => {
    const res = await array.client.pods.get({ names: [pod] });
    const members = res.ok ? (res.items[0]?.arrays ?? []) : [];
    return members.length > 1 && members.every((m) => m.status === 'online');
  });
}

async function moveToPod(array: FlashArray, volume: string, pod: string, pgroups: string[] = []) {
  const res = await array.client.volumes.patch(
    { names: [volume], ...(pgroups.length > 0 ? { remove_from_protection_group_names: pgroups } : {}) },
    { pod: { name: pod } },
  );
  if (!res.ok) throw arrayFailure(`Moving volume ${volume} to pod '${pod}'`, array.name, res);
}

/** `_cleanup_ghostpod`: unstretch, then destroy and eradicate the ghost with what is left in it. */
async function removeGhost(ctx: DriverContext, array: FlashArray, ghost: string, unstretch: boolean) {
  const targets = ctx.state.activeClusterTargets.map((t) => t.name);
  if (unstretch) {
    const res = await array.client.podsArrays.delete({ group_names: [ghost], member_names: targets });
    if (!res.ok) throw arrayFailure(`Unstretching ghost pod ${ghost}`, array.name, res);
  }
  const destroyed = await array.client.pods.patch(
    { names: [ghost], destroy_contents: true },
    { destroyed: true },
  );
  if (!destroyed.ok) ctx.logger.warn({ pod: ghost, status: destroyed.status }, 'ghost pod not destroyed');
  const erased = await array.client.pods.delete({ names: [ghost], eradicate_contents: true });
  if (!erased.ok) ctx.logger.warn({ pod: ghost, status: erased.status }, 'ghost pod not eradicated');
}

/**
 * `_enable_sync_replication`: a root volume goes ghost pod (leaving its protection groups) ->
 * stretched ghost -> replication pod. A volume already in an unstretched pod (manage) moves
 * straight in. Returns the volume's new name.
 */
export async function moveIntoReplicationPod(
  ctx: DriverContext,
  array: FlashArray,
  volume: VolumeRecord,
  name: string,
): Promise<string> {
  const pod = ctx.podName;
  const bare = bareVolumeName(name);
  if (name.includes('::')) {
    await moveToPod(array, name, pod);
    return `${pod}::${bare}`;
  }
  const ghost = ghostPodName(ctx.pure.ghostPodName, volume.id);
  await createPodIfNotExist(ctx, array, ghost);
  await moveToPod(array, name, ghost, await pgroupsOfVolume(array, name));
  await stretchPod(ctx, array, ghost, ctx.state.activeClusterTargets);
  await waitForStretch(ctx, array, ghost);
  await moveToPod(array, `${ghost}::${bare}`, pod);
  await removeGhost(ctx, array, ghost, true);
  return `${pod}::${bare}`;
}

/**
 * `_disable_sync_replication`: replication pod -> stretched ghost pod -> unstretched ghost ->
 * root. Returns the volume's new name.
 */
export async function moveOutOfReplicationPod(
  ctx: DriverContext,
  array: FlashArray,
  volume: VolumeRecord,
  name: string,
): Promise<string> {
  const bare = bareVolumeName(name);
  const ghost = ghostPodName(ctx.pure.ghostPodName, volume.id);
  await createPodIfNotExist(ctx, array, ghost);
  await stretchPod(ctx, array, ghost, ctx.state.activeClusterTargets);
  await waitForStretch(ctx, array, ghost);
  await moveToPod(array, name, ghost);
  const targets = ctx.state.activeClusterTargets.map((t) => t.name);
  const unstretched = await array.client.podsArrays.delete({ group_names: [ghost], member_names: targets });
  if (!unstretched.ok) throw arrayFailure(`Unstretching ghost pod ${ghost}`, array.name, unstretched);
  await moveToPod(array, `${ghost}::${bare}`, '');
  await removeGhost(ctx, array, ghost, false);
  return bare;
}
