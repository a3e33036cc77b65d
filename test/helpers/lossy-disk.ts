// An in-memory DiskDir for deterministic crash tests. Writes complete only when the test says so,
// in any order it likes (as a disk with several requests in flight may), and `crash()` decides the
// fate of every write still in flight: lost, torn (a prefix lands) or complete. All randomness comes
// from one seed, so a failing seed replays exactly.

import type { DiskDir, DiskFile } from '../../src/platform/disk.js';

interface PendingWrite {
  file: string;
  position: number;
  data: Buffer;
  complete: () => void;
}

export class LossyDisk implements DiskDir {
  private files = new Map<string, Buffer>();
  private pending: PendingWrite[] = [];

  constructor(private readonly random: () => number) {}

  get inFlight(): number {
    return this.pending.length;
  }

  /** Completes about `fraction` of the writes in flight, in random order. */
  completeSome(fraction = 0.5): void {
    const keep: PendingWrite[] = [];
    const done: PendingWrite[] = [];
    for (const write of this.pending) (this.random() < fraction ? done : keep).push(write);
    this.pending = keep;
    for (const write of done.sort(() => this.random() - 0.5)) {
      this.apply(write.file, write.position, write.data);
      write.complete();
    }
  }

  /** Power loss: each write in flight is lost, torn or complete; nothing completes afterwards. */
  crash(): void {
    for (const write of this.pending) {
      const fate = this.random();
      if (fate < 0.4) continue;
      const bytes = fate < 0.7 ? Math.floor(this.random() * write.data.length) : write.data.length;
      this.apply(write.file, write.position, write.data.subarray(0, bytes));
    }
    this.pending = [];
  }

  private apply(name: string, position: number, data: Buffer): void {
    let content = this.files.get(name) ?? Buffer.alloc(0);
    if (content.length < position + data.length) {
      const grown = Buffer.alloc(position + data.length);
      content.copy(grown);
      content = grown;
    }
    data.copy(content, position);
    this.files.set(name, content);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }

  async open(name: string): Promise<DiskFile> {
    if (!this.files.has(name)) this.files.set(name, Buffer.alloc(0));
    const disk = this;
    return {
      write(chunks: Buffer[], positionBytes: number): Promise<void> {
        const data = Buffer.concat(chunks);
        return new Promise((resolve) =>
          disk.pending.push({ file: name, position: positionBytes, data, complete: resolve }),
        );
      },
      async read(positionBytes: number, lengthBytes: number): Promise<Buffer> {
        const content = disk.files.get(name) ?? Buffer.alloc(0);
        return Buffer.from(content.subarray(positionBytes, positionBytes + lengthBytes));
      },
      async datasync(): Promise<void> {},
      async sizeBytes(): Promise<number> {
        // A file counts as allocated once its preallocation write is in flight (as ftruncate would).
        const pendingEnd = disk.pending
          .filter((w) => w.file === name)
          .reduce((end, w) => Math.max(end, w.position + w.data.length), 0);
        return Math.max(disk.files.get(name)?.length ?? 0, pendingEnd);
      },
      async close(): Promise<void> {},
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const content = this.files.get(from);
    if (!content) throw new Error(`no file ${from}`);
    this.files.delete(from);
    this.files.set(to, content);
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }

  async sync(): Promise<void> {}
}
