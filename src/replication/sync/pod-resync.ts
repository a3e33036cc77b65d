// Copying blocks between the arrays of a stretched pod (resync, baseline): the sender lists
// block hashes, the receiver writes what it can from its own store (or zeroes) and asks for the
// rest, which travels lz4-compressed.

import type { StorageArray } from '../../array/array.js';
import type { PodRecord, VolumeRecord } from '../../array/objects/model.js';
import { BLOCK_BYTES, REPLICATION_TRANSFER_BATCH_BLOCKS } from '../../constants.js';
import { type BlockEntry, decodeBlockBatch, encodeBlockBatch } from '../block-batch.js';
import type { ReplicationLink } from '../link/index.js';

export const PodResyncRequest = {
  hashes: 'pod-resync-hashes',
  data: 'pod-resync-data',
  /** Snapshots taken while serving alone: which the peer lacks, then each one staged and committed. */
  snapshotsMissing: 'pod-snap-missing',
  snapshotBegin: 'pod-snap-begin',
  snapshotCommit: 'pod-snap-commit',
} as const;

/**
 * How far a resync (or baseline, or rejoin reconcile) is, in blocks: `totalBlocks` grows by each
 * round's backlog, so the ratio can step back when writes made alone keep coming.
 */
export interface ResyncProgress {
  doneBlocks: number;
  totalBlocks: number;
}

export function progressRatio(progress: ResyncProgress): number {
  if (progress.totalBlocks === 0) return 0;
  return Math.min(1, progress.doneBlocks / progress.totalBlocks);
}

/** Something blocks are written into: a volume's head, or a snapshot being rebuilt on the peer. */
export interface BlockTarget {
  headLayerId: number;
}

/**
 * Sends `blocks` of `volume` (read from `fromLayerId`, its head by default) to the peer, into the
 * volume or (`snapshotId`) into a snapshot being rebuilt there; returns the block bytes sent.
 */
export async function sendBlocks(
  array: StorageArray,
  link: ReplicationLink,
  podId: string,
  volume: VolumeRecord,
  blocks: number[],
  from: { layerId: number; snapshotId: string } | null = null,
  progress?: ResyncProgress,
): Promise<number> {
  let sentBytes = 0;
  const layerId = from?.layerId ?? volume.headLayerId;
  const address = { podId, volumeId: volume.id, ...(from ? { snapshotId: from.snapshotId } : {}) };
  for (let start = 0; start < blocks.length; start += REPLICATION_TRANSFER_BATCH_BLOCKS) {
    const batch = blocks.slice(start, start + REPLICATION_TRANSFER_BATCH_BLOCKS);
    const hashes = batch.map((blockIndex) => {
      const hash = array.engine.blockHashAt(layerId, blockIndex);
      // '?': still in the overlay, no hash yet: the receiver asks for the data.
      return [
        blockIndex,
        hash === undefined ? '?' : hash === null ? null : Buffer.from(hash, 'latin1').toString('hex'),
      ];
    });
    // The receiver learns how far the copy is, so both arrays report the same progress.
    const ratio = progress ? { progress: progressRatio(progress) } : {};
    const answer = await link.request(PodResyncRequest.hashes, { ...address, ...ratio, blocks: hashes });
    const need = (answer.header as { need: number[] }).need;
    if (progress) progress.doneBlocks += batch.length;
    if (need.length === 0) continue;
    const { blocks: described, payload } = encodeBlockBatch(need, (blockIndex) =>
      array.engine.read(layerId, blockIndex * BLOCK_BYTES, BLOCK_BYTES),
    );
    sentBytes += payload.length;
    await link.request(PodResyncRequest.data, { ...address, blocks: described }, payload);
  }
  return sentBytes;
}

/** Receiver: writes what is known here or zero, returns the blocks whose data it needs. */
export async function applyHashes(
  array: StorageArray,
  volume: BlockTarget,
  blocks: Array<[number, string | null]>,
): Promise<{ need: number[] }> {
  const need: number[] = [];
  const writes: Promise<void>[] = [];
  for (const [blockIndex, hashHex] of blocks) {
    if (hashHex === null) {
      if (array.engine.blockHashAt(volume.headLayerId, blockIndex) !== null)
        writes.push(array.engine.writeZeroes(volume, blockIndex * BLOCK_BYTES, BLOCK_BYTES));
      continue;
    }
    if (hashHex !== '?') {
      const hash = Buffer.from(hashHex, 'hex').toString('latin1');
      if (array.engine.blockHashAt(volume.headLayerId, blockIndex) === hash) continue; // same already
      const known = array.engine.blockWithHash(hash);
      if (known) {
        writes.push(array.engine.write(volume, blockIndex * BLOCK_BYTES, known));
        continue;
      }
    }
    need.push(blockIndex);
  }
  await Promise.all(writes);
  return { need };
}

/** Receiver: writes the blocks that came with their data. */
export async function applyData(
  array: StorageArray,
  volume: BlockTarget,
  blocks: BlockEntry[],
  payload: Buffer,
): Promise<void> {
  const writes: Promise<void>[] = [];
  for (const { blockIndex, data } of decodeBlockBatch(blocks, payload))
    writes.push(array.engine.write(volume, blockIndex * BLOCK_BYTES, data));
  await Promise.all(writes);
}

/** The pod and its volumes as the peer must record them (same ids, names and serials). */
export function podMeta(array: StorageArray, pod: PodRecord) {
  return {
    podId: pod.id,
    pod,
    pgroups: [...array.state.pgroups.values()].filter((p) => p.podId === pod.id),
    volumes: array.pods.volumesOf(pod).map((v) => ({
      id: v.id,
      name: v.name,
      serial: v.serial,
      createdMs: v.createdMs,
      provisionedBytes: v.provisionedBytes,
      destroyed: v.destroyed,
      destroyedAtMs: v.destroyedAtMs,
      qos: v.qos,
    })),
    // Snapshots both arrays took (in the write order): renames, destroys and eradications follow.
    snapshots: [...array.state.snapshots.values()]
      .filter((s) => s.podShared && array.state.volumes.get(s.sourceVolumeId)?.podId === pod.id)
      .map((s) => ({
        id: s.id,
        name: s.name,
        suffix: s.suffix,
        destroyed: s.destroyed,
        destroyedAtMs: s.destroyedAtMs,
      })),
  };
}
