// Snapshots a pod array took while it served alone reach the other array with the resync: each is
// rebuilt there in a staging layer on top of the newest snapshot both hold (only the blocks that
// differ from it travel, and only contents the peer lacks), and appears only when complete, with
// the same id, name and serial. Until then it exists on one array only.

import type { StorageArray } from '../../array/array.js';
import type { PodRecord, SnapshotRecord } from '../../array/objects/model.js';
import type { ReplicationLink } from '../link/index.js';
import { type BlockTarget, PodResyncRequest, sendBlocks } from './pod-resync.js';

interface SnapshotMeta {
  id: string;
  name: string;
  suffix: string;
  serial: string;
  createdMs: number;
  provisionedBytes: number;
  sourceVolumeId: string;
  sourceVolumeName: string;
}

const metaOf = (s: SnapshotRecord): SnapshotMeta => ({
  id: s.id,
  name: s.name,
  suffix: s.suffix,
  serial: s.serial,
  createdMs: s.createdMs,
  provisionedBytes: s.provisionedBytes,
  sourceVolumeId: s.sourceVolumeId,
  sourceVolumeName: s.sourceVolumeName,
});

/** Sender: every pod snapshot only this array holds goes to the peer; returns block bytes sent. */
export async function sendSnapshotsTakenAlone(
  array: StorageArray,
  link: ReplicationLink,
  pod: PodRecord,
): Promise<number> {
  const inPod = (s: SnapshotRecord) => array.state.volumes.get(s.sourceVolumeId)?.podId === pod.id;
  const local = [...array.state.snapshots.values()]
    .filter((s) => inPod(s) && !s.podShared && !s.pgroupSnapshotId && !s.destroyed)
    .sort((x, y) => x.createdMs - y.createdMs);
  if (local.length === 0) return 0;
  const answer = await link.request(PodResyncRequest.snapshotsMissing, {
    podId: pod.id,
    ids: local.map((s) => s.id),
  });
  const missing = new Set((answer.header as { missing: string[] }).missing);
  let sentBytes = 0;
  for (const snapshot of local) {
    const volume = array.state.volumes.get(snapshot.sourceVolumeId);
    if (!volume) continue;
    if (!missing.has(snapshot.id)) {
      snapshot.podShared = true;
      continue;
    }
    const base = [...array.state.snapshots.values()]
      .filter(
        (s) =>
          s.sourceVolumeId === volume.id && s.podShared && !s.destroyed && s.createdMs <= snapshot.createdMs,
      )
      .sort((x, y) => x.createdMs - y.createdMs)
      .at(-1);
    const begun = await link.request(PodResyncRequest.snapshotBegin, {
      podId: pod.id,
      snapshot: metaOf(snapshot),
      baseId: base?.id ?? null,
    });
    const baseFound = Boolean((begun.header as { baseFound: boolean }).baseFound);
    const { blocks } = await array.engine.changedBlocks(snapshot.layerId, baseFound ? base!.layerId : null);
    sentBytes += await sendBlocks(array, link, pod.id, volume, blocks, {
      layerId: snapshot.layerId,
      snapshotId: snapshot.id,
    });
    const committed = await link.request(PodResyncRequest.snapshotCommit, {
      podId: pod.id,
      snapshotId: snapshot.id,
    });
    if ((committed.header as { conflict?: boolean }).conflict) continue;
    snapshot.podShared = true;
  }
  await array.state.persist(local);
  return sentBytes;
}

/** Receiver: snapshots being rebuilt from the peer, by snapshot id. */
export class SnapshotStaging {
  private readonly staged = new Map<string, { meta: SnapshotMeta; target: BlockTarget }>();

  constructor(private readonly array: StorageArray) {}

  missing(ids: string[]): { missing: string[] } {
    return { missing: ids.filter((id) => !this.array.state.snapshots.has(id)) };
  }

  async begin(meta: SnapshotMeta, baseId: string | null): Promise<{ baseFound: boolean }> {
    this.drop(meta.id);
    const base = baseId ? this.array.state.snapshots.get(baseId) : undefined;
    const baseFound = base !== undefined && base.sourceVolumeId === meta.sourceVolumeId;
    const layerId = this.array.engine.newLayer(baseFound ? base.layerId : null);
    this.array.state.pinnedLayers.add(layerId);
    await this.array.state.persist([]);
    this.staged.set(meta.id, { meta, target: { headLayerId: layerId } });
    return { baseFound };
  }

  target(snapshotId: string): BlockTarget {
    const staged = this.staged.get(snapshotId);
    if (!staged) throw new Error(`no snapshot ${snapshotId} is being rebuilt here`);
    return staged.target;
  }

  async commit(snapshotId: string): Promise<{ conflict?: boolean }> {
    const staged = this.staged.get(snapshotId);
    if (!staged) throw new Error(`no snapshot ${snapshotId} is being rebuilt here`);
    const { meta, target } = staged;
    const volume = this.array.state.volumes.get(meta.sourceVolumeId);
    // A snapshot with that name here (taken here before the split) wins; the peer keeps its own.
    if (!volume || this.array.state.snapshotByName(meta.name)) {
      this.drop(snapshotId);
      return { conflict: true };
    }
    await this.array.engine.flush();
    const snapshot: SnapshotRecord = {
      kind: 'snapshot',
      ...meta,
      name: `${volume.name}.${meta.suffix}`,
      sourceVolumeName: volume.name,
      destroyed: false,
      destroyedAtMs: null,
      layerId: target.headLayerId,
      podShared: true,
    };
    const number = Number(meta.suffix);
    if (Number.isInteger(number) && number >= volume.nextSnapshotNumber)
      volume.nextSnapshotNumber = number + 1;
    this.array.state.snapshots.set(snapshot.id, snapshot);
    this.staged.delete(snapshotId);
    this.array.state.pinnedLayers.delete(target.headLayerId);
    await this.array.state.persist([snapshot, volume]);
    return {};
  }

  /** Forgets every unfinished snapshot (the link broke; the resync starts over). */
  dropAll(): void {
    for (const id of [...this.staged.keys()]) this.drop(id);
  }

  private drop(snapshotId: string): void {
    const staged = this.staged.get(snapshotId);
    if (!staged) return;
    this.staged.delete(snapshotId);
    this.array.state.pinnedLayers.delete(staged.target.headLayerId);
  }
}
