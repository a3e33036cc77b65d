// The lab end to end, as an operator and a drill use it: `tandem lab up` as a real process on a
// free port range, the real openstack CLI with the environment the lab printed, a replicated
// volume on both pod arrays, the control API cutting a replication link and killing an array,
// `tandem lab down` from "another terminal", a second `lab up` on the same state, and `lab reset`.

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LabDescriptor } from '../../src/lab/descriptor.js';
import { BASE_PORT_SPAN } from '../../src/lab/layout.js';
import { makeTempDir, waitFor } from '../helpers/array-process.js';
import {
  alive,
  freePortRange,
  killLab,
  type LabProcess,
  labArraySession,
  labControl,
  printedEnvironment,
  runLabCommand,
  startLab,
} from '../helpers/lab-process.js';
import { parseTable, runCli } from '../helpers/openstack-cli.js';

/** Heartbeats declare a link dead after 2.5 s; the management probe runs every 2 s. */
const LINK_CHANGE_TIMEOUT_MS = 20_000;
const VOLUME_TIMEOUT_MS = 60_000;

let work: { path: string; remove: () => Promise<void> };
let dir: string;
let home: string;
let basePort: number;
let lab: LabProcess | null = null;
let descriptor: LabDescriptor;
let syncVolumeName = '';

const labArgs = () => ['--dir', dir, '--base-port', String(basePort)];
const readLab = async (): Promise<LabDescriptor> => JSON.parse(await readFile(join(dir, 'lab.json'), 'utf8'));
const arrayOf = (name: string) => descriptor.arrays.find((a) => a.name === name)!;

async function openstack(args: string[]) {
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    ...(await printedEnvironment(lab!.stdout())),
  };
  const result = await runCli('openstack', args, env, work.path);
  assert.equal(result.code, 0, `openstack ${args.join(' ')}: ${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

async function connectionStatus(from: string, to: string): Promise<string> {
  const session = await labArraySession(arrayOf(from));
  const res = await session.call('GET', '/array-connections');
  return res.body.items.find((c: { name: string }) => c.name === to)?.status ?? 'absent';
}

async function waitConnection(from: string, to: string, status: string): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      last = await connectionStatus(from, to);
      return last === status;
    },
    LINK_CHANGE_TIMEOUT_MS,
    () => `${from} -> ${to} stayed ${last}, never ${status}`,
  );
}

async function volumeOn(array: string, name: string): Promise<number> {
  const session = await labArraySession(arrayOf(array));
  return (await session.call('GET', `/volumes?names=${encodeURIComponent(name)}`)).status;
}

before(async () => {
  work = await makeTempDir('tandem-lab-');
  dir = join(work.path, 'lab');
  home = join(work.path, 'home');
  basePort = await freePortRange(BASE_PORT_SPAN);
  lab = await startLab(labArgs());
  descriptor = await readLab();
});

after(async () => {
  await killLab(dir, lab?.child);
  await work?.remove();
});

test('lab up: arrays, mediator and cinder run where the descriptor says, with no secret in it', async () => {
  assert.equal(descriptor.version, 1);
  assert.deepEqual(
    descriptor.arrays.map((a) => [a.name, a.role, a.state]),
    [
      ['site-a', 'primary', 'running'],
      ['site-b', 'sync', 'running'],
      ['site-c', 'async', 'running'],
    ],
  );
  assert.equal(descriptor.arrays[0]!.restUrl, `https://127.0.0.1:${basePort + 6}`);
  assert.equal(descriptor.supervisor.controlUrl, `http://127.0.0.1:${basePort}`);
  assert.equal(descriptor.console.url, `http://127.0.0.1:${basePort}/console`);
  assert.equal(descriptor.cinder.host, 'tandem@puredriver-1');
  for (const pid of [...descriptor.arrays.map((a) => a.pid), descriptor.mediator.pid, descriptor.cinder.pid])
    assert.ok(pid !== null && alive(pid), `daemon ${pid} runs`);
  assert.deepEqual(Object.keys(arrayOf('site-b').replicationVia).sort(), ['site-a', 'site-c']);
  assert.equal(arrayOf('site-a').replicationVia['site-b'], descriptor.links[0]!.via);

  const secrets = [
    ...(await Promise.all(descriptor.arrays.map((a) => readFile(a.apiTokenFile, 'utf8')))),
    await readFile(descriptor.admin.passwordFile, 'utf8'),
  ].map((s) => s.trim());
  const shown = JSON.stringify(descriptor) + lab!.stdout() + lab!.stderr();
  for (const secret of secrets)
    assert.ok(!shown.includes(secret), 'no token or password in lab.json or output');
  assert.equal((await stat(descriptor.admin.passwordFile)).mode & 0o777, 0o600);
  assert.equal((await stat(descriptor.cinder.configFile)).mode & 0o777, 0o600);

  const served = await labControl(descriptor.supervisor.controlUrl, 'GET', '/lab');
  assert.deepEqual(served.body.arrays, descriptor.arrays);
  const consolePage = await fetch(descriptor.console.url);
  assert.equal(consolePage.status, 200, 'the lab serves the web console');
  assert.match(await consolePage.text(), /<html/i);

  const session = await labArraySession(arrayOf('site-a'));
  const connections = (await session.call('GET', '/array-connections')).body.items;
  const toB = connections.find((c: { name: string }) => c.name === 'site-b');
  assert.equal(toB.type, 'sync-replication');
  assert.deepEqual(
    toB.replication_addresses,
    [descriptor.links[0]!.via],
    'replication goes through the proxy',
  );
  assert.equal(await connectionStatus('site-b', 'site-c'), 'connected');
});

test('lab: the printed environment drives the real openstack CLI; a SyncReplicated volume is on site-a and site-b', async () => {
  const types = parseTable(await openstack(['volume', 'type', 'list'])).map((row) => row.Name);
  for (const name of ['SyncReplicated', 'AsyncReplicated', 'TriSync']) assert.ok(types.includes(name), name);
  const created = JSON.parse(
    await openstack(['volume', 'create', '--size', '1', '--type', 'SyncReplicated', 'lab-db', '-f', 'json']),
  );
  await waitFor(
    async () =>
      JSON.parse(await openstack(['volume', 'show', created.id, '-f', 'json'])).status === 'available',
    VOLUME_TIMEOUT_MS,
    () => `volume ${created.id} never available`,
  );
  syncVolumeName = `cinder-pod::volume-${created.id}-cinder`;
  assert.equal(await volumeOn('site-a', syncVolumeName), 200);
  assert.equal(await volumeOn('site-b', syncVolumeName), 200);
});

test('lab control API: a cut link shows partially_connected and reconnects on restore; a killed array restarts on its ports', async () => {
  const control = descriptor.supervisor.controlUrl;
  const cut = await labControl(control, 'POST', '/lab/links/site-a/site-b/cut');
  assert.equal(cut.status, 200);
  assert.equal(cut.body.state, 'cut');
  await waitConnection('site-a', 'site-b', 'partially_connected');
  assert.equal((await labControl(control, 'POST', '/lab/links/site-b/site-a/restore')).body.state, 'up');
  await waitConnection('site-a', 'site-b', 'connected');

  const killed = await labControl(control, 'POST', '/lab/arrays/site-b/kill');
  assert.equal(killed.body.state, 'killed');
  assert.ok(!alive(arrayOf('site-b').pid!), 'site-b is gone');
  assert.equal((await labControl(control, 'POST', '/lab/arrays/site-b/kill')).status, 409);
  assert.equal((await labControl(control, 'POST', '/lab/arrays/site-x/kill')).status, 404);
  const started = await labControl(control, 'POST', '/lab/arrays/site-b/start');
  assert.equal(started.body.state, 'running');
  assert.equal(started.body.restUrl, arrayOf('site-b').restUrl);
  descriptor = await readLab();
  await waitConnection('site-a', 'site-b', 'connected');
  assert.equal(await volumeOn('site-b', syncVolumeName), 200, 'site-b kept its data');
});

test('lab down stops every daemon; lab up reuses the state; lab reset refuses while it runs and wipes after', async () => {
  const pids = [...descriptor.arrays.map((a) => a.pid!), descriptor.mediator.pid!, descriptor.cinder.pid!];
  const down = await runLabCommand(['down', '--dir', dir]);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await lab!.exited, { code: 0, signal: null });
  for (const pid of [...pids, lab!.child.pid!]) assert.ok(!alive(pid), `pid ${pid} exited`);
  const stopped = await readLab();
  assert.ok([...stopped.arrays, stopped.mediator, stopped.cinder].every((d) => d.state === 'stopped'));
  const status = await runLabCommand(['status', '--dir', dir, '--json']);
  assert.equal(status.code, 3);
  assert.equal(JSON.parse(status.stdout).running, false);

  lab = await startLab(labArgs());
  descriptor = await readLab();
  assert.equal(descriptor.cinder.url, stopped.cinder.url, 'same ports');
  const volumes = parseTable(await openstack(['volume', 'list'])).map((row) => row.Name);
  assert.deepEqual(volumes, ['lab-db']);
  const types = parseTable(await openstack(['volume', 'type', 'list'])).filter((r) => r.Name === 'TriSync');
  assert.equal(types.length, 1, 'types are not made twice');
  assert.equal(await volumeOn('site-b', syncVolumeName), 200);

  const refused = await runLabCommand(['reset', '--dir', dir]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /is running/);
  assert.equal((await runLabCommand(['down', '--dir', dir])).code, 0);
  await lab.exited;
  const reset = await runLabCommand(['reset', '--dir', dir]);
  assert.equal(reset.code, 0, reset.stderr);
  await assert.rejects(stat(dir), /ENOENT/);
});
