// Worker thread: hashes and compresses blocks for destage, off the event loop that serves I/O.
// Input: N blocks, each either in shared memory (the journal's chunks: read where they are, no
// copy) or in a buffer of copied blocks, plus an output buffer and a hash buffer to fill. Output:
// the buffers back (the pool reuses them), and per block its stored length and crc32.
// Dedup before compression: a block whose content this worker prepared lately is only hashed
// (stored length 0), as it is most likely in the store already; compressing it again would be
// wasted. The store writer reduces it after all in the rare case it is not.

import { parentPort } from 'node:worker_threads';
import { BLOCK_BYTES, PREPARE_RECENT_HASHES_MAX as RECENT_HASHES_MAX } from '../../constants.js';
import { copyBytes } from '../../platform/copy-bytes.js';
import { contentHashOf, prepareBlock } from './block-store.js';

export interface PrepareRequest {
  id: number;
  /** Shared memory some blocks lie in. */
  shared: SharedArrayBuffer[];
  /**
   * Per block two numbers: an index into `shared` and the block's byte offset there, or -1 and the
   * block's slot in `copied`.
   */
  sources: Int32Array;
  /** Blocks copied back to back (those not in shared memory), or null. */
  copied: ArrayBuffer | null;
  blockCount: number;
  /** At least blockCount * BLOCK_BYTES: stored bytes go here back to back. */
  stored: ArrayBuffer;
  /** At least blockCount * 32. */
  hashes: ArrayBuffer;
}

export interface PrepareResponse {
  id: number;
  copied: ArrayBuffer | null;
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
  const copied = request.copied ? Buffer.from(request.copied) : null;
  const { shared, sources } = request;
  const hashes = Buffer.from(request.hashes);
  const stored = Buffer.from(request.stored);
  const lengths = new Int32Array(request.blockCount);
  const crcs = new Uint32Array(request.blockCount);
  let offset = 0;
  for (let i = 0; i < request.blockCount; i++) {
    const where = sources[2 * i]!;
    const at = sources[2 * i + 1]!;
    const block =
      where >= 0
        ? Buffer.from(shared[where]!, at, BLOCK_BYTES)
        : copied!.subarray(at * BLOCK_BYTES, (at + 1) * BLOCK_BYTES);
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
    copyBytes(prepared.stored, stored, offset);
    offset += prepared.stored.length;
  }
  const response: PrepareResponse = {
    id: request.id,
    copied: request.copied,
    hashes: request.hashes,
    stored: request.stored,
    lengths,
    crcs,
  };
  const transfer = [request.hashes, request.stored, lengths.buffer, crcs.buffer] as ArrayBuffer[];
  if (request.copied) transfer.push(request.copied);
  parentPort!.postMessage(response, transfer);
});
