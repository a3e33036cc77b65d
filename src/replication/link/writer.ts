// Writes frames to a socket one at a time, in the order they were queued, respecting backpressure:
// each frame goes out in slices of at most REPLICATION_WRITE_SLICE_BYTES, and whenever write()
// returns false the writer waits for 'drain'. So the socket's own buffer holds at most its high-water
// mark plus one slice, whatever the payload size; frames waiting their turn stay with their senders,
// whose number the link bounds (requests in flight, requests being handled).

import type net from 'node:net';
import { REPLICATION_WRITE_SLICE_BYTES } from '../../constants.js';

interface QueuedWrite {
  chunks: Buffer[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class FrameWriter {
  private readonly queue: QueuedWrite[] = [];
  private pumping = false;
  private failure: Error | undefined;
  private wakeOnDrain: (() => void) | undefined;

  constructor(
    private readonly socket: net.Socket,
    /** The error for writes that meet a destroyed socket before the owner called fail(). */
    private readonly closedError: () => Error,
  ) {
    socket.on('drain', this.onDrain);
  }

  /** Nothing queued and nothing being written. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Resolves when every chunk was handed to the socket; rejects once the writer failed. */
  write(chunks: Buffer[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ chunks, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** Rejects everything queued (and every later write) with `error`; wakes a write waiting for drain. */
  fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.socket.off('drain', this.onDrain);
    for (const queued of this.queue.splice(0)) queued.reject(error);
    this.onDrain();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const current = this.queue[0]!;
        await this.writeChunks(current.chunks);
        if (this.failure !== undefined) return; // fail() already rejected it
        this.queue.shift();
        current.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }

  private async writeChunks(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += REPLICATION_WRITE_SLICE_BYTES) {
        if (this.failure !== undefined) return;
        if (this.socket.destroyed) {
          this.fail(this.closedError());
          return;
        }
        const slice =
          at === 0 && chunk.length <= REPLICATION_WRITE_SLICE_BYTES
            ? chunk
            : chunk.subarray(at, at + REPLICATION_WRITE_SLICE_BYTES);
        if (!this.socket.write(slice)) await this.drained();
      }
    }
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeOnDrain = resolve;
    });
  }

  private readonly onDrain = (): void => {
    const wake = this.wakeOnDrain;
    this.wakeOnDrain = undefined;
    wake?.();
  };
}
