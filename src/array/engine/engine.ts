// The block engine: thin, layered volumes over the journal (durability) and the block store
// (dedup + compression). A volume or snapshot is a chain of layers: reads walk from the head layer
// to the root; writes go only to a mutable head. A snapshot freezes the head and puts a new empty
// head on top, so snapshots, clones and restores are O(1) and copy no data.

import { join } from 'node:path';
import {
  BLOCK_BYTES,
  DATA_SEGMENT_BYTES,
  DESTAGE_BATCH_BLOCKS,
  DESTAGE_IDLE_MS,
  DESTAGE_TRIGGER_BYTES,
  DESTAGE_WORKERS,
  JOURNAL_LIVE_TRIGGER_BYTES,
  OVERLAY_MAX_BYTES,
  READ_POOL_MAX_BYTES,
  ZERO_RANGE_PER_BLOCK_MAX,
} from '../../constants.js';
import { BufferPool } from '../../platform/buffer-pool.js';
import { copyBytes } from '../../platform/copy-bytes.js';
import { NodeDiskDir } from '../../platform/disk.js';
import { type BlockRead, BlockStore } from './block-store.js';
import { Journal, type ReplayedRecord } from './journal.js';
import { RecordType } from './journal-record.js';
import { type LayerRecord, LayerTable } from './layer-table.js';
import { Maintenance } from './maintenance.js';
import { Overlay, type OverlayBlock } from './overlay.js';
import { PreparePool } from './prepare-pool.js';
import { type DestageItem, StoreWriter } from './store-writer.js';
import { VerifiedReader } from './verified-reader.js';

const ZERO_BLOCK = Buffer.alloc(BLOCK_BYTES);

export type { LayerRecord } from './layer-table.js';

/** Where I/O goes: read at the moment a write is journaled, so a snapshot taken meanwhile is respected. */
export interface LayerRef {
  readonly headLayerId: number;
}

export interface EngineStats {
  overlayBytes: number;
  storedBytes: number;
  blockCount: number;
  appliedLsn: number;
  durableLsn: number;
  journalLiveBytes: number;
  /** Why the last destage failed (it is retried), or null. */
  lastDestageError: string | null;
}

/** Sizes tests shrink to exercise segment roll-over and compaction quickly. */
export interface EngineOptions {
  dataSegmentBytes?: number;
  journalSegmentBytes?: number;
}

export class BlockEngine {
  private readonly layers = new LayerTable();
  private readonly overlay = new Overlay();
  private destaging: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastWriteMs = 0;
  private lastDestageError: Error | null = null;
  private readonly maintenance: Maintenance;
  private closed = false;
  private readonly spaceWaiters: Array<() => void> = [];
  /** One worker: the other core serves I/O (and, on a 2-core box, the client). */
  private readonly preparePool = new PreparePool(DESTAGE_WORKERS);
  private readonly writer: StoreWriter;
  /** Reads for the protocol servers, handed back with releaseRead once sent and then reused. */
  private readonly replyBuffers = new BufferPool(BLOCK_BYTES, READ_POOL_MAX_BYTES);
  /** Reads and checks long runs of those buffers on a worker thread. */
  private readonly verifiedReader = new VerifiedReader();

  private constructor(
    readonly store: BlockStore,
    private journal: Journal,
    options: EngineOptions,
  ) {
    const layerView = {
      hasParent: (id: number) => {
        const layer = this.layers.get(id);
        return layer ? layer.parentId !== null : undefined;
      },
      ancestorBlocks: (id: number, start: number, end: number) => this.ancestorBlocks(id, start, end),
    };
    store.useVerifiedReader(this.verifiedReader);
    const dataSegmentBytes = options.dataSegmentBytes ?? DATA_SEGMENT_BYTES;
    this.writer = new StoreWriter(store, this.preparePool, layerView, dataSegmentBytes);
    this.maintenance = new Maintenance(
      store,
      this.writer,
      this.layers,
      {
        isClosed: () => this.closed,
        lastWriteMs: () => this.lastWriteMs,
        hasPending: (id) => this.overlay.layer(id) !== undefined,
        commitMeta: (writes) => this.commitMeta(writes),
      },
      dataSegmentBytes,
    );
  }

  static async open(dataDir: string, options: EngineOptions = {}): Promise<BlockEngine> {
    const store = new BlockStore(join(dataDir, 'store'), options.dataSegmentBytes);
    const layers: LayerRecord[] = [];
    for (const { value } of store.meta.getRange({ start: 'layer:', end: 'layer;' }))
      layers.push(value as LayerRecord);
    const replayed: ReplayedRecord[] = [];
    const journalDir = await NodeDiskDir.create(join(dataDir, 'journal'));
    const journal = await Journal.open(
      journalDir,
      store.state.appliedLsn,
      (r) => replayed.push(r),
      options.journalSegmentBytes,
    );
    const engine = new BlockEngine(store, journal, options);
    for (const record of layers) engine.layers.add(record);
    for (const record of replayed) engine.applyReplayed(record);
    // Make the replayed records part of the store and move the applied LSN to the journal's new
    // base, so old segments (and whatever lies behind a hole in them) are never read again.
    await engine.destageNow();
    engine.deadLayersFromStore();
    return engine;
  }

  // ---- layers ----

  /** Creates a layer in memory; it must be persisted with `layerPuts` in the caller's transaction. */
  newLayer(parentId: number | null): number {
    const id = this.store.state.nextLayerId++;
    this.layers.add({ id, parentId });
    return id;
  }

  layer(id: number): LayerRecord | undefined {
    return this.layers.get(id);
  }

  /** Ids from `headId` down to the root. */
  chain(headId: number): number[] {
    return this.layers.chain(headId);
  }

  /**
   * Keeps the layers reachable from `roots` (volume heads, snapshot layers) and releases every other
   * one: its overlay entries are dropped and its map entries are removed in the background.
   * Returns the meta writes the caller must commit (layer records to delete).
   */
  retainOnly(roots: Iterable<number>): Map<string, unknown> {
    const writes = new Map<string, unknown>();
    for (const id of this.layers.retainOnly(roots)) {
      this.overlay.dropLayer(id);
      writes.set(`layer:${id}`, undefined);
    }
    return writes;
  }

  /** Meta writes persisting every known layer record (cheap: layers are few). */
  layerPuts(): Map<string, unknown> {
    return this.layers.puts();
  }

  /** Commits meta writes (undefined = delete) in one durable store transaction, then collects garbage. */
  async commitMeta(writes: Map<string, unknown>): Promise<void> {
    await this.store.transactMeta(writes);
    await this.store.flushed();
    void this.maintenance.run();
  }

  // ---- differences between layers (replication) ----

  /**
   * Blocks that reading `layerId` may show differently from reading `baseLayerId`: every block
   * mapped (data or explicit zero) by the layers from `layerId` down to, not including, the base.
   * `full` is true when the base is null or not in the chain: then every block the chain maps.
   * Destages first, so the answer comes from the store. Sorted ascending.
   */
  async changedBlocks(
    layerId: number,
    baseLayerId: number | null,
  ): Promise<{ blocks: number[]; full: boolean }> {
    await this.destageNow();
    const chain = this.chain(layerId);
    const baseAt = baseLayerId === null ? -1 : chain.indexOf(baseLayerId);
    const layers = baseAt < 0 ? chain : chain.slice(0, baseAt);
    const found = new Set<number>();
    for (const id of layers) for (const [blockIndex] of this.store.layerEntries(id)) found.add(blockIndex);
    for (const id of layers) {
      const pending = this.overlay.layer(id);
      if (pending) for (const blockIndex of pending.blocks.keys()) found.add(blockIndex);
    }
    return { blocks: [...found].sort((a, b) => a - b), full: baseAt < 0 };
  }

  /**
   * The content hash (sha256, latin1) of one block as `layerId` reads it, or null when it reads as
   * zeroes. Only for destaged layers (see changedBlocks); undefined if the block is still pending.
   */
  blockHashAt(layerId: number, blockIndex: number): string | null | undefined {
    for (const id of this.chain(layerId)) {
      if (this.overlay.lookup(id, blockIndex) !== undefined) return undefined;
      const blockId = this.store.lookup(id, blockIndex);
      if (blockId === undefined) continue;
      return blockId === 0 ? null : (this.store.hashOf(blockId) ?? null);
    }
    return null;
  }

  /** The bytes of a stored block with this content hash, if the store has one. */
  blockWithHash(hash: string): Buffer | undefined {
    return this.store.readByHash(hash);
  }

  // ---- I/O ----

  read(headId: number, offsetBytes: number, lengthBytes: number): Buffer {
    const out = Buffer.allocUnsafe(lengthBytes);
    this.store.readBlocksInto(this.placeRead(headId, offsetBytes, out));
    return out;
  }

  /**
   * The same bytes as `read`, with long runs of the data log read on another thread (for the
   * protocol servers: the event loop serves other requests meanwhile). What the read returns is
   * decided when it is called: a write acknowledged later does not show, one acknowledged before does.
   */
  async readAsync(headId: number, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const out = this.replyBuffers.take(lengthBytes);
    await this.store.readBlocksIntoAsync(this.placeRead(headId, offsetBytes, out));
    return out;
  }

  /**
   * Hands back a buffer readAsync returned, once nothing uses it any more (it was written to the
   * socket): the next long read reuses it. Calling this is optional.
   */
  releaseRead(data: Buffer): void {
    this.replyBuffers.give(data);
  }

  /**
   * Fills `out` (the bytes from offsetBytes) with what the overlay and zero blocks say, and returns
   * what the store must copy in.
   */
  private placeRead(headId: number, offsetBytes: number, out: Buffer): BlockRead[] {
    const lengthBytes = out.length;
    const chain = this.chain(headId);
    let position = offsetBytes;
    const end = offsetBytes + lengthBytes;
    const fromStore: BlockRead[] = [];
    while (position < end) {
      const blockIndex = Math.floor(position / BLOCK_BYTES);
      const from = position - blockIndex * BLOCK_BYTES;
      const to = Math.min(BLOCK_BYTES, from + (end - position));
      const blockId = this.readBlockRange(chain, blockIndex, out, position - offsetBytes, from, to);
      if (blockId !== undefined) {
        fromStore.push({
          blockId,
          target: out,
          targetOffset: position - offsetBytes,
          fromByte: from,
          toByte: to,
        });
      }
      position += to - from;
    }
    return fromStore;
  }

  async write(ref: LayerRef, offsetBytes: number, data: Buffer): Promise<void> {
    if (this.mustWait()) await this.admit();
    const headId = ref.headLayerId;
    const chain = this.chain(headId);
    let position = offsetBytes;
    const end = offsetBytes + data.length;
    // Whole blocks with data, not yet journaled: they go in as one run (few records, one copy).
    let runStart = -1;
    while (position < end) {
      const blockIndex = Math.floor(position / BLOCK_BYTES);
      const from = position - blockIndex * BLOCK_BYTES;
      const to = Math.min(BLOCK_BYTES, from + (end - position));
      const source = data.subarray(position - offsetBytes, position - offsetBytes + (to - from));
      if (to - from === BLOCK_BYTES && !source.equals(ZERO_BLOCK)) {
        if (runStart < 0) runStart = position;
      } else {
        if (runStart >= 0) this.writeRun(headId, data, runStart - offsetBytes, position - runStart, runStart);
        runStart = -1;
        let block = source;
        if (to - from < BLOCK_BYTES) {
          block = Buffer.allocUnsafe(BLOCK_BYTES);
          const stored = this.readBlockRange(chain, blockIndex, block, 0, 0, BLOCK_BYTES);
          if (stored !== undefined) this.store.readBlockInto(stored, block, 0);
          source.copy(block, from);
        }
        this.writeBlock(headId, blockIndex, block);
      }
      position += to - from;
    }
    if (runStart >= 0) this.writeRun(headId, data, runStart - offsetBytes, end - runStart, runStart);
    await this.journal.commit();
    this.afterWrite();
  }

  async writeZeroes(ref: LayerRef, offsetBytes: number, lengthBytes: number): Promise<void> {
    if (this.mustWait()) await this.admit();
    const headId = ref.headLayerId;
    const end = offsetBytes + lengthBytes;
    const firstFull = Math.ceil(offsetBytes / BLOCK_BYTES);
    const endFull = Math.floor(end / BLOCK_BYTES);
    if (firstFull >= endFull) {
      await this.write(ref, offsetBytes, Buffer.alloc(lengthBytes));
      return;
    }
    const head = firstFull * BLOCK_BYTES - offsetBytes;
    const tail = end - endFull * BLOCK_BYTES;
    const partials: Promise<void>[] = [];
    if (head > 0) partials.push(this.write(ref, offsetBytes, Buffer.alloc(head)));
    if (tail > 0) partials.push(this.write(ref, endFull * BLOCK_BYTES, Buffer.alloc(tail)));
    // Journal records carry at most 2^32-1 blocks; split the rare bigger range.
    for (let start = firstFull; start < endFull; start += 0xffff_ffff) {
      const count = Math.min(0xffff_ffff, endFull - start);
      const lsn = this.journal.appendZero(headId, start, count);
      this.applyZero(headId, start, count, lsn);
    }
    partials.push(this.journal.commit());
    await Promise.all(partials);
    this.afterWrite();
  }

  /** Every write acknowledged before this call is durable already; waits for any in flight. */
  flush(): Promise<void> {
    return this.journal.commit();
  }

  // ---- maintenance ----

  /** Moves everything durable in the journal into the block store (also used before shutdown). */
  destageNow(): Promise<void> {
    if (!this.destaging) {
      this.destaging = this.destage()
        .then(() => {
          this.lastDestageError = null;
        })
        .catch((error: unknown) => {
          // The data is safe in the journal; keep it there and try again later (disk full, I/O
          // error). Writers wait once the overlay is full.
          this.lastDestageError = error instanceof Error ? error : new Error(String(error));
          throw this.lastDestageError;
        })
        .finally(() => {
          this.destaging = null;
          if (!this.overlay.isEmpty && !this.closed) this.scheduleDestage(DESTAGE_IDLE_MS);
        });
      // Background callers use `void destageNow()`; a failure is reported through stats().
      this.destaging.catch(() => {});
    }
    return this.destaging;
  }

  stats(): EngineStats {
    return {
      overlayBytes: this.overlay.bytes,
      storedBytes: this.store.state.storedBytes,
      blockCount: this.store.state.blockCount,
      appliedLsn: this.store.state.appliedLsn,
      durableLsn: this.journal.durableLsn,
      journalLiveBytes: this.journal.liveBytes(),
      lastDestageError: this.lastDestageError?.message ?? null,
    };
  }

  /** Overlay entries of one layer (for space accounting). */
  overlayLayer(layerId: number) {
    return this.overlay.layer(layerId);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.maintenance.stop();
    await this.journal.commit().catch(() => {});
    await this.destageNow().catch(() => {});
    while (this.maintenance.busy) await new Promise((r) => setTimeout(r, 10));
    await this.journal.close();
    await this.preparePool.close();
    await this.verifiedReader.close();
    await this.store.close();
  }

  // ---- internals ----

  /**
   * Fills [from, to) of one block from the overlay (or with zeroes) and returns undefined, or
   * returns the id of the stored block to read (the caller batches store reads).
   */
  private readBlockRange(
    chain: number[],
    blockIndex: number,
    out: Buffer,
    outOffset: number,
    from: number,
    to: number,
  ): number | undefined {
    for (const layerId of chain) {
      const pending = this.overlay.lookup(layerId, blockIndex);
      if (pending !== undefined) {
        if (pending) copyBytes(pending.subarray(from, to), out, outOffset);
        else out.fill(0, outOffset, outOffset + (to - from));
        return undefined;
      }
      const blockId = this.store.lookup(layerId, blockIndex);
      if (blockId !== undefined) return blockId;
    }
    out.fill(0, outOffset, outOffset + (to - from));
  }

  private writeBlock(layerId: number, blockIndex: number, block: Buffer): void {
    if (block.equals(ZERO_BLOCK)) {
      const lsn = this.journal.appendZero(layerId, blockIndex, 1);
      this.overlay.setBlock(layerId, blockIndex, { lsn, data: null });
      return;
    }
    const { lsn, stored } = this.journal.appendBlock(layerId, blockIndex, block);
    this.overlay.setBlock(layerId, blockIndex, { lsn, data: stored });
  }

  /** Journals `length` bytes of whole, non-zero blocks from data[at] to volume byte `volumeOffset`. */
  private writeRun(layerId: number, data: Buffer, at: number, length: number, volumeOffset: number): void {
    this.journal.appendBlocks(
      layerId,
      volumeOffset / BLOCK_BYTES,
      data.subarray(at, at + length),
      (blockIndex, lsn, stored) => this.overlay.setBlock(layerId, blockIndex, { lsn, data: stored }),
    );
  }

  private applyZero(layerId: number, startBlock: number, blockCount: number, lsn: number): void {
    if (blockCount <= ZERO_RANGE_PER_BLOCK_MAX) {
      for (let i = 0; i < blockCount; i++)
        this.overlay.setBlock(layerId, startBlock + i, { lsn, data: null });
    } else {
      this.overlay.addZeroRange(layerId, { lsn, startBlock, blockCount });
    }
  }

  private applyReplayed({ header, payload }: ReplayedRecord): void {
    if (!this.layers.has(header.layerId)) return; // the layer was released after the write
    if (header.type === RecordType.block && payload) {
      this.overlay.setBlock(header.layerId, header.blockIndex, { lsn: header.lsn, data: payload });
    } else if (header.type === RecordType.blocks && payload) {
      for (let i = 0; i < header.blockCount; i++) {
        const data = payload.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES);
        this.overlay.setBlock(header.layerId, header.blockIndex + i, { lsn: header.lsn, data });
      }
    } else {
      this.applyZero(header.layerId, header.blockIndex, header.blockCount, header.lsn);
    }
  }

  /** Layers with entries in the store but no record: released before a crash, not yet collected. */
  private deadLayersFromStore(): void {
    for (const id of this.store.layersWithEntries()) {
      if (!this.layers.has(id)) this.layers.dead.add(id);
    }
    if (this.layers.dead.size > 0) void this.maintenance.run();
  }

  private mustWait(): boolean {
    return this.closed || this.overlay.bytes >= OVERLAY_MAX_BYTES;
  }

  private async admit(): Promise<void> {
    if (this.closed) throw new Error('engine closed');
    while (this.overlay.bytes >= OVERLAY_MAX_BYTES) {
      void this.destageNow();
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
  }

  private afterWrite(): void {
    this.lastWriteMs = performance.now();
    if (
      this.overlay.bytes >= DESTAGE_TRIGGER_BYTES ||
      this.journal.liveBytes() >= JOURNAL_LIVE_TRIGGER_BYTES
    ) {
      void this.destageNow();
    } else {
      this.scheduleDestage(DESTAGE_IDLE_MS);
    }
  }

  /** Destages once writes have paused for `delayMs` (under load the size triggers do it). */
  private scheduleDestage(delayMs: number): void {
    if (this.idleTimer || this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const quietMs = performance.now() - this.lastWriteMs;
      if (quietMs >= delayMs) void this.destageNow();
      else this.scheduleDestage(delayMs - quietMs);
    }, delayMs);
    this.idleTimer.unref();
  }

  private async destage(): Promise<void> {
    const upToLsn = this.journal.durableLsn;
    if (upToLsn <= this.store.state.appliedLsn) return;
    const work = this.collectDestageWork(upToLsn);
    // Zero ranges first: every block entry still in the overlay inside a range is newer than it.
    await this.writer.applyZeroRanges(
      work.ranges.map(({ layerId, range }) => ({
        layerId,
        startBlock: range.startBlock,
        blockCount: range.blockCount,
      })),
      work.blocks.length === 0 ? upToLsn : undefined,
    );
    const batches: Array<{ items: DestageItem[]; entries: typeof work.blocks }> = [];
    for (let start = 0; start < work.blocks.length; start += DESTAGE_BATCH_BLOCKS) {
      const entries = work.blocks.slice(start, start + DESTAGE_BATCH_BLOCKS);
      const items = entries.map((e) => ({
        layerId: e.layerId,
        blockIndex: e.blockIndex,
        data: e.entry.data,
      }));
      batches.push({ items, entries });
    }
    // The worker reduces the next batches while batch N is written and committed.
    await this.writer.applyBatches(
      batches.map(({ items, entries }, i) => ({
        items,
        prepare: () => this.writer.prepare(items),
        ...(i === batches.length - 1 ? { appliedLsn: upToLsn } : {}),
        onCommitted: () => {
          for (const item of entries) this.overlay.forgetIfCurrent(item.layerId, item.blockIndex, item.entry);
          this.wakeWriters();
        },
      })),
    );
    this.overlay.forgetUpTo(upToLsn);
    this.wakeWriters();
    // Journal segments may go only once what they hold is durable in the store.
    await this.store.flushed();
    await this.journal.release(this.store.state.appliedLsn);
    void this.maintenance.run();
  }

  private collectDestageWork(upToLsn: number) {
    const ranges: Array<{ layerId: number; range: { startBlock: number; blockCount: number } }> = [];
    const blocks: Array<{ layerId: number; blockIndex: number; entry: OverlayBlock }> = [];
    for (const layerId of this.overlay.layerIds()) {
      const layer = this.overlay.layer(layerId)!;
      for (const range of layer.zeroRanges) if (range.lsn <= upToLsn) ranges.push({ layerId, range });
      for (const [blockIndex, entry] of layer.blocks) {
        if (entry.lsn <= upToLsn) blocks.push({ layerId, blockIndex, entry });
      }
    }
    return { ranges, blocks };
  }

  /** Blocks in [start, end) mapped by an ancestor of `layerId` (store or overlay). */
  private ancestorBlocks(layerId: number, startBlock: number, endBlock: number): Set<number> {
    const found = new Set<number>();
    const parentId = this.layers.get(layerId)?.parentId ?? null;
    if (parentId === null) return found;
    for (const ancestor of this.chain(parentId)) {
      for (const [blockIndex] of this.store.layerEntries(ancestor, startBlock, endBlock))
        found.add(blockIndex);
      for (const blockIndex of this.overlay.layer(ancestor)?.blocks.keys() ?? []) {
        if (blockIndex >= startBlock && blockIndex < endBlock) found.add(blockIndex);
      }
    }
    return found;
  }

  private wakeWriters(): void {
    while (this.overlay.bytes < OVERLAY_MAX_BYTES && this.spaceWaiters.length > 0)
      this.spaceWaiters.shift()!();
  }
}
