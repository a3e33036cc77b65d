// Per-volume block range locks, so COMPARE AND WRITE is atomic with respect to every other write
// this process makes to the same blocks. Writes take the range shared (they may overlap each
// other: SCSI orders nothing between simple tasks) and CAW takes it exclusive. A new holder waits
// only for overlapping holders registered before it, so the wait graph has no cycles.

interface Holder {
  start: bigint;
  end: bigint;
  exclusive: boolean;
  released: Promise<void>;
}

export type Release = () => void;

export class RangeLocks {
  /** Holders per volume key (the LU's NAA); a key disappears when its last holder releases. */
  private readonly holders = new Map<string, Set<Holder>>();

  async acquire(key: string, start: bigint, blocks: number, exclusive: boolean): Promise<Release> {
    const end = start + BigInt(blocks);
    let set = this.holders.get(key);
    if (set === undefined) {
      set = new Set();
      this.holders.set(key, set);
    }
    const waits: Promise<void>[] = [];
    for (const other of set) {
      if (other.start < end && start < other.end && (exclusive || other.exclusive))
        waits.push(other.released);
    }
    let signal: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      signal = resolve;
    });
    const holder: Holder = { start, end, exclusive, released };
    set.add(holder);
    if (waits.length > 0) await Promise.all(waits);
    const owner = set;
    return () => {
      owner.delete(holder);
      if (owner.size === 0 && this.holders.get(key) === owner) this.holders.delete(key);
      signal();
    };
  }

  /** Volumes with a holder (for tests: it must return to 0). */
  get volumeCount(): number {
    return this.holders.size;
  }
}
