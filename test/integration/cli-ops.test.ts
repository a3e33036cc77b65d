// The operator commands against a real lab (tandem lab up in a temp dir): `tandem volume copy`
// over NBD both ways with the bytes compared, `tandem pod stretch` following the baseline,
// `tandem pod wait` following a resync after a cut link (progress seen from the array being
// brought up to date), `tandem pgroup replicate` following a transfer to site-c; --json on each,
// plain progress lines on stderr when not a terminal, and errors that say what to do.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LabDescriptor } from '../../src/lab/descriptor.js';
import { BASE_PORT_SPAN } from '../../src/lab/layout.js';
import { CLI_PATH, makeTempDir, waitFor } from '../helpers/array-process.js';
import {
  freePortRange,
  killLab,
  type LabProcess,
  labArraySession,
  labControl,
  runLabCommand,
  startLab,
} from '../helpers/lab-process.js';

const COMMAND_TIMEOUT_MS = 120_000;
const VOLUME_BYTES = 32 * 1024 * 1024;
const HOST = 'cli-host';

let work: { path: string; remove: () => Promise<void> };
let dir: string;
let lab: LabProcess | null = null;
let descriptor: LabDescriptor;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tandem(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function ok(run: Run, what: string): Run {
  assert.equal(run.code, 0, `${what}: exit ${run.code}\n${run.stderr}\n${run.stdout}`);
  return run;
}

function entry(name: string) {
  const found = descriptor.arrays.find((a) => a.name === name);
  assert.ok(found, name);
  return found;
}

const nbdUrl = (array: string, volume: string) => `nbd://${entry(array).nbd}/${volume}`;

/** Creates `names` on `array` (pod and volumes as given) and connects the volumes to HOST. */
async function provision(array: string, pods: string[], volumes: string[]): Promise<void> {
  const rest = await labArraySession(entry(array));
  for (const pod of pods) assert.equal((await rest.call('POST', `/pods?names=${pod}`, {})).status, 200);
  const host = await rest.call('POST', `/hosts?names=${HOST}`, { iqns: [`iqn.2026-11.test:${array}`] });
  assert.ok(host.status === 200 || JSON.stringify(host.body).includes('already'), JSON.stringify(host.body));
  for (const volume of volumes) {
    const made = await rest.call('POST', `/volumes?names=${volume}`, { provisioned: VOLUME_BYTES });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    await connect(array, volume);
  }
}

async function connect(array: string, volume: string): Promise<void> {
  const rest = await labArraySession(entry(array));
  const host = await rest.call('POST', `/hosts?names=${HOST}`, { iqns: [`iqn.2026-11.test:${array}`] });
  assert.ok(host.status === 200 || JSON.stringify(host.body).includes('already'), JSON.stringify(host.body));
  const res = await rest.call('POST', `/connections?host_names=${HOST}&volume_names=${volume}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** The volume's bytes as read back over NBD with `tandem volume copy` into a file. */
async function readBack(array: string, volume: string, name: string): Promise<Buffer> {
  const file = join(work.path, name);
  ok(await tandem(['volume', 'copy', nbdUrl(array, volume), file]), `copy ${volume} out`);
  return readFile(file);
}

function image(seed: number): Buffer {
  // Random halves and zero quarters: the copy must write data and keep zeroes zero.
  const data = Buffer.alloc(VOLUME_BYTES);
  randomBytes(VOLUME_BYTES / 2).copy(data, 0);
  data.fill(seed, (VOLUME_BYTES * 3) / 4);
  return data;
}

before(async () => {
  work = await makeTempDir('tandem-cli-');
  dir = join(work.path, 'lab');
  lab = await startLab(['--dir', dir, '--base-port', String(await freePortRange(BASE_PORT_SPAN))]);
  descriptor = JSON.parse(await readFile(join(dir, 'lab.json'), 'utf8')) as LabDescriptor;
});

after(async () => {
  if (lab && lab.child.exitCode === null) {
    const down = await runLabCommand(['down', '--dir', dir, '--json']).catch(() => null);
    if (down) {
      assert.equal(down.code, 0, down.stderr);
      assert.equal((JSON.parse(down.stdout) as { done: boolean }).done, true);
    }
  }
  await killLab(dir, lab?.child);
  await work?.remove();
});

test('volume copy: a file into a volume over NBD and back, byte for byte, with progress and --json', async () => {
  await provision('site-a', [], ['cli-v1']);
  const source = join(work.path, 'in.img');
  const data = image(7);
  await writeFile(source, data);
  const run = ok(await tandem(['volume', 'copy', source, nbdUrl('site-a', 'cli-v1'), '--json']), 'copy in');
  const result = JSON.parse(run.stdout) as { bytes: number; writtenBytes: number; seconds: number };
  assert.equal(result.bytes, VOLUME_BYTES);
  assert.equal(result.writtenBytes, VOLUME_BYTES, 'a volume gets every chunk');
  assert.match(run.stderr, /copy .* 100\.0%/, 'plain progress lines when stderr is not a terminal');
  assert.match(run.stderr, /32\.0 MiB copied .* MiB\/s on average/);
  assert.ok(!run.stderr.includes('\x1b['), 'no terminal control codes in plain output');
  assert.ok((await readBack('site-a', 'cli-v1', 'out.img')).equals(data), 'bytes read back');
  // A file target is sparse: the zero quarter is not written.
  const out = ok(
    await tandem(['volume', 'copy', nbdUrl('site-a', 'cli-v1'), join(work.path, 'again.img'), '--json']),
    'copy out',
  );
  assert.ok((JSON.parse(out.stdout) as { writtenBytes: number }).writtenBytes < VOLUME_BYTES);
});

test('volume copy: errors say what to do (volume not exported, target too small, bad URL)', async () => {
  const missing = await tandem(['volume', 'copy', nbdUrl('site-a', 'not-connected'), join(work.path, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /only while it is connected to a host \(POST \/connections/);
  const bad = await tandem(['volume', 'copy', 'nbd://127.0.0.1/vol', join(work.path, 'x')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /expected nbd:\/\/HOST:PORT\/VOLUME/);
  const big = join(work.path, 'big.img');
  await writeFile(big, Buffer.alloc(VOLUME_BYTES * 2));
  const small = await tandem(['volume', 'copy', big, nbdUrl('site-a', 'cli-v1')]);
  assert.equal(small.code, 1);
  assert.match(small.stderr, /less than the source's 64\.0 MiB: extend the volume first/);
});

test('pod stretch follows the baseline to site-b; pod wait follows a resync after a cut link, seen from site-b', async () => {
  await provision('site-a', ['cli-pod'], ['cli-pod::v']);
  const first = image(1);
  const img = join(work.path, 'pod1.img');
  await writeFile(img, first);
  ok(await tandem(['volume', 'copy', img, nbdUrl('site-a', 'cli-pod::v')]), 'fill');

  const stretch = ok(
    await tandem([
      'pod',
      'stretch',
      'cli-pod',
      '--to',
      'site-b',
      '--array',
      'site-a',
      '--lab-dir',
      dir,
      '--json',
    ]),
    'stretch',
  );
  const stretched = JSON.parse(stretch.stdout) as { arrays: Array<{ name: string; status: string }> };
  assert.deepEqual(
    stretched.arrays.map((a) => [a.name, a.status]),
    [
      ['site-a', 'online'],
      ['site-b', 'online'],
    ],
  );
  assert.match(stretch.stderr, /pod cli-pod: in sync on site-a and site-b in/);
  await connect('site-b', 'cli-pod::v');
  assert.ok((await readBack('site-b', 'cli-pod::v', 'b1.img')).equals(first), 'site-b holds the baseline');

  // Cut a<->b: the mediator keeps one array; write there; restore; the other resyncs.
  assert.equal(
    (await labControl(descriptor.supervisor.controlUrl, 'POST', '/lab/links/site-a/site-b/cut')).status,
    200,
  );
  let winner = '';
  await waitFor(
    async () => {
      for (const name of ['site-a', 'site-b']) {
        const list = await tandem(['pod', 'list', '--array', name, '--lab-dir', dir, '--json']);
        const pods = JSON.parse(list.stdout) as Array<{
          name: string;
          arrays: Array<{ name: string; status: string }>;
        }>;
        const pod = pods.find((p) => p.name === 'cli-pod');
        // Decided: this array serves alone (itself online, the other offline in its view); right
        // after the cut, before the arrays notice, both still say online.
        const self = pod?.arrays.find((a) => a.name === name)?.status;
        const other = pod?.arrays.find((a) => a.name !== name)?.status;
        if (self === 'online' && other === 'offline') winner = name;
      }
      return winner !== '';
    },
    30_000,
    () => 'no array kept the pod after the cut',
  );
  const loser = winner === 'site-a' ? 'site-b' : 'site-a';
  const second = image(2);
  await writeFile(img, second);
  ok(await tandem(['volume', 'copy', img, nbdUrl(winner, 'cli-pod::v')]), 'write alone');
  assert.equal(
    (await labControl(descriptor.supervisor.controlUrl, 'POST', '/lab/links/site-a/site-b/restore')).status,
    200,
  );
  const wait = ok(
    await tandem(['pod', 'wait', 'cli-pod', '--array', loser, '--lab-dir', dir, '--timeout', '90', '--json']),
    'wait',
  );
  const waited = JSON.parse(wait.stdout) as { arrays: Array<{ status: string }> };
  assert.ok(waited.arrays.every((a) => a.status === 'online'));
  assert.match(wait.stderr, /in sync on site-a and site-b/);
  assert.ok((await readBack(loser, 'cli-pod::v', 'b2.img')).equals(second), `${loser} caught up`);
});

test('pgroup replicate: refuses while no target allows the group, then follows the transfer to site-c', async () => {
  await provision('site-a', [], ['cli-pg-v']);
  const data = image(3);
  const img = join(work.path, 'pg.img');
  await writeFile(img, data);
  ok(await tandem(['volume', 'copy', img, nbdUrl('site-a', 'cli-pg-v')]), 'fill');
  const a = await labArraySession(entry('site-a'));
  assert.equal((await a.call('POST', '/protection-groups?names=cli-pg', {})).status, 200);
  assert.equal(
    (await a.call('POST', '/protection-groups/volumes?group_names=cli-pg&member_names=cli-pg-v')).status,
    200,
  );
  assert.equal(
    (await a.call('POST', '/protection-groups/targets?group_names=cli-pg&member_names=site-c')).status,
    200,
  );

  const refused = await tandem(['pgroup', 'replicate', 'cli-pg', '--array', 'site-a', '--lab-dir', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /no target of cli-pg allows it yet \(site-c\): on each target array allow it/);

  const c = await labArraySession(entry('site-c'));
  const allow = await c.call('PATCH', '/protection-groups/targets?group_names=site-a:cli-pg', {
    allowed: true,
  });
  assert.equal(allow.status, 200, JSON.stringify(allow.body));
  const run = ok(
    await tandem(['pgroup', 'replicate', 'cli-pg', '--array', 'site-a', '--lab-dir', dir, '--json']),
    'replicate',
  );
  const result = JSON.parse(run.stdout) as {
    snapshot: string;
    completed: number | null;
    dataTransferredBytes: number;
  };
  assert.ok(result.completed !== null, 'transfer completed');
  assert.ok(result.dataTransferredBytes > VOLUME_BYTES / 4, `sent ${result.dataTransferredBytes} bytes`);
  assert.match(run.stderr, new RegExp(`transfer ${result.snapshot.replace('.', '\\.')}: on site-c in`));
  const onC = await c.call('GET', `/volume-snapshots?names=site-a:${result.snapshot}.cli-pg-v`);
  assert.equal(onC.status, 200, JSON.stringify(onC.body));

  const list = ok(await tandem(['pgroup', 'list', '--array', 'site-a', '--lab-dir', dir, '--json']), 'list');
  const row = (
    JSON.parse(list.stdout) as Array<{ name: string; lastTransfer: { snapshot: string } | null }>
  ).find((r) => r.name === 'cli-pg');
  assert.equal(row?.lastTransfer?.snapshot, result.snapshot);
});

test('array commands without a lab or with an unreachable array say what to do', async () => {
  const none = await tandem(['pod', 'list', '--array', 'site-a', '--lab-dir', join(work.path, 'none')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no lab in .*none \(no lab\.json\): start one with `npm start`/);
  const unknown = await tandem(['pod', 'list', '--array', 'site-z', '--lab-dir', dir]);
  assert.match(unknown.stderr, /has no array "site-z"; it has site-a, site-b, site-c/);
  const url = await tandem(['pod', 'list', '--array', 'https://127.0.0.1:1']);
  assert.match(url.stderr, /needs --api-token-file FILE/);
  const down = await tandem([
    'pod',
    'list',
    '--array',
    'https://127.0.0.1:1',
    '--api-token-file',
    entry('site-a').apiTokenFile,
  ]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /nothing answers at 127\.0\.0\.1:1: is the array running\?/);
  const token = (await readFile(entry('site-a').apiTokenFile, 'utf8')).trim();
  assert.ok(!down.stderr.includes(token), 'no token in the error');
  const missing = await tandem(['pod', 'wait']);
  assert.match(
    missing.stderr,
    /required option '--array <name\|url>' not specified\n\(add --help for the options\)/,
  );
});

/** Starts a daemon command with --json and returns its {"ready": true} line, then stops it. */
async function readyLine(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [CLI_PATH, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  try {
    let ready: Record<string, unknown> | null = null;
    await waitFor(
      async () => {
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{"ready"')) continue;
          ready = JSON.parse(line) as Record<string, unknown>;
        }
        return ready !== null || child.exitCode !== null;
      },
      30_000,
      () => `no ready line from ${args.join(' ')}:\n${stdout}`,
    );
    assert.ok(ready, `exited: ${stdout}`);
    return ready;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  }
}

test('daemons with --json print one {"ready": true, ...} line with their addresses', async () => {
  const mediator = await readyLine([
    'mediator',
    'start',
    '--listen',
    '127.0.0.1:0',
    '--data-dir',
    join(work.path, 'med'),
  ]);
  assert.match(String(mediator.mediator), /^http:\/\/127\.0\.0\.1:\d+$/);
  const array = await readyLine([
    'array',
    'start',
    '--name',
    'json-array',
    '--data-dir',
    join(work.path, 'json-array'),
    '--rest',
    '127.0.0.1:0',
    '--nbd',
    '127.0.0.1:0',
    '--replication',
    '127.0.0.1:0',
    '--iscsi',
    '127.0.0.1:0',
  ]);
  assert.equal(array.array, 'json-array');
  assert.match(String(array.rest), /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(String(array.nbd), /^127\.0\.0\.1:\d+$/);
  assert.equal(array.apiTokenFile, join(work.path, 'json-array', 'api-token'));
  const token = (await readFile(join(work.path, 'json-array', 'api-token'), 'utf8')).trim();
  assert.ok(!JSON.stringify(array).includes(token), 'the token file is named, never its content');
});
