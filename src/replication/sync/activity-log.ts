// The last blocks a stretched pod mirrored, as a fixed-size ring (DRBD keeps an activity log for
// the same reason): writes in flight when the arrays lose each other may have reached one array
// only, and these are the blocks to compare when they meet again. Constant cost per write.

export class ActivityLog {
  private readonly volumeIds: string[];
  private readonly blocks: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(private readonly capacity: number) {
    this.volumeIds = new Array<string>(capacity);
    this.blocks = new Float64Array(capacity);
  }

  note(volumeId: string, firstBlock: number, blockCount: number): void {
    for (let i = 0; i < blockCount; i++) {
      this.volumeIds[this.next] = volumeId;
      this.blocks[this.next] = firstBlock + i;
      this.next = (this.next + 1) % this.capacity;
      if (this.filled < this.capacity) this.filled++;
    }
  }

  /** Oldest first. */
  entries(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    const start = (this.next - this.filled + this.capacity) % this.capacity;
    for (let i = 0; i < this.filled; i++) {
      const at = (start + i) % this.capacity;
      out.push([this.volumeIds[at]!, this.blocks[at]!]);
    }
    return out;
  }

  /** For the wire: volumes with their block counts, and the block indexes as float64s in order. */
  encode(): { volumes: Array<{ id: string; count: number }>; payload: Buffer } {
    const byVolume = new Map<string, number[]>();
    for (const [volumeId, block] of this.entries()) {
      let list = byVolume.get(volumeId);
      if (!list) {
        list = [];
        byVolume.set(volumeId, list);
      }
      list.push(block);
    }
    const all = [...byVolume.values()].flat();
    const payload = Buffer.alloc(all.length * 8);
    for (const [i, block] of all.entries()) payload.writeDoubleLE(block, i * 8);
    return { volumes: [...byVolume].map(([id, list]) => ({ id, count: list.length })), payload };
  }
}

/** Reverses `encode`; ignores what does not fit (a peer's damaged report only costs a resync). */
export function decodeActivity(volumes: unknown, payload: Buffer, capacity: number): Array<[string, number]> {
  if (!Array.isArray(volumes)) return [];
  const out: Array<[string, number]> = [];
  let at = 0;
  for (const entry of volumes as Array<{ id?: unknown; count?: unknown }>) {
    if (typeof entry?.id !== 'string' || typeof entry.count !== 'number') return out;
    for (let i = 0; i < entry.count && (at + 1) * 8 <= payload.length && out.length < capacity; i++, at++)
      out.push([entry.id, payload.readDoubleLE(at * 8)]);
  }
  return out;
}
