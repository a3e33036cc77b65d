// Incoming bytes as a queue of the chunks the socket delivered. Headers are parsed in place at
// (front, frontAt); a payload is handed out as a view of one chunk when it lies inside it, or
// copied once when it spans chunks. A 32 MiB write arriving in 500 chunks is therefore one copy,
// never a concatenation per chunk.

import { copyBytes } from '../../platform/copy-bytes.js';

/** Parts at least this long are copied with memcpy (copyBytes); shorter ones are not worth the call. */
const COPY_BYTES_MIN = 1024;
const EMPTY = Buffer.alloc(0);

/** Invariant: `front` is only exhausted when the whole queue is empty. */
export class ByteQueue {
  /** Chunk holding the next unread byte; parse at frontAt. */
  front: Buffer = EMPTY;
  frontAt = 0;
  /** Unread bytes across all chunks. */
  length = 0;
  private readonly rest: Buffer[] = [];
  private restHead = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.length += chunk.length;
    if (this.frontAt === this.front.length) {
      this.front = chunk;
      this.frontAt = 0;
    } else {
      this.rest.push(chunk);
    }
  }

  /**
   * Makes the next `count` bytes contiguous in `front` (for headers and option payloads, which are
   * small). Returns false when fewer than `count` bytes are queued.
   */
  gather(count: number): boolean {
    if (this.length < count) return false;
    if (this.front.length - this.frontAt >= count) return true;
    const gathered = this.copyOut(count, Buffer.allocUnsafe(count));
    // copyOut left the partly read chunk in front: it goes back in line behind the gathered bytes.
    if (this.frontAt < this.front.length) {
      this.rest.splice(this.restHead, 0, this.front.subarray(this.frontAt));
    }
    this.front = gathered;
    this.frontAt = 0;
    this.length += count; // copyOut counted them as consumed; they are unread again, in front
    return true;
  }

  /** Removes and returns the next `count` bytes (caller checked length). */
  take(count: number): Buffer {
    if (this.front.length - this.frontAt >= count) {
      const view = this.front.subarray(this.frontAt, this.frontAt + count);
      this.skip(count);
      return view;
    }
    return this.copyOut(count, Buffer.allocUnsafe(count));
  }

  /**
   * Like take, but bytes that span chunks are copied into a buffer from `allocate` (instead of a
   * fresh one); bytes within one chunk are still returned as a view, without a copy.
   */
  takeWith(count: number, allocate: (bytes: number) => Buffer): Buffer {
    if (this.front.length - this.frontAt >= count) return this.take(count);
    return this.copyOut(count, allocate(count));
  }

  /** Removes the next `target.length` bytes into `target` (caller checked length); one copy. */
  takeInto(target: Buffer): Buffer {
    return this.copyOut(target.length, target);
  }

  /** Drops the next `count` bytes (caller checked length). */
  skip(count: number): void {
    let left = count;
    this.length -= count;
    while (left > 0) {
      const available = this.front.length - this.frontAt;
      if (left < available) {
        this.frontAt += left;
        return;
      }
      left -= available;
      this.advanceChunk();
    }
    if (this.frontAt === this.front.length) this.advanceChunk();
  }

  clear(): void {
    this.front = EMPTY;
    this.frontAt = 0;
    this.length = 0;
    this.rest.length = 0;
    this.restHead = 0;
  }

  /** Copies the next `count` bytes into `target` and consumes them. */
  private copyOut(count: number, target: Buffer): Buffer {
    let written = 0;
    while (written < count) {
      const available = this.front.length - this.frontAt;
      const part = Math.min(available, count - written);
      // Payloads are gathered into shared memory (the write buffer pools), where only memcpy is fast.
      if (part >= COPY_BYTES_MIN)
        copyBytes(this.front.subarray(this.frontAt, this.frontAt + part), target, written);
      else this.front.copy(target, written, this.frontAt, this.frontAt + part);
      written += part;
      if (part === available) this.advanceChunk();
      else this.frontAt += part;
    }
    this.length -= count;
    return target;
  }

  private advanceChunk(): void {
    if (this.restHead < this.rest.length) {
      this.front = this.rest[this.restHead]!;
      this.restHead++;
      if (this.restHead === this.rest.length) {
        this.rest.length = 0;
        this.restHead = 0;
      }
    } else {
      this.front = EMPTY;
    }
    this.frontAt = 0;
  }
}
