import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BlockEngine } from '../../src/array/engine/engine.js';
import { encodeIndexRecordHeader, IndexLog, IndexRecordKind } from '../../src/array/engine/index-log.js';
import { IndexOpWriter, readIndexOps } from '../../src/array/engine/index-ops.js';
import { BLOCK_BYTES } from '../../src/constants.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-index-'));
  dirs.push(dir);
  return dir;
}

function openCollecting(dir: string) {
  const bodies: string[] = [];
  const log = IndexLog.open(dir, (body) => bodies.push(body.toString()));
  return { log, bodies };
}

test('index record: header layout is fixed (magic, version, kind, seq, length, crc)', () => {
  const header = encodeIndexRecordHeader(IndexRecordKind.transaction, 7, Buffer.from('abc'));
  assert.equal(header.length, 24);
  assert.equal(header.toString('latin1', 0, 4), 'TIX1');
  assert.equal(header.readUInt8(4), 1, 'version');
  assert.equal(header.readUInt8(5), IndexRecordKind.transaction);
  assert.equal(header.readUIntBE(8, 6), 7, 'seq');
  assert.equal(header.readUInt32BE(16), 3, 'body bytes');
  // Any change here is a format change: bump the version and keep reading the old one.
  assert.equal(header.toString('hex'), '54495831010100000000000000070000000000031577f751');
});

test('index ops: every op round-trips', () => {
  const writer = new IndexOpWriter();
  const hash = randomBytes(32).toString('latin1');
  writer.mapSet(3, 2 ** 40 + 5, 2 ** 33);
  writer.mapDelete(4, 9);
  writer.refPut(12, {
    refcount: 2,
    length: 1234,
    compressed: true,
    location: { segment: 7, offsetBytes: 2 ** 28 },
    crc: 0xdeadbeef,
    hash,
  });
  writer.refCount(12, 5);
  writer.refDelete(13);
  writer.state('{"appliedLsn":9}');
  const seen: unknown[] = [];
  readIndexOps(writer.take(), {
    mapSet: (...a) => seen.push(['mapSet', ...a]),
    mapDelete: (...a) => seen.push(['mapDelete', ...a]),
    refPut: (id, ref) => seen.push(['refPut', id, ref]),
    refCount: (...a) => seen.push(['refCount', ...a]),
    refDelete: (...a) => seen.push(['refDelete', ...a]),
    state: (json) => seen.push(['state', json]),
  });
  assert.deepEqual(seen, [
    ['mapSet', 3, 2 ** 40 + 5, 2 ** 33],
    ['mapDelete', 4, 9],
    [
      'refPut',
      12,
      {
        refcount: 2,
        length: 1234,
        compressed: true,
        location: { segment: 7, offsetBytes: 2 ** 28 },
        crc: 0xdeadbeef,
        hash,
      },
    ],
    ['refCount', 12, 5],
    ['refDelete', 13],
    ['state', '{"appliedLsn":9}'],
  ]);
  assert.equal(writer.length, 0, 'take() starts over');
});

test('index log: a torn last record is dropped and cut off; new records continue the sequence', async () => {
  const dir = await tempDir();
  const first = openCollecting(dir);
  for (const text of ['one', 'two', 'three']) first.log.append(Buffer.from(text));
  await first.log.close();
  const file = join(dir, 'log-00000000.tix');
  const full = (await stat(file)).size;
  await truncate(file, full - 2); // the power cut tore the last record
  const second = openCollecting(dir);
  assert.deepEqual(second.bodies, ['one', 'two']);
  assert.equal((await stat(file)).size, full - 2 - (24 + 'three'.length - 2), 'torn bytes cut off');
  second.log.append(Buffer.from('four'));
  await second.log.close();
  const third = openCollecting(dir);
  assert.deepEqual(third.bodies, ['one', 'two', 'four']);
  await third.log.close();
});

test('index log: a checkpoint replaces the log; an unfinished checkpoint (.tmp) is ignored', async () => {
  const dir = await tempDir();
  const first = openCollecting(dir);
  first.log.append(Buffer.from('before'));
  first.log.checkpoint((emit) => {
    emit(Buffer.from('image-1'));
    emit(Buffer.from('image-2'));
  });
  first.log.append(Buffer.from('after'));
  await first.log.close();
  assert.deepEqual((await readdir(dir)).sort(), ['checkpoint-00000001.tix', 'log-00000001.tix']);
  await writeFile(join(dir, 'checkpoint-00000002.tix.tmp'), 'half written');
  const second = openCollecting(dir);
  assert.deepEqual(second.bodies, ['image-1', 'image-2', 'after']);
  await second.log.close();
  assert.deepEqual((await readdir(dir)).sort(), ['checkpoint-00000001.tix', 'log-00000001.tix']);
});

test('block store: data and dedup survive a checkpoint, later transactions and reopen', async () => {
  const dir = await tempDir();
  const engine = await BlockEngine.open(dir);
  const vol = { headLayerId: engine.newLayer(null) };
  await engine.commitMeta(engine.layerPuts());
  const a = randomBytes(64 * BLOCK_BYTES);
  await engine.write(vol, 0, a);
  await engine.write(vol, 64 * BLOCK_BYTES, a); // duplicate content
  await engine.destageNow();
  engine.store.checkpoint();
  const b = randomBytes(8 * BLOCK_BYTES);
  await engine.write(vol, 8 * BLOCK_BYTES, b);
  await engine.destageNow();
  const unique = engine.store.uniqueBlocks;
  assert.equal(unique, 64 + 8, 'the duplicate half is stored once');
  await engine.close();
  const reopened = await BlockEngine.open(dir);
  assert.equal(reopened.store.uniqueBlocks, unique);
  const expected = Buffer.concat([a.subarray(0, 8 * BLOCK_BYTES), b, a.subarray(16 * BLOCK_BYTES), a]);
  assert.deepEqual(reopened.read(vol.headLayerId, 0, 128 * BLOCK_BYTES), expected);
  await reopened.close();
});
