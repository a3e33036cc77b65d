// Worker thread: hashes and compresses blocks for destage, off the event loop that serves I/O.
// Input: one buffer of N blocks. Output: N hashes (32 bytes each), the stored bytes of every block
// back to back, and per block its stored length and whether it is lz4.

import { parentPort } from 'node:worker_threads';
import { BLOCK_BYTES } from '../../constants.js';
import { prepareBlock } from './block-store.js';

export interface PrepareRequest {
  id: number;
  blocks: ArrayBuffer;
  blockCount: number;
}

export interface PrepareResponse {
  id: number;
  hashes: ArrayBuffer;
  stored: ArrayBuffer;
  /** Per block: stored length, negative when the block is kept uncompressed. */
  lengths: Int32Array;
  crcs: Uint32Array;
}

parentPort?.on('message', (request: PrepareRequest) => {
  const input = Buffer.from(request.blocks);
  const hashes = Buffer.allocUnsafe(request.blockCount * 32);
  const lengths = new Int32Array(request.blockCount);
  const crcs = new Uint32Array(request.blockCount);
  const parts: Buffer[] = [];
  let storedBytes = 0;
  for (let i = 0; i < request.blockCount; i++) {
    const prepared = prepareBlock(input.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES));
    prepared.contentHash.copy(hashes, i * 32);
    lengths[i] = prepared.compressed ? prepared.stored.length : -prepared.stored.length;
    crcs[i] = prepared.storedCrc;
    parts.push(prepared.stored);
    storedBytes += prepared.stored.length;
  }
  const stored = Buffer.concat(parts, storedBytes);
  // Copy into exactly-sized ArrayBuffers so they can be transferred without copying again.
  const storedOut = new Uint8Array(storedBytes);
  storedOut.set(stored);
  const hashesOut = new Uint8Array(hashes.length);
  hashesOut.set(hashes);
  const response: PrepareResponse = {
    id: request.id,
    hashes: hashesOut.buffer,
    stored: storedOut.buffer,
    lengths,
    crcs,
  };
  parentPort!.postMessage(response, [hashesOut.buffer, storedOut.buffer, lengths.buffer, crcs.buffer]);
});
