// Everything that changes the block store's data: applying destaged blocks and zero ranges,
// releasing dead layers, and compacting the data log. One operation at a time (they all read
// refcounts and the hash index outside their transaction, so they must not interleave).

import { COMPACT_LIVE_RATIO_MAX, DATA_SEGMENT_BYTES } from '../../constants.js';
import type { BlockStore, PreparedBlock } from './block-store.js';
import type { PreparePool } from './prepare-pool.js';

/** Map entries of a dead layer removed per store transaction (bounds one transaction's size). */
const GC_ENTRIES_PER_TRANSACTION = 20_000;
/** Blocks moved per compaction transaction. */
const COMPACT_BLOCKS_PER_TRANSACTION = 2048;

export interface DestageItem {
  layerId: number;
  blockIndex: number;
  /** null: the block reads as zero. */
  data: Buffer | null;
}

export interface LayerView {
  /** undefined: the layer was released; its writes are dropped. */
  hasParent(layerId: number): boolean | undefined;
  /** Blocks in [start, end) that any ancestor of `layerId` maps, in the store or still pending. */
  ancestorBlocks(layerId: number, startBlock: number, endBlock: number): Set<number>;
}

export class StoreWriter {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: BlockStore,
    private readonly pool: PreparePool,
    private readonly layers: LayerView,
    private readonly dataSegmentBytes = DATA_SEGMENT_BYTES,
  ) {}

  /** Runs `fn` after every earlier store operation has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Makes [start, start+count) of each range read as zero in the store. */
  applyZeroRanges(
    ranges: Array<{ layerId: number; startBlock: number; blockCount: number }>,
    appliedLsn?: number,
  ) {
    return this.exclusive(() =>
      this.store.transact(() => {
        for (const range of ranges) this.zeroRange(range.layerId, range.startBlock, range.blockCount);
        if (appliedLsn !== undefined) this.store.state.appliedLsn = appliedLsn;
      }),
    );
  }

  /**
   * Reduces and stores a batch: blocks whose content the store already has are only referenced;
   * new ones are appended to the data log (durably) before the transaction that maps them.
   */
  async applyBlocks(items: DestageItem[], appliedLsn?: number): Promise<void> {
    return this.applyPrepared(items, this.prepare(items), appliedLsn);
  }

  /** Starts hashing and compressing `items` in the worker pool (callers pipeline batches this way). */
  prepare(items: DestageItem[]): Promise<PreparedBlock[]> {
    return this.pool.prepare(items.filter((item) => item.data !== null).map((item) => item.data!));
  }

  /** `applyBlocks` with the reduction already under way (`prepare(items)`). */
  async applyPrepared(
    items: DestageItem[],
    preparing: Promise<PreparedBlock[]>,
    appliedLsn?: number,
  ): Promise<void> {
    const withData = items.filter((item) => item.data !== null);
    const reduced = await preparing;
    const preparedFor = new Map<DestageItem, PreparedBlock>(withData.map((item, i) => [item, reduced[i]!]));
    await this.exclusive(async () => {
      this.store.refreshReadView();
      const fresh: PreparedBlock[] = [];
      const freshByHash = new Map<string, number>();
      const plan = items.map((item) => {
        const prepared = preparedFor.get(item);
        if (!prepared) return { item, existing: 0 };
        const existing = this.store.blockWithHash(prepared.contentHash);
        if (existing !== undefined) return { item, existing, prepared };
        const key = prepared.contentHash.toString('latin1');
        let index = freshByHash.get(key);
        if (index === undefined) {
          index = fresh.push(prepared) - 1;
          freshByHash.set(key, index);
        }
        return { item, freshIndex: index };
      });
      const locations = this.store.data.reserve(fresh.map((b) => b.stored.length));
      await this.store.data.write(
        locations,
        fresh.map((b) => b.stored),
      );
      await this.store.transact(() => {
        const freshIds = fresh.map((block, i) => this.store.addBlock(block, locations[i]!));
        // Two passes: take every new reference before dropping any old one, so content that one
        // write in the batch stops using and another starts using is never freed in between.
        const mapped: Array<{ item: DestageItem; blockId: number; hasParent: boolean }> = [];
        for (const step of plan) {
          const hasParent = this.layers.hasParent(step.item.layerId);
          if (hasParent === undefined) continue;
          let blockId = step.freshIndex !== undefined ? freshIds[step.freshIndex]! : step.existing!;
          if (step.prepared && !this.store.hasBlock(blockId)) {
            // Only if the read view used for planning was stale: store the content right here.
            blockId =
              this.store.blockWithHash(step.prepared.contentHash) ??
              this.store.addBlock(step.prepared, this.store.data.appendNow(step.prepared.stored));
          }
          this.store.reference(blockId);
          mapped.push({ item: step.item, blockId, hasParent });
        }
        for (const { item, blockId, hasParent } of mapped) {
          this.store.replaceEntry(item.layerId, item.blockIndex, blockId, hasParent);
        }
        for (const id of freshIds) this.store.releaseIfUnused(id);
        if (appliedLsn !== undefined) this.store.state.appliedLsn = appliedLsn;
      });
    });
  }

  /** Removes a released layer's entries in bounded transactions; true when it is gone. */
  collectLayer(layerId: number, isClosing: () => boolean): Promise<boolean> {
    return this.exclusive(async () => {
      let removed = GC_ENTRIES_PER_TRANSACTION;
      while (removed >= GC_ENTRIES_PER_TRANSACTION) {
        if (isClosing()) return false;
        await this.store.transact(() => {
          removed = this.store.removeLayerEntries(layerId, GC_ENTRIES_PER_TRANSACTION);
        });
      }
      return true;
    });
  }

  /**
   * Folds `parentId` into its only child: entries the child also has are dropped (their blocks
   * freed), the others move to the child. Zero markers are dropped when nothing lies below.
   */
  mergeLayer(parentId: number, childId: number, parentIsRoot: boolean): Promise<void> {
    return this.exclusive(async () => {
      for (;;) {
        const entries = [...this.store.layerEntries(parentId)].slice(0, GC_ENTRIES_PER_TRANSACTION);
        if (entries.length === 0) return;
        await this.store.transact(() => {
          for (const [blockIndex, blockId] of entries) {
            const shadowed = this.store.lookup(childId, blockIndex) !== undefined;
            if (shadowed || (blockId === 0 && parentIsRoot))
              this.store.removeEntry(parentId, blockIndex, blockId);
            else this.store.moveEntry(parentId, childId, blockIndex, blockId);
          }
        });
      }
    });
  }

  /**
   * Moves the live blocks out of sealed data segments that are mostly dead and deletes them.
   * Returns the segments removed.
   */
  compact(): Promise<number[]> {
    return this.exclusive(async () => {
      const removed: number[] = [];
      const active = this.store.data.tail.segment;
      for (const segment of this.store.data.segments()) {
        if (segment >= active) continue;
        const live = this.store.state.segmentLiveBytes[segment] ?? 0;
        if (live > this.dataSegmentBytes * COMPACT_LIVE_RATIO_MAX) continue;
        for (;;) {
          const blocks = this.store.blocksInSegment(segment, COMPACT_BLOCKS_PER_TRANSACTION);
          if (blocks.length === 0) break;
          const stored = blocks.map((b) => this.store.data.read(b.ref.location, b.ref.length));
          const locations = this.store.data.reserve(stored.map((s) => s.length));
          await this.store.data.write(locations, stored);
          await this.store.transact(() => {
            for (const [i, b] of blocks.entries()) this.store.relocate(b.blockId, locations[i]!);
          });
        }
        await this.store.transact(() => {
          delete this.store.state.segmentLiveBytes[segment];
        });
        // The file may go only once no durable index entry points into it.
        await this.store.flushed();
        this.store.data.remove(segment);
        removed.push(segment);
      }
      return removed;
    });
  }

  /** Cost grows with the blocks mapped in the range, not with its size. */
  private zeroRange(layerId: number, startBlock: number, blockCount: number): void {
    const hasParent = this.layers.hasParent(layerId);
    if (hasParent === undefined) return;
    const end = startBlock + blockCount;
    for (const [blockIndex, blockId] of [...this.store.layerEntries(layerId, startBlock, end)]) {
      this.store.removeEntry(layerId, blockIndex, blockId);
    }
    if (!hasParent) return;
    for (const blockIndex of this.layers.ancestorBlocks(layerId, startBlock, end)) {
      this.store.replaceEntry(layerId, blockIndex, 0, true);
    }
  }
}
