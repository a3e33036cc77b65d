// Hands destage's CPU work (SHA-256 + lz4 per block) to worker threads so the event loop keeps
// serving I/O while data is being reduced. Falls back to the calling thread if workers fail.

import { Worker } from 'node:worker_threads';
import { BLOCK_BYTES } from '../../constants.js';
import { hashedOnly, type PreparedBlock, prepareBlock } from './block-store.js';
import type { PrepareRequest, PrepareResponse } from './prepare-worker.js';

const WORKER_URL = new URL('./prepare-worker.js', import.meta.url);

/** Prepared blocks; `release` once nothing uses them any more (their buffers are reused). */
export interface PreparedBatch {
  blocks: PreparedBlock[];
  release(): void;
}

interface Waiter {
  resolve: (batch: PreparedBatch) => void;
  reject: (error: Error) => void;
}

/** Buffers kept for reuse per kind: enough for the batches destage keeps in flight. */
const SPARE_BUFFERS_MAX = 8;

export class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private nextWorker = 0;
  private broken: Error | null = null;
  // Fresh multi-MiB buffers for every batch made V8 collect for "external memory pressure" many
  // times a second; these come back from the worker and are reused.
  private readonly spareBlockBuffers: ArrayBuffer[] = [];
  private readonly spareHashBuffers: ArrayBuffer[] = [];

  constructor(workerCount: number) {
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(WORKER_URL);
      worker.on('message', (response: PrepareResponse) => this.onResponse(response));
      worker.on('error', (error) => this.fail(error));
      // After the listeners: an idle pool must not keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Prepares `blocks` (each BLOCK_BYTES), in order. */
  prepare(blocks: Buffer[]): Promise<PreparedBatch> {
    if (blocks.length === 0) return Promise.resolve({ blocks: [], release: () => {} });
    const worker = this.workers[this.nextWorker++ % Math.max(1, this.workers.length)];
    if (!worker || this.broken)
      return Promise.resolve({ blocks: blocks.map((block) => prepareBlock(block)), release: () => {} });
    const { shared, sources, copied } = this.describe(blocks);
    const stored = this.spare(this.spareBlockBuffers, blocks.length * BLOCK_BYTES);
    const hashes = this.spare(this.spareHashBuffers, blocks.length * 32);
    const id = this.nextId++;
    const request: PrepareRequest = {
      id,
      shared,
      sources,
      copied,
      blockCount: blocks.length,
      stored,
      hashes,
    };
    const transfer = copied ? [copied, stored, hashes] : [stored, hashes];
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while work is pending
      worker.postMessage(request, transfer);
    });
  }

  /**
   * Where the worker finds each block: blocks in shared memory (journal chunks) are read in place,
   * the others (replayed after a restart) are copied into one buffer.
   */
  private describe(blocks: Buffer[]) {
    const shared: SharedArrayBuffer[] = [];
    const sharedIndex = new Map<SharedArrayBuffer, number>();
    const sources = new Int32Array(blocks.length * 2);
    let copies = 0;
    for (const [i, block] of blocks.entries()) {
      if (block.buffer instanceof SharedArrayBuffer) {
        let index = sharedIndex.get(block.buffer);
        if (index === undefined) {
          index = shared.push(block.buffer) - 1;
          sharedIndex.set(block.buffer, index);
        }
        sources[2 * i] = index;
        sources[2 * i + 1] = block.byteOffset;
      } else {
        sources[2 * i] = -1;
        sources[2 * i + 1] = copies++;
      }
    }
    if (copies === 0) return { shared, sources, copied: null };
    const copied = this.spare(this.spareBlockBuffers, copies * BLOCK_BYTES);
    const view = Buffer.from(copied);
    for (const [i, block] of blocks.entries())
      if (sources[2 * i] === -1) block.copy(view, sources[2 * i + 1]! * BLOCK_BYTES);
    return { shared, sources, copied };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onResponse(response: PrepareResponse): void {
    const waiter = this.waiters.get(response.id);
    if (!waiter) return;
    this.waiters.delete(response.id);
    if (this.waiters.size === 0) for (const worker of this.workers) worker.unref();
    if (response.copied) this.keep(this.spareBlockBuffers, response.copied);
    const hashes = Buffer.from(response.hashes);
    const stored = Buffer.from(response.stored);
    const prepared: PreparedBlock[] = [];
    let offset = 0;
    for (let i = 0; i < response.lengths.length; i++) {
      const signed = response.lengths[i]!;
      const contentHash = hashes.subarray(i * 32, (i + 1) * 32);
      if (signed === 0) {
        prepared.push(hashedOnly(contentHash));
        continue;
      }
      const length = Math.abs(signed);
      prepared.push({
        contentHash,
        stored: stored.subarray(offset, offset + length),
        compressed: signed > 0,
        storedCrc: response.crcs[i]!,
        reduced: true,
      });
      offset += length;
    }
    let released = false;
    waiter.resolve({
      blocks: prepared,
      release: () => {
        if (released) return;
        released = true;
        this.keep(this.spareBlockBuffers, response.stored);
        this.keep(this.spareHashBuffers, response.hashes);
      },
    });
  }

  /** A spare buffer of at least `bytes`, or a new one. */
  private spare(spares: ArrayBuffer[], bytes: number): ArrayBuffer {
    const index = spares.findIndex((b) => b.byteLength >= bytes);
    return index >= 0 ? spares.splice(index, 1)[0]! : new ArrayBuffer(bytes);
  }

  private keep(spares: ArrayBuffer[], buffer: ArrayBuffer): void {
    if (spares.length < SPARE_BUFFERS_MAX) spares.push(buffer);
  }

  private fail(error: Error): void {
    this.broken = error;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}
