// Sends one protection group snapshot to one target: per member volume, the blocks changed since
// the newest snapshot the target completed (all mapped blocks when there is none), deduplicated
// against what the target holds and lz4-compressed on the wire.

import { randomUUID } from 'node:crypto';
import type { StorageArray } from '../../array/array.js';
import type {
  PgroupSnapshotRecord,
  PgroupTransferRecord,
  ProtectionGroupRecord,
} from '../../array/objects/model.js';
import { shortName } from '../../array/objects/protection-groups.js';
import { BLOCK_BYTES, REPLICATION_TRANSFER_BATCH_BLOCKS } from '../../constants.js';
import { encodeBlockBatch } from '../block-batch.js';
import {
  type BeginRequest,
  type BeginResponse,
  type BlocksRequest,
  type BlocksResponse,
  type CommitResponse,
  type DataRequest,
  type SourceGroupRef,
  TransferMessage,
} from './transfer-protocol.js';

export interface RequestLink {
  request(type: string, header: object, payload?: Buffer): Promise<{ header: unknown; payload: Buffer }>;
}

/**
 * Who sends a group, as the target names its replica: this array, or for a group inside a pod the
 * pod itself (POD:PG on the target), so either array of a stretched pod can send into it.
 */
export function sourceRefOf(array: StorageArray, pgroup: ProtectionGroupRecord): SourceGroupRef {
  const pod = pgroup.podId ? array.state.pods.get(pgroup.podId) : undefined;
  if (pod)
    return { arrayId: pod.id, arrayName: pod.name, pgroupId: pgroup.id, pgroupName: shortName(pgroup.name) };
  return {
    arrayId: array.state.identity.id,
    arrayName: array.name,
    pgroupId: pgroup.id,
    pgroupName: pgroup.name,
  };
}

/** The newest snapshot of `pgroup` whose transfer to `targetArrayId` completed, if any. */
export function newestCompleted(
  array: StorageArray,
  pgroup: ProtectionGroupRecord,
  targetArrayId: string,
  before: PgroupSnapshotRecord,
): PgroupSnapshotRecord | undefined {
  return array.pgroups
    .snapshotsOf(pgroup)
    .filter(
      (s) =>
        s.id !== before.id &&
        s.createdMs <= before.createdMs &&
        s.transfers.some((t) => t.arrayId === targetArrayId && t.completedMs !== null),
    )
    .at(-1);
}

/**
 * Runs the transfer, updating `record` (progress, bytes) as it goes; the caller persists it.
 * Resolves when the target has committed the snapshot.
 */
export async function sendSnapshot(
  array: StorageArray,
  link: RequestLink,
  pgroup: ProtectionGroupRecord,
  snapshot: PgroupSnapshotRecord,
  record: PgroupTransferRecord,
): Promise<void> {
  const base = newestCompleted(array, pgroup, record.arrayId, snapshot);
  const volumeSnapshots = array.pgroups.volumeSnapshotsOf(snapshot);
  const baseByVolume = new Map(
    (base ? array.pgroups.volumeSnapshotsOf(base) : []).map((s) => [s.sourceVolumeId, s]),
  );
  const transferId = randomUUID();
  const beginRequest = (): BeginRequest => ({
    transferId,
    source: sourceRefOf(array, pgroup),
    snapshot: {
      id: snapshot.id,
      suffix: snapshot.suffix,
      createdMs: snapshot.createdMs,
      retained: snapshot.retained !== false,
    },
    targetRetention: pgroup.targetRetention,
    volumes: volumeSnapshots.map((s) => ({
      id: s.sourceVolumeId,
      name: shortName(s.sourceVolumeName),
      provisionedBytes: s.provisionedBytes,
      baseSuffix: baseByVolume.has(s.sourceVolumeId) ? base!.suffix : null,
    })),
  });
  record.startedMs = Date.now();
  record.progress = 0;
  let answer = (await link.request(TransferMessage.begin, beginRequest())).header as BeginResponse;
  if (answer.alreadyHeld) {
    record.progress = 1;
    record.completedMs = Date.now();
    return;
  }
  if (answer.renumber !== undefined) {
    // The other array of a stretched pod already sent this suffix: take the next free one.
    await array.pgroups.renumber(snapshot, answer.renumber);
    answer = (await link.request(TransferMessage.begin, beginRequest())).header as BeginResponse;
    if (answer.renumber !== undefined) throw new Error('the target refused the snapshot suffix twice');
  }
  const baseFound = new Map(answer.volumes.map((v) => [v.id, v.baseFound]));

  // Work out every volume's changed blocks first, so progress can be reported over the whole transfer.
  const plans = [];
  for (const volumeSnapshot of volumeSnapshots) {
    const baseSnapshot = baseFound.get(volumeSnapshot.sourceVolumeId)
      ? baseByVolume.get(volumeSnapshot.sourceVolumeId)
      : undefined;
    const changed = await array.engine.changedBlocks(volumeSnapshot.layerId, baseSnapshot?.layerId ?? null);
    plans.push({ volumeSnapshot, blocks: changed.blocks });
  }
  const total = plans.reduce((sum, p) => sum + p.blocks.length, 0);
  let done = 0;
  for (const { volumeSnapshot, blocks } of plans) {
    const layerId = volumeSnapshot.layerId;
    for (let start = 0; start < blocks.length; start += REPLICATION_TRANSFER_BATCH_BLOCKS) {
      const batch = blocks.slice(start, start + REPLICATION_TRANSFER_BATCH_BLOCKS);
      const hashed: BlocksRequest['blocks'] = batch.map((blockIndex) => {
        const hash = array.engine.blockHashAt(layerId, blockIndex);
        return [blockIndex, hash ? Buffer.from(hash, 'latin1').toString('hex') : null];
      });
      const blocksRequest: BlocksRequest = {
        transferId,
        volumeId: volumeSnapshot.sourceVolumeId,
        blocks: hashed,
      };
      const header = JSON.stringify(blocksRequest);
      record.dataTransferredBytes += header.length;
      const { need } = (await link.request(TransferMessage.blocks, blocksRequest)).header as BlocksResponse;
      if (need.length > 0) {
        const { blocks: described, payload } = encodeBlockBatch(need, (blockIndex) =>
          array.engine.read(layerId, blockIndex * BLOCK_BYTES, BLOCK_BYTES),
        );
        const dataRequest: DataRequest = {
          transferId,
          volumeId: volumeSnapshot.sourceVolumeId,
          blocks: described,
        };
        record.dataTransferredBytes += payload.length + JSON.stringify(dataRequest).length;
        await link.request(TransferMessage.data, dataRequest, payload);
      }
      done += batch.length;
      record.progress = total === 0 ? 1 : Math.min(0.99, done / total);
    }
  }
  const committed = (await link.request(TransferMessage.commit, { transferId })).header as CommitResponse;
  record.physicalBytesWritten = committed.physicalBytesWritten;
  record.progress = 1;
  record.completedMs = Date.now();
}
