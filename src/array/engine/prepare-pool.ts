// Hands destage's CPU work (SHA-256 + lz4 per block) to worker threads so the event loop keeps
// serving I/O while data is being reduced. Falls back to the calling thread if workers fail.

import { Worker } from 'node:worker_threads';
import { BLOCK_BYTES } from '../../constants.js';
import { type PreparedBlock, prepareBlock } from './block-store.js';
import type { PrepareRequest, PrepareResponse } from './prepare-worker.js';

const WORKER_URL = new URL('./prepare-worker.js', import.meta.url);

interface Waiter {
  resolve: (blocks: PreparedBlock[]) => void;
  reject: (error: Error) => void;
}

export class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private nextWorker = 0;
  private broken: Error | null = null;

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
  prepare(blocks: Buffer[]): Promise<PreparedBlock[]> {
    if (blocks.length === 0) return Promise.resolve([]);
    const worker = this.workers[this.nextWorker++ % Math.max(1, this.workers.length)];
    if (!worker || this.broken) return Promise.resolve(blocks.map(prepareBlock));
    const input = new Uint8Array(blocks.length * BLOCK_BYTES);
    for (const [i, block] of blocks.entries()) input.set(block, i * BLOCK_BYTES);
    const id = this.nextId++;
    const request: PrepareRequest = { id, blocks: input.buffer, blockCount: blocks.length };
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while work is pending
      worker.postMessage(request, [input.buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onResponse(response: PrepareResponse): void {
    const waiter = this.waiters.get(response.id);
    if (!waiter) return;
    this.waiters.delete(response.id);
    if (this.waiters.size === 0) for (const worker of this.workers) worker.unref();
    const hashes = Buffer.from(response.hashes);
    const stored = Buffer.from(response.stored);
    const prepared: PreparedBlock[] = [];
    let offset = 0;
    for (let i = 0; i < response.lengths.length; i++) {
      const signed = response.lengths[i]!;
      const length = Math.abs(signed);
      prepared.push({
        contentHash: hashes.subarray(i * 32, (i + 1) * 32),
        stored: stored.subarray(offset, offset + length),
        compressed: signed > 0,
        storedCrc: response.crcs[i]!,
      });
      offset += length;
    }
    waiter.resolve(prepared);
  }

  private fail(error: Error): void {
    this.broken = error;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}
