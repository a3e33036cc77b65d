// In-memory structures of the block index. A V8 Map holds at most 2^24 entries, so the big ones
// are split across shards; a layer's map is split into chunks of consecutive blocks so that a
// range (a trim, a merge) costs what it holds, not the size of the layer.

import { INDEX_MAP_CHUNK_BLOCKS, INDEX_SHARDS } from '../../constants.js';

export class ShardedMap<K, V> {
  private readonly shards: Array<Map<K, V>>;

  constructor(private readonly shardOf: (key: K) => number) {
    this.shards = Array.from({ length: INDEX_SHARDS }, () => new Map<K, V>());
  }

  get(key: K): V | undefined {
    return this.shards[this.shardOf(key)]!.get(key);
  }
  set(key: K, value: V): void {
    this.shards[this.shardOf(key)]!.set(key, value);
  }
  delete(key: K): void {
    this.shards[this.shardOf(key)]!.delete(key);
  }
  get size(): number {
    let total = 0;
    for (const shard of this.shards) total += shard.size;
    return total;
  }
  *entries(): Generator<[K, V]> {
    for (const shard of this.shards) yield* shard;
  }
}

/**
 * Entries per page of an IdTable: 4 096 slots, 32 KiB of pointers. A page stays while any id on it
 * is live, so small pages keep the cost of long-lived stragglers among freed ids low.
 */
const ID_PAGE_SLOTS = 4096;

/**
 * Values by small non-negative integer id (block ids are handed out in sequence): pages of plain
 * arrays instead of a hash map. A 4 KiB read looks its block up once; an array index is cheaper
 * than V8's hash-table probe, and no map ever nears V8's 2^24-entry limit.
 */
export class IdTable<V> {
  private readonly pages: Array<Array<V | undefined> | undefined> = [];
  /** Entries per page: a page that empties is dropped (ids are not reused, so old pages empty out). */
  private readonly pageCounts: number[] = [];
  private count = 0;

  // Ids may pass 2^32 (16 TiB of unique 4 KiB blocks): division, not 32-bit shifts.
  get(id: number): V | undefined {
    const pageNo = Math.floor(id / ID_PAGE_SLOTS);
    return this.pages[pageNo]?.[id - pageNo * ID_PAGE_SLOTS];
  }

  set(id: number, value: V): void {
    const pageNo = Math.floor(id / ID_PAGE_SLOTS);
    let page = this.pages[pageNo];
    if (!page) {
      page = new Array<V | undefined>(ID_PAGE_SLOTS).fill(undefined);
      this.pages[pageNo] = page;
    }
    const slot = id - pageNo * ID_PAGE_SLOTS;
    if (page[slot] === undefined) {
      this.count++;
      this.pageCounts[pageNo] = (this.pageCounts[pageNo] ?? 0) + 1;
    }
    page[slot] = value;
  }

  delete(id: number): void {
    const pageNo = Math.floor(id / ID_PAGE_SLOTS);
    const page = this.pages[pageNo];
    const slot = id - pageNo * ID_PAGE_SLOTS;
    if (page?.[slot] === undefined) return;
    page[slot] = undefined;
    this.count--;
    this.pageCounts[pageNo]!--;
    if (this.pageCounts[pageNo] === 0) this.pages[pageNo] = undefined;
  }

  get size(): number {
    return this.count;
  }

  *entries(): Generator<[number, V]> {
    for (let pageNo = 0; pageNo < this.pages.length; pageNo++) {
      const page = this.pages[pageNo];
      if (!page) continue;
      for (let slot = 0; slot < ID_PAGE_SLOTS; slot++) {
        const value = page[slot];
        if (value !== undefined) yield [pageNo * ID_PAGE_SLOTS + slot, value];
      }
    }
  }
}
export const shardOfString = (key: string) => key.charCodeAt(0) % INDEX_SHARDS;

/** A chunk of a LayerMap holding this many entries becomes dense; back to a Map below the second. */
const DENSE_FROM_ENTRIES = 1024;
const SPARSE_BELOW_ENTRIES = 256;
/** An empty slot of a dense chunk (block ids are never negative). */
const NO_ENTRY = -1;

/** A chunk's entries: a Map while few, else one slot per block of the chunk. */
interface DenseChunk {
  slots: Float64Array;
  count: number;
}
type Chunk = Map<number, number> | DenseChunk;

function isDense(chunk: Chunk): chunk is DenseChunk {
  return !(chunk instanceof Map);
}

/**
 * One layer's entries: blockIndex -> blockId (0 = reads as zero). Chunks that hold many entries
 * are dense arrays: a lookup there is an index, not a hash-table probe, and 4 096 entries take
 * 32 KiB instead of the Map's several times that.
 */
export class LayerMap {
  private readonly chunks = new Map<number, Chunk>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(blockIndex: number): number | undefined {
    const chunkNo = Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS);
    const chunk = this.chunks.get(chunkNo);
    if (chunk === undefined) return undefined;
    if (!isDense(chunk)) return chunk.get(blockIndex);
    const blockId = chunk.slots[blockIndex - chunkNo * INDEX_MAP_CHUNK_BLOCKS]!;
    return blockId === NO_ENTRY ? undefined : blockId;
  }

  set(blockIndex: number, blockId: number): void {
    const chunkNo = Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS);
    let chunk = this.chunks.get(chunkNo);
    if (chunk === undefined) {
      chunk = new Map();
      this.chunks.set(chunkNo, chunk);
    }
    if (isDense(chunk)) {
      const slot = blockIndex - chunkNo * INDEX_MAP_CHUNK_BLOCKS;
      if (chunk.slots[slot] === NO_ENTRY) {
        chunk.count++;
        this.count++;
      }
      chunk.slots[slot] = blockId;
      return;
    }
    const before = chunk.size;
    chunk.set(blockIndex, blockId);
    this.count += chunk.size - before;
    if (chunk.size >= DENSE_FROM_ENTRIES) this.chunks.set(chunkNo, toDense(chunk, chunkNo));
  }

  delete(blockIndex: number): void {
    const chunkNo = Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS);
    const chunk = this.chunks.get(chunkNo);
    if (chunk === undefined) return;
    if (!isDense(chunk)) {
      if (!chunk.delete(blockIndex)) return;
      this.count--;
      if (chunk.size === 0) this.chunks.delete(chunkNo);
      return;
    }
    const slot = blockIndex - chunkNo * INDEX_MAP_CHUNK_BLOCKS;
    if (chunk.slots[slot] === NO_ENTRY) return;
    chunk.slots[slot] = NO_ENTRY;
    chunk.count--;
    this.count--;
    if (chunk.count < SPARSE_BELOW_ENTRIES) this.chunks.set(chunkNo, toSparse(chunk, chunkNo));
  }

  /** Entries in [fromBlock, toBlock), in block order. A snapshot: the map may change meanwhile. */
  *range(fromBlock: number, toBlock: number): Generator<[number, number]> {
    const first = Math.floor(fromBlock / INDEX_MAP_CHUNK_BLOCKS);
    const last = Math.floor((toBlock - 1) / INDEX_MAP_CHUNK_BLOCKS);
    const chunkNos =
      last - first + 1 <= this.chunks.size
        ? Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((n) => this.chunks.has(n))
        : [...this.chunks.keys()].filter((n) => n >= first && n <= last).sort((a, b) => a - b);
    for (const chunkNo of chunkNos) {
      const chunk = this.chunks.get(chunkNo);
      if (!chunk) continue;
      yield* entriesOf(chunk, chunkNo).filter(([b]) => b >= fromBlock && b < toBlock);
    }
  }
}

/** A chunk's entries, in block order (a copy). */
function entriesOf(chunk: Chunk, chunkNo: number): Array<[number, number]> {
  if (!isDense(chunk)) return [...chunk].sort((a, b) => a[0] - b[0]);
  const entries: Array<[number, number]> = [];
  const base = chunkNo * INDEX_MAP_CHUNK_BLOCKS;
  for (let slot = 0; slot < chunk.slots.length; slot++) {
    const blockId = chunk.slots[slot]!;
    if (blockId !== NO_ENTRY) entries.push([base + slot, blockId]);
  }
  return entries;
}

function toDense(chunk: Map<number, number>, chunkNo: number): DenseChunk {
  const slots = new Float64Array(INDEX_MAP_CHUNK_BLOCKS).fill(NO_ENTRY);
  const base = chunkNo * INDEX_MAP_CHUNK_BLOCKS;
  for (const [blockIndex, blockId] of chunk) slots[blockIndex - base] = blockId;
  return { slots, count: chunk.size };
}

function toSparse(chunk: DenseChunk, chunkNo: number): Map<number, number> {
  return new Map(entriesOf(chunk, chunkNo));
}
