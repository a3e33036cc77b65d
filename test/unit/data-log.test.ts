import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IoError } from '../../src/array/engine/block-device.js';
import { BlockEngine } from '../../src/array/engine/engine.js';
import { BLOCK_BYTES } from '../../src/constants.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function engineIn(dir: string) {
  // Small data segments so a few hundred blocks span several of them.
  return BlockEngine.open(dir, { dataSegmentBytes: 256 * 1024 });
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

test('data log: overwritten data is compacted away, live data is moved and still reads back', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
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
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
  await engine.write(vol, 0, randomBytes(BLOCK_BYTES));
  await engine.destageNow();
  const segmentsDir = join(dir, 'store', 'data');
  const [segment] = await readdir(segmentsDir);
  const handle = await open(join(segmentsDir, segment!), 'r+');
  await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, 100); // inside the block's bytes
  await handle.close();
  assert.throws(
    () => engine.read(vol.headLayerId, 0, BLOCK_BYTES),
    (error: unknown) => error instanceof IoError && error.code === 'io',
  );
  await engine.close();
});

test('data log: a segment starts with the fixed TDL1 header (magic, version 1, segment number)', async () => {
  const dir = await tempDir();
  const engine = await engineIn(dir);
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
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
