// The block index's persistence: the index lives in memory (block-store.ts) and every store
// transaction appends one checksummed record of its changes to a log file. When the log grows
// past INDEX_LOG_CHECKPOINT_BYTES the whole index is written to a new checkpoint file and a new,
// empty log starts. Appending a record is a buffered write (visible at once); `sync` makes
// everything appended so far durable. The engine keeps its journal until `sync` has returned, so
// records lost in a power cut are replayed from the journal.
//
// Files (generation g):  checkpoint-g.tix  full image of the index when generation g began
//                        log-g.tix         transactions since then (generation 0 has no checkpoint)
// A checkpoint is written to a .tmp file, synced and renamed, so a .tix checkpoint is complete.
//
// Record: 24-byte header, then the body.
//   0 magic 'TIX1' u32 | 4 version u8 | 5 kind u8 | 6 reserved u16 | 8 seq u48 | 14 reserved u16
//  16 body bytes u32 | 20 crc32 of header bytes 0-19 and the body
// Sequence numbers start at 1 in every file. Replay of a log stops at the first record that is
// torn, damaged or out of sequence; the file is cut there.

import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../../platform/crc32.js';

const RECORD_MAGIC = 0x54495831; // 'TIX1'
export const INDEX_RECORD_VERSION = 1;
export const INDEX_RECORD_HEADER_BYTES = 24;
/** A body larger than this is damage, not data (checkpoint parts are written far smaller). */
const RECORD_BODY_MAX_BYTES = 1 << 30;

export const IndexRecordKind = {
  transaction: 1,
  checkpointPart: 2,
  /** Body: u32 number of parts. A checkpoint without it is incomplete. */
  checkpointEnd: 3,
} as const;
type IndexRecordKindValue = (typeof IndexRecordKind)[keyof typeof IndexRecordKind];

export function encodeIndexRecordHeader(kind: IndexRecordKindValue, seq: number, body: Buffer): Buffer {
  const header = Buffer.alloc(INDEX_RECORD_HEADER_BYTES);
  header.writeUInt32BE(RECORD_MAGIC, 0);
  header.writeUInt8(INDEX_RECORD_VERSION, 4);
  header.writeUInt8(kind, 5);
  header.writeUIntBE(seq, 8, 6);
  header.writeUInt32BE(body.length, 16);
  header.writeUInt32BE(crc32(body, crc32(header.subarray(0, 20))), 20);
  return header;
}

interface ReadRecord {
  kind: number;
  seq: number;
  body: Buffer;
  totalBytes: number;
}

/** Reads the record at `position`, or undefined if it is missing, torn or damaged. */
function readRecord(fd: number, position: number, fileBytes: number): ReadRecord | undefined {
  if (position + INDEX_RECORD_HEADER_BYTES > fileBytes) return undefined;
  const header = Buffer.alloc(INDEX_RECORD_HEADER_BYTES);
  readSync(fd, header, 0, header.length, position);
  if (header.readUInt32BE(0) !== RECORD_MAGIC || header.readUInt8(4) !== INDEX_RECORD_VERSION)
    return undefined;
  const bodyBytes = header.readUInt32BE(16);
  if (bodyBytes > RECORD_BODY_MAX_BYTES) return undefined;
  if (position + INDEX_RECORD_HEADER_BYTES + bodyBytes > fileBytes) return undefined;
  const body = Buffer.allocUnsafe(bodyBytes);
  readSync(fd, body, 0, bodyBytes, position + INDEX_RECORD_HEADER_BYTES);
  if (crc32(body, crc32(header.subarray(0, 20))) !== header.readUInt32BE(20)) return undefined;
  return {
    kind: header.readUInt8(5),
    seq: header.readUIntBE(8, 6),
    body,
    totalBytes: INDEX_RECORD_HEADER_BYTES + bodyBytes,
  };
}

const checkpointName = (gen: number) => `checkpoint-${String(gen).padStart(8, '0')}.tix`;
const logName = (gen: number) => `log-${String(gen).padStart(8, '0')}.tix`;

function generationOf(name: string, prefix: string): number | undefined {
  const match = new RegExp(`^${prefix}-(\\d{8})\\.tix$`).exec(name);
  return match ? Number(match[1]) : undefined;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class IndexLog {
  private fd: number;
  private bytes: number;
  private seq: number;
  private syncedBytes: number;
  private syncChain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private gen: number,
    fd: number,
    bytes: number,
    seq: number,
  ) {
    this.fd = fd;
    this.bytes = bytes;
    this.seq = seq;
    this.syncedBytes = bytes;
  }

  /**
   * Opens the index log in `dir` (created if missing) and hands every body of the newest checkpoint,
   * then of every valid transaction after it, to `apply` in order.
   */
  static open(dir: string, apply: (body: Buffer) => void): IndexLog {
    const names = readdirSync(dir);
    const checkpoints = names
      .map((n) => generationOf(n, 'checkpoint'))
      .filter((g): g is number => g !== undefined)
      .sort((a, b) => b - a);
    const gen = checkpoints[0] ?? 0;
    if (checkpoints.length > 0) IndexLog.loadCheckpoint(join(dir, checkpointName(gen)), apply);

    const path = join(dir, logName(gen));
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    const fileBytes = fstatSync(fd).size;
    let position = 0;
    let seq = 0;
    for (;;) {
      const record = readRecord(fd, position, fileBytes);
      if (!record || record.kind !== IndexRecordKind.transaction || record.seq !== seq + 1) break;
      apply(record.body);
      seq = record.seq;
      position += record.totalBytes;
    }
    if (position < fileBytes) {
      // A torn tail (or records behind it): never read again, overwritten by new records.
      ftruncateSync(fd, position);
      fsyncSync(fd);
    }
    for (const name of names) {
      const old =
        name.endsWith('.tmp') ||
        (generationOf(name, 'checkpoint') ?? gen) < gen ||
        (generationOf(name, 'log') ?? gen) < gen;
      if (old) rmSync(join(dir, name), { force: true });
    }
    fsyncDir(dir);
    return new IndexLog(dir, gen, fd, position, seq);
  }

  private static loadCheckpoint(path: string, apply: (body: Buffer) => void): void {
    const fd = openSync(path, constants.O_RDONLY);
    try {
      const fileBytes = fstatSync(fd).size;
      let position = 0;
      let parts = 0;
      for (;;) {
        const record = readRecord(fd, position, fileBytes);
        if (!record) throw new Error(`index checkpoint ${path} is damaged at byte ${position}`);
        if (record.kind === IndexRecordKind.checkpointEnd) {
          if (record.body.readUInt32BE(0) !== parts)
            throw new Error(`index checkpoint ${path} is incomplete`);
          return;
        }
        if (record.kind !== IndexRecordKind.checkpointPart || record.seq !== parts + 1)
          throw new Error(`index checkpoint ${path} is damaged at byte ${position}`);
        apply(record.body);
        parts++;
        position += record.totalBytes;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes in the current log (checkpoint when this grows large). */
  get logBytes(): number {
    return this.bytes;
  }

  /** Appends one transaction; it is replayed after a crash once `sync` has covered it. */
  append(body: Buffer): void {
    this.seq++;
    const header = encodeIndexRecordHeader(IndexRecordKind.transaction, this.seq, body);
    writevSync(this.fd, [header, body], this.bytes);
    this.bytes += header.length + body.length;
  }

  /** Resolves when everything appended before the call is on stable storage. */
  sync(): Promise<void> {
    const fd = this.fd;
    const target = this.bytes;
    const run = this.syncChain.then(async () => {
      if (this.fd !== fd || this.syncedBytes >= target) return; // a checkpoint or another sync covered it
      await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      if (this.fd === fd) this.syncedBytes = Math.max(this.syncedBytes, target);
    });
    this.syncChain = run.catch(() => {});
    return run;
  }

  /**
   * Writes a full image of the index (`writeImage` emits its bodies in order) as the next
   * generation's checkpoint, durably, and starts an empty log. Synchronous: the caller's in-memory
   * index cannot change while it runs.
   */
  checkpoint(writeImage: (emit: (body: Buffer) => void) => void): void {
    const next = this.gen + 1;
    const tmp = join(this.dir, `${checkpointName(next)}.tmp`);
    const fd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      let position = 0;
      let parts = 0;
      const write = (kind: IndexRecordKindValue, seq: number, body: Buffer) => {
        const header = encodeIndexRecordHeader(kind, seq, body);
        writevSync(fd, [header, body], position);
        position += header.length + body.length;
      };
      writeImage((body) => write(IndexRecordKind.checkpointPart, ++parts, body));
      const end = Buffer.alloc(4);
      end.writeUInt32BE(parts, 0);
      write(IndexRecordKind.checkpointEnd, 1, end);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, checkpointName(next)));
    const logFd = openSync(
      join(this.dir, logName(next)),
      constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
      0o600,
    );
    fsyncDir(this.dir);
    const oldFd = this.fd;
    const oldGen = this.gen;
    this.gen = next;
    this.fd = logFd;
    this.bytes = 0;
    this.seq = 0;
    this.syncedBytes = 0;
    // A sync of the old log may still be running on its descriptor: close it after that.
    void this.syncChain.then(() => closeSync(oldFd));
    rmSync(join(this.dir, logName(oldGen)), { force: true });
    if (oldGen > 0) rmSync(join(this.dir, checkpointName(oldGen)), { force: true });
  }

  async close(): Promise<void> {
    await this.sync();
    await this.syncChain;
    closeSync(this.fd);
  }
}
