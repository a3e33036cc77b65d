// On-disk journal record: the array's "NVRAM". Every record is self-describing and checksummed so
// that recovery can tell a valid record from a torn tail or a stale one left in a recycled segment.
//
// Layout (little fixed header, then payload):
//   0  magic      u32  'TJR1'
//   4  version    u8
//   5  type       u8   RecordType
//   6  lsn        u48  log sequence number, one per record, gapless
//  12  layerId    u32
//  16  blockIndex u48  first block the record covers
//  22  reserved   u16
//  24  blockCount u32  blocks covered (1 for BLOCK records, blockCount for BLOCKS records)
//  28  payloadLen u32  bytes after the header
//  32  crc32      u32  over bytes 0..31 and the payload
//  36  payload

import { copyBytes } from '../../platform/copy-bytes.js';
import { crc32 } from '../../platform/crc32.js';

export const RECORD_MAGIC = 0x544a5231; // 'TJR1'
export const RECORD_VERSION = 1;
export const RECORD_HEADER_BYTES = 36;

export const RecordType = {
  /** One block of data. */
  block: 1,
  /** blockCount blocks that read as zero from now on (write-zeroes, trim, all-zero writes). */
  zero: 2,
  /**
   * blockCount consecutive blocks of data, back to back in the payload: one header and one CRC for
   * a whole run of a long write instead of one per block.
   */
  blocks: 3,
} as const;
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

export interface RecordHeader {
  type: RecordTypeValue;
  lsn: number;
  layerId: number;
  blockIndex: number;
  blockCount: number;
  payloadBytes: number;
}

/** Writes header + payload into `target` at `offset`; returns the record's total size. */
export function encodeRecord(target: Buffer, offset: number, header: RecordHeader, payload?: Buffer): number {
  target.writeUInt32BE(RECORD_MAGIC, offset);
  target.writeUInt8(RECORD_VERSION, offset + 4);
  target.writeUInt8(header.type, offset + 5);
  target.writeUIntBE(header.lsn, offset + 6, 6);
  target.writeUInt32BE(header.layerId, offset + 12);
  target.writeUIntBE(header.blockIndex, offset + 16, 6);
  target.writeUInt16BE(0, offset + 22);
  target.writeUInt32BE(header.blockCount, offset + 24);
  target.writeUInt32BE(header.payloadBytes, offset + 28);
  if (payload) copyBytes(payload, target, offset + RECORD_HEADER_BYTES);
  const headerCrc = crc32(target.subarray(offset, offset + 32));
  const crc = payload ? crc32(payload, headerCrc) : headerCrc;
  target.writeUInt32BE(crc, offset + 32);
  return RECORD_HEADER_BYTES + header.payloadBytes;
}

export type DecodeResult =
  | { ok: true; header: RecordHeader; payload: Buffer; totalBytes: number }
  | { ok: false; reason: string };

/** Decodes the record at `offset`, or says why the bytes there are not a valid record. */
export function decodeRecord(source: Buffer, offset: number, payloadMaxBytes: number): DecodeResult {
  if (source.length - offset < RECORD_HEADER_BYTES) return { ok: false, reason: 'short header' };
  if (source.readUInt32BE(offset) !== RECORD_MAGIC) return { ok: false, reason: 'bad magic' };
  const version = source.readUInt8(offset + 4);
  if (version !== RECORD_VERSION) return { ok: false, reason: `unknown version ${version}` };
  const type = source.readUInt8(offset + 5);
  if (type !== RecordType.block && type !== RecordType.zero && type !== RecordType.blocks)
    return { ok: false, reason: `bad type ${type}` };
  const payloadBytes = source.readUInt32BE(offset + 28);
  if (payloadBytes > payloadMaxBytes) return { ok: false, reason: 'payload too large' };
  const end = offset + RECORD_HEADER_BYTES + payloadBytes;
  if (end > source.length) return { ok: false, reason: 'short payload' };
  const payload = source.subarray(offset + RECORD_HEADER_BYTES, end);
  const crc = crc32(payload, crc32(source.subarray(offset, offset + 32)));
  if (crc !== source.readUInt32BE(offset + 32)) return { ok: false, reason: 'checksum mismatch' };
  return {
    ok: true,
    header: {
      type: type as RecordTypeValue,
      lsn: source.readUIntBE(offset + 6, 6),
      layerId: source.readUInt32BE(offset + 12),
      blockIndex: source.readUIntBE(offset + 16, 6),
      blockCount: source.readUInt32BE(offset + 24),
      payloadBytes,
    },
    payload,
    totalBytes: RECORD_HEADER_BYTES + payloadBytes,
  };
}
