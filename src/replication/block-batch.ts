// The data part of a block transfer, shared by async (protection group) transfers and pod
// resyncs: whole blocks, each lz4-compressed when that makes it smaller, back to back in one
// payload, described as [blockIndex, bytes in the payload, lz4?].

import { compressSync, uncompressSync } from 'lz4-napi';
import { BLOCK_BYTES } from '../constants.js';

export type BlockEntry = [blockIndex: number, lengthBytes: number, compressed: boolean];

/** Reads each block with `read` and packs it. */
export function encodeBlockBatch(
  blockIndexes: number[],
  read: (blockIndex: number) => Buffer,
): { blocks: BlockEntry[]; payload: Buffer } {
  const parts: Buffer[] = [];
  const blocks: BlockEntry[] = [];
  for (const blockIndex of blockIndexes) {
    const raw = read(blockIndex);
    const lz4 = compressSync(raw);
    const compressed = lz4.length < raw.length;
    const bytes = compressed ? lz4 : raw;
    parts.push(bytes);
    blocks.push([blockIndex, bytes.length, compressed]);
  }
  return { blocks, payload: Buffer.concat(parts) };
}

/** Unpacks a batch; a description that does not match the payload is refused with a reason. */
export function* decodeBlockBatch(
  blocks: BlockEntry[],
  payload: Buffer,
): Generator<{ blockIndex: number; lengthBytes: number; data: Buffer }> {
  let offset = 0;
  for (const [blockIndex, lengthBytes, compressed] of blocks) {
    if (offset + lengthBytes > payload.length) throw new Error('block data is shorter than its block list');
    const bytes = payload.subarray(offset, offset + lengthBytes);
    offset += lengthBytes;
    const data = compressed ? uncompressSync(bytes) : Buffer.from(bytes);
    if (data.length !== BLOCK_BYTES) throw new Error(`block ${blockIndex} is not ${BLOCK_BYTES} bytes`);
    yield { blockIndex, lengthBytes, data };
  }
}
