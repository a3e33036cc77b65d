// Changes to a stretched pod's volumes that must happen at the same point of the pod's write order
// on both arrays: a snapshot (it must hold exactly the writes ordered before it on both) and a
// copy into a pod volume (instant on both when both hold the source). Each change travels as a
// PodOp with the ids, serials and names the initiating array chose, so both arrays end with the
// same records. Applying is split in two: the record changes happen synchronously (in the write
// order), the persist follows.

import type { ArrayState } from './array-state.js';
import type { SnapshotRecord, TagRecord, VolumeRecord } from './model.js';

export interface SnapshotOp {
  kind: 'snapshot';
  podId: string;
  volumeId: string;
  snapshotId: string;
  suffix: string;
  serial: string;
  createdMs: number;
}

export interface CopyOp {
  kind: 'copy';
  podId: string;
  targetId: string;
  targetName: string;
  serial: string;
  createdMs: number;
  /** The source as ids: a peer holds the same ids only for objects of the same stretched pod. */
  sourceVolumeId: string | null;
  sourceSnapshotId: string | null;
  source: { id: string; name: string };
  provisionedBytes: number;
  overwrite: boolean;
  tags: TagRecord[];
}

export type PodOp = SnapshotOp | CopyOp;

export interface AppliedOp {
  persisted: Promise<void>;
  /** A copy whose source this array lacks: the target exists but its data must be sent. */
  needsData: boolean;
}

/** Applies a pod op to this array's records; the caller awaits `persisted`. */
export function applyPodOp(state: ArrayState, op: PodOp, shared: boolean): AppliedOp {
  return op.kind === 'snapshot' ? applySnapshot(state, op, shared) : applyCopy(state, op);
}

/** The head becomes the snapshot's immutable layer; the volume continues on a new head above it. */
function freezeHead(state: ArrayState, volume: VolumeRecord): number {
  const frozen = volume.headLayerId;
  volume.headLayerId = state.engine.newLayer(frozen);
  return frozen;
}

function applySnapshot(state: ArrayState, op: SnapshotOp, shared: boolean): AppliedOp {
  const volume = state.volumes.get(op.volumeId);
  if (!volume || volume.destroyed) throw new Error(`no volume ${op.volumeId} to snapshot in the pod`);
  if (state.snapshots.has(op.snapshotId)) return { persisted: Promise.resolve(), needsData: false };
  const name = `${volume.name}.${op.suffix}`;
  if (state.snapshotByName(name)) throw new Error(`a snapshot named ${name} already exists here`);
  const snapshot: SnapshotRecord = {
    kind: 'snapshot',
    id: op.snapshotId,
    name,
    suffix: op.suffix,
    serial: op.serial,
    createdMs: op.createdMs,
    provisionedBytes: volume.provisionedBytes,
    destroyed: false,
    destroyedAtMs: null,
    layerId: freezeHead(state, volume),
    sourceVolumeId: volume.id,
    sourceVolumeName: volume.name,
  };
  if (shared) snapshot.podShared = true;
  // Numbered suffixes stay in step on both arrays whichever one numbered this snapshot.
  const number = Number(op.suffix);
  if (Number.isInteger(number) && number >= volume.nextSnapshotNumber) volume.nextSnapshotNumber = number + 1;
  state.snapshots.set(snapshot.id, snapshot);
  return { persisted: state.persist([snapshot, volume], [], [volume.id]), needsData: false };
}

function applyCopy(state: ArrayState, op: CopyOp): AppliedOp {
  const sourceVolume = op.sourceVolumeId ? state.volumes.get(op.sourceVolumeId) : undefined;
  const sourceSnapshot = op.sourceSnapshotId ? state.snapshots.get(op.sourceSnapshotId) : undefined;
  const haveSource = sourceVolume !== undefined || sourceSnapshot !== undefined;
  const baseLayerId = sourceVolume
    ? freezeHead(state, sourceVolume)
    : sourceSnapshot
      ? sourceSnapshot.layerId
      : null;
  const changed: VolumeRecord[] = sourceVolume ? [sourceVolume] : [];
  let target = state.volumes.get(op.targetId);
  if (target) {
    target.headLayerId = state.engine.newLayer(baseLayerId);
    target.provisionedBytes = Math.max(target.provisionedBytes, op.provisionedBytes);
  } else {
    if (state.volumeByName(op.targetName))
      throw new Error(`a volume named ${op.targetName} already exists here`);
    target = {
      kind: 'volume',
      id: op.targetId,
      name: op.targetName,
      serial: op.serial,
      createdMs: op.createdMs,
      provisionedBytes: op.provisionedBytes,
      destroyed: false,
      destroyedAtMs: null,
      headLayerId: state.engine.newLayer(baseLayerId),
      source: op.source,
      qos: { iopsLimit: null, bandwidthLimitBytesPerSec: null },
      nextSnapshotNumber: 1,
      podId: op.podId,
    };
    if (op.tags.length > 0) target.tags = op.tags.map((tag) => ({ ...tag }));
    state.volumes.set(target.id, target);
  }
  changed.push(target);
  return {
    persisted: state.persist(
      changed,
      [],
      changed.map((v) => v.id),
    ),
    needsData: !haveSource,
  };
}
