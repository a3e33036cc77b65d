// npm run bench:nbd -- fio (nbd engine) against a Tandem volume and, in the same run, against
// qemu-nbd on a raw file (writeback and writethrough caching). Prints JSON and a table with ratios,
// plus the data-reduction ratio Tandem reports for a half-duplicate data set.
// Not a test: numbers vary with the machine; docs/benchmarks.md records measured runs.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeTempDir, restSession, startArrayProcess } from '../test/helpers/array-process.js';

const exec = promisify(execFile);
const RUNTIME_SECONDS = Number(process.env.BENCH_RUNTIME_SECONDS ?? 10);
const SIZE = '1g';

interface Workload {
  name: string;
  rw: string;
  bs: string;
  iodepth: number;
}

const WORKLOADS: Workload[] = [
  { name: '4k randwrite QD32', rw: 'randwrite', bs: '4k', iodepth: 32 },
  { name: '4k randread QD32', rw: 'randread', bs: '4k', iodepth: 32 },
  { name: '1M seq write QD8', rw: 'write', bs: '1m', iodepth: 8 },
  { name: '1M seq read QD8', rw: 'read', bs: '1m', iodepth: 8 },
];

interface Result {
  iops: number;
  mibPerSec: number;
  meanLatencyUsec: number;
}

async function fio(uri: string, w: Workload): Promise<Result> {
  const { stdout } = await exec(
    'fio',
    [
      '--name=bench',
      '--ioengine=nbd',
      `--uri=${uri}`,
      `--rw=${w.rw}`,
      `--bs=${w.bs}`,
      `--iodepth=${w.iodepth}`,
      `--size=${SIZE}`,
      `--runtime=${RUNTIME_SECONDS}`,
      '--time_based',
      '--output-format=json',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const job = JSON.parse(stdout.slice(stdout.indexOf('{'))).jobs[0];
  const side = w.rw.includes('read') ? job.read : job.write;
  return {
    iops: Math.round(side.iops),
    mibPerSec: Math.round((side.bw_bytes / 1048576) * 10) / 10,
    meanLatencyUsec: Math.round(side.lat_ns.mean / 1000),
  };
}

/** Fills the whole target sequentially so reads hit written data on every side. */
async function prefill(uri: string): Promise<void> {
  await exec('fio', [
    '--name=fill',
    '--ioengine=nbd',
    `--uri=${uri}`,
    '--rw=write',
    '--bs=1m',
    '--iodepth=8',
    `--size=${SIZE}`,
  ]);
}

async function startQemuNbd(
  file: string,
  cache: 'writeback' | 'writethrough',
): Promise<{ uri: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'qemu-nbd',
    ['-f', 'raw', `--cache=${cache}`, '-t', '-b', '127.0.0.1', '-p', String(port), '-e', '8', file],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    try {
      await exec('nbdinfo', ['--size', `nbd://127.0.0.1:${port}`]);
      return { uri: `nbd://127.0.0.1:${port}/`, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('qemu-nbd did not start');
}

async function dataReduction(
  dir: string,
): Promise<{ written: number; dataReduction: number; physical: number }> {
  // Half-duplicate data set: 64 MiB where every block appears twice, compressible half text-like.
  const array = await startArrayProcess({ name: 'bench-dr', dataDir: join(dir, 'dr') });
  try {
    const rest = await restSession(array);
    await rest.call('POST', '/volumes?names=dr', { provisioned: 1 << 30 });
    await rest.call('POST', '/hosts?names=drhost', { iqns: ['iqn.2026-11.bench:dr'] });
    await rest.call('POST', '/connections?host_names=drhost&volume_names=dr');
    const half = Buffer.alloc(32 << 20);
    for (let offset = 0; offset < half.length; offset += 4096) {
      const block = offset % 8192 === 0 ? randomBytes(4096) : Buffer.alloc(4096, `tandem block ${offset} `);
      block.copy(half, offset);
    }
    const file = join(dir, 'dr.raw');
    await writeFile(file, Buffer.concat([half, half]));
    await exec('nbdcopy', [file, `nbd://127.0.0.1:${array.nbdPort}/dr`]);
    await new Promise((r) => setTimeout(r, 2500)); // let destage and the space cache settle
    const space = (await rest.call('GET', '/volumes/space?names=dr')).body.items[0].space;
    return { written: 64 << 20, dataReduction: space.data_reduction, physical: space.footprint };
  } finally {
    await array.stop();
  }
}

async function main(): Promise<void> {
  const dir = await makeTempDir('tandem-bench-');
  const children: ChildProcess[] = [];
  try {
    const array = await startArrayProcess({ name: 'bench', dataDir: join(dir.path, 'array') });
    const rest = await restSession(array);
    await rest.call('POST', '/volumes?names=bench', { provisioned: 1 << 30 });
    await rest.call('POST', '/hosts?names=benchhost', { iqns: ['iqn.2026-11.bench:host'] });
    await rest.call('POST', '/connections?host_names=benchhost&volume_names=bench');
    const peers: Record<string, string> = { tandem: `nbd://127.0.0.1:${array.nbdPort}/bench` };
    for (const cache of ['writeback', 'writethrough'] as const) {
      const file = join(dir.path, `${cache}.raw`);
      await exec('truncate', ['-s', SIZE, file]);
      const q = await startQemuNbd(file, cache);
      children.push(q.child);
      peers[`qemu-nbd ${cache}`] = q.uri;
    }
    for (const uri of Object.values(peers)) await prefill(uri);
    const results: Record<string, Record<string, Result>> = {};
    for (const w of WORKLOADS) {
      results[w.name] = {};
      for (const [peer, uri] of Object.entries(peers)) results[w.name]![peer] = await fio(uri, w);
    }
    await array.stop();
    for (const child of children) child.kill('SIGTERM');
    const reduction = await dataReduction(dir.path);
    console.log(JSON.stringify({ runtimeSeconds: RUNTIME_SECONDS, results, reduction }, null, 2));
    printTable(results, reduction);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await dir.remove();
  }
}

function printTable(
  results: Record<string, Record<string, Result>>,
  reduction: { dataReduction: number },
): void {
  const rows = [
    ['workload', 'tandem', 'qemu-nbd writeback', 'qemu-nbd writethrough', 'tandem/wb', 'tandem/wt'],
  ];
  for (const [name, byPeer] of Object.entries(results)) {
    const t = byPeer.tandem!;
    const wb = byPeer['qemu-nbd writeback']!;
    const wt = byPeer['qemu-nbd writethrough']!;
    const fmt = (r: Result) => `${r.iops} IOPS ${r.mibPerSec} MiB/s ${r.meanLatencyUsec}us`;
    rows.push([name, fmt(t), fmt(wb), fmt(wt), (t.iops / wb.iops).toFixed(2), (t.iops / wt.iops).toFixed(2)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | '));
  console.log(`data reduction (half-duplicate, half-compressible 64 MiB): ${reduction.dataReduction}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
