// Persistent reservations through a real array daemon over TCP: a cluster node registers with
// APTPL and reserves its volume, the array is killed (SIGKILL) and started again, and the
// registration and reservation are still there; without APTPL they are gone after a restart.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { RawSession } from '../helpers/iscsi-raw-session.js';

const NODE_IQN = 'iqn.2026-11.test.tandem:cluster-node-1';
const KEY = 0x1234_5678_9abcn;

let work: { path: string; remove: () => Promise<void> };
let array: ArrayProcess;
let target = { iqn: '', port: 0, lun: 0 };

before(async () => {
  work = await makeTempDir('tandem-iscsi-pr-');
  array = await startArrayProcess({ name: 'pr', dataDir: join(work.path, 'array') });
  const rest = await restSession(array);
  assert.equal(
    (await rest.call('POST', '/volumes?names=shared', { provisioned: 8 * 1024 * 1024 })).status,
    200,
  );
  assert.equal((await rest.call('POST', '/hosts?names=node1', { iqns: [NODE_IQN] })).status, 200);
  const connection = await rest.call('POST', '/connections?host_names=node1&volume_names=shared');
  const port = ((await rest.call('GET', '/ports')).body.items as Array<{ iqn: string | null }>).find(
    (p) => p.iqn,
  );
  target = { iqn: port!.iqn!, port: array.iscsiPort, lun: connection.body.items[0].lun };
});

after(async () => {
  await array?.stop();
  await work?.remove();
});

async function readReservation(session: RawSession): Promise<{ key: bigint; type: number } | null> {
  // The first command after a restart may meet a unit attention; one retry absorbs it.
  let result = await session.prIn(1);
  if (result.status !== 0) result = await session.prIn(1);
  assert.equal(result.status, 0);
  if (result.data.readUInt32BE(4) === 0) return null;
  return { key: result.data.readBigUInt64BE(8), type: result.data[21]! & 0x0f };
}

/** A session of the cluster node (always the same initiator port), closed after `use`. */
async function withSession(use: (session: RawSession) => Promise<void>): Promise<void> {
  const session = await RawSession.open(target, NODE_IQN, '400001370001');
  try {
    await use(session);
  } finally {
    session.close();
  }
}

test('iscsi reservations: with APTPL a registration and reservation survive kill -9; without, a restart clears them', async () => {
  await withSession(async (session) => {
    const caps = await session.prIn(2);
    assert.equal(caps.status, 0);
    assert.equal(caps.data[2]! & 0x01, 0x01, 'PTPL_C: the daemon keeps APTPL reservations');
    assert.equal((await session.prOut(6, 0, 0n, KEY, true)).status, 0, 'REGISTER AND IGNORE, APTPL');
    assert.equal((await session.prOut(1, 1, KEY, 0n, false)).status, 0, 'RESERVE, Write Exclusive');
    assert.equal((await session.prIn(2)).data[3]! & 0x01, 0x01, 'PTPL_A');
  });
  await array.kill();
  array = await array.restart();
  await withSession(async (session) => {
    assert.deepEqual(await readReservation(session), { key: KEY, type: 1 });
    // Registering again without APTPL turns persistence off.
    assert.equal((await session.prOut(0, 0, KEY, KEY, false)).status, 0);
  });
  await array.stop();
  array = await array.restart();
  await withSession(async (session) => {
    assert.equal(await readReservation(session), null);
  });
});
