// The changes one index-log record carries (index-log.ts frames them). A transaction's body is a
// run of ops ending with the engine state; a checkpoint's bodies hold refPut and mapSet ops for
// everything live, then the state.
//
//   1 mapSet    layerId u32, blockIndex u48, blockId u48
//   2 mapDelete layerId u32, blockIndex u48
//   3 refPut    blockId u48, refcount u32, stored length u31 + lz4 flag (top bit), segment u32,
//               offset u48, crc32 u32, sha256 (32 bytes)
//   4 refCount  blockId u48, refcount u32
//   5 refDelete blockId u48
//   6 state     length u32, JSON

/** Set in a stored length: the stored bytes are lz4. */
export const LZ4_FLAG = 0x8000_0000;

export const IndexOp = { mapSet: 1, mapDelete: 2, refPut: 3, refCount: 4, refDelete: 5, state: 6 } as const;

export interface BlockRef {
  refcount: number;
  /** Bytes stored in the data log. */
  length: number;
  compressed: boolean;
  location: { segment: number; offsetBytes: number };
  crc: number;
  /** sha256 of the block, as a latin1 string (also the dedup key). */
  hash: string;
}

export interface IndexOpVisitor {
  mapSet(layerId: number, blockIndex: number, blockId: number): void;
  mapDelete(layerId: number, blockIndex: number): void;
  refPut(blockId: number, ref: BlockRef): void;
  refCount(blockId: number, refcount: number): void;
  refDelete(blockId: number): void;
  state(json: string): void;
}

const REF_PUT_BYTES = 1 + 6 + 4 + 4 + 4 + 6 + 4 + 32;

/** Collects ops into one growing buffer. */
export class IndexOpWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;

  get length(): number {
    return this.used;
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }

  mapSet(layerId: number, blockIndex: number, blockId: number): void {
    this.room(17);
    const b = this.buffer;
    const at = this.used;
    b[at] = IndexOp.mapSet;
    b.writeUInt32BE(layerId, at + 1);
    b.writeUIntBE(blockIndex, at + 5, 6);
    b.writeUIntBE(blockId, at + 11, 6);
    this.used += 17;
  }

  mapDelete(layerId: number, blockIndex: number): void {
    this.room(11);
    const b = this.buffer;
    b[this.used] = IndexOp.mapDelete;
    b.writeUInt32BE(layerId, this.used + 1);
    b.writeUIntBE(blockIndex, this.used + 5, 6);
    this.used += 11;
  }

  refPut(blockId: number, ref: BlockRef): void {
    this.room(REF_PUT_BYTES);
    const b = this.buffer;
    const at = this.used;
    b[at] = IndexOp.refPut;
    b.writeUIntBE(blockId, at + 1, 6);
    b.writeUInt32BE(ref.refcount, at + 7);
    b.writeUInt32BE((ref.length | (ref.compressed ? LZ4_FLAG : 0)) >>> 0, at + 11);
    b.writeUInt32BE(ref.location.segment, at + 15);
    b.writeUIntBE(ref.location.offsetBytes, at + 19, 6);
    b.writeUInt32BE(ref.crc, at + 25);
    b.write(ref.hash, at + 29, 32, 'latin1');
    this.used += REF_PUT_BYTES;
  }

  refCount(blockId: number, refcount: number): void {
    this.room(11);
    const b = this.buffer;
    b[this.used] = IndexOp.refCount;
    b.writeUIntBE(blockId, this.used + 1, 6);
    b.writeUInt32BE(refcount, this.used + 7);
    this.used += 11;
  }

  refDelete(blockId: number): void {
    this.room(7);
    this.buffer[this.used] = IndexOp.refDelete;
    this.buffer.writeUIntBE(blockId, this.used + 1, 6);
    this.used += 7;
  }

  state(json: string): void {
    const bytes = Buffer.byteLength(json);
    this.room(5 + bytes);
    this.buffer[this.used] = IndexOp.state;
    this.buffer.writeUInt32BE(bytes, this.used + 1);
    this.buffer.write(json, this.used + 5, bytes, 'utf8');
    this.used += 5 + bytes;
  }

  /** The ops collected since the last take (a copy), and starts over. */
  take(): Buffer {
    const body = Buffer.from(this.buffer.subarray(0, this.used));
    this.used = 0;
    return body;
  }
}

/** Feeds every op of `body` to `visitor`; throws on a malformed body (a checksummed record never is). */
export function readIndexOps(body: Buffer, visitor: IndexOpVisitor): void {
  let at = 0;
  while (at < body.length) {
    const op = body[at]!;
    switch (op) {
      case IndexOp.mapSet:
        visitor.mapSet(body.readUInt32BE(at + 1), body.readUIntBE(at + 5, 6), body.readUIntBE(at + 11, 6));
        at += 17;
        break;
      case IndexOp.mapDelete:
        visitor.mapDelete(body.readUInt32BE(at + 1), body.readUIntBE(at + 5, 6));
        at += 11;
        break;
      case IndexOp.refPut: {
        const lengthAndFlag = body.readUInt32BE(at + 11);
        visitor.refPut(body.readUIntBE(at + 1, 6), {
          refcount: body.readUInt32BE(at + 7),
          length: (lengthAndFlag & ~LZ4_FLAG) >>> 0,
          compressed: (lengthAndFlag & LZ4_FLAG) !== 0,
          location: { segment: body.readUInt32BE(at + 15), offsetBytes: body.readUIntBE(at + 19, 6) },
          crc: body.readUInt32BE(at + 25),
          hash: body.toString('latin1', at + 29, at + 61),
        });
        at += REF_PUT_BYTES;
        break;
      }
      case IndexOp.refCount:
        visitor.refCount(body.readUIntBE(at + 1, 6), body.readUInt32BE(at + 7));
        at += 11;
        break;
      case IndexOp.refDelete:
        visitor.refDelete(body.readUIntBE(at + 1, 6));
        at += 7;
        break;
      case IndexOp.state: {
        const bytes = body.readUInt32BE(at + 1);
        visitor.state(body.toString('utf8', at + 5, at + 5 + bytes));
        at += 5 + bytes;
        break;
      }
      default:
        throw new Error(`index record has unknown op ${op} at byte ${at}`);
    }
  }
}
