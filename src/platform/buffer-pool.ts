// Large buffers handed out and taken back for reuse. A protocol server answering 1 MiB reads at
// over a gigabyte per second allocated that much fresh memory outside V8's heap every second;
// V8 answers such external-memory growth with full collections of the whole heap (the block
// index included), measured here to take most of the CPU on some runs and halve the throughput.
// Buffers are kept by power-of-two size class; a buffer must come back only once nothing uses it
// any more (its bytes were written to the socket). The buffers lie in shared memory, so a worker
// thread can fill them in place (zeroed when new, which reuse makes rare).

export class BufferPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  /** Buffers in `free`: a second give of the same buffer is ignored. */
  private readonly pooled = new WeakSet<SharedArrayBuffer>();
  private pooledBytes = 0;

  constructor(
    /**
     * Smallest buffer this pool serves: take() of fewer bytes gives an ordinary buffer, not worth
     * pooling (give() ignores it).
     */
    private readonly minBytes: number,
    /** Bytes kept for reuse at most; buffers given back beyond that are left to the collector. */
    private readonly maxPooledBytes: number,
  ) {}

  /** The memory take(bytes) holds: its size class (a power of two), or just `bytes` below minBytes. */
  sizeFor(bytes: number): number {
    return bytes < this.minBytes ? bytes : sizeClassOf(bytes);
  }

  /**
   * Bytes of no particular value (zeroes when new) over a SharedArrayBuffer, from minBytes up;
   * give() them back when done.
   */
  take(bytes: number): Buffer {
    if (bytes < this.minBytes) return Buffer.allocUnsafe(bytes);
    const size = sizeClassOf(bytes);
    const spare = this.free.get(size)?.pop();
    if (spare) {
      this.pooled.delete(spare);
      this.pooledBytes -= size;
      return Buffer.from(spare, 0, bytes);
    }
    return Buffer.from(new SharedArrayBuffer(size), 0, bytes);
  }

  /** Takes back a buffer from take(); anything else (or a buffer given twice) is ignored. */
  give(buffer: Buffer): void {
    const whole = buffer.buffer;
    if (!(whole instanceof SharedArrayBuffer) || buffer.byteOffset !== 0) return;
    const size = whole.byteLength;
    if (size < this.minBytes || size !== sizeClassOf(size) || this.pooled.has(whole)) return;
    if (this.pooledBytes + size > this.maxPooledBytes) return;
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    list.push(whole);
    this.pooled.add(whole);
    this.pooledBytes += size;
  }
}

/** The power of two at or above `bytes`. */
function sizeClassOf(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(bytes));
}
