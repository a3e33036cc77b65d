// crash: kill -9 the array at random moments during a write burst -> after every restart each
// acknowledged block reads back (or the newer write that was in flight at the kill).

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, test } from 'node:test';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';

const ROUNDS = Number(process.env.TANDEM_CRASH_ROUNDS ?? 10);
const BLOCK = 4096;
const VOLUME_BLOCKS = 16 * 1024; // 64 MiB
const QUEUE_DEPTH = 16;

interface BlockModel {
  /** Last acknowledged content. */
  acked: Buffer | null;
  /** Content sent but not acknowledged when the array died (may or may not have landed). */
  inFlight: Buffer | null;
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** What a snapshot taken with no write in flight must hold: every block's acknowledged content. */
type SnapshotModel = { name: string; blocks: Map<number, Buffer | null> };

async function writeUntilKilled(
  array: ArrayProcess,
  model: Map<number, BlockModel>,
  killAfterMs: number,
  snapshot: { name: string; afterMs: number; take: () => Promise<void> },
): Promise<{ acknowledged: number; snapshot: SnapshotModel | null }> {
  const client = await NbdTestClient.open(array.nbdPort, 'crashvol');
  let stop = false;
  let paused: Promise<void> | null = null;
  let acknowledged = 0;
  const busy = new Set<number>();
  let taken: SnapshotModel | null = null;
  const worker = async () => {
    while (!stop) {
      if (paused) {
        await paused;
        continue;
      }
      let block = randomInt(VOLUME_BLOCKS);
      while (busy.has(block)) block = randomInt(VOLUME_BLOCKS);
      busy.add(block);
      // 1..4 blocks per write, some half-duplicate data so dedup and compression paths run too.
      const data = randomInt(4) === 0 ? Buffer.alloc(BLOCK, randomInt(256)) : randomBytes(BLOCK);
      const entry = model.get(block) ?? { acked: null, inFlight: null };
      entry.inFlight = data;
      model.set(block, entry);
      try {
        await client.write(block * BLOCK, data);
        entry.acked = data;
        entry.inFlight = null;
        acknowledged++;
      } catch {
        stop = true; // the array died: this write stays "in flight"
      } finally {
        busy.delete(block);
      }
    }
  };
  const workers = Array.from({ length: QUEUE_DEPTH }, worker);
  // Mid-burst, quiesce the writers and take a snapshot: it must hold exactly what was acknowledged.
  await new Promise((r) => setTimeout(r, snapshot.afterMs));
  let resume!: () => void;
  paused = new Promise<void>((r) => {
    resume = r;
  });
  while (busy.size > 0) await new Promise((r) => setTimeout(r, 1));
  await snapshot.take();
  taken = { name: snapshot.name, blocks: new Map([...model].map(([block, entry]) => [block, entry.acked])) };
  paused = null;
  resume();
  await new Promise((r) => setTimeout(r, killAfterMs));
  await array.kill();
  stop = true;
  await Promise.all(workers);
  client.close();
  return { acknowledged, snapshot: taken };
}

/** Runs `fn` over `items` with QUEUE_DEPTH requests in flight. */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: QUEUE_DEPTH }, lane));
}

async function verifySnapshot(array: ArrayProcess, snapshot: SnapshotModel): Promise<void> {
  const client = await NbdTestClient.open(array.nbdPort, snapshot.name);
  try {
    await inParallel([...snapshot.blocks], async ([block, expected]) => {
      const data = await client.read(block * BLOCK, BLOCK);
      assert.ok(data.equals(expected ?? Buffer.alloc(BLOCK)), `${snapshot.name}: block ${block} differs`);
    });
  } finally {
    client.close();
  }
}

async function verify(array: ArrayProcess, model: Map<number, BlockModel>): Promise<number> {
  const client = await NbdTestClient.open(array.nbdPort, 'crashvol');
  let checked = 0;
  try {
    await inParallel([...model], async ([block, entry]) => {
      const data = await client.read(block * BLOCK, BLOCK);
      const matchesAcked = entry.acked ? data.equals(entry.acked) : data.equals(Buffer.alloc(BLOCK));
      const matchesInFlight = entry.inFlight ? data.equals(entry.inFlight) : false;
      assert.ok(
        matchesAcked || matchesInFlight,
        `block ${block}: content is neither the acknowledged nor the in-flight write`,
      );
      if (matchesInFlight) {
        entry.acked = entry.inFlight;
      }
      entry.inFlight = null;
      checked++;
    });
  } finally {
    client.close();
  }
  return checked;
}

test(`crash: kill -9 during writes, ${ROUNDS} rounds -> every acknowledged block and every snapshot reads back`, {
  timeout: 600_000,
}, async () => {
  const dir = await makeTempDir('tandem-crash-');
  cleanups.push(dir.remove);
  let array = await startArrayProcess({ name: 'crash', dataDir: dir.path });
  cleanups.push(() => array.stop());
  let rest = await restSession(array);
  assert.equal(
    (await rest.call('POST', '/volumes?names=crashvol', { provisioned: VOLUME_BLOCKS * BLOCK })).status,
    200,
  );
  assert.equal(
    (await rest.call('POST', '/hosts?names=crashhost', { iqns: ['iqn.2026-11.test:crash'] })).status,
    200,
  );
  assert.equal(
    (await rest.call('POST', '/connections?host_names=crashhost&volume_names=crashvol')).status,
    200,
  );
  const model = new Map<number, BlockModel>();
  const snapshots: SnapshotModel[] = [];
  let totalAcked = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const name = `r${round}`;
    const current = array;
    const result = await writeUntilKilled(current, model, 200 + randomInt(1200), {
      name: `crashvol.${name}`,
      afterMs: 50 + randomInt(400),
      take: async () => {
        const res = await rest.call('POST', '/volume-snapshots?source_names=crashvol', { suffix: name });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      },
    });
    totalAcked += result.acknowledged;
    if (result.snapshot) snapshots.push(result.snapshot);
    array = await array.restart();
    rest = await restSession(array);
    const checked = await verify(array, model);
    assert.ok(checked > 0, 'some blocks were written');
    // Every snapshot taken so far, in this round or before earlier crashes, still reads back exactly.
    for (const snapshot of snapshots) await verifySnapshot(array, snapshot);
  }
  assert.ok(totalAcked > ROUNDS * 10, `only ${totalAcked} writes acknowledged in ${ROUNDS} rounds`);
  await array.stop();
});
