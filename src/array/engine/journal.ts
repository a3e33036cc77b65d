// The write journal: records are appended to preallocated segment files and made durable with one
// fdatasync per batch (group commit: every write that arrives while a sync is in flight shares the
// next one). A write is acknowledged only when its batch is synced. Segments whose records have all
// been destaged into the block store are recycled.

import { JOURNAL_BATCH_MAX_BYTES, JOURNAL_SEGMENT_BYTES } from '../../constants.js';
import type { DiskDir, DiskFile } from '../../platform/disk.js';
import {
  decodeRecord,
  encodeRecord,
  RECORD_HEADER_BYTES,
  type RecordHeader,
  RecordType,
  type RecordTypeValue,
} from './journal-record.js';

const CHUNK_BYTES = 1024 * 1024;
const SEGMENT_PREFIX = 'seg-';
const SPARE_PREFIX = 'spare-';

export interface ReplayedRecord {
  header: RecordHeader;
  /** Copy of the payload (BLOCK records) that the caller may keep. */
  payload: Buffer | null;
}

interface Batch {
  segmentSeq: number;
  offsetBytes: number;
  bytes: number;
  chunks: Buffer[];
  lastLsn: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Segment {
  seq: number;
  file: DiskFile;
  lastLsn: number;
}

function segmentName(seq: number): string {
  return `${SEGMENT_PREFIX}${String(seq).padStart(10, '0')}.log`;
}

function newBatch(segmentSeq: number, offsetBytes: number): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is reported to its waiters; keep an unobserved rejection from killing the process.
  done.catch(() => {});
  return { segmentSeq, offsetBytes, bytes: 0, chunks: [], lastLsn: 0, done, resolve, reject };
}

export class Journal {
  private nextLsnValue: number;
  private durableLsnValue: number;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private chunkUsed = 0;
  private open: Batch;
  private readonly sealed: Batch[] = [];
  private flushing = false;
  private flushScheduled = false;
  private failure: Error | null = null;
  private readonly segments = new Map<number, Segment>();
  private readonly spares: string[];

  private constructor(
    private readonly dir: DiskDir,
    firstLsn: number,
    firstSegmentSeq: number,
    spares: string[],
    private readonly segmentBytes: number,
  ) {
    this.nextLsnValue = firstLsn;
    this.durableLsnValue = firstLsn - 1;
    this.open = newBatch(firstSegmentSeq, 0);
    this.spares = spares;
  }

  /**
   * Opens the journal in `dir`, hands every valid record after `appliedLsn` to `onRecord` in log
   * order, and positions new writes in a fresh segment after the newest one.
   */
  static async open(
    dir: DiskDir,
    appliedLsn: number,
    onRecord: (record: ReplayedRecord) => void,
    segmentBytes = JOURNAL_SEGMENT_BYTES,
  ): Promise<Journal> {
    const names = await dir.list();
    const segmentSeqs = names
      .filter((n) => n.startsWith(SEGMENT_PREFIX))
      .map((n) => Number.parseInt(n.slice(SEGMENT_PREFIX.length), 10))
      .filter((n) => Number.isInteger(n))
      .sort((a, b) => a - b);
    const spares = names.filter((n) => n.startsWith(SPARE_PREFIX));
    const replay = await replaySegments(dir, segmentSeqs, appliedLsn, onRecord, segmentBytes);
    const liveSeqs = new Set(replay.liveSegments.map((s) => s.seq));
    for (const seq of segmentSeqs) {
      if (liveSeqs.has(seq)) continue;
      const spare = `${SPARE_PREFIX}${seq}.log`;
      await dir.rename(segmentName(seq), spare);
      spares.push(spare);
    }
    const nextSeq = (segmentSeqs.at(-1) ?? 0) + 1;
    const journal = new Journal(dir, replay.nextLsn, nextSeq, spares, segmentBytes);
    for (const live of replay.liveSegments) journal.segments.set(live.seq, live);
    await journal.ensureSegment(nextSeq);
    return journal;
  }

  get nextLsn(): number {
    return this.nextLsnValue;
  }

  /** Highest LSN known to be on stable storage. */
  get durableLsn(): number {
    return this.durableLsnValue;
  }

  /** Appends one data block; returns its LSN and a view of the journaled copy of the data. */
  appendBlock(layerId: number, blockIndex: number, data: Buffer): { lsn: number; stored: Buffer } {
    const lsn = this.append(RecordType.block, layerId, blockIndex, 1, data);
    const end = this.chunkUsed;
    return { lsn, stored: this.chunk.subarray(end - data.length, end) };
  }

  /** Appends a zero range (write-zeroes, trim, all-zero data). */
  appendZero(layerId: number, blockIndex: number, blockCount: number): number {
    return this.append(RecordType.zero, layerId, blockIndex, blockCount);
  }

  /** Resolves when everything appended so far is durable. */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.open.bytes > 0 ? this.open : this.sealed.at(-1);
    if (!target) return Promise.resolve();
    this.scheduleFlush();
    return target.done;
  }

  /** Bytes of journal held by segments that cannot be recycled yet. */
  liveBytes(): number {
    return this.segments.size * this.segmentBytes;
  }

  /** Recycles segments whose records are all at or below `appliedLsn` (already in the block store). */
  async release(appliedLsn: number): Promise<void> {
    const current = this.open.segmentSeq;
    for (const segment of [...this.segments.values()]) {
      if (segment.seq >= current || segment.lastLsn > appliedLsn) continue;
      if (this.sealed.some((b) => b.segmentSeq === segment.seq)) continue;
      this.segments.delete(segment.seq);
      await segment.file.close();
      const spare = `${SPARE_PREFIX}${segment.seq}.log`;
      await this.dir.rename(segmentName(segment.seq), spare);
      this.spares.push(spare);
    }
  }

  async close(): Promise<void> {
    await this.commit().catch(() => {});
    for (const segment of this.segments.values()) await segment.file.close();
    this.segments.clear();
  }

  private append(
    type: RecordTypeValue,
    layerId: number,
    blockIndex: number,
    blockCount: number,
    payload?: Buffer,
  ): number {
    const payloadBytes = payload ? payload.length : 0;
    const recordBytes = RECORD_HEADER_BYTES + payloadBytes;
    this.reserveBatchSpace(recordBytes);
    if (this.chunkUsed + recordBytes > this.chunk.length) {
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, recordBytes));
      this.chunkUsed = 0;
    }
    const lsn = this.nextLsnValue++;
    const start = this.chunkUsed;
    encodeRecord(this.chunk, start, { type, lsn, layerId, blockIndex, blockCount, payloadBytes }, payload);
    this.chunkUsed += recordBytes;
    this.addToOpenBatch(this.chunk, start, this.chunkUsed);
    this.open.lastLsn = lsn;
    return lsn;
  }

  private addToOpenBatch(chunk: Buffer, start: number, end: number): void {
    const last = this.open.chunks.at(-1);
    // Extend the previous view when the record follows it in the same chunk: fewer iovecs per write.
    if (last && last.buffer === chunk.buffer && last.byteOffset + last.length === chunk.byteOffset + start) {
      this.open.chunks[this.open.chunks.length - 1] = chunk.subarray(start - last.length, end);
    } else {
      this.open.chunks.push(chunk.subarray(start, end));
    }
    this.open.bytes += end - start;
  }

  private reserveBatchSpace(recordBytes: number): void {
    const batch = this.open;
    const fitsSegment = batch.offsetBytes + batch.bytes + recordBytes <= this.segmentBytes;
    const fitsBatch = batch.bytes + recordBytes <= JOURNAL_BATCH_MAX_BYTES;
    if (fitsSegment && fitsBatch) return;
    this.sealed.push(batch);
    this.open = fitsSegment
      ? newBatch(batch.segmentSeq, batch.offsetBytes + batch.bytes)
      : newBatch(batch.segmentSeq + 1, 0);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate lets every request parsed from the same socket reads join this batch.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        if (this.sealed.length === 0 && this.open.bytes > 0) {
          this.sealed.push(this.open);
          this.open = newBatch(this.open.segmentSeq, this.open.offsetBytes + this.open.bytes);
        }
        const batch = this.sealed.shift();
        if (!batch) break;
        await this.writeBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.failure) {
      batch.reject(this.failure);
      return;
    }
    try {
      const segment = await this.ensureSegment(batch.segmentSeq);
      await segment.file.write(batch.chunks, batch.offsetBytes);
      await segment.file.datasync();
      segment.lastLsn = Math.max(segment.lastLsn, batch.lastLsn);
      this.durableLsnValue = batch.lastLsn;
      batch.resolve();
      if (batch.offsetBytes === 0) void this.ensureSegment(batch.segmentSeq + 1).catch(() => {});
    } catch (error) {
      // A journal that failed to sync can no longer promise durability: fail every later write.
      this.failure = error instanceof Error ? error : new Error(String(error));
      batch.reject(this.failure);
    }
  }

  private readonly preparing = new Map<number, Promise<Segment>>();

  /** Returns the open segment file for `seq`, recycling a spare or creating a preallocated file. */
  private ensureSegment(seq: number): Promise<Segment> {
    const existing = this.segments.get(seq);
    if (existing) return Promise.resolve(existing);
    let pending = this.preparing.get(seq);
    if (!pending) {
      pending = this.prepareSegment(seq).finally(() => this.preparing.delete(seq));
      this.preparing.set(seq, pending);
    }
    return pending;
  }

  private async prepareSegment(seq: number): Promise<Segment> {
    const name = segmentName(seq);
    const spare = this.spares.shift();
    if (spare) {
      await this.dir.rename(spare, name);
    }
    const file = await this.dir.open(name);
    if ((await file.sizeBytes()) < this.segmentBytes) {
      // Preallocate with real zeroes: later fdatasyncs then need no block allocation.
      const zeroes = Buffer.alloc(Math.min(this.segmentBytes, 4 * 1024 * 1024));
      for (let offset = 0; offset < this.segmentBytes; offset += zeroes.length) {
        await file.write([zeroes.subarray(0, Math.min(zeroes.length, this.segmentBytes - offset))], offset);
      }
      await file.datasync();
    }
    await this.dir.sync();
    const segment: Segment = { seq, file, lastLsn: 0 };
    this.segments.set(seq, segment);
    return segment;
  }
}

async function replaySegments(
  dir: DiskDir,
  seqs: number[],
  appliedLsn: number,
  onRecord: (record: ReplayedRecord) => void,
  segmentBytes: number,
): Promise<{ nextLsn: number; liveSegments: Segment[] }> {
  let expectedLsn: number | null = null;
  const liveSegments: Segment[] = [];
  for (const seq of seqs) {
    const file = await dir.open(segmentName(seq));
    const bytes = await file.read(0, segmentBytes);
    let offset = 0;
    let lastLsn = 0;
    for (;;) {
      const decoded = decodeRecord(bytes, offset, JOURNAL_BATCH_MAX_BYTES);
      if (!decoded.ok) break;
      const { header } = decoded;
      if (expectedLsn !== null && header.lsn !== expectedLsn) break;
      if (expectedLsn === null && header.lsn > appliedLsn + 1) {
        throw new Error(`journal gap: first record ${header.lsn} but store applied only ${appliedLsn}`);
      }
      if (header.lsn > appliedLsn) {
        const payload = header.type === RecordType.block ? Buffer.from(decoded.payload) : null;
        onRecord({ header, payload });
      }
      expectedLsn = header.lsn + 1;
      lastLsn = header.lsn;
      offset += decoded.totalBytes;
    }
    liveSegments.push({ seq, file, lastLsn });
    // A segment with no record continuing the chain was unused at the crash (preallocated or
    // recycled): no later segment can hold newer acknowledged records.
    if (lastLsn === 0 && expectedLsn !== null) break;
  }
  return { nextLsn: expectedLsn ?? appliedLsn + 1, liveSegments };
}
