// Worker thread: hashes and compresses blocks for destage, off the event loop that serves I/O.
// Input: one buffer of N blocks, plus an output buffer and a hash buffer to fill. Output: the same
// three buffers back (the pool reuses them), and per block its stored length and crc32.
// Dedup before compression: a block whose content this worker prepared lately is only hashed
// (stored length 0), as it is most likely in the store already; compressing it again would be
// wasted. The store writer reduces it after all in the rare case it is not.

import { parentPort } from 'node:worker_threads';
import { BLOCK_BYTES, PREPARE_RECENT_HASHES_MAX as RECENT_HASHES_MAX } from '../../constants.js';
import { contentHashOf, prepareBlock } from './block-store.js';

export interface PrepareRequest {
  id: number;
  blocks: ArrayBuffer;
  blockCount: number;
  /** At least blockCount * BLOCK_BYTES: stored bytes go here back to back. */
  stored: ArrayBuffer;
  /** At least blockCount * 32. */
  hashes: ArrayBuffer;
}

export interface PrepareResponse {
  id: number;
  blocks: ArrayBuffer;
  hashes: ArrayBuffer;
  stored: ArrayBuffer;
  /** Per block: stored length, negative when kept uncompressed, 0 when only hashed. */
  lengths: Int32Array;
  crcs: Uint32Array;
}

/** Content hashes (latin1) prepared lately; forgotten all at once when full. */
const recentHashes = new Set<string>();

function seenLately(contentHash: Buffer): boolean {
  const key = contentHash.toString('latin1');
  if (recentHashes.has(key)) return true;
  if (recentHashes.size >= RECENT_HASHES_MAX) recentHashes.clear();
  recentHashes.add(key);
  return false;
}

parentPort?.on('message', (request: PrepareRequest) => {
  const input = Buffer.from(request.blocks, 0, request.blockCount * BLOCK_BYTES);
  const hashes = Buffer.from(request.hashes);
  const stored = Buffer.from(request.stored);
  const lengths = new Int32Array(request.blockCount);
  const crcs = new Uint32Array(request.blockCount);
  let offset = 0;
  for (let i = 0; i < request.blockCount; i++) {
    const block = input.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES);
    const contentHash = contentHashOf(block);
    contentHash.copy(hashes, i * 32);
    if (seenLately(contentHash)) {
      lengths[i] = 0;
      continue;
    }
    const prepared = prepareBlock(block, contentHash);
    lengths[i] = prepared.compressed ? prepared.stored.length : -prepared.stored.length;
    crcs[i] = prepared.storedCrc;
    // Never more than BLOCK_BYTES: incompressible blocks are kept raw.
    offset += prepared.stored.copy(stored, offset);
  }
  const response: PrepareResponse = {
    id: request.id,
    blocks: request.blocks,
    hashes: request.hashes,
    stored: request.stored,
    lengths,
    crcs,
  };
  parentPort!.postMessage(response, [
    request.blocks,
    request.hashes,
    request.stored,
    lengths.buffer,
    crcs.buffer,
  ] as ArrayBuffer[]);
});
