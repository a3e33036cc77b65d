// Moving a volume into or out of a pod (PATCH /volumes {pod}), as Cinder's driver does with its
// "ghost" pods: root <-> a pod stretched nowhere, and between two pods stretched over the same
// arrays. A pod's volumes may only be in that pod's protection groups: the caller names the
// groups to leave (remove_from_protection_group_names), else the move is refused.

import type { ArrayState } from './array-state.js';
import { objectErrors } from './errors.js';
import type { PodRecord, ProtectionGroupRecord, VolumeRecord } from './model.js';

function baseName(volume: VolumeRecord): string {
  const at = volume.name.indexOf('::');
  return at < 0 ? volume.name : volume.name.slice(at + 2);
}

const sameArrays = (a: PodRecord, b: PodRecord) =>
  a.arrays.length === b.arrays.length && a.arrays.every((x) => b.arrays.some((y) => y.id === x.id));

export interface VolumeMove {
  volume: VolumeRecord;
  from: PodRecord | undefined;
  to: PodRecord | undefined;
  newName: string;
  leaving: ProtectionGroupRecord[];
}

/** Checks a move and returns what it changes; nothing is changed yet. */
export function planMove(
  state: ArrayState,
  volume: VolumeRecord,
  targetPodName: string,
  removeFromPgroups: string[],
): VolumeMove {
  const from = volume.podId ? state.pods.get(volume.podId) : undefined;
  const to = targetPodName === '' ? undefined : state.podByName(targetPodName);
  if (targetPodName !== '' && !to) throw objectErrors.notFound('Pod', targetPodName);
  if (to?.destroyed) throw objectErrors.destroyed('Pod', targetPodName);
  if (volume.destroyed) throw objectErrors.destroyed('Volume', volume.name);
  const stretched = (pod: PodRecord | undefined) => (pod?.arrays.length ?? 1) > 1;
  if ((stretched(from) || stretched(to)) && !(from && to && sameArrays(from, to)))
    throw objectErrors.invalid(
      volume.name,
      'A volume can move into or out of a stretched pod only from or to a pod stretched over the same arrays.',
    );
  const newName = to ? `${to.name}::${baseName(volume)}` : baseName(volume);
  if (newName !== volume.name && state.volumeByName(newName)) throw objectErrors.exists('Volume', newName);
  const memberOf = [...state.pgroups.values()].filter((g) => g.volumeIds.includes(volume.id));
  const leaving = memberOf.filter((g) => removeFromPgroups.includes(g.name));
  for (const group of memberOf) {
    if (leaving.includes(group) || (group.podId ?? undefined) === to?.id) continue;
    throw objectErrors.invalid(
      volume.name,
      `Volume ${volume.name} is a member of protection group ${group.name}, which is outside the target pod.`,
    );
  }
  return { volume, from, to, newName, leaving };
}
