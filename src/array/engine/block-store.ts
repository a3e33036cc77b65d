// The block store: the index of destaged data in LMDB (crash-safe copy-on-write B-tree), the
// bytes in the append-only data log (data-log.ts).
//   layer map      (layerId, blockIndex) -> blockId     0 = explicit zero block (shadows parents)
//   block refs     blockId -> refcount, location, length, flags, crc32, sha256 (BlockRef below)
//   hash index     sha256 -> blockId                    dedup: identical blocks are stored once
//   meta           string keys -> msgpack values        engine state and array objects
// Writes happen only inside transaction callbacks queued through `transact`, so LMDB commits stay
// in the order the engine queued them.

import { hash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type Database, open, type RootDatabase } from 'lmdb';
import { compressSync, uncompressSync } from 'lz4-napi';
import { BLOCK_BYTES, READ_RUN_BLOCKS_MAX } from '../../constants.js';
import { IoError } from './block-device.js';
import { type BlockLocation, DATA_SEGMENT_HEADER_BYTES, DataLog } from './data-log.js';

const ZERO_BLOCK_ID = 0;
const MAP_KEY_BYTES = 10;

/**
 * Block reference record (56 bytes):
 *   0 refcount u32 | 4 stored length u31 + lz4 flag (top bit) | 8 segment u32 | 12 offset u48
 *  18 reserved u16 | 20 crc32 of stored bytes u32 | 24 sha256 of the block (32 bytes)
 */
const REF_BYTES = 56;
const LZ4_FLAG = 0x8000_0000;

export interface PreparedBlock {
  contentHash: Buffer;
  /** What goes to disk: lz4 bytes or the raw block. */
  stored: Buffer;
  compressed: boolean;
  storedCrc: number;
}

/** Hashes and (when worthwhile) compresses a block: the CPU-heavy part of destage. */
export function prepareBlock(data: Buffer): PreparedBlock {
  const contentHash = hash('sha256', data, 'buffer') as unknown as Buffer;
  const lz4 = compressSync(data);
  // Keep compressed bytes only when they save at least 1/8: decompression costs CPU on every read.
  const compressed = lz4.length <= data.length - data.length / 8;
  const stored = compressed ? lz4 : data;
  return { contentHash, stored, compressed, storedCrc: crc32(stored) };
}

export interface StoreState {
  appliedLsn: number;
  nextBlockId: number;
  nextLayerId: number;
  /** Bytes in the data log held by live blocks (after dedup and compression). */
  storedBytes: number;
  /** Live unique blocks. */
  blockCount: number;
  /** Data log tail as of this commit: anything written past it was never referenced. */
  dataSegment: number;
  dataTailBytes: number;
  /** Live bytes per data segment (compaction picks mostly-dead ones). */
  segmentLiveBytes: Record<number, number>;
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

/** One block (or part of it) to copy out of the store. */
export interface BlockRead {
  blockId: number;
  target: Buffer;
  targetOffset: number;
  fromByte: number;
  toByte: number;
}

interface BlockRef {
  refcount: number;
  length: number;
  compressed: boolean;
  location: BlockLocation;
  crc: number;
  contentHash: Buffer;
}

function decodeRef(value: Buffer): BlockRef {
  const lengthAndFlag = value.readUInt32BE(4);
  return {
    refcount: value.readUInt32BE(0),
    length: lengthAndFlag & ~LZ4_FLAG,
    compressed: (lengthAndFlag & LZ4_FLAG) !== 0,
    location: { segment: value.readUInt32BE(8), offsetBytes: value.readUIntBE(12, 6) },
    crc: value.readUInt32BE(20),
    contentHash: value.subarray(24, 56),
  };
}

function encodeRef(ref: BlockRef): Buffer {
  const value = Buffer.alloc(REF_BYTES);
  value.writeUInt32BE(ref.refcount, 0);
  value.writeUInt32BE((ref.length | (ref.compressed ? LZ4_FLAG : 0)) >>> 0, 4);
  value.writeUInt32BE(ref.location.segment, 8);
  value.writeUIntBE(ref.location.offsetBytes, 12, 6);
  value.writeUInt32BE(ref.crc, 20);
  ref.contentHash.copy(value, 24);
  return value;
}

export class BlockStore {
  readonly root: RootDatabase;
  readonly data: DataLog;
  private readonly map: Database<Buffer, Buffer>;
  private readonly refs: Database<Buffer, Buffer>;
  private readonly hashes: Database<Buffer, Buffer>;
  readonly meta: Database<unknown, string>;
  readonly state: StoreState;
  private readonly lookupKey = Buffer.allocUnsafe(MAP_KEY_BYTES);
  private readonly idLookupKey = Buffer.allocUnsafe(6);

  constructor(dir: string, dataSegmentBytes?: number) {
    mkdirSync(join(dir, 'data'), { recursive: true });
    // overlappingSync: commits do not wait for their fsync (it runs behind, crash-safe by design);
    // callers that need durability await `flushed()`.
    this.root = open({ path: join(dir, 'index'), overlappingSync: true, noMemInit: true, pageSize: 4096 });
    const binary = { keyEncoding: 'binary', encoding: 'binary' } as const;
    this.map = this.root.openDB<Buffer, Buffer>({ name: 'layer-map', ...binary });
    this.refs = this.root.openDB<Buffer, Buffer>({ name: 'block-refs', ...binary });
    this.hashes = this.root.openDB<Buffer, Buffer>({ name: 'hash-index', ...binary });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta' });
    const saved = this.meta.get('engine-state') as StoreState | undefined;
    this.state = saved ?? {
      appliedLsn: 0,
      nextBlockId: 1,
      nextLayerId: 1,
      storedBytes: 0,
      blockCount: 0,
      dataSegment: 1,
      dataTailBytes: DATA_SEGMENT_HEADER_BYTES,
      segmentLiveBytes: {},
    };
    const committedTail = { segment: this.state.dataSegment, tailBytes: this.state.dataTailBytes };
    this.data = new DataLog(join(dir, 'data'), committedTail, dataSegmentBytes);
  }

  /** Queues `fn` to run inside the next write transaction; resolves once it is committed (visible). */
  async transact(fn: () => void): Promise<void> {
    await this.root.transaction(() => {
      fn();
      const tail = this.data.tail;
      this.state.dataSegment = tail.segment;
      this.state.dataTailBytes = tail.tailBytes;
      this.meta.put('engine-state', { ...this.state, segmentLiveBytes: { ...this.state.segmentLiveBytes } });
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

  /** The live block with this content, if any (committed state, or this transaction's). */
  blockWithHash(contentHash: Buffer): number | undefined {
    const value = this.hashes.getBinaryFast(contentHash);
    return value ? value.readUIntBE(0, 6) : undefined;
  }

  /** Copies bytes [fromByte, toByte) of block `blockId` into `target` at `targetOffset`. */
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
    this.readBlocksInto([{ blockId, target, targetOffset, fromByte, toByte }]);
  }

  /**
   * Reads many blocks at once: blocks that lie back to back in the data log (sequentially
   * written data usually does) are fetched with one read.
   */
  readBlocksInto(requests: BlockRead[]): void {
    let run: Array<{ request: BlockRead; ref: BlockRef }> = [];
    const flush = () => {
      if (run.length === 0) return;
      const first = run[0]!.ref;
      const last = run[run.length - 1]!.ref;
      const total = last.location.offsetBytes + last.length - first.location.offsetBytes;
      const bytes = this.data.read(first.location, total);
      for (const { request, ref } of run) {
        const start = ref.location.offsetBytes - first.location.offsetBytes;
        this.decodeInto(request, ref, bytes.subarray(start, start + ref.length));
      }
      run = [];
    };
    for (const request of requests) {
      if (request.blockId === ZERO_BLOCK_ID) {
        request.target.fill(
          0,
          request.targetOffset,
          request.targetOffset + (request.toByte - request.fromByte),
        );
        continue;
      }
      const ref = this.ref(request.blockId);
      if (!ref) throw new Error(`block ${request.blockId} is mapped but has no reference record`);
      const previous = run[run.length - 1]?.ref;
      const adjacent =
        previous &&
        previous.location.segment === ref.location.segment &&
        previous.location.offsetBytes + previous.length === ref.location.offsetBytes &&
        run.length < READ_RUN_BLOCKS_MAX;
      if (!adjacent) flush();
      run.push({ request, ref });
    }
    flush();
  }

  private decodeInto(request: BlockRead, ref: BlockRef, stored: Buffer): void {
    if (crc32(stored) !== ref.crc) throw new IoError('io', `block ${request.blockId} failed its checksum`);
    const raw = ref.compressed ? uncompressSync(stored) : stored;
    raw.copy(request.target, request.targetOffset, request.fromByte, request.toByte);
  }

  hasBlock(blockId: number): boolean {
    return blockId === ZERO_BLOCK_ID || this.ref(blockId) !== undefined;
  }

  /** Reads outside transactions see the latest commit from here on. */
  refreshReadView(): void {
    this.root.resetReadTxn();
  }

  refcount(blockId: number): number {
    return this.ref(blockId)?.refcount ?? 0;
  }

  storedBytesOf(blockId: number): number {
    return this.ref(blockId)?.length ?? 0;
  }

  // ---- mutations: call only inside a `transact` callback ----

  /** Records a block already written to the data log with `refcount` references. Returns its id. */
  addBlock(block: PreparedBlock, location: BlockLocation, refcount = 0): number {
    const blockId = this.state.nextBlockId++;
    const ref: BlockRef = {
      refcount,
      length: block.stored.length,
      compressed: block.compressed,
      location,
      crc: block.storedCrc,
      contentHash: block.contentHash,
    };
    this.refs.put(idKey(blockId), encodeRef(ref));
    this.hashes.put(block.contentHash, idKey(blockId));
    this.addLive(location.segment, ref.length);
    this.state.storedBytes += ref.length;
    this.state.blockCount++;
    return blockId;
  }

  /** Takes one reference on `blockId` (for a mapping `replaceEntry` is about to make). */
  reference(blockId: number): void {
    if (blockId !== ZERO_BLOCK_ID) this.adjustRefcount(blockId, +1);
  }

  /**
   * Maps (layer, block) to `blockId` (0 = zero), whose reference the caller already took, and
   * drops the reference of the block mapped there before.
   */
  replaceEntry(layerId: number, blockIndex: number, blockId: number, layerHasParent: boolean): void {
    const key = mapKey(layerId, blockIndex);
    const old = this.map.getBinary(key);
    if (old) this.unreference(old.readUIntBE(0, 6));
    if (blockId === ZERO_BLOCK_ID && !layerHasParent) {
      if (old) this.map.remove(key);
      return;
    }
    const value = Buffer.allocUnsafe(6);
    value.writeUIntBE(blockId, 0, 6);
    this.map.put(key, value);
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
    for (const [blockIndex, blockId] of [...this.layerEntries(layerId)].slice(0, maxEntries)) {
      this.unreference(blockId);
      this.map.remove(mapKey(layerId, blockIndex));
      removed++;
    }
    return removed;
  }

  removeEntry(layerId: number, blockIndex: number, blockId: number): void {
    this.unreference(blockId);
    this.map.remove(mapKey(layerId, blockIndex));
  }

  /** Moves an entry to another layer; the block keeps its one reference. */
  moveEntry(fromLayerId: number, toLayerId: number, blockIndex: number, blockId: number): void {
    this.map.remove(mapKey(fromLayerId, blockIndex));
    const value = Buffer.allocUnsafe(6);
    value.writeUIntBE(blockId, 0, 6);
    this.map.put(mapKey(toLayerId, blockIndex), value);
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

  /**
   * Up to `limit` live blocks stored in `segment`, with what compaction needs to move them. Scans
   * every block record: compaction is rare, and not keeping a segment index saves two index
   * writes per destaged block.
   */
  blocksInSegment(segment: number, limit: number): Array<{ blockId: number; ref: BlockRef }> {
    const found: Array<{ blockId: number; ref: BlockRef }> = [];
    for (const { key, value } of this.refs.getRange({})) {
      if (value.readUInt32BE(8) !== segment) continue;
      const ref = decodeRef(Buffer.from(value));
      found.push({ blockId: key.readUIntBE(0, 6), ref });
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Frees a block added in this transaction that nothing ended up referencing. */
  releaseIfUnused(blockId: number): void {
    const ref = this.ref(blockId);
    if (!ref || ref.refcount > 0) return;
    this.adjustRefcount(blockId, +1);
    this.unreference(blockId);
  }

  /** Points a block at its new copy (compaction). */
  relocate(blockId: number, to: BlockLocation): void {
    const ref = this.ref(blockId);
    if (!ref) return;
    this.addLive(ref.location.segment, -ref.length);
    this.addLive(to.segment, ref.length);
    this.refs.put(idKey(blockId), encodeRef({ ...ref, location: to }));
  }

  private ref(blockId: number): BlockRef | undefined {
    this.idLookupKey.writeUIntBE(blockId, 0, 6);
    const value = this.refs.getBinary(this.idLookupKey);
    return value ? decodeRef(value) : undefined;
  }

  private addLive(segment: number, bytes: number): void {
    this.state.segmentLiveBytes[segment] = (this.state.segmentLiveBytes[segment] ?? 0) + bytes;
  }

  private adjustRefcount(blockId: number, delta: number): BlockRef {
    const ref = this.ref(blockId);
    if (!ref) throw new Error(`block ${blockId} has no reference record`);
    ref.refcount += delta;
    this.refs.put(idKey(blockId), encodeRef(ref));
    return ref;
  }

  private unreference(blockId: number): void {
    if (blockId === ZERO_BLOCK_ID) return;
    const ref = this.adjustRefcount(blockId, -1);
    if (ref.refcount > 0) return;
    this.state.storedBytes -= ref.length;
    this.state.blockCount--;
    this.addLive(ref.location.segment, -ref.length);
    // The index may already name a newer copy of this content; only drop an entry that is ours.
    if (this.blockWithHash(ref.contentHash) === blockId) this.hashes.remove(ref.contentHash);
    this.refs.remove(idKey(blockId));
  }

  async close(): Promise<void> {
    await this.data.close();
    await this.root.close();
  }
}
