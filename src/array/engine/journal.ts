// The write journal: records are appended to preallocated segment files and made durable with one
// fdatasync per batch (group commit: every write that arrives while a sync is in flight shares the
// next one). A write is acknowledged only when its batch is synced. Segments whose records have all
// been destaged into the block store are recycled.

import {
  BLOCK_BYTES,
  JOURNAL_BATCH_MAX_BYTES,
  JOURNAL_CHUNK_BYTES,
  JOURNAL_RESTART_LSN_GAP,
  JOURNAL_SEGMENT_BYTES,
  JOURNAL_SPARE_CHUNKS_MAX,
  JOURNAL_WRITES_INFLIGHT_MAX,
} from '../../constants.js';
import type { DiskDir, DiskFile } from '../../platform/disk.js';
import {
  decodeRecord,
  encodeRecord,
  RECORD_HEADER_BYTES,
  type RecordHeader,
  RecordType,
  type RecordTypeValue,
} from './journal-record.js';

const SEGMENT_PREFIX = 'seg-';
const SPARE_PREFIX = 'spare-';

export interface ReplayedRecord {
  header: RecordHeader;
  /** Copy of the payload (BLOCK and BLOCKS records) that the caller may keep. */
  payload: Buffer | null;
}

interface Batch {
  segmentSeq: number;
  offsetBytes: number;
  bytes: number;
  chunks: Buffer[];
  lastLsn: number;
  written: boolean;
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

function newChunk(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
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
  return { segmentSeq, offsetBytes, bytes: 0, chunks: [], lastLsn: 0, written: false, done, resolve, reject };
}

export class Journal {
  private nextLsnValue: number;
  private durableLsnValue: number;
  /**
   * Records are built in chunks over shared memory: the overlay points into them, and the destage
   * worker reads the blocks there instead of a copy.
   */
  private chunk: Buffer = newChunk(JOURNAL_CHUNK_BYTES);
  private chunkUsed = 0;
  /** Filled chunks, oldest first, with the last LSN each holds (the overlay points into them). */
  private readonly filledChunks: Array<{ buffer: Buffer; lastLsn: number }> = [];
  /**
   * Chunks whose records are all in the block store, for reuse: allocating a fresh 1 MiB buffer
   * for every megabyte written made V8 run full collections for "external memory pressure" several
   * times a second.
   */
  private readonly spareChunks: Buffer[] = [];
  private open: Batch;
  private readonly sealed: Batch[] = [];
  private flushScheduled = false;
  private writesInFlight = 0;
  /** Batches handed to the disk, oldest first, until they are acknowledged. */
  private readonly unacknowledged: Batch[] = [];
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
    // Records written behind a hole at the crash carry LSNs just past the chain: skip far beyond
    // them. The caller must destage what was replayed and record the new base before writing.
    const firstLsn = segmentSeqs.length > 0 ? replay.nextLsn + JOURNAL_RESTART_LSN_GAP : replay.nextLsn;
    const journal = new Journal(dir, firstLsn, nextSeq, spares, segmentBytes);
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

  /**
   * Appends consecutive whole blocks (`data` is a multiple of BLOCK_BYTES) in as few records as the
   * journal's chunks, batches and segments allow, and calls `onBlock` for each block with its
   * record's LSN and a view of the journaled copy of its data.
   */
  appendBlocks(
    layerId: number,
    firstBlock: number,
    data: Buffer,
    onBlock: (blockIndex: number, lsn: number, stored: Buffer) => void,
  ): void {
    const total = data.length / BLOCK_BYTES;
    for (let done = 0; done < total; ) {
      const count = Math.min(total - done, this.blocksThatFit() || this.blocksThatFitAfresh());
      const payload = data.subarray(done * BLOCK_BYTES, (done + count) * BLOCK_BYTES);
      const lsn = this.append(RecordType.blocks, layerId, firstBlock + done, count, payload);
      const start = this.chunkUsed - payload.length;
      for (let i = 0; i < count; i++) {
        const at = start + i * BLOCK_BYTES;
        onBlock(firstBlock + done + i, lsn, this.chunk.subarray(at, at + BLOCK_BYTES));
      }
      done += count;
    }
  }

  /** Whole blocks one more record can carry without a new chunk, batch or segment. */
  private blocksThatFit(): number {
    const batch = this.open;
    const room = Math.min(
      this.segmentBytes - batch.offsetBytes - batch.bytes,
      JOURNAL_BATCH_MAX_BYTES - batch.bytes,
      this.chunk.length - this.chunkUsed,
    );
    return Math.max(0, Math.floor((room - RECORD_HEADER_BYTES) / BLOCK_BYTES));
  }

  /** Whole blocks a record can carry in a fresh chunk, batch and segment (at least one). */
  private blocksThatFitAfresh(): number {
    const room = Math.min(this.segmentBytes, JOURNAL_BATCH_MAX_BYTES, JOURNAL_CHUNK_BYTES);
    return Math.max(1, Math.floor((room - RECORD_HEADER_BYTES) / BLOCK_BYTES));
  }

  /** Appends a zero range (write-zeroes, trim, all-zero data). */
  appendZero(layerId: number, blockIndex: number, blockCount: number): number {
    return this.append(RecordType.zero, layerId, blockIndex, blockCount);
  }

  /** Resolves when everything appended so far is durable. */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.open.bytes > 0 ? this.open : (this.sealed.at(-1) ?? this.unacknowledged.at(-1));
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
    // Records at or below appliedLsn are durable (so no batch write still reads them) and destaged
    // (so the overlay no longer points at them): their chunks can be reused.
    while (this.filledChunks.length > 0 && this.filledChunks[0]!.lastLsn <= appliedLsn) {
      const { buffer } = this.filledChunks.shift()!;
      if (buffer.length === JOURNAL_CHUNK_BYTES && this.spareChunks.length < JOURNAL_SPARE_CHUNKS_MAX)
        this.spareChunks.push(buffer);
    }
    const current = this.open.segmentSeq;
    for (const segment of [...this.segments.values()]) {
      if (segment.seq >= current || segment.lastLsn > appliedLsn) continue;
      // A segment still being written to (sealed or in flight) is not done, whatever its lastLsn says.
      const busy = (b: Batch) => b.segmentSeq === segment.seq;
      if (this.sealed.some(busy) || this.unacknowledged.some(busy)) continue;
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
      this.filledChunks.push({ buffer: this.chunk, lastLsn: this.nextLsnValue - 1 });
      const spare = recordBytes <= JOURNAL_CHUNK_BYTES ? this.spareChunks.pop() : undefined;
      this.chunk = spare ?? newChunk(Math.max(JOURNAL_CHUNK_BYTES, recordBytes));
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
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate lets every request parsed from the same socket reads join this batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.pump();
    });
  }

  /**
   * Starts batch writes while fewer than JOURNAL_WRITES_INFLIGHT_MAX are in flight. Segment files
   * are opened O_DSYNC, so a completed write is durable; completions are acknowledged strictly in
   * log order, so a crash can never leave an acknowledged record behind a hole.
   */
  private pump(): void {
    while (this.writesInFlight < JOURNAL_WRITES_INFLIGHT_MAX) {
      let batch = this.sealed.shift();
      if (!batch && this.open.bytes > 0) {
        batch = this.open;
        this.open = newBatch(batch.segmentSeq, batch.offsetBytes + batch.bytes);
      }
      if (!batch) return;
      this.writesInFlight++;
      this.unacknowledged.push(batch);
      void this.writeBatch(batch).finally(() => {
        this.writesInFlight--;
        this.acknowledgeInOrder();
        this.pump();
      });
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.failure) return;
    try {
      const segment = await this.ensureSegment(batch.segmentSeq);
      await segment.file.write(batch.chunks, batch.offsetBytes);
      batch.written = true;
      if (batch.offsetBytes === 0) void this.ensureSegment(batch.segmentSeq + 1).catch(() => {});
    } catch (error) {
      // A journal that failed to write can no longer promise durability: fail every later write.
      this.failure ??= error instanceof Error ? error : new Error(String(error));
    }
  }

  private acknowledgeInOrder(): void {
    while (this.unacknowledged.length > 0) {
      const head = this.unacknowledged[0]!;
      if (this.failure) {
        this.unacknowledged.shift();
        head.reject(this.failure);
        continue;
      }
      if (!head.written) return;
      this.unacknowledged.shift();
      const segment = this.segments.get(head.segmentSeq);
      if (segment) segment.lastLsn = Math.max(segment.lastLsn, head.lastLsn);
      this.durableLsnValue = head.lastLsn;
      head.resolve();
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
    const file = await this.dir.open(name, { dsync: true });
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
  // The chain of records to replay starts at appliedLsn + 1 and must be gapless; records at or
  // below appliedLsn are already in the block store and only skipped.
  let expectedLsn: number | null = null;
  const liveSegments: Segment[] = [];
  for (const seq of seqs) {
    const file = await dir.open(segmentName(seq));
    const bytes = await file.read(0, segmentBytes);
    const chainBefore: number | null = expectedLsn;
    let lastLsn = 0;
    for (let offset = 0; ; ) {
      const decoded = decodeRecord(bytes, offset, JOURNAL_BATCH_MAX_BYTES);
      if (!decoded.ok) break;
      const { header } = decoded;
      if (header.lsn > appliedLsn) {
        if (expectedLsn === null && header.lsn !== appliedLsn + 1) {
          throw new Error(`journal gap: record ${header.lsn} follows applied ${appliedLsn}`);
        }
        if (expectedLsn !== null && header.lsn !== expectedLsn) break;
        const payload = header.type === RecordType.zero ? null : Buffer.from(decoded.payload);
        onRecord({ header, payload });
        expectedLsn = header.lsn + 1;
      }
      lastLsn = Math.max(lastLsn, header.lsn);
      offset += decoded.totalBytes;
    }
    liveSegments.push({ seq, file, lastLsn });
    // The chain began earlier and this segment does not continue it: nothing later can.
    if (chainBefore !== null && expectedLsn === chainBefore) break;
  }
  return { nextLsn: expectedLsn ?? appliedLsn + 1, liveSegments };
}
