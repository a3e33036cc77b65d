import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { looksIncompressible, prepareBlock } from '../../src/array/engine/block-store.js';
import { BlockEngine } from '../../src/array/engine/engine.js';
import { BLOCK_BYTES } from '../../src/constants.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshEngine(): Promise<{ engine: BlockEngine; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-engine-'));
  dirs.push(dir);
  return { engine: await BlockEngine.open(dir), dir };
}

async function newVolume(engine: BlockEngine): Promise<{ headLayerId: number }> {
  const ref = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
  return ref;
}

test('engine: unwritten blocks read as zero, writes read back at any 512-byte alignment', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  assert.deepEqual(engine.read(vol.headLayerId, 0, 8192), Buffer.alloc(8192));
  const data = randomBytes(3 * 512);
  await engine.write(vol, 1536, data); // straddles the first block boundary partially
  assert.deepEqual(engine.read(vol.headLayerId, 1536, data.length), data);
  assert.deepEqual(engine.read(vol.headLayerId, 0, 1536), Buffer.alloc(1536));
  await engine.destageNow();
  assert.deepEqual(engine.read(vol.headLayerId, 1536, data.length), data, 'after destage');
  await engine.close();
});

test('engine: data survives reopen before and after destage', async () => {
  const { engine, dir } = await freshEngine();
  const vol = await newVolume(engine);
  const first = randomBytes(64 * 1024);
  await engine.write(vol, 0, first);
  await engine.destageNow();
  const second = randomBytes(8192);
  await engine.write(vol, 4096 * 100, second);
  // Partial blocks at both ends and an all-zero block between runs of whole blocks.
  const mixed = randomBytes(4096 * 6);
  mixed.fill(0, 4096 * 3 - 512, 4096 * 4 - 512);
  await engine.write(vol, 4096 * 200 + 512, mixed);
  // Simulate a crash after the journal sync: do not close (no final destage), just reopen.
  const reopened = await BlockEngine.open(dir);
  assert.deepEqual(reopened.read(vol.headLayerId, 0, first.length), first);
  assert.deepEqual(reopened.read(vol.headLayerId, 4096 * 100, second.length), second);
  assert.deepEqual(reopened.read(vol.headLayerId, 4096 * 200, 512), Buffer.alloc(512));
  assert.deepEqual(reopened.read(vol.headLayerId, 4096 * 200 + 512, mixed.length), mixed);
  await reopened.close();
});

test('engine: identical blocks are stored once (dedup) and compressible ones shrink', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const block = randomBytes(BLOCK_BYTES);
  for (let i = 0; i < 16; i++) await engine.write(vol, i * BLOCK_BYTES, block);
  const text = Buffer.alloc(BLOCK_BYTES, 'tandem replicated block storage ');
  await engine.write(vol, 100 * BLOCK_BYTES, text);
  await engine.destageNow();
  const stats = engine.stats();
  assert.equal(stats.blockCount, 2);
  assert.ok(stats.storedBytes < BLOCK_BYTES + 1 + 1024, `stored ${stats.storedBytes}`);
  await engine.close();
});

test('engine: content the destage worker saw lately but the store freed is compressed and stored again', async () => {
  const { engine, dir } = await freshEngine();
  const vol = await newVolume(engine);
  const text = Buffer.alloc(BLOCK_BYTES, 'dedup before compression, then compress ');
  await engine.write(vol, 0, text);
  await engine.destageNow();
  await engine.write(vol, 0, randomBytes(BLOCK_BYTES)); // the text block is freed
  await engine.destageNow();
  assert.equal(engine.stats().blockCount, 1);
  // The worker only hashes this content now (it prepared it lately); the store no longer has it.
  await engine.write(vol, 0, text);
  await engine.destageNow();
  const stats = engine.stats();
  assert.equal(stats.blockCount, 1);
  assert.ok(stats.storedBytes < BLOCK_BYTES / 4, `stored compressed: ${stats.storedBytes} bytes`);
  await engine.close();
  const reopened = await BlockEngine.open(dir);
  assert.deepEqual(reopened.read(vol.headLayerId, 0, BLOCK_BYTES), text);
  await reopened.close();
});

test('engine: a range of deduplicated blocks reads back whole, mixed with unique and compressed ones', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const same = randomBytes(BLOCK_BYTES);
  const text = Buffer.alloc(BLOCK_BYTES, 'tandem replicated block storage ');
  const expected: Buffer[] = [];
  // same x3, unique, same, text x2, same x2, unique: runs of one stored block and adjacent ones.
  const plan = ['same', 'same', 'same', 'unique', 'same', 'text', 'text', 'same', 'same', 'unique'];
  for (const [i, kind] of plan.entries()) {
    const block = kind === 'same' ? same : kind === 'text' ? text : randomBytes(BLOCK_BYTES);
    expected.push(block);
    await engine.write(vol, i * BLOCK_BYTES, block);
  }
  await engine.destageNow();
  assert.equal(engine.stats().blockCount, 4);
  const whole = await engine.read(vol.headLayerId, 0, plan.length * BLOCK_BYTES);
  assert.ok(whole.equals(Buffer.concat(expected)));
  // Partial first and last blocks too.
  const part = await engine.read(vol.headLayerId, 512, 8 * BLOCK_BYTES);
  assert.ok(part.equals(Buffer.concat(expected).subarray(512, 512 + 8 * BLOCK_BYTES)));
  await engine.close();
});

test('engine: aligned reads of raw blocks land in place; a corrupted stored block fails its checksum', async () => {
  const { engine, dir } = await freshEngine();
  const vol = await newVolume(engine);
  const data = randomBytes(64 * BLOCK_BYTES); // random: stored raw, written back to back
  await engine.write(vol, 0, data);
  await engine.destageNow();
  assert.ok((await engine.read(vol.headLayerId, 0, data.length)).equals(data), 'a whole run at once');
  assert.ok(
    (await engine.read(vol.headLayerId, 5 * BLOCK_BYTES, 3 * BLOCK_BYTES)).equals(
      data.subarray(5 * BLOCK_BYTES, 8 * BLOCK_BYTES),
    ),
  );
  assert.ok(
    (await engine.read(vol.headLayerId, 512, BLOCK_BYTES)).equals(data.subarray(512, 512 + BLOCK_BYTES)),
    'unaligned',
  );
  // Flip one byte of block 10 where the data log holds it.
  const segments: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(at, entry.name));
      else if (/^seg-\d{8}\.dat$/.test(entry.name)) segments.push(join(at, entry.name));
    }
  };
  await walk(dir);
  assert.equal(segments.length, 1);
  const stored = await readFile(segments[0]!);
  const at = stored.indexOf(data.subarray(10 * BLOCK_BYTES, 10 * BLOCK_BYTES + 64));
  assert.ok(at > 0, 'block 10 found in the data log');
  const handle = await open(segments[0]!, 'r+');
  await handle.write(Buffer.from([stored[at + 100]! ^ 0xff]), 0, 1, at + 100);
  await handle.close();
  assert.throws(() => engine.read(vol.headLayerId, 0, data.length), /block \d+ failed its checksum/);
  assert.ok(
    engine.read(vol.headLayerId, 0, 10 * BLOCK_BYTES).equals(data.subarray(0, 10 * BLOCK_BYTES)),
    'the blocks before it still read',
  );
  await engine.close();
});

test('engine: a frozen layer keeps its data while the new head changes (snapshot semantics)', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const before = randomBytes(BLOCK_BYTES * 2);
  await engine.write(vol, 0, before);
  const snapshotLayer = vol.headLayerId;
  vol.headLayerId = engine.newLayer(snapshotLayer);
  await engine.commitMeta(engine.layerPuts());
  const afterData = randomBytes(BLOCK_BYTES);
  await engine.write(vol, 0, afterData);
  await engine.writeZeroes(vol, BLOCK_BYTES, BLOCK_BYTES);
  assert.deepEqual(engine.read(snapshotLayer, 0, before.length), before);
  assert.deepEqual(engine.read(vol.headLayerId, 0, BLOCK_BYTES), afterData);
  assert.deepEqual(engine.read(vol.headLayerId, BLOCK_BYTES, BLOCK_BYTES), Buffer.alloc(BLOCK_BYTES));
  await engine.destageNow();
  assert.deepEqual(engine.read(snapshotLayer, 0, before.length), before, 'snapshot after destage');
  assert.deepEqual(engine.read(vol.headLayerId, BLOCK_BYTES, BLOCK_BYTES), Buffer.alloc(BLOCK_BYTES));
  await engine.close();
});

test('engine: a huge zero range costs nothing and shadows the parent', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const data = randomBytes(BLOCK_BYTES);
  await engine.write(vol, 2 ** 40, data); // 1 TiB in
  await engine.destageNow();
  const parent = vol.headLayerId;
  vol.headLayerId = engine.newLayer(parent);
  await engine.commitMeta(engine.layerPuts());
  await engine.writeZeroes(vol, 0, 2 ** 50); // 1 PiB of zeroes
  assert.deepEqual(engine.read(vol.headLayerId, 2 ** 40, BLOCK_BYTES), Buffer.alloc(BLOCK_BYTES));
  await engine.destageNow();
  assert.deepEqual(engine.read(vol.headLayerId, 2 ** 40, BLOCK_BYTES), Buffer.alloc(BLOCK_BYTES));
  assert.deepEqual(engine.read(parent, 2 ** 40, BLOCK_BYTES), data);
  await engine.close();
});

test('engine: releasing layers frees their blocks', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  await engine.write(vol, 0, randomBytes(BLOCK_BYTES * 8));
  await engine.destageNow();
  assert.equal(engine.stats().blockCount, 8);
  await engine.commitMeta(engine.retainOnly([]));
  for (let i = 0; i < 50 && engine.stats().blockCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(engine.stats().blockCount, 0);
  assert.equal(engine.stats().storedBytes, 0);
  await engine.close();
});

test('engine: once its snapshot is gone, a frozen layer folds into the volume and overwritten blocks are freed', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const original = randomBytes(BLOCK_BYTES * 8);
  await engine.write(vol, 0, original);
  const snapshotLayer = vol.headLayerId;
  vol.headLayerId = engine.newLayer(snapshotLayer);
  await engine.commitMeta(
    new Map([...engine.retainOnly([vol.headLayerId, snapshotLayer]), ...engine.layerPuts()]),
  );
  const rewritten = randomBytes(BLOCK_BYTES * 4);
  await engine.write(vol, 0, rewritten); // blocks 0-3 overwritten, 4-7 still come from the snapshot
  await engine.destageNow();
  assert.equal(engine.stats().blockCount, 12);
  await engine.commitMeta(new Map([...engine.retainOnly([vol.headLayerId]), ...engine.layerPuts()])); // snapshot eradicated
  for (let i = 0; i < 100 && engine.chain(vol.headLayerId).length > 1; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(engine.chain(vol.headLayerId), [vol.headLayerId], 'the frozen layer was folded in');
  assert.equal(engine.stats().blockCount, 8, 'the four overwritten snapshot blocks are freed');
  assert.deepEqual(engine.read(vol.headLayerId, 0, rewritten.length), rewritten);
  assert.deepEqual(
    engine.read(vol.headLayerId, rewritten.length, BLOCK_BYTES * 4),
    original.subarray(BLOCK_BYTES * 4),
  );
  await engine.close();
});

test('engine: content one write stops using and another starts using in the same destage stays stored', async () => {
  const { engine } = await freshEngine();
  const vol = await newVolume(engine);
  const shared = randomBytes(BLOCK_BYTES);
  await engine.write(vol, 0, shared);
  await engine.destageNow();
  const replacement = randomBytes(BLOCK_BYTES);
  await engine.write(vol, 0, replacement); // block 0 drops the only reference to `shared`...
  await engine.write(vol, 5 * BLOCK_BYTES, shared); // ...while block 5 takes it, in one batch
  await engine.destageNow();
  assert.deepEqual(engine.read(vol.headLayerId, 5 * BLOCK_BYTES, BLOCK_BYTES), shared);
  assert.deepEqual(engine.read(vol.headLayerId, 0, BLOCK_BYTES), replacement);
  assert.equal(engine.stats().blockCount, 2);
  await engine.close();
});

test('engine: the compression heuristic skips random blocks and keeps compressing the rest', () => {
  const random = randomBytes(BLOCK_BYTES);
  assert.equal(looksIncompressible(random), true);
  const rawRandom = prepareBlock(random);
  assert.equal(rawRandom.compressed, false);
  assert.deepEqual(rawRandom.stored, random);
  for (const block of [
    Buffer.alloc(BLOCK_BYTES, 'tandem block 4096 '),
    Buffer.concat([randomBytes(BLOCK_BYTES / 2), Buffer.alloc(BLOCK_BYTES / 2)]),
  ]) {
    assert.equal(looksIncompressible(block), false);
    const prepared = prepareBlock(block);
    assert.equal(prepared.compressed, true);
    assert.ok(prepared.stored.length < BLOCK_BYTES / 2 + 64);
  }
});

test('engine: changedBlocks lists what the layers above a base map, or everything without one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-engine-diff-'));
  dirs.push(dir);
  const engine = await BlockEngine.open(dir);
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.write(vol, 0, randomBytes(4 * BLOCK_BYTES)); // blocks 0-3
  const first = vol.headLayerId;
  vol.headLayerId = engine.newLayer(first); // snapshot 1 = first
  await engine.write(vol, 2 * BLOCK_BYTES, randomBytes(BLOCK_BYTES)); // block 2
  await engine.writeZeroes(vol, 3 * BLOCK_BYTES, BLOCK_BYTES); // block 3 trimmed
  await engine.write(vol, 9 * BLOCK_BYTES, randomBytes(BLOCK_BYTES)); // block 9
  const second = vol.headLayerId;
  vol.headLayerId = engine.newLayer(second); // snapshot 2 = second
  await engine.commitMeta(engine.layerPuts());
  assert.deepEqual(await engine.changedBlocks(second, first), { blocks: [2, 3, 9], full: false });
  assert.deepEqual(await engine.changedBlocks(second, null), { blocks: [0, 1, 2, 3, 9], full: true });
  assert.equal(engine.blockHashAt(second, 3), null, 'a trimmed block reads as zeroes');
  const hash = engine.blockHashAt(second, 9);
  assert.equal(typeof hash, 'string');
  assert.deepEqual(engine.blockWithHash(hash!), engine.read(second, 9 * BLOCK_BYTES, BLOCK_BYTES));
  await engine.close();
});

test('engine: the references of deduplicated content are counted right across a reopen', async () => {
  const { engine, dir } = await freshEngine();
  const vol = await newVolume(engine);
  const pattern = Buffer.alloc(256 * 4096, 0x3c);
  await engine.write(vol, 0, pattern);
  await engine.destageNow();
  const blockId = engine.store.lookup(vol.headLayerId, 0)!;
  assert.equal(engine.store.lookup(vol.headLayerId, 255), blockId, 'one stored block');
  assert.equal(engine.store.refcount(blockId), 256);
  await engine.close();

  // Counts come back from the index log alone (no clean checkpoint of them is needed).
  let reopened = await BlockEngine.open(dir);
  assert.equal(reopened.store.refcount(blockId), 256);
  const other = randomBytes(128 * 4096);
  await reopened.write(vol, 0, other);
  await reopened.destageNow();
  assert.equal(reopened.store.refcount(blockId), 128);
  await reopened.close();

  reopened = await BlockEngine.open(dir);
  assert.equal(reopened.store.refcount(blockId), 128);
  assert.deepEqual(reopened.read(vol.headLayerId, 0, other.length), other);
  assert.deepEqual(reopened.read(vol.headLayerId, other.length, 128 * 4096), pattern.subarray(0, 128 * 4096));
  // Overwrite the rest: the block is freed, and stays freed after a reopen.
  await reopened.write(vol, other.length, randomBytes(128 * 4096));
  await reopened.destageNow();
  assert.equal(reopened.store.hasBlock(blockId), false);
  await reopened.close();
  reopened = await BlockEngine.open(dir);
  assert.equal(reopened.store.hasBlock(blockId), false);
  await reopened.close();
});
