// Randomized fault trials against a stretched pod of two real arrays with a real mediator, the
// replication link through a proxy the trial controls. Each trial runs a writer on each array (on
// separate halves of the volume), injects one fault at a random moment (kill -9 of either array,
// a silent partition, a partition while the mediator is down), heals it, waits for the pod to be
// online on both arrays, and checks:
// - lost writes: a block whose content is not its last acknowledged write (or a later attempt);
// - split brain: both arrays acknowledged writes issued during the split;
// - divergence: the two arrays' copies differ after the resync.
// `npm run torture -- --trials N [--seed S]` prints a summary; the integration test runs 2 trials.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  type ArrayProcess,
  freePort,
  makeTempDir,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { type MediatorProcess, startMediatorProcess } from '../helpers/mediator-process.js';
import { NbdTestClient } from '../helpers/nbd-client.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const BLOCK = 4096;
const BLOCKS = 2048; // 8 MiB

export interface TortureSummary {
  trials: number;
  acknowledgedWrites: number;
  lostWrites: number;
  splitBrains: number;
  divergedBlocks: number;
  /** Writes that got no answer within WRITE_TIMEOUT_MS (a hang is a failure too). */
  stuckWrites: number;
  faults: Record<string, number>;
}

const WRITE_TIMEOUT_MS = 30_000;

type Fault = 'kill-a' | 'kill-b' | 'partition' | 'partition-mediator-down';

interface Writer {
  name: 'A' | 'B';
  /** Per block: acknowledged content hash (last), then hashes attempted after it. */
  acked: Map<number, string>;
  attempted: Map<number, Set<string>>;
  ackedDuringSplit: number;
  ackedTotal: number;
  stop: boolean;
  done: Promise<void>;
}

const hashOf = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function ok(body: { status: number; body: unknown }, what: string) {
  if (body.status !== 200) throw new Error(`${what}: ${body.status} ${JSON.stringify(body.body)}`);
  return body.body as { items: Array<Record<string, unknown>> };
}

export async function runTorture(trials: number, seed = 1, log = (line: string) => console.log(line)) {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const work = await makeTempDir('tandem-torture-');
  const mediatorPort = await freePort();
  let mediator: MediatorProcess | null = null;
  const startMediator = async () => {
    mediator = await startMediatorProcess(join(work.path, 'mediator'), mediatorPort);
  };
  const stopMediator = async () => {
    const running = mediator;
    mediator = null;
    await running?.stop();
  };
  let a: ArrayProcess | null = null;
  let b: ArrayProcess | null = null;
  let proxy: TcpProxy | null = null;
  const summary: TortureSummary = {
    trials: 0,
    acknowledgedWrites: 0,
    lostWrites: 0,
    splitBrains: 0,
    divergedBlocks: 0,
    stuckWrites: 0,
    faults: {},
  };
  try {
    await startMediator();
    a = await startArrayProcess({ name: 'torture-a', dataDir: join(work.path, 'a') });
    b = await startArrayProcess({ name: 'torture-b', dataDir: join(work.path, 'b') });
    proxy = await startTcpProxy(b.replicationPort);
    const sa = await restSession(a);
    const sb = await restSession(b);
    const key = ok(await sb.call('GET', '/array-connections/connection-key'), 'key').items[0]!.connection_key;
    ok(
      await sa.call('POST', '/array-connections', {
        connection_key: key,
        type: 'sync-replication',
        replication_addresses: [`127.0.0.1:${proxy.port}`],
      }),
      'connect',
    );
    const preferred = random() < 0.5 ? 'torture-a' : 'torture-b';
    ok(await sa.call('POST', '/pods?names=tp', { failover_preferences: [{ name: preferred }] }), 'pod');
    ok(
      await sa.call('PATCH', '/pods?names=tp', { mediator: `http://127.0.0.1:${mediatorPort}` }),
      'mediator',
    );
    ok(await sa.call('POST', '/volumes?names=tp::vol', { provisioned: BLOCKS * BLOCK }), 'volume');
    ok(await sa.call('POST', '/pods/arrays?group_names=tp&member_names=torture-b'), 'stretch');
    for (const [session, iqn] of [
      [sa, 'iqn.2026-11.torture:a'],
      [sb, 'iqn.2026-11.torture:b'],
    ] as const) {
      ok(await session.call('POST', '/hosts?names=h', { iqns: [iqn] }), 'host');
      ok(await session.call('POST', '/connections?host_names=h&volume_names=tp::vol'), 'connection');
    }
    const bothOnline = async () => {
      for (const array of [a!, b!]) {
        const pod = ok(await (await restSession(array)).call('GET', '/pods?names=tp'), 'pods').items[0]!;
        if (!(pod.arrays as Array<{ status: string }>).every((m) => m.status === 'online')) return false;
      }
      return true;
    };
    await waitFor(bothOnline, 60_000, () => 'pod never online');

    for (let trial = 1; trial <= trials; trial++) {
      const fault = (['kill-a', 'kill-b', 'partition', 'partition-mediator-down'] as const)[
        between(0, 3)
      ] as Fault;
      summary.faults[fault] = (summary.faults[fault] ?? 0) + 1;
      let splitActive = false;
      const startWriter = (name: 'A' | 'B', firstBlock: number): Writer => {
        const writer: Writer = {
          name,
          acked: new Map(),
          attempted: new Map(),
          ackedDuringSplit: 0,
          ackedTotal: 0,
          stop: false,
          done: Promise.resolve(),
        };
        writer.done = (async () => {
          while (!writer.stop) {
            const array = name === 'A' ? a! : b!;
            let client: NbdTestClient;
            try {
              client = await NbdTestClient.open(array.nbdPort, 'tp::vol');
            } catch {
              await new Promise((r) => setTimeout(r, 200));
              continue;
            }
            try {
              while (!writer.stop) {
                const block = firstBlock + between(0, BLOCKS / 2 - 1);
                const data = Buffer.alloc(BLOCK, `${name}${trial}:${random()}`);
                const hash = hashOf(data);
                const attempts = writer.attempted.get(block) ?? new Set<string>();
                attempts.add(hash);
                writer.attempted.set(block, attempts);
                const issuedInSplit = splitActive;
                let timer: NodeJS.Timeout | undefined;
                const answered = await Promise.race([
                  client.write(block * BLOCK, data).then(() => true),
                  new Promise<false>((resolve) => {
                    timer = setTimeout(() => resolve(false), WRITE_TIMEOUT_MS);
                  }),
                ]).finally(() => clearTimeout(timer));
                if (!answered) {
                  summary.stuckWrites++;
                  log(JSON.stringify({ trial, stuck: { writer: name, block, issuedInSplit } }));
                  throw new Error('write got no answer');
                }
                writer.acked.set(block, hash);
                writer.attempted.set(block, new Set());
                writer.ackedTotal++;
                if (issuedInSplit && splitActive) writer.ackedDuringSplit++;
              }
            } catch {
              await new Promise((r) => setTimeout(r, 100)); // refused or connection lost: try again
            } finally {
              client.close();
            }
          }
        })();
        return writer;
      };
      const writers = [startWriter('A', 0), startWriter('B', BLOCKS / 2)];
      await new Promise((r) => setTimeout(r, between(500, 2000)));
      if (fault === 'partition-mediator-down') {
        await stopMediator();
        await new Promise((r) => setTimeout(r, 2500)); // long enough for pre-election
      }
      splitActive = true;
      if (fault === 'kill-a') await a!.kill();
      else if (fault === 'kill-b') await b!.kill();
      else proxy.cut();
      await new Promise((r) => setTimeout(r, between(3000, 5000)));
      // The split ends when healing starts: writes acknowledged after this are legitimate on both.
      splitActive = false;
      if (fault === 'kill-a') a = await a!.restart();
      else if (fault === 'kill-b') b = await b!.restart();
      else {
        proxy.restore();
        if (fault === 'partition-mediator-down') await startMediator();
      }
      const podLines = (array: ArrayProcess) =>
        array
          .output()
          .split('\n')
          .filter((line) => line.includes('pod') || line.includes('link'))
          .slice(-15)
          .join('\n');
      await waitFor(
        bothOnline,
        90_000,
        () => `trial ${trial} (${fault}): pod never back online\nA:\n${podLines(a!)}\nB:\n${podLines(b!)}`,
      );
      for (const writer of writers) writer.stop = true;
      await Promise.all(writers.map((w) => w.done));
      await waitFor(bothOnline, 90_000, () => `trial ${trial}: pod not online at the check`);

      const copies: Buffer[] = [];
      for (const array of [a!, b!]) {
        const client = await NbdTestClient.open(array.nbdPort, 'tp::vol');
        copies.push(await client.read(0, BLOCKS * BLOCK));
        client.close();
      }
      let lost = 0;
      let diverged = 0;
      for (let block = 0; block < BLOCKS; block++) {
        const onA = copies[0]!.subarray(block * BLOCK, (block + 1) * BLOCK);
        const onB = copies[1]!.subarray(block * BLOCK, (block + 1) * BLOCK);
        if (!onA.equals(onB)) diverged++;
        const writer = block < BLOCKS / 2 ? writers[0]! : writers[1]!;
        const expected = writer.acked.get(block);
        if (expected === undefined) continue;
        const allowed = new Set([expected, ...(writer.attempted.get(block) ?? [])]);
        if (!allowed.has(hashOf(onA))) lost++;
      }
      const splitBrain = writers.every((w) => w.ackedDuringSplit > 0);
      summary.trials++;
      summary.acknowledgedWrites += writers.reduce((n, w) => n + w.ackedTotal, 0);
      summary.lostWrites += lost;
      summary.divergedBlocks += diverged;
      if (splitBrain) summary.splitBrains++;
      log(
        JSON.stringify({
          trial,
          fault,
          preferred,
          acked: writers.map((w) => w.ackedTotal),
          ackedDuringSplit: writers.map((w) => w.ackedDuringSplit),
          lost,
          diverged,
        }),
      );
    }
    return summary;
  } finally {
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await proxy?.close();
    await stopMediator();
    await work.remove();
  }
}

const invokedDirectly = process.argv[1] && new URL(import.meta.url).pathname === process.argv[1];
if (invokedDirectly) {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? Number(process.argv[at + 1]) : undefined;
  };
  const summary = await runTorture(option('--trials') ?? 5, option('--seed') ?? 1);
  console.log(JSON.stringify(summary));
  process.exitCode =
    summary.lostWrites + summary.splitBrains + summary.divergedBlocks + summary.stuckWrites > 0 ? 1 : 0;
}
