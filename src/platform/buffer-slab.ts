// Small buffers carved out of bigger ones, as Buffer.allocUnsafe does below 4 KiB, for sizes it
// hands to malloc one by one: a 4 KiB read answered tens of thousands of times a second spent a
// twentieth of the event loop in malloc and free. A slab is freed by the garbage collector once no
// piece of it is referenced, so pieces must be short-lived (a reply on its way to a socket): one
// piece kept for long keeps its whole slab.

export class BufferSlab {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  /** `pieceMaxBytes` and up are allocated on their own; smaller pieces share slabs of `slabBytes`. */
  constructor(
    private readonly slabBytes: number,
    private readonly pieceMaxBytes: number,
  ) {}

  /** Uninitialised bytes, like Buffer.allocUnsafe. */
  take(bytes: number): Buffer {
    if (bytes >= this.pieceMaxBytes) return Buffer.allocUnsafe(bytes);
    if (this.used + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.used = 0;
    }
    const piece = this.slab.subarray(this.used, this.used + bytes);
    // Keep pieces 8-byte aligned, as Node's own pool does.
    this.used += (bytes + 7) & ~7;
    return piece;
  }
}
