// The block store: the index of destaged data, kept in memory and made durable by an index log
// (index-log.ts), and the bytes themselves in the append-only data log (data-log.ts).
//   layer map   (layerId, blockIndex) -> blockId   0 = explicit zero block (shadows parents)
//   block refs  blockId -> refcount, location, length, lz4 flag, crc32, sha256 (BlockRef)
//   hash index  sha256 -> blockId                  dedup: identical blocks are stored once
//   meta        an LMDB database: string keys -> msgpack values (array objects, layer records)
// Index changes happen only inside `transact` callbacks; each transaction is one log record, so
// after a crash the index is exactly as of some transaction, never between two.
// Memory: about 250 bytes per unique block and per mapped block (about 64 MiB per GiB of
// unique data written); see docs/space-accounting.md.

import { hash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { compressSync, uncompressSync } from 'lz4-napi';
import {
  BLOCK_BYTES,
  COMPRESS_SAMPLE_DISTINCT_RATIO_MAX,
  COMPRESS_SAMPLE_STRIDE,
  INDEX_LOG_CHECKPOINT_BYTES,
  READ_ASYNC_MIN_BYTES,
  READ_RUN_BLOCKS_MAX,
} from '../../constants.js';
import { copyBytes } from '../../platform/copy-bytes.js';
import { CrcConcatenation, crc32 } from '../../platform/crc32.js';
import { IoError } from './block-device.js';
import { type BlockLocation, DATA_SEGMENT_HEADER_BYTES, DataLog } from './data-log.js';
import { IndexLog } from './index-log.js';
import { IdTable, LayerMap, ShardedMap, shardOfString } from './index-maps.js';
import { type BlockRef, IndexOpWriter, readIndexOps } from './index-ops.js';
import type { VerifiedReader } from './verified-reader.js';

const ZERO_BLOCK_ID = 0;
const BLOCK_CRC_CONCATENATION = new CrcConcatenation(BLOCK_BYTES);
/** Checkpoint bodies are cut at about this size. */
const CHECKPOINT_PART_BYTES = 4 * 1024 * 1024;

export interface PreparedBlock {
  contentHash: Buffer;
  /** What goes to disk: lz4 bytes or the raw block (empty when not `reduced`). */
  stored: Buffer;
  compressed: boolean;
  storedCrc: number;
  /**
   * False when the block was only hashed: the same content had just been prepared, so it is most
   * likely stored already (dedup before compression). Call prepareBlock before storing it.
   */
  reduced: boolean;
}

const NOT_REDUCED = Buffer.alloc(0);

/** A block that was hashed but not compressed (see PreparedBlock.reduced). */
export function hashedOnly(contentHash: Buffer): PreparedBlock {
  return { contentHash, stored: NOT_REDUCED, compressed: false, storedCrc: 0, reduced: false };
}

const byteSeen = new Uint8Array(256);

/**
 * True when a sample of the block's bytes looks random (already compressed or encrypted data):
 * such blocks are stored raw without trying lz4, which costs 4x more on them than on data it can
 * shrink. The sample is every COMPRESS_SAMPLE_STRIDE-th byte; random data shows distinct values in
 * about 60% of the samples, text and structured data in far fewer. Like the early-abort heuristics of
 * btrfs and ZFS, it can miss a block that repeats a long random pattern; that block is then only
 * stored uncompressed.
 */
export function looksIncompressible(data: Buffer): boolean {
  byteSeen.fill(0);
  let distinct = 0;
  for (let i = 0; i < data.length; i += COMPRESS_SAMPLE_STRIDE) {
    const byte = data[i]!;
    if (byteSeen[byte] === 0) {
      byteSeen[byte] = 1;
      distinct++;
    }
  }
  return distinct > (data.length / COMPRESS_SAMPLE_STRIDE) * COMPRESS_SAMPLE_DISTINCT_RATIO_MAX;
}

/** Content hashes of whole blocks of one repeated byte, by that byte: computed once each. */
const patternHashes: Array<Buffer | undefined> = [];

/**
 * True when every byte of a whole block is the same (a fill pattern). Like Purity's pattern
 * removal, such blocks skip the expensive step: their hash is known. The first two bytes filter
 * out nearly all other data before the whole block is compared with itself shifted by one.
 */
function isSingleBytePattern(data: Buffer): boolean {
  return (
    data.length === BLOCK_BYTES &&
    data[0] === data[1] &&
    data[0] === data[BLOCK_BYTES - 1] &&
    data.compare(data, 1, BLOCK_BYTES, 0, BLOCK_BYTES - 1) === 0
  );
}

/**
 * The block's content hash (sha256): its identity for dedup, here and across replication. A block
 * of one repeated byte gets the same sha256 as ever, remembered per byte value. The buffer
 * returned may be shared: callers read it, never write to it.
 */
export function contentHashOf(data: Buffer): Buffer {
  if (isSingleBytePattern(data)) {
    const byte = data[0]!;
    let known = patternHashes[byte];
    if (known === undefined) {
      // Hashed from a block of its own: `data` may be shared memory another thread could change.
      known = hash('sha256', Buffer.alloc(BLOCK_BYTES, byte), 'buffer') as unknown as Buffer;
      patternHashes[byte] = known;
    }
    return known;
  }
  return hash('sha256', data, 'buffer') as unknown as Buffer;
}

/** Hashes and (when worthwhile) compresses a block: the CPU-heavy part of destage. */
export function prepareBlock(data: Buffer, contentHash = contentHashOf(data)): PreparedBlock {
  const lz4 = looksIncompressible(data) ? undefined : compressSync(data);
  // Keep compressed bytes only when they save at least 1/8: decompression costs CPU on every read.
  const compressed = lz4 !== undefined && lz4.length <= data.length - data.length / 8;
  const stored = compressed ? lz4 : data;
  return { contentHash, stored, compressed, storedCrc: crc32(stored), reduced: true };
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

/** One block (or part of it) to copy out of the store. */
export interface BlockRead {
  blockId: number;
  target: Buffer;
  targetOffset: number;
  fromByte: number;
  toByte: number;
}

/** Blocks next to each other in the data log, read with one system call. */
interface ReadRun {
  requests: BlockRead[];
  refs: BlockRef[];
  /** Bytes of the data log the run spans (a repeated block counts once). */
  totalBytes: number;
}

/**
 * The common aligned read: every block of the run stored raw, wanted whole, one after another in
 * the same target. Such a run is read from the data log straight into the target and checked
 * there: no buffer of its own, no copy.
 */
function isWholeRawRun(run: ReadRun): boolean {
  if (run.totalBytes !== run.refs.length * BLOCK_BYTES) return false; // compressed, short or repeated
  const head = run.requests[0]!;
  for (let i = 0; i < run.refs.length; i++) {
    const ref = run.refs[i]!;
    const request = run.requests[i]!;
    if (ref.compressed || ref.length !== BLOCK_BYTES) return false;
    if (request.fromByte !== 0 || request.toByte !== BLOCK_BYTES) return false;
    if (request.target !== head.target || request.targetOffset !== head.targetOffset + i * BLOCK_BYTES)
      return false;
  }
  return true;
}

/** The CRC of raw blocks stored back to back, from their recorded CRCs. */
function combinedCrc(refs: BlockRef[]): number {
  let crc = refs[0]!.crc;
  for (let i = 1; i < refs.length; i++) crc = BLOCK_CRC_CONCATENATION.append(crc, refs[i]!.crc);
  return crc;
}

export class BlockStore {
  readonly root: RootDatabase;
  readonly data: DataLog;
  readonly meta: Database<unknown, string>;
  readonly state: StoreState;
  private readonly layerMaps = new Map<number, LayerMap>();
  private readonly refs = new IdTable<BlockRef>();
  private readonly hashes = new ShardedMap<string, number>(shardOfString);
  private readonly index: IndexLog;
  private readonly ops = new IndexOpWriter();
  private inTransaction = false;
  /** Reads long runs into shared buffers on a worker thread, checked there (see useVerifiedReader). */
  private verifiedReader: VerifiedReader | null = null;

  constructor(dir: string, dataSegmentBytes?: number) {
    if (existsSync(join(dir, 'index', 'data.mdb')))
      throw new Error(
        `${dir} holds a block store of format 1 (block index in LMDB), which this version does not read; start with a new data directory`,
      );
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(join(dir, 'block-index'), { recursive: true });
    // overlappingSync: commits do not wait for their fsync (it runs behind, crash-safe by design);
    // callers that need durability await `flushed()`.
    this.root = open({ path: join(dir, 'meta'), overlappingSync: true, noMemInit: true });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta' });
    let saved: StoreState | undefined;
    this.index = IndexLog.open(join(dir, 'block-index'), (body) =>
      readIndexOps(body, {
        mapSet: (layerId, blockIndex, blockId) => this.layerMap(layerId).set(blockIndex, blockId),
        mapDelete: (layerId, blockIndex) => this.mapDelete(layerId, blockIndex),
        refPut: (blockId, ref) => {
          this.refs.set(blockId, ref);
          this.hashes.set(ref.hash, blockId);
        },
        refCount: (blockId, refcount) => {
          const ref = this.refs.get(blockId);
          if (ref) ref.refcount = refcount;
        },
        refDelete: (blockId) => this.forgetRef(blockId),
        state: (json) => {
          saved = JSON.parse(json) as StoreState;
        },
      }),
    );
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
    // Layer ids are handed out before the records naming them are committed to meta.
    const nextLayerId = this.meta.get('next-layer-id') as number | undefined;
    if (nextLayerId !== undefined && nextLayerId > this.state.nextLayerId)
      this.state.nextLayerId = nextLayerId;
    const committedTail = { segment: this.state.dataSegment, tailBytes: this.state.dataTailBytes };
    this.data = new DataLog(join(dir, 'data'), committedTail, dataSegmentBytes);
  }

  /** From now on, long aligned reads into buffers over shared memory go through `reader`. */
  useVerifiedReader(reader: VerifiedReader): void {
    this.verifiedReader = reader;
  }

  /** Runs `fn` as one index transaction: visible when this returns, durable after `flushed()`. */
  async transact(fn: () => void): Promise<void> {
    if (this.inTransaction) throw new Error('store transactions do not nest');
    this.inTransaction = true;
    try {
      fn();
      const tail = this.data.tail;
      this.state.dataSegment = tail.segment;
      this.state.dataTailBytes = tail.tailBytes;
      this.ops.state(JSON.stringify(this.state));
      this.index.append(this.ops.take());
    } finally {
      this.inTransaction = false;
    }
    if (this.index.logBytes >= INDEX_LOG_CHECKPOINT_BYTES) this.checkpoint();
  }

  /** Commits meta writes (undefined = delete) in one LMDB transaction; durable after `flushed()`. */
  async transactMeta(writes: Map<string, unknown>): Promise<void> {
    await this.root.transaction(() => {
      for (const [key, value] of writes) {
        if (value === undefined) this.meta.remove(key);
        else this.meta.put(key, value);
      }
      this.meta.put('next-layer-id', this.state.nextLayerId);
    });
  }

  /** Resolves when every committed transaction (index and meta) is on stable storage. */
  async flushed(): Promise<void> {
    await Promise.all([this.root.flushed, this.index.sync()]);
  }

  /** Writes the whole index as a checkpoint and starts an empty log. */
  checkpoint(): void {
    this.index.checkpoint((emit) => {
      const writer = new IndexOpWriter();
      const cut = () => {
        if (writer.length >= CHECKPOINT_PART_BYTES) emit(writer.take());
      };
      for (const [blockId, ref] of this.refs.entries()) {
        writer.refPut(blockId, ref);
        cut();
      }
      for (const [layerId, map] of this.layerMaps) {
        for (const [blockIndex, blockId] of map.range(0, 2 ** 48 - 1)) {
          writer.mapSet(layerId, blockIndex, blockId);
          cut();
        }
      }
      writer.state(JSON.stringify(this.state));
      emit(writer.take());
    });
  }

  /** blockId mapped at (layer, block) in this layer only; undefined when the layer has no entry. */
  lookup(layerId: number, blockIndex: number): number | undefined {
    return this.layerMaps.get(layerId)?.get(blockIndex);
  }

  /** The content hash (latin1) of a stored block. */
  hashOf(blockId: number): string | undefined {
    return this.refs.get(blockId)?.hash;
  }

  /** The bytes of the stored block with this content hash (latin1), if any. */
  readByHash(hash: string): Buffer | undefined {
    const blockId = this.hashes.get(hash);
    if (blockId === undefined) return undefined;
    const out = Buffer.allocUnsafe(BLOCK_BYTES);
    this.readBlockInto(blockId, out, 0);
    return out;
  }

  /** The live block with this content, if any. */
  blockWithHash(contentHash: Buffer): number | undefined {
    return this.hashes.get(contentHash.toString('latin1'));
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
    for (const run of this.planRuns(requests)) this.readRun(run);
  }

  /**
   * Like readBlocksInto, but the long aligned runs (READ_ASYNC_MIN_BYTES and more, stored raw,
   * read whole into one buffer) are read on another thread, so the event loop goes on serving
   * the network meanwhile; a 1 MiB read spent a quarter of its time in that copy. Into a buffer
   * over shared memory, the verified reader's worker reads and checks them; into any other buffer,
   * libuv's thread pool reads them and they are checked here. Short runs are read at once: handing
   * 4 KiB to another thread costs more than reading it.
   */
  async readBlocksIntoAsync(requests: BlockRead[]): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (const run of this.planRuns(requests)) {
      if (run.totalBytes >= READ_ASYNC_MIN_BYTES && isWholeRawRun(run))
        inFlight.push(this.readRunInPlaceAsync(run));
      else this.readRun(run);
    }
    if (inFlight.length > 0) await Promise.all(inFlight);
  }

  /**
   * Groups requests into runs of blocks that are next to each other in the data log (or the very
   * same block again: deduplicated data is read once). Zero blocks are filled here and belong to
   * no run.
   */
  private planRuns(requests: BlockRead[]): ReadRun[] {
    const runs: ReadRun[] = [];
    let run: ReadRun | null = null;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      if (request.blockId === ZERO_BLOCK_ID) {
        request.target.fill(
          0,
          request.targetOffset,
          request.targetOffset + (request.toByte - request.fromByte),
        );
        continue;
      }
      const ref = this.refs.get(request.blockId);
      if (!ref) throw new Error(`block ${request.blockId} is mapped but has no reference record`);
      const previous = run === null ? undefined : run.refs[run.refs.length - 1]!;
      const adjacent =
        previous !== undefined &&
        previous.location.segment === ref.location.segment &&
        (previous.location.offsetBytes + previous.length === ref.location.offsetBytes || previous === ref) &&
        run!.refs.length < READ_RUN_BLOCKS_MAX;
      if (!adjacent || run === null) {
        run = { requests: [], refs: [], totalBytes: 0 };
        runs.push(run);
      }
      if (previous !== ref) run.totalBytes += ref.length;
      run.requests.push(request);
      run.refs.push(ref);
    }
    return runs;
  }

  /** Reads one run now: in place when it can, else through a buffer of its own. */
  private readRun(run: ReadRun): void {
    const first = run.refs[0]!;
    if (isWholeRawRun(run)) {
      const head = run.requests[0]!;
      this.data.readInto(first.location, run.totalBytes, head.target, head.targetOffset);
      this.verifyInPlace(run);
      return;
    }
    const bytes = this.data.read(first.location, run.totalBytes);
    let previousRef: BlockRef | null = null;
    let previousRaw: Buffer | null = null;
    for (let i = 0; i < run.requests.length; i++) {
      const request = run.requests[i]!;
      const ref = run.refs[i]!;
      // The same stored block again (deduplicated data): checked and decoded once.
      if (previousRef === ref && previousRaw !== null) {
        copyBytes(
          previousRaw.subarray(request.fromByte, request.toByte),
          request.target,
          request.targetOffset,
        );
        continue;
      }
      const start = ref.location.offsetBytes - first.location.offsetBytes;
      previousRaw = this.decodeInto(request, ref, bytes.subarray(start, start + ref.length));
      previousRef = ref;
    }
  }

  private async readRunInPlaceAsync(run: ReadRun): Promise<void> {
    const head = run.requests[0]!;
    const location = run.refs[0]!.location;
    const reader = this.verifiedReader;
    let outcome: 'ok' | 'mismatch' | null = null;
    if (reader?.accepts(head.target)) {
      try {
        outcome = await this.data.readIntoVerifiedAsync(
          location,
          run.totalBytes,
          head.target,
          head.targetOffset,
          combinedCrc(run.refs),
          reader,
        );
      } catch (error) {
        // The worker failed under this read (the reader no longer accepts): read it on the pool.
        if (reader.accepts(head.target)) throw error;
      }
    }
    if (outcome === 'ok') return;
    // A mismatch is checked again here, to name the damaged block.
    if (outcome === null)
      await this.data.readIntoAsync(location, run.totalBytes, head.target, head.targetOffset);
    this.verifyInPlace(run);
  }

  /**
   * Checks every block of a run read straight into its target (see isWholeRawRun): one CRC over
   * the whole run against the combination of the blocks' recorded CRCs; only on a mismatch block
   * by block, to name the damaged one.
   */
  private verifyInPlace(run: ReadRun): void {
    const head = run.requests[0]!;
    const whole = head.target.subarray(head.targetOffset, head.targetOffset + run.refs.length * BLOCK_BYTES);
    if (crc32(whole) === combinedCrc(run.refs)) return;
    for (let i = 0; i < run.refs.length; i++) {
      const at = head.targetOffset + i * BLOCK_BYTES;
      if (crc32(head.target.subarray(at, at + BLOCK_BYTES)) !== run.refs[i]!.crc)
        throw new IoError('io', `block ${run.requests[i]!.blockId} failed its checksum`);
    }
    throw new IoError('io', `blocks ${run.requests[0]!.blockId}.. failed their checksum`);
  }

  /** Checks and decodes one stored block into the request's target; returns the whole block. */
  private decodeInto(request: BlockRead, ref: BlockRef, stored: Buffer): Buffer {
    if (crc32(stored) !== ref.crc) throw new IoError('io', `block ${request.blockId} failed its checksum`);
    const raw = ref.compressed ? uncompressSync(stored) : stored;
    copyBytes(raw.subarray(request.fromByte, request.toByte), request.target, request.targetOffset);
    return raw;
  }

  hasBlock(blockId: number): boolean {
    return blockId === ZERO_BLOCK_ID || this.refs.get(blockId) !== undefined;
  }

  refcount(blockId: number): number {
    return this.refs.get(blockId)?.refcount ?? 0;
  }

  storedBytesOf(blockId: number): number {
    return this.refs.get(blockId)?.length ?? 0;
  }

  /** Unique blocks in the store (for tests and stats). */
  get uniqueBlocks(): number {
    return this.refs.size;
  }

  // ---- mutations: call only inside a `transact` callback ----

  /** Records a block already written to the data log with `refcount` references. Returns its id. */
  addBlock(block: PreparedBlock, location: BlockLocation, refcount = 0): number {
    this.assertInTransaction();
    if (!block.reduced) throw new Error('a block must be reduced before it is stored');
    const blockId = this.state.nextBlockId++;
    const ref: BlockRef = {
      refcount,
      length: block.stored.length,
      compressed: block.compressed,
      location,
      crc: block.storedCrc,
      hash: block.contentHash.toString('latin1'),
    };
    this.refs.set(blockId, ref);
    this.hashes.set(ref.hash, blockId);
    this.ops.refPut(blockId, ref);
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
    this.assertInTransaction();
    const map = this.layerMap(layerId);
    const old = map.get(blockIndex);
    if (old !== undefined) this.unreference(old);
    if (blockId === ZERO_BLOCK_ID && !layerHasParent) {
      if (old !== undefined) this.mapDelete(layerId, blockIndex, true);
      return;
    }
    map.set(blockIndex, blockId);
    this.ops.mapSet(layerId, blockIndex, blockId);
  }

  /** Entries of one layer in [fromBlock, toBlock): blockIndex -> blockId, in block order. */
  *layerEntries(layerId: number, fromBlock = 0, toBlock = 2 ** 48 - 1): Generator<[number, number]> {
    const map = this.layerMaps.get(layerId);
    if (map) yield* map.range(fromBlock, toBlock);
  }

  /** Removes up to `maxEntries` entries of a dead layer, releasing their blocks. Returns how many. */
  removeLayerEntries(layerId: number, maxEntries: number): number {
    let removed = 0;
    for (const [blockIndex, blockId] of [...this.layerEntries(layerId)].slice(0, maxEntries)) {
      this.removeEntry(layerId, blockIndex, blockId);
      removed++;
    }
    return removed;
  }

  removeEntry(layerId: number, blockIndex: number, blockId: number): void {
    this.assertInTransaction();
    this.unreference(blockId);
    this.mapDelete(layerId, blockIndex, true);
  }

  /** Moves an entry to another layer; the block keeps its one reference. */
  moveEntry(fromLayerId: number, toLayerId: number, blockIndex: number, blockId: number): void {
    this.assertInTransaction();
    this.mapDelete(fromLayerId, blockIndex, true);
    this.layerMap(toLayerId).set(blockIndex, blockId);
    this.ops.mapSet(toLayerId, blockIndex, blockId);
  }

  /** Layer ids that still have entries in the map (for garbage collection after a crash). */
  layersWithEntries(): number[] {
    return [...this.layerMaps].filter(([, map]) => map.size > 0).map(([id]) => id);
  }

  /** Up to `limit` live blocks stored in `segment`, with what compaction needs to move them. */
  blocksInSegment(segment: number, limit: number): Array<{ blockId: number; ref: BlockRef }> {
    const found: Array<{ blockId: number; ref: BlockRef }> = [];
    for (const [blockId, ref] of this.refs.entries()) {
      if (ref.location.segment !== segment) continue;
      found.push({ blockId, ref });
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Frees a block added in this transaction that nothing ended up referencing. */
  releaseIfUnused(blockId: number): void {
    const ref = this.refs.get(blockId);
    if (!ref || ref.refcount > 0) return;
    this.adjustRefcount(blockId, +1);
    this.unreference(blockId);
  }

  /** Points a block at its new copy (compaction). */
  relocate(blockId: number, to: BlockLocation): void {
    this.assertInTransaction();
    const ref = this.refs.get(blockId);
    if (!ref) return;
    this.addLive(ref.location.segment, -ref.length);
    this.addLive(to.segment, ref.length);
    ref.location = to;
    this.ops.refPut(blockId, ref);
  }

  private layerMap(layerId: number): LayerMap {
    let map = this.layerMaps.get(layerId);
    if (!map) {
      map = new LayerMap();
      this.layerMaps.set(layerId, map);
    }
    return map;
  }

  private mapDelete(layerId: number, blockIndex: number, log = false): void {
    const map = this.layerMaps.get(layerId);
    if (!map) return;
    map.delete(blockIndex);
    if (map.size === 0) this.layerMaps.delete(layerId);
    if (log) this.ops.mapDelete(layerId, blockIndex);
  }

  private forgetRef(blockId: number): void {
    const ref = this.refs.get(blockId);
    if (!ref) return;
    this.refs.delete(blockId);
    // The index may already name a newer copy of this content; only drop an entry that is ours.
    if (this.hashes.get(ref.hash) === blockId) this.hashes.delete(ref.hash);
  }

  private assertInTransaction(): void {
    if (!this.inTransaction) throw new Error('block store changed outside a transaction');
  }

  private addLive(segment: number, bytes: number): void {
    this.state.segmentLiveBytes[segment] = (this.state.segmentLiveBytes[segment] ?? 0) + bytes;
  }

  private adjustRefcount(blockId: number, delta: number): BlockRef {
    this.assertInTransaction();
    const ref = this.refs.get(blockId);
    if (!ref) throw new Error(`block ${blockId} has no reference record`);
    ref.refcount += delta;
    if (ref.refcount > 0) this.ops.refCount(blockId, ref.refcount);
    return ref;
  }

  private unreference(blockId: number): void {
    if (blockId === ZERO_BLOCK_ID) return;
    const ref = this.adjustRefcount(blockId, -1);
    if (ref.refcount > 0) return;
    this.state.storedBytes -= ref.length;
    this.state.blockCount--;
    this.addLive(ref.location.segment, -ref.length);
    this.forgetRef(blockId);
    this.ops.refDelete(blockId);
  }

  async close(): Promise<void> {
    await this.data.close();
    await this.index.close();
    await this.root.close();
  }
}
