// Outgoing bytes of one connection. Small replies are packed back to back into an arena, so the
// replies completed in one tick leave as one buffer (one socket write) and cost no allocation
// each; READ payloads ride along as their own buffers, never copied. The arena only moves
// forward: bytes already handed out may still sit in the socket's queue.

import { NBD_REPLY_ARENA_BYTES } from './limits.js';

export class ReplyBuffer {
  /** Where reserve() placed the caller's bytes. */
  arena: Buffer = Buffer.allocUnsafeSlow(NBD_REPLY_ARENA_BYTES);
  private sealedAt = 0;
  private writtenAt = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Returns the offset in `arena` where `count` bytes may be written now. */
  reserve(count: number): number {
    if (this.arena.length - this.writtenAt < count) {
      this.seal();
      this.arena = Buffer.allocUnsafeSlow(Math.max(NBD_REPLY_ARENA_BYTES, count));
      this.sealedAt = 0;
      this.writtenAt = 0;
    }
    const at = this.writtenAt;
    this.writtenAt += count;
    this.pendingBytes += count;
    return at;
  }

  /** Queues a buffer the caller will not modify again (a READ payload, an option reply). */
  push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.seal();
    this.pending.push(buffer);
    this.pendingBytes += buffer.length;
  }

  get isEmpty(): boolean {
    return this.pendingBytes === 0;
  }

  /** Everything queued since the last take, in order. */
  take(): Buffer[] {
    this.seal();
    const out = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  private seal(): void {
    if (this.writtenAt > this.sealedAt) {
      this.pending.push(this.arena.subarray(this.sealedAt, this.writtenAt));
      this.sealedAt = this.writtenAt;
    }
  }
}
