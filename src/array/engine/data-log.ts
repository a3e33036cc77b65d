// Where reduced blocks live: append-only segment files. Destage appends a whole batch with one
// durable write before the store transaction that references it commits, so the store never points
// at data that is not on disk. Freed blocks only lower a segment's live-byte count; compaction
// later moves the live blocks of a mostly-dead segment to the tail and deletes the file. Appending
// and compacting this way avoids the page rewrites a B-tree would do for every freed 4 KiB block.
//
// Segment file: a 32-byte header (magic 'TDL1', version, segment number), then block bytes.

import {
  closeSync,
  constants,
  fdatasyncSync,
  fsyncSync,
  openSync,
  read as readCallback,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { DATA_SEGMENT_BYTES } from '../../constants.js';
import type { VerifiedReader } from './verified-reader.js';

const SEGMENT_MAGIC = 0x54444c31; // 'TDL1'
const SEGMENT_VERSION = 1;
export const DATA_SEGMENT_HEADER_BYTES = 32;

export interface BlockLocation {
  segment: number;
  offsetBytes: number;
}

export interface DataLogPosition {
  segment: number;
  tailBytes: number;
}

function segmentFile(dir: string, segment: number): string {
  return join(dir, `seg-${String(segment).padStart(8, '0')}.dat`);
}

function headerFor(segment: number): Buffer {
  const header = Buffer.alloc(DATA_SEGMENT_HEADER_BYTES);
  header.writeUInt32BE(SEGMENT_MAGIC, 0);
  header.writeUInt8(SEGMENT_VERSION, 4);
  header.writeUInt32BE(segment, 8);
  return header;
}

export class DataLog {
  private readonly readFds = new Map<number, number>();
  /** Reads under way on other threads, by segment: their descriptors stay open until they end. */
  private readonly readsInFlight = new Map<number, number>();
  /** Descriptors of removed segments, closed when their last read in flight ends. */
  private readonly closeWhenIdle = new Map<number, number>();
  /** Open write handles by segment; several batch writes may be under way around a roll-over. */
  private readonly writers = new Map<number, Promise<FileHandle>>();
  private position: DataLogPosition;

  /** `committed` is the tail recorded by the last store commit: anything past it is garbage. */
  constructor(
    private readonly dir: string,
    committed: DataLogPosition,
    private readonly segmentBytes = DATA_SEGMENT_BYTES,
  ) {
    this.position = { ...committed };
  }

  get tail(): DataLogPosition {
    return { ...this.position };
  }

  /** Reserves room for `lengths` (in order) at the tail, rolling to a new segment when full. */
  reserve(lengths: number[]): BlockLocation[] {
    const locations: BlockLocation[] = [];
    for (const length of lengths) {
      if (this.position.tailBytes + length > this.segmentBytes) {
        this.position = { segment: this.position.segment + 1, tailBytes: DATA_SEGMENT_HEADER_BYTES };
      }
      locations.push({ segment: this.position.segment, offsetBytes: this.position.tailBytes });
      this.position.tailBytes += length;
    }
    return locations;
  }

  /** Writes blobs at their reserved locations; durable when it resolves (O_DSYNC). */
  async write(locations: BlockLocation[], blobs: Buffer[]): Promise<void> {
    let runStart = 0;
    for (let i = 1; i <= locations.length; i++) {
      const prev = locations[i - 1]!;
      const next = locations[i];
      const contiguous =
        next && next.segment === prev.segment && next.offsetBytes === prev.offsetBytes + blobs[i - 1]!.length;
      if (contiguous) continue;
      const first = locations[runStart]!;
      const handle = await this.writerFor(first.segment);
      await writeAll(handle, blobs.slice(runStart, i), first.offsetBytes);
      runStart = i;
    }
  }

  /** Appends one blob synchronously and durably (fallback inside a store transaction). */
  appendNow(blob: Buffer): BlockLocation {
    const [location] = this.reserve([blob.length]);
    const fd = openSync(
      segmentFile(this.dir, location!.segment),
      constants.O_RDWR | constants.O_CREAT,
      0o600,
    );
    try {
      if (location!.offsetBytes === DATA_SEGMENT_HEADER_BYTES)
        writeSync(fd, headerFor(location!.segment), 0, DATA_SEGMENT_HEADER_BYTES, 0);
      writeSync(fd, blob, 0, blob.length, location!.offsetBytes);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return location!;
  }

  /** Reads `length` bytes at `location` (synchronously: the page cache usually has them). */
  read(location: BlockLocation, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    const bytesRead = readSync(this.readFd(location.segment), buffer, 0, length, location.offsetBytes);
    if (bytesRead !== length) throw new Error(`short read in data segment ${location.segment}`);
    return buffer;
  }

  /** Reads `length` bytes at `location` straight into `target` at `targetOffset` (no buffer of its own). */
  readInto(location: BlockLocation, length: number, target: Buffer, targetOffset: number): void {
    const bytesRead = readSync(
      this.readFd(location.segment),
      target,
      targetOffset,
      length,
      location.offsetBytes,
    );
    if (bytesRead !== length) throw new Error(`short read in data segment ${location.segment}`);
  }

  /**
   * readInto on libuv's thread pool. The segment's descriptor stays open until the read ends, even
   * if compaction removes the segment meanwhile (the blocks read were moved, not changed).
   */
  readIntoAsync(
    location: BlockLocation,
    length: number,
    target: Buffer,
    targetOffset: number,
  ): Promise<void> {
    return this.withPinnedFd(
      location.segment,
      (fd) =>
        new Promise<void>((resolve, reject) => {
          readCallback(fd, target, targetOffset, length, location.offsetBytes, (error, bytesRead) => {
            if (error) reject(error);
            else if (bytesRead !== length)
              reject(new Error(`short read in data segment ${location.segment}`));
            else resolve();
          });
        }),
    );
  }

  /**
   * readInto on the verified-read worker, which also compares the bytes' CRC with `expectedCrc`
   * ('mismatch' when they differ). The descriptor is kept open as for readIntoAsync.
   */
  async readIntoVerifiedAsync(
    location: BlockLocation,
    length: number,
    target: Buffer,
    targetOffset: number,
    expectedCrc: number,
    reader: VerifiedReader,
  ): Promise<'ok' | 'mismatch'> {
    const outcome = await this.withPinnedFd(location.segment, (fd) =>
      reader.read(fd, location.offsetBytes, length, target, targetOffset, expectedCrc),
    );
    if (outcome === 'short') throw new Error(`short read in data segment ${location.segment}`);
    return outcome;
  }

  /** Runs `read` with the segment's descriptor, which stays open until the read settles. */
  private async withPinnedFd<T>(segment: number, read: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.readFd(segment);
    this.readsInFlight.set(segment, (this.readsInFlight.get(segment) ?? 0) + 1);
    try {
      return await read(fd);
    } finally {
      this.readEnded(segment);
    }
  }

  private readEnded(segment: number): void {
    const left = (this.readsInFlight.get(segment) ?? 1) - 1;
    if (left > 0) {
      this.readsInFlight.set(segment, left);
      return;
    }
    this.readsInFlight.delete(segment);
    const fd = this.closeWhenIdle.get(segment);
    if (fd !== undefined) {
      this.closeWhenIdle.delete(segment);
      closeSync(fd);
    }
  }

  /** Closes a segment's read descriptor now, or when the reads in flight on it end. */
  private closeReadFd(segment: number): void {
    const fd = this.readFds.get(segment);
    if (fd === undefined) return;
    this.readFds.delete(segment);
    if (this.readsInFlight.has(segment)) this.closeWhenIdle.set(segment, fd);
    else closeSync(fd);
  }

  /** Segment numbers present on disk. */
  segments(): number[] {
    return readdirSync(this.dir)
      .filter((n) => /^seg-\d{8}\.dat$/.test(n))
      .map((n) => Number(n.slice(4, 12)))
      .sort((a, b) => a - b);
  }

  /** Deletes a segment whose blocks are all gone (freed or moved, durably). */
  remove(segment: number): void {
    this.closeReadFd(segment);
    rmSync(segmentFile(this.dir, segment), { force: true });
  }

  async close(): Promise<void> {
    for (const segment of [...this.readFds.keys()]) this.closeReadFd(segment);
    for (const writer of this.writers.values()) await (await writer).close();
    this.writers.clear();
  }

  private readFd(segment: number): number {
    let fd = this.readFds.get(segment);
    if (fd === undefined) {
      fd = openSync(segmentFile(this.dir, segment), constants.O_RDONLY);
      this.readFds.set(segment, fd);
    }
    return fd;
  }

  private writerFor(segment: number): Promise<FileHandle> {
    let writer = this.writers.get(segment);
    if (!writer) {
      writer = this.openWriter(segment);
      this.writers.set(segment, writer);
      // Segments two behind the newest take no more writes (batches in flight are far smaller).
      for (const [old, handle] of this.writers) {
        if (old < segment - 1) {
          this.writers.delete(old);
          void handle.then((h) => h.close()).catch(() => {});
        }
      }
    }
    return writer;
  }

  private async openWriter(segment: number): Promise<FileHandle> {
    const path = segmentFile(this.dir, segment);
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, 0o600);
    await writeAll(handle, [headerFor(segment)], 0);
    // The new file's directory entry must survive a crash before anything references it.
    const dirFd = openSync(this.dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return handle;
  }
}

async function writeAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let offset = position;
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, offset);
    offset += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const chunk of pending) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    pending = rest;
  }
}
