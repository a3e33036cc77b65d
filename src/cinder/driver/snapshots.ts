// Snapshots (spec §6): create (`<volume>.snapshot-<id>`), delete (destroy, and eradicate when
// configured), and revert a volume to one.

import type { SnapshotRecord, VolumeRecord } from '../model.js';
import { hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import { postVolume } from './array-ops.js';
import type { DriverContext } from './context.js';
import { arrayFailure } from './errors.js';
import { snapshotSuffix } from './names.js';
import type { SnapshotModelUpdate } from './volume-driver.js';
import { snapshotArrayName, volumeNameOf } from './volumes.js';

export async function createSnapshot(
  ctx: DriverContext,
  snapshot: SnapshotRecord,
  volume: VolumeRecord,
): Promise<SnapshotModelUpdate> {
  const array = await ctx.currentArray();
  const source = volumeNameOf(volume);
  const suffix = snapshotSuffix(snapshot.id);
  const res = await array.client.volumeSnapshots.post({ source_names: [source] }, { suffix });
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.alreadyExists))
    throw arrayFailure(`Creating snapshot ${source}.${suffix}`, array.name, res);
  const name = `${source}.${suffix}`;
  return { metadata: { ...snapshot.metadata, array_snapshot_name: name, array_name: array.name } };
}

/** What a missing or already destroyed snapshot answers: the delete is then already done. */
const SNAPSHOT_GONE = [
  PURITY_ERROR_TEXT.doesNotExist,
  PURITY_ERROR_TEXT.noSuchVolumeOrSnapshot,
  PURITY_ERROR_TEXT.hasBeenDestroyed,
];

export async function deleteSnapshot(
  ctx: DriverContext,
  snapshot: SnapshotRecord,
  volume: VolumeRecord,
): Promise<void> {
  const array = await ctx.currentArray();
  // A member of a consistency group snapshot has no snapshot of this name: it goes with the group
  // snapshot, and the answer here says it does not exist.
  const name = `${volumeNameOf(volume)}.${snapshotSuffix(snapshot.id)}`;
  const res = await array.client.volumeSnapshots.patch({ names: [name] }, { destroyed: true });
  if (!res.ok && !SNAPSHOT_GONE.some((text) => hasError(res, text)))
    throw arrayFailure(`Destroying snapshot ${name}`, array.name, res);
  if (!res.ok) ctx.logger.warn({ snapshot: name }, 'Unable to delete snapshot, assuming already deleted');
  if (!ctx.eradicateOnDelete) return;
  const erased = await array.client.volumeSnapshots.delete({ names: [name] });
  if (!erased.ok && !SNAPSHOT_GONE.some((text) => hasError(erased, text)))
    throw arrayFailure(`Eradicating snapshot ${name}`, array.name, erased);
}

/**
 * revert_to_snapshot: the volume is overwritten with the snapshot's data. Cinder passes the two
 * names the other way round (it overwrites the snapshot's name from the volume, which the array
 * refuses and the driver does not check), so a revert does nothing there.
 */
export async function revertToSnapshot(
  ctx: DriverContext,
  volume: VolumeRecord,
  snapshot: SnapshotRecord,
): Promise<void> {
  const array = await ctx.currentArray();
  const source = await snapshotArrayName(ctx, array, snapshot, volume);
  await postVolume(ctx, array, volumeNameOf(volume), { source: { name: source } }, true);
}
