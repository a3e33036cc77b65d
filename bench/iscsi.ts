// npm run bench:iscsi -- `qemu-img bench` over iscsi:// against a Tandem volume and, in the same
// run, against Debian's tgt (user-space target, tgtd) serving a raw file, plus Tandem's own NBD
// path for the same volume. 4 KiB scattered (qemu-img bench has no random mode: a stride of a
// large prime number of blocks spreads the requests over the whole 1 GiB) and 1 MiB sequential,
// read and write, after every target was filled with the same random 1 GiB image. Needs root for
// tgtd (apt-get install tgt). Prints JSON and a table with ratios.
// Not a test: numbers vary with the machine; docs/benchmarks.md records measured runs.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeTempDir, restSession, startArrayProcess } from '../test/helpers/array-process.js';

const exec = promisify(execFile);
const SIZE_BYTES = 1 << 30;
const INITIATOR = 'iqn.2026-11.bench.tandem:qemu-img';
const TGT_IQN = 'iqn.2026-11.bench.tandem:tgt';
/** Requests per run: enough for a few seconds each at this machine's rates. */
const COUNT_SMALL = Number(process.env.BENCH_COUNT_SMALL ?? 100_000);
const COUNT_LARGE = Number(process.env.BENCH_COUNT_LARGE ?? 2_000);
/**
 * Rounds per workload. Each round measures every target in turn, so drift over the run spreads
 * over all of them; the median round is reported, and every round is in the JSON.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));

interface Workload {
  name: string;
  bufferBytes: number;
  stepBytes: number;
  depth: number;
  write: boolean;
  count: number;
}

/**
 * Other hosts, volumes and connections on the Tandem array (one of each per host), created before
 * the bench volume's, so that an array with many objects is measured: every per-command lookup
 * that walks them shows.
 */
const OTHER_OBJECTS = Math.max(0, Number(process.env.BENCH_OTHER_OBJECTS ?? 0));
/** Only the workloads whose name contains this (e.g. `4k scattered read`). */
const ONLY = process.env.BENCH_ONLY ?? '';
/** Names per REST call when creating the other volumes. */
const NAMES_PER_CALL = 200;

/** Each measurement is preceded by a run of this fraction of its requests, not counted. */
const WARM_UP_FRACTION = 0.1;

/** 4 KiB x 1021 (a prime): consecutive requests land ~4 MiB apart and wrap over the whole LU. */
const SCATTER_STEP = 4096 * 1021;

/** Reads first, while every target still holds the random fill; then the writes. */
const WORKLOADS: Workload[] = [
  {
    name: '4k scattered read QD32',
    bufferBytes: 4096,
    stepBytes: SCATTER_STEP,
    depth: 32,
    write: false,
    count: COUNT_SMALL,
  },
  {
    name: '1M seq read QD8',
    bufferBytes: 1 << 20,
    stepBytes: 1 << 20,
    depth: 8,
    write: false,
    count: COUNT_LARGE,
  },
  {
    name: '4k scattered write QD32',
    bufferBytes: 4096,
    stepBytes: SCATTER_STEP,
    depth: 32,
    write: true,
    count: COUNT_SMALL,
  },
  {
    name: '1M seq write QD8',
    bufferBytes: 1 << 20,
    stepBytes: 1 << 20,
    depth: 8,
    write: true,
    count: COUNT_LARGE,
  },
];

interface Result {
  iops: number;
  mibPerSec: number;
  seconds: number;
  /** With BENCH_ROUNDS > 1: IOPS of every round, in order (the figures above are the median's). */
  rounds?: number[];
}

/** The median round (by IOPS), carrying every round's IOPS. */
function median(rounds: Result[]): Result {
  const sorted = [...rounds].sort((a, b) => a.iops - b.iops);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return rounds.length === 1 ? middle : { ...middle, rounds: rounds.map((r) => r.iops) };
}

/** `qemu-img bench` on an image given as --image-opts (iSCSI, to pass the initiator name) or a URL. */
async function bench(image: { opts?: string; url?: string }, w: Workload): Promise<Result> {
  const args = [
    'bench',
    '-c',
    String(w.count),
    '-d',
    String(w.depth),
    '-s',
    String(w.bufferBytes),
    '-S',
    String(w.stepBytes),
  ];
  if (w.write) args.push('-w', '--pattern=0xa5');
  if (image.opts) args.push('--image-opts', image.opts);
  else args.push('-f', 'raw', image.url!);
  const { stdout } = await exec('qemu-img', args, { maxBuffer: 1 << 20 });
  const match = /Run completed in ([\d.]+) seconds/.exec(stdout);
  if (!match) throw new Error(`qemu-img bench: no time in ${stdout}`);
  const seconds = Number(match[1]);
  return {
    iops: Math.round(w.count / seconds),
    mibPerSec: Math.round(((w.count * w.bufferBytes) / seconds / 1048576) * 10) / 10,
    seconds,
  };
}

/**
 * tgtd on its own port serving a raw file: `sync` opens the file O_SYNC (--bsoflags sync), so a
 * write is on disk when acknowledged, as on Tandem; without it writes land in the page cache.
 */
/** CPU ticks (user + system, all threads) the process has used. */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Below this many ticks per second (of 100) the array's background work (destage) is done. */
const SETTLED_TICKS_PER_SECOND = 5;
const SETTLE_MAX_SECONDS = 60;

/**
 * Waits until the array daemon is idle: its destage of the previous run's writes would otherwise
 * land on whichever peer is measured next.
 */
async function settle(pid: number): Promise<void> {
  for (let i = 0; i < SETTLE_MAX_SECONDS; i++) {
    const before = await cpuTicks(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if ((await cpuTicks(pid)) - before < SETTLED_TICKS_PER_SECOND) return;
  }
}

async function startTgt(dir: string, sync: boolean): Promise<{ portal: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const control = String(1000 + Math.floor(Math.random() * 8000));
  const file = join(dir, sync ? 'tgt-sync.raw' : 'tgt.raw');
  await exec('truncate', ['-s', String(SIZE_BYTES), file]);
  const child: ChildProcess = spawn('tgtd', ['-f', '--iscsi', `portal=127.0.0.1:${port}`, '-C', control], {
    stdio: 'ignore',
  });
  const adm = (...args: string[]) => exec('tgtadm', ['-C', control, '--lld', 'iscsi', ...args]);
  for (let i = 0; ; i++) {
    try {
      await adm('--mode', 'target', '--op', 'new', '--tid', '1', '--targetname', TGT_IQN);
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await adm(
    '--mode',
    'logicalunit',
    '--op',
    'new',
    '--tid',
    '1',
    '--lun',
    '1',
    '--backing-store',
    file,
    ...(sync ? ['--bsoflags', 'sync'] : []),
  );
  await adm('--mode', 'target', '--op', 'bind', '--tid', '1', '--initiator-address', 'ALL');
  return {
    portal: `127.0.0.1:${port}`,
    stop: async () => {
      await exec('tgtadm', ['-C', control, '--mode', 'system', '--op', 'delete']).catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGKILL');
      await exec('rm', ['-f', `/var/run/tgtd/socket.${control}`, `/var/run/tgtd/socket.${control}.lock`]);
    },
  };
}

/** `count` volumes of 1 GiB (thin, never written), each connected to a host of its own. */
async function addOtherObjects(rest: Awaited<ReturnType<typeof restSession>>, count: number): Promise<void> {
  const must = async (method: string, path: string, body?: unknown) => {
    const response = await rest.call(method, path, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: ${JSON.stringify(response.body)}`);
  };
  for (let first = 0; first < count; first += NAMES_PER_CALL) {
    const numbers = Array.from({ length: Math.min(NAMES_PER_CALL, count - first) }, (_, i) => first + i);
    await must('POST', `/volumes?names=${numbers.map((n) => `other-v${n}`).join(',')}`, {
      provisioned: SIZE_BYTES,
    });
    for (const n of numbers) {
      await must('POST', `/hosts?names=other-h${n}`, { iqns: [`iqn.2026-11.bench.tandem:other-${n}`] });
      await must('POST', `/connections?host_names=other-h${n}&volume_names=other-v${n}`);
    }
  }
}

const iscsiOpts = (portal: string, target: string, lun: number) =>
  `driver=iscsi,transport=tcp,portal=${portal},target=${target},lun=${lun},initiator-name=${INITIATOR}`;

async function main(): Promise<void> {
  const dir = await makeTempDir('tandem-bench-iscsi-');
  const tgts: Array<Awaited<ReturnType<typeof startTgt>>> = [];
  const array = await startArrayProcess({ name: 'bench-iscsi', dataDir: join(dir.path, 'array') });
  try {
    const rest = await restSession(array);
    await addOtherObjects(rest, OTHER_OBJECTS);
    await rest.call('POST', '/volumes?names=bench', { provisioned: SIZE_BYTES });
    await rest.call('POST', '/hosts?names=benchhost', { iqns: [INITIATOR] });
    const connection = await rest.call('POST', '/connections?host_names=benchhost&volume_names=bench');
    const lun = connection.body.items[0].lun as number;
    const port = (await rest.call('GET', '/ports')).body.items.find((p: { iqn: string | null }) => p.iqn);
    const tgt = await startTgt(dir.path, false);
    tgts.push(tgt);
    const tgtSync = await startTgt(dir.path, true);
    tgts.push(tgtSync);
    const peers: Record<string, { opts?: string; url?: string }> = {
      'tandem iscsi': { opts: iscsiOpts(port.portal, port.iqn, lun) },
      tgt: { opts: iscsiOpts(tgt.portal, TGT_IQN, 1) },
      'tgt O_SYNC': { opts: iscsiOpts(tgtSync.portal, TGT_IQN, 1) },
      'tandem nbd': { url: `nbd://127.0.0.1:${array.nbdPort}/bench` },
    };
    // Fill every target with the same random image first, so reads find data everywhere and
    // none of it deduplicates (qemu-img bench writes one pattern, which Tandem stores once).
    const image = join(dir.path, 'random.raw');
    await writeFile(image, randomBytes(SIZE_BYTES));
    // The fill is also measured: the one write of random data here (qemu-img bench writes a single
    // repeated pattern, which Tandem's pattern removal and dedup make cheap).
    const fill: Record<string, { seconds: number; mibPerSec: number }> = {};
    for (const [peer, target] of Object.entries(peers)) {
      if (peer === 'tandem nbd') continue; // the same volume as 'tandem iscsi'
      const started = performance.now();
      await exec('qemu-img', ['convert', '-n', '-f', 'raw', image, '--target-image-opts', target.opts!]);
      const seconds = (performance.now() - started) / 1000;
      fill[peer] = { seconds, mibPerSec: Math.round(SIZE_BYTES / 1048576 / seconds) };
    }
    const results: Record<string, Record<string, Result>> = {};
    for (const w of WORKLOADS.filter((workload) => workload.name.includes(ONLY))) {
      const rounds: Record<string, Result[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [peer, image] of Object.entries(peers)) {
          // A short warm-up first: the first peer measured would otherwise pay for JIT compilation
          // of code the next one reuses (both Tandem paths share the engine).
          const warmUp = { ...w, count: Math.max(1, Math.round(w.count * WARM_UP_FRACTION)) };
          await bench(image, warmUp);
          if (peer.startsWith('tandem')) await settle(array.child.pid!);
          // No dirty page cache of an earlier step (the image, tgt's unsynced writes) may be
          // written back while this peer is measured.
          await exec('sync');
          const measured = await bench(image, w);
          rounds[peer] = [...(rounds[peer] ?? []), measured];
        }
      }
      results[w.name] = Object.fromEntries(Object.entries(rounds).map(([peer, r]) => [peer, median(r)]));
    }
    console.log(JSON.stringify({ rounds: ROUNDS, otherObjects: OTHER_OBJECTS, fill, results }, null, 2));
    printTable(results);
    const t = fill['tandem iscsi']!;
    console.log(
      `1 GiB random fill (qemu-img convert, fresh targets): tandem iscsi ${t.mibPerSec} MiB/s, tgt ${fill.tgt!.mibPerSec}, tgt O_SYNC ${fill['tgt O_SYNC']!.mibPerSec}; iscsi/tgt ${(t.mibPerSec / fill.tgt!.mibPerSec).toFixed(2)}, iscsi/tgt O_SYNC ${(t.mibPerSec / fill['tgt O_SYNC']!.mibPerSec).toFixed(2)}`,
    );
  } finally {
    for (const tgt of tgts) await tgt.stop();
    await array.stop();
    await dir.remove();
  }
}

function printTable(results: Record<string, Record<string, Result>>): void {
  const rows = [
    [
      'workload',
      'tandem iscsi',
      'tgt',
      'tgt O_SYNC',
      'tandem nbd',
      'iscsi/tgt',
      'iscsi/tgt O_SYNC',
      'iscsi/nbd',
    ],
  ];
  for (const [name, byPeer] of Object.entries(results)) {
    const t = byPeer['tandem iscsi']!;
    const g = byPeer.tgt!;
    const gs = byPeer['tgt O_SYNC']!;
    const n = byPeer['tandem nbd']!;
    const fmt = (r: Result) => `${r.iops} IOPS ${r.mibPerSec} MiB/s`;
    rows.push([
      name,
      fmt(t),
      fmt(g),
      fmt(gs),
      fmt(n),
      (t.iops / g.iops).toFixed(2),
      (t.iops / gs.iops).toFixed(2),
      (t.iops / n.iops).toFixed(2),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
