// Main-thread side of verified-read-worker.ts: long reads of stored blocks, read and checked on a
// worker thread straight into a buffer over shared memory. Anything else (an ordinary buffer, a
// worker that failed) is for the caller to read another way: see `accepts`.

import { Worker } from 'node:worker_threads';
import type {
  VerifiedReadOutcome,
  VerifiedReadRequest,
  VerifiedReadResponse,
} from './verified-read-worker.js';

const WORKER_URL = new URL('./verified-read-worker.js', import.meta.url);

export type { VerifiedReadOutcome } from './verified-read-worker.js';

interface Waiter {
  resolve: (outcome: VerifiedReadOutcome) => void;
  reject: (error: Error) => void;
}

export class VerifiedReader {
  private readonly worker: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private broken = false;

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.on('message', (response: VerifiedReadResponse) => this.onResponse(response));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('verified-read worker exited')));
    // After the listeners: an idle reader must not keep the process alive.
    this.worker.unref();
  }

  /** True when `target` can be filled by the worker: it lies in shared memory and the worker works. */
  accepts(target: Buffer): boolean {
    return !this.broken && target.buffer instanceof SharedArrayBuffer;
  }

  /**
   * Reads `length` bytes at `position` of `fd` into `target` at `targetOffset` and compares their
   * CRC with `expectedCrc`. The descriptor must stay open until this settles.
   */
  read(
    fd: number,
    position: number,
    length: number,
    target: Buffer,
    targetOffset: number,
    expectedCrc: number,
  ): Promise<VerifiedReadOutcome> {
    if (!this.accepts(target))
      return Promise.reject(new Error('verified reads need a buffer in shared memory'));
    const id = this.nextId++;
    const request: VerifiedReadRequest = {
      id,
      fd,
      position,
      length,
      target: target.buffer as SharedArrayBuffer,
      targetOffset: target.byteOffset + targetOffset,
      expectedCrc,
    };
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      if (this.waiters.size === 1) this.worker.ref(); // keep the process alive while reads are pending
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    await this.worker.terminate();
  }

  private onResponse(response: VerifiedReadResponse): void {
    const waiter = this.waiters.get(response.id);
    if (!waiter) return;
    this.waiters.delete(response.id);
    if (this.waiters.size === 0) this.worker.unref();
    if (response.outcome) waiter.resolve(response.outcome);
    else waiter.reject(new Error(response.error ?? 'verified read failed'));
  }

  private fail(error: Error): void {
    this.broken = true;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}
