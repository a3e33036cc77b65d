// The numbered blocks the drill writer writes: each 4 KiB block says which drill run wrote it,
// its sequence number and its slot, and ends with a checksum over the rest, so a read can tell a
// whole, right block from a missing, torn or stale one without keeping copies of what was written.

import { createHash } from 'node:crypto';
import { DRILL_BLOCK_BYTES } from './constants.js';

const MAGIC = Buffer.from('TDRILL01', 'ascii');
const RUN_OFFSET = 8;
const SEQ_OFFSET = 16;
const SLOT_OFFSET = 24;
const FILL_OFFSET = 32;
/** A truncated SHA-256 is plenty to detect a torn or foreign block (not an adversary). */
const CHECKSUM_BYTES = 16;
const CHECKSUM_OFFSET = DRILL_BLOCK_BYTES - CHECKSUM_BYTES;

export type DecodedBlock =
  | { kind: 'zero' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'valid'; runId: number; seq: number; slot: number };

function checksum(block: Buffer): Buffer {
  return createHash('sha256').update(block.subarray(0, CHECKSUM_OFFSET)).digest().subarray(0, CHECKSUM_BYTES);
}

/** Fills with xorshift32 from the sequence number, so every block's content is distinct. */
function fill(block: Buffer, seq: number): void {
  let x = (seq ^ 0x9e3779b9) >>> 0 || 1;
  for (let offset = FILL_OFFSET; offset < CHECKSUM_OFFSET; offset += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    block.writeUInt32LE(x, offset);
  }
}

export function encodeBlock(runId: number, seq: number, slot: number): Buffer {
  const block = Buffer.alloc(DRILL_BLOCK_BYTES);
  MAGIC.copy(block, 0);
  block.writeBigUInt64BE(BigInt(runId), RUN_OFFSET);
  block.writeBigUInt64BE(BigInt(seq), SEQ_OFFSET);
  block.writeBigUInt64BE(BigInt(slot), SLOT_OFFSET);
  fill(block, seq);
  checksum(block).copy(block, CHECKSUM_OFFSET);
  return block;
}

export function decodeBlock(block: Buffer): DecodedBlock {
  if (block.length !== DRILL_BLOCK_BYTES)
    return { kind: 'invalid', reason: `${block.length} bytes, expected ${DRILL_BLOCK_BYTES}` };
  if (!block.subarray(0, MAGIC.length).equals(MAGIC))
    return block.every((b) => b === 0) ? { kind: 'zero' } : { kind: 'invalid', reason: 'no drill magic' };
  if (!checksum(block).equals(block.subarray(CHECKSUM_OFFSET)))
    return { kind: 'invalid', reason: 'checksum' };
  return {
    kind: 'valid',
    runId: Number(block.readBigUInt64BE(RUN_OFFSET)),
    seq: Number(block.readBigUInt64BE(SEQ_OFFSET)),
    slot: Number(block.readBigUInt64BE(SLOT_OFFSET)),
  };
}
