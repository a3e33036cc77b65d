// The drill's host against in-memory NBD servers: it fails over to the next path on an I/O error
// or a dead server, every acknowledged write is where it was acknowledged, and the verifier counts
// the writes a path does not hold.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { decodeBlock } from '../../src/drill/block-format.js';
import { DRILL_BLOCK_BYTES } from '../../src/drill/constants.js';
import { verifyOnArray } from '../../src/drill/verifier.js';
import { BlockWriter } from '../../src/drill/writer.js';
import { waitFor } from '../helpers/array-process.js';
import { type FakeNbdServer, startFakeNbdServer } from '../helpers/fake-nbd-server.js';

const EXPORT = 'pod::vol';
const SIZE_BYTES = 16 * 1024 * 1024;
const WAIT_MS = 10_000;
const servers: FakeNbdServer[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.kill().catch(() => {})));
});

async function twoServers() {
  const a = await startFakeNbdServer(EXPORT, SIZE_BYTES);
  const b = await startFakeNbdServer(EXPORT, SIZE_BYTES);
  servers.push(a, b);
  return { a, b };
}

function writer(a: FakeNbdServer, b: FakeNbdServer, slotCount = 4096) {
  return new BlockWriter({
    name: 'host',
    exportName: EXPORT,
    paths: [
      { array: 'a', address: a.address },
      { array: 'b', address: b.address },
    ],
    runId: 7,
    firstSlot: 0,
    slotCount,
    ratePerS: 2000,
    queueDepth: 4,
    clock: Date.now,
  });
}

test('drill writer: an array that dies -> the host fails over to the next path, no acknowledged write is missing where it was acknowledged', async () => {
  const { a, b } = await twoServers();
  const host = writer(a, b);
  host.start();
  await waitFor(
    async () => host.acked.length >= 100,
    WAIT_MS,
    () => 'no writes on a',
  );
  await a.kill();
  await waitFor(
    async () => host.acked.filter((w) => w.array === 'b').length >= 100,
    WAIT_MS,
    () => 'none on b',
  );
  const record = await host.stop();
  const arrays = record.acked.map((w) => w.array);
  assert.equal(arrays.indexOf('b') > 0, true);
  assert.ok(
    arrays.slice(arrays.indexOf('b')).every((x) => x === 'b'),
    'never back on the dead path',
  );
  for (const ack of record.acked) {
    const held = (ack.array === 'a' ? a : b).data.get(ack.slot * DRILL_BLOCK_BYTES);
    const block = held ? decodeBlock(held) : null;
    assert.ok(block?.kind === 'valid' && block.seq === ack.seq && block.runId === 7, `write ${ack.seq}`);
  }
  assert.deepEqual(
    host.events.map((e) => `${e.kind} ${e.array}`).filter((e) => !e.startsWith('connect-failed')),
    ['connected a', 'io-error a', 'connected b'],
  );
});

test('drill writer: I/O errors (a pod offline on that array) -> the failed write is retried on the next path', async () => {
  const { a, b } = await twoServers();
  const host = writer(a, b);
  host.start();
  await waitFor(
    async () => host.acked.length >= 50,
    WAIT_MS,
    () => 'no writes on a',
  );
  a.failWrites();
  await waitFor(
    async () => host.acked.some((w) => w.array === 'b'),
    WAIT_MS,
    () => 'never on b',
  );
  const record = await host.stop();
  const seqs = record.acked.map((w) => w.seq).sort((x, y) => x - y);
  assert.deepEqual(seqs, [...seqs.keys()], 'every sequence number acknowledged exactly once, none skipped');
  assert.equal(record.unacknowledged.length, 0);
});

test('drill verifier: reads back from one array and counts the acknowledged writes it lacks', async () => {
  const { a, b } = await twoServers();
  const host = writer(a, b);
  host.start();
  await waitFor(
    async () => host.acked.length >= 60,
    WAIT_MS,
    () => 'no writes',
  );
  await a.kill();
  await waitFor(
    async () => host.acked.filter((w) => w.array === 'b').length >= 40,
    WAIT_MS,
    () => 'none on b',
  );
  const record = await host.stop();
  const onA = record.acked.filter((w) => w.array === 'a');
  const onlyB = { ...record, acked: record.acked.filter((w) => w.array === 'b') };
  const clean = await verifyOnArray('b', b.address, EXPORT, onlyB);
  assert.equal(clean.lost, 0);
  assert.equal(clean.present, onlyB.acked.length);
  const all = await verifyOnArray('b', b.address, EXPORT, record);
  assert.equal(all.lost, onA.length, 'the writes only a held are lost on b');
  assert.equal(all.corruptSlots, 0);
});
