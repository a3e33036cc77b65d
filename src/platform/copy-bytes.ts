// Copies bytes with the C library's memcpy, also into and out of shared memory. Buffer#copy goes
// through TypedArray#set, which V8 runs as a relaxed-atomic copy as soon as either side lies in a
// SharedArrayBuffer: measured here at 9.1 GB/s into shared memory against 19.8 GB/s with memcpy,
// and 6.8 against 9.3 GB/s out of it. Buffer#fill with a buffer exactly as long as the range is
// filled by node with one memcpy. The data path (journal chunks, reply buffers) lives in shared
// memory, so its copies go through here.

/** Copies all of `source` into `target` at `targetStart` (ranges must not overlap). */
export function copyBytes(source: Buffer, target: Buffer, targetStart: number): void {
  if (source.length === 0) return;
  if (targetStart < 0 || targetStart + source.length > target.length)
    throw new RangeError(`copy of ${source.length} bytes at ${targetStart} overruns ${target.length}`);
  target.fill(source, targetStart, targetStart + source.length);
}
