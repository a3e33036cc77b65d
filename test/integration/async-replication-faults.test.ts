// An async transfer interrupted by kill -9 of the target array: the target never shows the
// half-transferred snapshot, and once it is back the source sends the snapshot again, completely.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type ArrayProcess,
  connectArrays,
  makeTempDir,
  type RestResponse,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { runOk, sha256File, writeRandomFile } from '../helpers/clients.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 128 * MiB;

let source: ArrayProcess;
let target: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const q = (text: string) => encodeURIComponent(text);

before(async () => {
  work = await makeTempDir('tandem-async-faults-');
  source = await startArrayProcess({ name: 'primary', dataDir: join(work.path, 'a') });
  target = await startArrayProcess({ name: 'dr-site', dataDir: join(work.path, 'b') });
});

after(async () => {
  await source?.stop();
  await target?.stop();
  await work?.remove();
});

test('a transfer cut by kill -9 of the target is never visible half done and completes after restart', async () => {
  const src = await restSession(source);
  let tgt = await restSession(target);
  await connectArrays(source, target, 'async-replication');
  ok(await src.call('POST', '/volumes?names=big', { provisioned: VOLUME_BYTES }));
  ok(await src.call('POST', '/hosts?names=loader', { iqns: ['iqn.2026-11.test:loader'] }));
  ok(await src.call('POST', '/connections?host_names=loader&volume_names=big'));
  const data = join(work.path, 'big.in');
  const expected = await writeRandomFile(data, VOLUME_BYTES);
  await runOk(work.path, 'nbdcopy', [data, `nbd://127.0.0.1:${source.nbdPort}/big`], 300_000);
  ok(await src.call('POST', '/protection-groups?names=pg'));
  ok(await src.call('POST', '/protection-groups/volumes?group_names=pg&member_names=big'));
  ok(await src.call('POST', '/protection-groups/targets?group_names=pg&member_names=dr-site'));
  ok(await tgt.call('PATCH', `/protection-groups/targets?group_names=${q('primary:pg')}`, { allowed: true }));
  await waitFor(
    async () =>
      ok(await src.call('GET', '/protection-groups/targets?group_names=pg')).items[0].allowed === true,
    10_000,
    () => 'the source never learnt it is allowed',
  );

  ok(await src.call('POST', '/protection-group-snapshots?source_names=pg&replicate_now=true', {}));
  const transfer = async () =>
    ok(await src.call('GET', '/protection-group-snapshots/transfer?names=pg.1')).items[0];
  await waitFor(
    async () => (await transfer()).data_transferred > 8 * MiB,
    60_000,
    () => 'the transfer never got going',
  );
  const before = await transfer();
  assert.ok(before.progress < 1, `transfer already done (${JSON.stringify(before)}): make the volume bigger`);
  await target.kill();
  const connectionStatus = async () =>
    ok(await src.call('GET', '/array-connections?names=dr-site')).items[0].status as string;
  await waitFor(
    async () => (await connectionStatus()) === 'connecting',
    10_000,
    () => 'never noticed the peer went',
  );

  target = await target.restart();
  tgt = await restSession(target);
  const visible = ok(
    await tgt.call('GET', `/protection-group-snapshots?source_names=${q('primary:pg')}`),
  ).items;
  assert.deepEqual(visible, [], 'no half-transferred snapshot after the crash');
  assert.deepEqual(
    ok(await tgt.call('GET', `/volume-snapshots?filter=${q("name='primary:pg.*'")}`)).items,
    [],
    'no half-transferred volume snapshot either',
  );

  await waitFor(
    async () => (await connectionStatus()) === 'connected',
    20_000,
    () => 'never reconnected',
  );
  await waitFor(
    async () => (await transfer()).progress === 1,
    120_000,
    () => `the transfer never completed after the restart: ${source.output().slice(-2000)}`,
  );
  const done = ok(
    await tgt.call(
      'GET',
      `/protection-group-snapshots/transfer?names=${q('primary:pg')}&filter=${q('progress="1.0"')}`,
    ),
  ).items;
  assert.equal(done.length, 1);
  assert.equal(done[0].name, 'primary:pg.1');
  ok(await tgt.call('POST', '/volumes?names=big', { source: { name: 'primary:pg.1.big' } }));
  ok(await tgt.call('POST', '/hosts?names=reader', { iqns: ['iqn.2026-11.test:reader'] }));
  ok(await tgt.call('POST', '/connections?host_names=reader&volume_names=big'));
  const back = join(work.path, 'big.out');
  await runOk(work.path, 'nbdcopy', [`nbd://127.0.0.1:${target.nbdPort}/big`, back], 300_000);
  assert.equal(await sha256File(back), expected);
});
