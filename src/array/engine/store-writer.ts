// Everything that changes the block store's data: applying destaged blocks and zero ranges,
// releasing dead layers, and compacting the data log. One operation at a time (they all read
// refcounts and the hash index outside their transaction, so they must not interleave).

import {
  COMPACT_BLOCKS_PER_TRANSACTION,
  COMPACT_LIVE_RATIO_MAX,
  DATA_SEGMENT_BYTES,
  DESTAGE_BATCHES_IN_FLIGHT,
  GC_ENTRIES_PER_TRANSACTION,
} from '../../constants.js';
import { type BlockStore, type PreparedBlock, prepareBlock } from './block-store.js';
import type { BlockLocation } from './data-log.js';
import type { PreparedBatch, PreparePool } from './prepare-pool.js';

export interface DestageItem {
  layerId: number;
  blockIndex: number;
  /** null: the block reads as zero. */
  data: Buffer | null;
}

export interface DestageBatch {
  items: DestageItem[];
  /** Starts `StoreWriter.prepare(items)`; called a few batches ahead so the worker runs ahead. */
  prepare: () => Promise<PreparedBatch>;
  /** Set with the last batch: the journal LSN everything up to which is now in the store. */
  appliedLsn?: number;
  onCommitted: () => void;
}

interface PlannedStep {
  item: DestageItem;
  prepared?: PreparedBlock;
  /** A block already in the store (0: the zero block). */
  existing?: number;
  /** New content written by this or an earlier batch of the same run. */
  fresh?: { batch: number; index: number };
  /** The reference was counted when the new block was recorded. */
  referenced?: boolean;
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

  /** Starts hashing and compressing `items` in the worker pool (callers pipeline batches this way). */
  prepare(items: DestageItem[]): Promise<PreparedBatch> {
    return this.pool.prepare(items.filter((item) => item.data !== null).map((item) => item.data!));
  }

  /**
   * Stores batches of destaged blocks. Content the store already has is only referenced; new
   * content is appended to the data log (durably) before the transaction that maps it. Batches are
   * pipelined: batch N+1 is planned and its data written while batch N's transaction commits.
   */
  applyBatches(batches: DestageBatch[]): Promise<void> {
    return this.exclusive(async () => {
      const pending = new Map<string, { batch: number; index: number }>();
      const freshIdsByBatch: number[][] = [];
      const commits: Promise<void>[] = [];
      let previousQueued: Promise<void> = Promise.resolve();
      const preparing: Array<Promise<PreparedBatch>> = [];
      const prepareUpTo = (last: number) => {
        for (let i = preparing.length; i <= Math.min(last, batches.length - 1); i++) {
          const started = batches[i]!.prepare();
          started.catch(() => {}); // awaited in order below
          preparing.push(started);
        }
      };
      for (const [batchIndex, batch] of batches.entries()) {
        prepareUpTo(batchIndex + DESTAGE_BATCHES_IN_FLIGHT);
        const prepared = await preparing[batchIndex]!;
        const planned = this.plan(batch.items, prepared.blocks, batchIndex, pending);
        const locations = this.store.data.reserve(planned.fresh.map((b) => b.stored.length));
        const written = this.store.data.write(
          locations,
          planned.fresh.map((b) => b.stored),
        );
        // Data writes of several batches overlap; transactions are queued strictly in batch order,
        // each only once its own data is durable.
        let markQueued!: () => void;
        const queued = new Promise<void>((resolve) => {
          markQueued = resolve;
        });
        const waitForPrevious = previousQueued;
        const committed = (async () => {
          try {
            await written;
            await waitForPrevious;
          } catch (error) {
            markQueued();
            throw error;
          }
          const commit = this.store.transact(() => {
            const { ids, unused } = this.addFresh(planned, locations, batchIndex);
            freshIdsByBatch[batchIndex] = ids;
            this.mapPlanned(planned.steps, freshIdsByBatch);
            for (const id of unused) this.store.releaseIfUnused(id);
            if (batch.appliedLsn !== undefined) this.store.state.appliedLsn = batch.appliedLsn;
          });
          markQueued();
          await commit;
          prepared.release();
          batch.onCommitted();
        })();
        previousQueued = queued;
        committed.catch(() => {}); // observed by Promise.all below; never an unhandled rejection
        commits.push(committed);
        // A few batches in flight at most: enough to overlap, bounded memory.
        if (commits.length >= DESTAGE_BATCHES_IN_FLIGHT)
          await commits[commits.length - DESTAGE_BATCHES_IN_FLIGHT];
      }
      await Promise.all(commits);
    });
  }

  /** Records this batch's new blocks with the references the batch gives them: one write each. */
  private addFresh(
    planned: { steps: PlannedStep[]; fresh: PreparedBlock[] },
    locations: BlockLocation[],
    batchIndex: number,
  ) {
    const uses = new Array<number>(planned.fresh.length).fill(0);
    for (const step of planned.steps) {
      if (step.fresh?.batch !== batchIndex || this.layers.hasParent(step.item.layerId) === undefined)
        continue;
      uses[step.fresh.index]!++;
      step.referenced = true;
    }
    const ids = planned.fresh.map((block, i) => this.store.addBlock(block, locations[i]!, uses[i]));
    // Only blocks whose every mapping went to a released layer end up unreferenced.
    return { ids, unused: ids.filter((_, i) => uses[i] === 0) };
  }

  /** Decides for each item which block it maps to: existing, new in an earlier batch, or new here. */
  private plan(
    items: DestageItem[],
    reduced: PreparedBlock[],
    batchIndex: number,
    pending: Map<string, { batch: number; index: number }>,
  ) {
    const fresh: PreparedBlock[] = [];
    let next = 0;
    const steps: PlannedStep[] = items.map((item) => {
      if (item.data === null) return { item, existing: 0 };
      let prepared = reduced[next++]!;
      const key = prepared.contentHash.toString('latin1');
      const earlier = pending.get(key);
      if (earlier) return { item, prepared, fresh: earlier };
      const existing = this.store.blockWithHash(prepared.contentHash);
      if (existing !== undefined) return { item, prepared, existing };
      // Only hashed by the worker, as repeated content, yet not stored (freed meanwhile): reduce it.
      if (!prepared.reduced) prepared = prepareBlock(item.data, prepared.contentHash);
      const index = fresh.push(prepared) - 1;
      const here = { batch: batchIndex, index };
      pending.set(key, here);
      return { item, prepared, fresh: here };
    });
    return { steps, fresh };
  }

  /** Inside the transaction: take every new reference before dropping any old one. */
  private mapPlanned(steps: PlannedStep[], freshIdsByBatch: number[][]): void {
    const mapped: Array<{ item: DestageItem; blockId: number; hasParent: boolean }> = [];
    for (const step of steps) {
      const hasParent = this.layers.hasParent(step.item.layerId);
      if (hasParent === undefined) continue;
      let blockId = step.fresh ? freshIdsByBatch[step.fresh.batch]![step.fresh.index]! : step.existing!;
      // A block recorded in this very transaction exists; only older ones may have been freed.
      if (step.prepared && !step.referenced && !this.store.hasBlock(blockId)) {
        // The block planned against was freed by a transaction that committed after planning
        // (content one write stopped using and another started using): store the content here.
        const existing = this.store.blockWithHash(step.prepared.contentHash);
        if (existing !== undefined) blockId = existing;
        else {
          const block = step.prepared.reduced
            ? step.prepared
            : prepareBlock(step.item.data!, step.prepared.contentHash);
          blockId = this.store.addBlock(block, this.store.data.appendNow(block.stored));
        }
      }
      if (!step.referenced) this.store.reference(blockId);
      mapped.push({ item: step.item, blockId, hasParent });
    }
    // Content that one write in the batch stops using and another starts using is never freed in between.
    for (const { item, blockId, hasParent } of mapped) {
      this.store.replaceEntry(item.layerId, item.blockIndex, blockId, hasParent);
    }
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
