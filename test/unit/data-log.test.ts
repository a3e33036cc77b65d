import assert from 'node:assert/strict';
import { pbkdf2, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { IoError } from '../../src/array/engine/block-device.js';
import { DATA_SEGMENT_HEADER_BYTES, DataLog } from '../../src/array/engine/data-log.js';
import { BlockEngine } from '../../src/array/engine/engine.js';
import { VerifiedReader } from '../../src/array/engine/verified-reader.js';
import { BLOCK_BYTES } from '../../src/constants.js';
import { crc32 } from '../../src/platform/crc32.js';

const pbkdf2Async = promisify(pbkdf2);
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function engineIn(dir: string) {
  // Small data segments so a few hundred blocks span several of them.
  return BlockEngine.open(dir, { dataSegmentBytes: 256 * 1024 });
}

/** A fresh volume's layer, persisted. */
async function newVolume(engine: BlockEngine): Promise<{ headLayerId: number }> {
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
  return vol;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-datalog-'));
  dirs.push(dir);
  return dir;
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
}

/** An engine with `blocks` random blocks destaged, then three bytes of the first segment overwritten at `offset`. */
async function engineWithCorruptByte(blocks: number, offset: number) {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  await engine.write(vol, 0, randomBytes(blocks * BLOCK_BYTES));
  await engine.destageNow();
  const [segment] = (await readdir(join(dir, 'store', 'data'))).sort();
  const handle = await open(join(dir, 'store', 'data', segment!), 'r+');
  await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, offset);
  await handle.close();
  return { engine, vol };
}

test('data log: overwritten data is compacted away, live data is moved and still reads back', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  const blocks = 256; // 1 MiB of incompressible data: four 256 KiB segments
  await engine.write(vol, 0, randomBytes(blocks * BLOCK_BYTES));
  await engine.destageNow();
  const segmentsDir = join(dir, 'store', 'data');
  const before = await readdir(segmentsDir);
  assert.ok(before.length >= 4, `expected several segments, got ${before.length}`);
  // Overwrite all but one block: the old segments become almost entirely dead.
  const final = randomBytes(blocks * BLOCK_BYTES);
  await engine.write(vol, BLOCK_BYTES, final.subarray(BLOCK_BYTES));
  const keep = engine.read(vol.headLayerId, 0, BLOCK_BYTES);
  await engine.destageNow();
  const firstSegment = before.sort()[0]!;
  await waitUntil(async () => !(await readdir(segmentsDir)).includes(firstSegment));
  assert.deepEqual(engine.read(vol.headLayerId, 0, BLOCK_BYTES), keep, 'the moved live block');
  assert.deepEqual(
    engine.read(vol.headLayerId, BLOCK_BYTES, (blocks - 1) * BLOCK_BYTES),
    final.subarray(BLOCK_BYTES),
  );
  await engine.close();
  const reopened = await engineIn(dir);
  assert.deepEqual(reopened.read(vol.headLayerId, 0, BLOCK_BYTES), keep, 'after reopen');
  await reopened.close();
});

test('data log: a corrupted block is reported as an I/O error, never returned as data', async () => {
  const { engine, vol } = await engineWithCorruptByte(1, 100); // inside the block's bytes
  assert.throws(
    () => engine.read(vol.headLayerId, 0, BLOCK_BYTES),
    (error: unknown) => error instanceof IoError && error.code === 'io',
  );
  await engine.close();
});

test('data log: a segment starts with the fixed TDL1 header (magic, version 1, segment number)', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  await engine.write(vol, 0, randomBytes(BLOCK_BYTES));
  await engine.destageNow();
  await engine.close();
  const segments = (await readdir(join(dir, 'store', 'data'))).sort();
  assert.equal(segments[0], 'seg-00000001.dat');
  const file = await open(join(dir, 'store', 'data', segments[0]!), 'r');
  const header = Buffer.alloc(32);
  await file.read(header, 0, 32, 0);
  await file.close();
  // Any change here is a format change: bump the version and keep reading the old one.
  assert.equal(header.toString('hex'), `54444c31` + `01000000` + `00000001` + '00'.repeat(20));
});

test('data log: readAsync returns what read returns, for raw runs, compressed blocks, zeroes and pending writes', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  const random = randomBytes(96 * BLOCK_BYTES); // raw: long runs, read on the thread pool
  const text = Buffer.alloc(32 * BLOCK_BYTES, 'tandem compresses this text '); // lz4: read at once
  await engine.write(vol, 0, random);
  await engine.write(vol, 128 * BLOCK_BYTES, text);
  await engine.destageNow();
  await engine.write(vol, 10 * BLOCK_BYTES, Buffer.alloc(BLOCK_BYTES, 7)); // still in the overlay
  const length = 200 * BLOCK_BYTES;
  const expected = Buffer.alloc(length);
  random.copy(expected, 0);
  expected.fill(7, 10 * BLOCK_BYTES, 11 * BLOCK_BYTES);
  text.copy(expected, 128 * BLOCK_BYTES);
  assert.deepEqual(engine.read(vol.headLayerId, 0, length), expected);
  const read = await engine.readAsync(vol.headLayerId, 0, length);
  assert.deepEqual(read, expected);
  // The long raw runs went to the verified-read worker: the buffer lies in shared memory.
  assert.ok(read.buffer instanceof SharedArrayBuffer);
  // Unaligned: partial blocks at both ends.
  assert.deepEqual(await engine.readAsync(vol.headLayerId, 1000, 80_000), expected.subarray(1000, 81_000));
  await engine.close();
});

test('data log: a corrupted block read on the verified-read worker is an I/O error too, naming the block', async () => {
  const { engine, vol } = await engineWithCorruptByte(32, 32 + 20 * BLOCK_BYTES + 5); // block 20
  await assert.rejects(
    engine.readAsync(vol.headLayerId, 0, 32 * BLOCK_BYTES),
    (error: unknown) =>
      error instanceof IoError && error.code === 'io' && /block \d+ failed its checksum/.test(error.message),
  );
  await engine.close();
});

test('data log: the verified-read worker reads into shared memory and compares the CRC it was given', async () => {
  const dir = await tempDir();
  const log = new DataLog(dir, { segment: 1, tailBytes: DATA_SEGMENT_HEADER_BYTES }, 1024 * 1024);
  const reader = new VerifiedReader();
  const data = randomBytes(64 * BLOCK_BYTES);
  const locations = log.reserve([data.length]);
  await log.write(locations, [data]);
  const target = Buffer.from(new SharedArrayBuffer(data.length + 100));
  assert.equal(
    await log.readIntoVerifiedAsync(locations[0]!, data.length, target, 0, crc32(data), reader),
    'ok',
  );
  assert.deepEqual(target.subarray(0, data.length), data);
  const offset = Buffer.from(target.buffer, 50, data.length);
  assert.equal(
    await log.readIntoVerifiedAsync(locations[0]!, data.length, offset, 0, crc32(data) ^ 1, reader),
    'mismatch',
  );
  assert.equal(reader.accepts(Buffer.alloc(16)), false, 'ordinary buffers are read another way');
  // Past the end of the segment file: a short read is an error, not data.
  await assert.rejects(
    log.readIntoVerifiedAsync(
      { segment: 1, offsetBytes: DATA_SEGMENT_HEADER_BYTES + data.length - 10 },
      100,
      target,
      0,
      0,
      reader,
    ),
    /short read in data segment 1/,
  );
  // Removed right after the request is posted: the worker reads only later, so the descriptor
  // must outlive the removal (closing it at once fails the read with EBADF).
  const reading = log.readIntoVerifiedAsync(locations[0]!, data.length, target, 0, crc32(data), reader);
  log.remove(1);
  assert.equal(await reading, 'ok');
  assert.deepEqual(await readdir(dir), []);
  await reader.close();
  await log.close();
});

test('data log: a verified-read worker that fails under a read: the read is served by the thread pool', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  const data = randomBytes(64 * BLOCK_BYTES);
  await engine.write(vol, 0, data);
  await engine.destageNow();
  const reader = new VerifiedReader();
  engine.store.useVerifiedReader(reader);
  const reading = engine.readAsync(vol.headLayerId, 0, data.length);
  void reader.close(); // the worker goes away with the read posted to it
  assert.deepEqual(await reading, data);
  assert.deepEqual(await engine.readAsync(vol.headLayerId, 0, data.length), data, 'and later reads too');
  await engine.close();
});

test('data log: a segment removed while a read on it is in flight still serves that read', async () => {
  const dir = await tempDir();
  const log = new DataLog(dir, { segment: 1, tailBytes: DATA_SEGMENT_HEADER_BYTES }, 1024 * 1024);
  const data = randomBytes(64 * BLOCK_BYTES);
  const locations = log.reserve([data.length]);
  await log.write(locations, [data]);
  const target = Buffer.alloc(data.length);
  // Occupy every thread of the pool first, so the read is still queued when the segment goes.
  const busy = Array.from({ length: Number(process.env.UV_THREADPOOL_SIZE ?? 4) }, () =>
    pbkdf2Async('x', 'y', 200_000, 32, 'sha256'),
  );
  const reading = log.readIntoAsync(locations[0]!, data.length, target, 0);
  log.remove(1); // compaction deleting the segment: the descriptor must outlive the read
  await Promise.all([reading, ...busy]);
  assert.deepEqual(target, data);
  assert.deepEqual(await readdir(dir), []);
  await log.close();
});

test('data log: aligned reads through runs, repeated blocks, zero blocks and several segments read back exactly', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = await newVolume(engine);
  const same = randomBytes(BLOCK_BYTES);
  const parts = [
    randomBytes(40 * BLOCK_BYTES), // one run
    Buffer.concat(Array.from({ length: 20 }, () => same)), // one stored block, twenty times
    Buffer.alloc(4 * BLOCK_BYTES), // zeroes
    randomBytes(40 * BLOCK_BYTES),
  ];
  let at = 0;
  for (const part of parts) {
    await engine.write(vol, at, part);
    at += part.length;
  }
  // Written again in another order, so the blocks of one range lie in separate runs of the log.
  await engine.destageNow();
  const middle = randomBytes(8 * BLOCK_BYTES);
  await engine.write(vol, 16 * BLOCK_BYTES, middle);
  await engine.destageNow();
  const expected = Buffer.concat(parts);
  middle.copy(expected, 16 * BLOCK_BYTES);
  for (const [from, blocks] of [
    [0, 40],
    [0, 104],
    [8, 24],
    [60, 44],
    [40, 20],
  ] as const) {
    const read = await engine.readAsync(vol.headLayerId, from * BLOCK_BYTES, blocks * BLOCK_BYTES);
    assert.ok(
      read.equals(expected.subarray(from * BLOCK_BYTES, (from + blocks) * BLOCK_BYTES)),
      `blocks ${from}+${blocks}`,
    );
  }
  await engine.close();
});
