// The target side of a protection group snapshot transfer. Each volume is rebuilt in a staging
// layer on top of the replica snapshot named as the base (or an empty layer); content the array
// already holds is taken from its own store instead of the wire. Nothing is visible until commit,
// which records SOURCE:PG.SUFFIX and its volume snapshots in one persist. A transfer that never
// commits (link lost, sender gone, restart) leaves only unreferenced layers, which are released.

import type { StorageArray } from '../../array/array.js';
import type { ProtectionGroupRecord } from '../../array/objects/model.js';
import { BLOCK_BYTES } from '../../constants.js';
import { decodeBlockBatch } from '../block-batch.js';
import type {
  BeginRequest,
  BeginResponse,
  BlocksRequest,
  BlocksResponse,
  CommitResponse,
  DataRequest,
} from './transfer-protocol.js';

interface Incoming {
  begin: BeginRequest;
  replica: ProtectionGroupRecord;
  startedMs: number;
  /** Staging layer per source volume id. */
  layers: Map<string, number>;
  wireBytes: number;
  physicalBytes: number;
  /** Content that arrived in this transfer, by sha256 hex: later copies are taken from here. */
  arrived: Map<string, { layerId: number; blockIndex: number }>;
  /** Content asked for and not yet arrived, by sha256 hex: where else it goes once it does. */
  awaited: Map<string, Array<{ layerId: number; blockIndex: number }>>;
  /** `${layerId}:${blockIndex}` -> sha256 hex of the content asked for there. */
  askedHash: Map<string, string>;
}

export class TransferReceiver {
  private readonly incoming = new Map<string, Incoming>();

  constructor(private readonly array: StorageArray) {}

  async begin(request: BeginRequest): Promise<BeginResponse> {
    const replica = this.array.state.pgroupByName(`${request.source.arrayName}:${request.source.pgroupName}`);
    if (!replica || replica.replicaOf?.pgroupId !== request.source.pgroupId)
      throw new Error(
        `protection group ${request.source.arrayName}:${request.source.pgroupName} is not a target here`,
      );
    if (!replica.allowed) throw new Error(`replication into ${replica.name} is not allowed`);
    const held = this.array.pgroups
      .snapshotsOf(replica)
      .some((s) => request.snapshot.id !== undefined && s.sourceSnapshotId === request.snapshot.id);
    if (held) return { volumes: [], alreadyHeld: true };
    if (this.array.state.pgroupSnapshotByName(`${replica.name}.${request.snapshot.suffix}`)) {
      const numbers = this.array.pgroups
        .snapshotsOf(replica)
        .map((s) => Number(s.suffix))
        .filter((n) => Number.isSafeInteger(n));
      return { volumes: [], renumber: Math.max(0, ...numbers) + 1 };
    }
    // A new transfer into the same group replaces an unfinished one.
    for (const [id, other] of this.incoming) if (other.replica.id === replica.id) this.drop(id);
    const layers = new Map<string, number>();
    const volumes: BeginResponse['volumes'] = [];
    for (const volume of request.volumes) {
      const base =
        volume.baseSuffix === null
          ? undefined
          : this.array.state.snapshotByName(`${replica.name}.${volume.baseSuffix}.${volume.name}`);
      const layerId = this.array.engine.newLayer(base?.layerId ?? null);
      this.array.state.pinnedLayers.add(layerId);
      layers.set(volume.id, layerId);
      volumes.push({ id: volume.id, baseFound: base !== undefined });
    }
    await this.array.state.persist([]);
    this.incoming.set(request.transferId, {
      begin: request,
      replica,
      startedMs: Date.now(),
      layers,
      wireBytes: 0,
      physicalBytes: 0,
      arrived: new Map(),
      awaited: new Map(),
      askedHash: new Map(),
    });
    return { volumes };
  }

  async blocks(request: BlocksRequest): Promise<BlocksResponse> {
    const transfer = this.require(request.transferId);
    const layerId = this.layerOf(transfer, request.volumeId);
    const need: number[] = [];
    const writes: Promise<void>[] = [];
    for (const [blockIndex, hashHex] of request.blocks) {
      if (hashHex === null) {
        writes.push(
          this.array.engine.writeZeroes({ headLayerId: layerId }, blockIndex * BLOCK_BYTES, BLOCK_BYTES),
        );
        continue;
      }
      const known =
        this.array.engine.blockWithHash(Buffer.from(hashHex, 'hex').toString('latin1')) ??
        this.arrivedCopy(transfer, hashHex);
      if (known) {
        writes.push(this.array.engine.write({ headLayerId: layerId }, blockIndex * BLOCK_BYTES, known));
        continue;
      }
      const awaited = transfer.awaited.get(hashHex);
      if (awaited) {
        // The same content twice in one transfer crosses the wire once.
        awaited.push({ layerId, blockIndex });
        continue;
      }
      transfer.awaited.set(hashHex, []);
      transfer.askedHash.set(`${layerId}:${blockIndex}`, hashHex);
      need.push(blockIndex);
    }
    await Promise.all(writes);
    return { need };
  }

  async data(request: DataRequest, payload: Buffer): Promise<object> {
    const transfer = this.require(request.transferId);
    const layerId = this.layerOf(transfer, request.volumeId);
    transfer.wireBytes += payload.length;
    const writes: Promise<void>[] = [];
    for (const { blockIndex, lengthBytes, data: raw } of decodeBlockBatch(request.blocks, payload)) {
      transfer.physicalBytes += lengthBytes;
      writes.push(this.array.engine.write({ headLayerId: layerId }, blockIndex * BLOCK_BYTES, raw));
      const hashHex = transfer.askedHash.get(`${layerId}:${blockIndex}`);
      if (hashHex === undefined) continue;
      transfer.askedHash.delete(`${layerId}:${blockIndex}`);
      transfer.arrived.set(hashHex, { layerId, blockIndex });
      for (const copy of transfer.awaited.get(hashHex) ?? [])
        writes.push(
          this.array.engine.write({ headLayerId: copy.layerId }, copy.blockIndex * BLOCK_BYTES, raw),
        );
      transfer.awaited.delete(hashHex);
    }
    await Promise.all(writes);
    return {};
  }

  async commit(transferId: string): Promise<CommitResponse> {
    const transfer = this.require(transferId);
    const { begin, replica } = transfer;
    await this.array.engine.flush();
    await this.array.pgroups.receive(replica, {
      suffix: begin.snapshot.suffix,
      createdMs: begin.snapshot.createdMs,
      retained: begin.snapshot.retained !== false,
      ...(begin.snapshot.id !== undefined ? { sourceSnapshotId: begin.snapshot.id } : {}),
      volumes: begin.volumes.map((v) => ({
        id: v.id,
        name: v.name,
        provisionedBytes: v.provisionedBytes,
        layerId: transfer.layers.get(v.id)!,
      })),
      transfer: {
        arrayId: begin.source.arrayId,
        startedMs: transfer.startedMs,
        completedMs: Date.now(),
        progress: 1,
        dataTransferredBytes: transfer.wireBytes,
        physicalBytesWritten: transfer.physicalBytes,
      },
    });
    this.incoming.delete(transferId);
    for (const layerId of transfer.layers.values()) this.array.state.pinnedLayers.delete(layerId);
    replica.targetRetention = { ...begin.targetRetention };
    // Evaluated at the source's clock when it is ahead (the source stamps the snapshots).
    const nowMs = Math.max(Date.now(), begin.snapshot.createdMs);
    await this.array.pgroups.applyRetention(
      replica,
      replica.targetRetention,
      nowMs,
      this.newestPinned(replica),
    );
    return { physicalBytesWritten: transfer.physicalBytes };
  }

  /** A block that arrived earlier in this transfer (still in the overlay, not yet in the store). */
  private arrivedCopy(transfer: Incoming, hashHex: string): Buffer | undefined {
    const at = transfer.arrived.get(hashHex);
    return at ? this.array.engine.read(at.layerId, at.blockIndex * BLOCK_BYTES, BLOCK_BYTES) : undefined;
  }

  abort(transferId: string): void {
    this.drop(transferId);
  }

  /** Drops every unfinished transfer (the link to their sender is gone). */
  abortFrom(sourceArrayId: string): void {
    for (const [id, transfer] of this.incoming)
      if (transfer.begin.source.arrayId === sourceArrayId) this.drop(id);
  }

  /** The newest snapshot is the next transfer's base: retention never removes it. */
  private newestPinned(replica: ProtectionGroupRecord): Set<string> {
    const newest = this.array.pgroups.snapshotsOf(replica).at(-1);
    return new Set(newest ? [newest.id] : []);
  }

  private drop(transferId: string): void {
    const transfer = this.incoming.get(transferId);
    if (!transfer) return;
    this.incoming.delete(transferId);
    for (const layerId of transfer.layers.values()) this.array.state.pinnedLayers.delete(layerId);
    void this.array.state.persist([]).catch(() => {});
  }

  private require(transferId: string): Incoming {
    const transfer = this.incoming.get(transferId);
    if (!transfer) throw new Error('no such transfer (it was aborted or replaced)');
    return transfer;
  }

  private layerOf(transfer: Incoming, volumeId: string): number {
    const layerId = transfer.layers.get(volumeId);
    if (layerId === undefined) throw new Error('volume is not part of this transfer');
    return layerId;
  }
}
