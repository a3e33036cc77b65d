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

export const shardOfNumber = (key: number) => key % INDEX_SHARDS;
export const shardOfString = (key: string) => key.charCodeAt(0) % INDEX_SHARDS;

/** One layer's entries: blockIndex -> blockId (0 = reads as zero). */
export class LayerMap {
  private readonly chunks = new Map<number, Map<number, number>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(blockIndex: number): number | undefined {
    return this.chunks.get(Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS))?.get(blockIndex);
  }

  set(blockIndex: number, blockId: number): void {
    const chunkNo = Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS);
    let chunk = this.chunks.get(chunkNo);
    if (!chunk) {
      chunk = new Map();
      this.chunks.set(chunkNo, chunk);
    }
    const before = chunk.size;
    chunk.set(blockIndex, blockId);
    this.count += chunk.size - before;
  }

  delete(blockIndex: number): void {
    const chunkNo = Math.floor(blockIndex / INDEX_MAP_CHUNK_BLOCKS);
    const chunk = this.chunks.get(chunkNo);
    if (!chunk?.delete(blockIndex)) return;
    this.count--;
    if (chunk.size === 0) this.chunks.delete(chunkNo);
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
      const entries = [...chunk].filter(([b]) => b >= fromBlock && b < toBlock).sort((a, b) => a[0] - b[0]);
      yield* entries;
    }
  }
}
