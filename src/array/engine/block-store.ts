// The block store: where destaged data lives. LMDB (crash-safe B-tree, copy-on-write) holds
//   layer map   (layerId, blockIndex) -> blockId      0 = explicit zero block (shadows parents)
//   block data  blockId -> flags + bytes              compressed with lz4 when that saves space
//   block refs  blockId -> refcount, stored bytes, content hash
//   hash index  sha256 -> blockId                     dedup: identical blocks are stored once
//   meta        string keys -> msgpack values         engine state and array objects
// Writes happen only inside transaction callbacks queued through `transact`, so LMDB commits stay
// in the order the engine queued them.

import { hash } from 'node:crypto';
import { type Database, open, type RootDatabase } from 'lmdb';
import { compressSync, uncompressSync } from 'lz4-napi';
import { BLOCK_BYTES } from '../../constants.js';

const FLAG_LZ4 = 1;
const ZERO_BLOCK_ID = 0;
const MAP_KEY_BYTES = 10;

export interface PreparedBlock {
  contentHash: Buffer;
  /** What goes to disk: lz4 bytes or the raw block. */
  stored: Buffer;
  compressed: boolean;
}

/** Hashes and (when worthwhile) compresses a block: the CPU-heavy part of destage. */
export function prepareBlock(data: Buffer): PreparedBlock {
  const contentHash = hash('sha256', data, 'buffer') as unknown as Buffer;
  const lz4 = compressSync(data);
  // Keep compressed bytes only when they save at least 1/8: decompression costs CPU on every read.
  if (lz4.length <= data.length - data.length / 8) return { contentHash, stored: lz4, compressed: true };
  return { contentHash, stored: data, compressed: false };
}

export interface StoreState {
  appliedLsn: number;
  nextBlockId: number;
  nextLayerId: number;
  /** Bytes on disk for live blocks (after dedup and compression). */
  storedBytes: number;
  /** Live unique blocks. */
  blockCount: number;
}

export function mapKey(layerId: number, blockIndex: number): Buffer {
  const key = Buffer.allocUnsafe(MAP_KEY_BYTES);
  key.writeUInt32BE(layerId, 0);
  key.writeUIntBE(blockIndex, 4, 6);
  return key;
}

export function decodeMapKey(key: Buffer): { layerId: number; blockIndex: number } {
  return { layerId: key.readUInt32BE(0), blockIndex: key.readUIntBE(4, 6) };
}

function idKey(blockId: number): Buffer {
  const key = Buffer.allocUnsafe(6);
  key.writeUIntBE(blockId, 0, 6);
  return key;
}

export class BlockStore {
  readonly root: RootDatabase;
  private readonly map: Database<Buffer, Buffer>;
  private readonly data: Database<Buffer, Buffer>;
  private readonly refs: Database<Buffer, Buffer>;
  private readonly hashes: Database<Buffer, Buffer>;
  readonly meta: Database<unknown, string>;
  readonly state: StoreState;
  private readonly lookupKey = Buffer.allocUnsafe(MAP_KEY_BYTES);

  constructor(path: string) {
    // overlappingSync: commits do not wait for their fsync (it runs behind, crash-safe by design);
    // callers that need durability await `flushed()`.
    this.root = open({ path, overlappingSync: true, noMemInit: true, pageSize: 8192 });
    const binary = { keyEncoding: 'binary', encoding: 'binary' } as const;
    this.map = this.root.openDB<Buffer, Buffer>({ name: 'layer-map', ...binary });
    this.data = this.root.openDB<Buffer, Buffer>({ name: 'block-data', ...binary });
    this.refs = this.root.openDB<Buffer, Buffer>({ name: 'block-refs', ...binary });
    this.hashes = this.root.openDB<Buffer, Buffer>({ name: 'hash-index', ...binary });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta' });
    const saved = this.meta.get('engine-state') as StoreState | undefined;
    this.state = saved ?? { appliedLsn: 0, nextBlockId: 1, nextLayerId: 1, storedBytes: 0, blockCount: 0 };
  }

  /** Queues `fn` to run inside the next write transaction; resolves once it is committed (visible). */
  async transact(fn: () => void): Promise<void> {
    await this.root.transaction(() => {
      fn();
      this.meta.put('engine-state', { ...this.state });
    });
  }

  /** Resolves when every committed transaction is on stable storage. */
  async flushed(): Promise<void> {
    await this.root.flushed;
  }

  /** blockId mapped at (layer, block) in this layer only; undefined when the layer has no entry. */
  lookup(layerId: number, blockIndex: number): number | undefined {
    this.lookupKey.writeUInt32BE(layerId, 0);
    this.lookupKey.writeUIntBE(blockIndex, 4, 6);
    const value = this.map.getBinaryFast(this.lookupKey);
    return value ? value.readUIntBE(0, 6) : undefined;
  }

  /** Copies block `blockId` (BLOCK_BYTES) into `target` at `targetOffset`. */
  readBlockInto(
    blockId: number,
    target: Buffer,
    targetOffset: number,
    fromByte = 0,
    toByte = BLOCK_BYTES,
  ): void {
    if (blockId === ZERO_BLOCK_ID) {
      target.fill(0, targetOffset, targetOffset + (toByte - fromByte));
      return;
    }
    const value = this.data.getBinaryFast(idKey(blockId));
    if (!value) throw new Error(`block ${blockId} is mapped but missing from the store`);
    if ((value[0]! & FLAG_LZ4) === 0) {
      value.copy(target, targetOffset, 1 + fromByte, 1 + toByte);
      return;
    }
    const raw = uncompressSync(value.subarray(1));
    raw.copy(target, targetOffset, fromByte, toByte);
  }

  // ---- mutations: call only inside a `transact` callback ----

  /** Maps (layer, block) to `block` (null = zero). Returns the change in stored bytes. */
  putBlock(layerId: number, blockIndex: number, block: PreparedBlock | null, layerHasParent: boolean): void {
    const key = mapKey(layerId, blockIndex);
    const newId = block ? this.reference(block) : ZERO_BLOCK_ID;
    const old = this.map.getBinary(key);
    if (old) this.unreference(old.readUIntBE(0, 6));
    if (newId === ZERO_BLOCK_ID && !layerHasParent) {
      if (old) this.map.removeSync(key);
      return;
    }
    const value = Buffer.allocUnsafe(6);
    value.writeUIntBE(newId, 0, 6);
    this.map.putSync(key, value);
  }

  /** Copies (or moves) an entry found in another layer: used when merging layers. */
  putBlockId(layerId: number, blockIndex: number, blockId: number): void {
    const value = Buffer.allocUnsafe(6);
    value.writeUIntBE(blockId, 0, 6);
    this.map.putSync(mapKey(layerId, blockIndex), value);
  }

  /** Entries of one layer in [fromBlock, toBlock): blockIndex -> blockId, in block order. */
  *layerEntries(layerId: number, fromBlock = 0, toBlock = 2 ** 48 - 1): Generator<[number, number]> {
    const range = this.map.getRange({ start: mapKey(layerId, fromBlock), end: mapKey(layerId, toBlock) });
    for (const { key, value } of range) {
      yield [key.readUIntBE(4, 6), value.readUIntBE(0, 6)];
    }
  }

  /** Removes up to `maxEntries` entries of a dead layer, releasing their blocks. Returns how many. */
  removeLayerEntries(layerId: number, maxEntries: number): number {
    let removed = 0;
    for (const [blockIndex, blockId] of this.layerEntries(layerId)) {
      if (removed >= maxEntries) break;
      this.unreference(blockId);
      this.map.removeSync(mapKey(layerId, blockIndex));
      removed++;
    }
    return removed;
  }

  removeEntry(layerId: number, blockIndex: number, blockId: number): void {
    this.unreference(blockId);
    this.map.removeSync(mapKey(layerId, blockIndex));
  }

  /** Layer ids that still have entries in the map (for garbage collection after a crash). */
  layersWithEntries(): number[] {
    const ids: number[] = [];
    let start = mapKey(0, 0);
    for (;;) {
      let first: Buffer | undefined;
      for (const key of this.map.getKeys({ start, limit: 1 })) first = key;
      if (!first) break;
      const { layerId } = decodeMapKey(first);
      ids.push(layerId);
      start = mapKey(layerId + 1, 0);
    }
    return ids;
  }

  refcount(blockId: number): number {
    const value = this.refs.getBinaryFast(idKey(blockId));
    return value ? value.readUInt32BE(0) : 0;
  }

  storedBytesOf(blockId: number): number {
    const value = this.refs.getBinaryFast(idKey(blockId));
    return value ? value.readUInt32BE(4) : 0;
  }

  private reference(block: PreparedBlock): number {
    const existing = this.hashes.getBinary(block.contentHash);
    if (existing) {
      const blockId = existing.readUIntBE(0, 6);
      const refs = this.refs.getBinary(idKey(blockId))!;
      const updated = Buffer.from(refs);
      updated.writeUInt32BE(refs.readUInt32BE(0) + 1, 0);
      this.refs.putSync(idKey(blockId), updated);
      return blockId;
    }
    const blockId = this.state.nextBlockId++;
    const value = Buffer.allocUnsafe(1 + block.stored.length);
    value[0] = block.compressed ? FLAG_LZ4 : 0;
    block.stored.copy(value, 1);
    this.data.putSync(idKey(blockId), value);
    const refs = Buffer.allocUnsafe(8 + block.contentHash.length);
    refs.writeUInt32BE(1, 0);
    refs.writeUInt32BE(value.length, 4);
    block.contentHash.copy(refs, 8);
    this.refs.putSync(idKey(blockId), refs);
    this.hashes.putSync(block.contentHash, idKey(blockId));
    this.state.storedBytes += value.length;
    this.state.blockCount++;
    return blockId;
  }

  private unreference(blockId: number): void {
    if (blockId === ZERO_BLOCK_ID) return;
    const key = idKey(blockId);
    const refs = this.refs.getBinary(key);
    if (!refs) throw new Error(`block ${blockId} has no reference record`);
    const count = refs.readUInt32BE(0);
    if (count > 1) {
      const updated = Buffer.from(refs);
      updated.writeUInt32BE(count - 1, 0);
      this.refs.putSync(key, updated);
      return;
    }
    this.state.storedBytes -= refs.readUInt32BE(4);
    this.state.blockCount--;
    this.hashes.removeSync(refs.subarray(8));
    this.refs.removeSync(key);
    this.data.removeSync(key);
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
