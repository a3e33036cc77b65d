// npm run bench:replication -- replication figures measured in one run, each with its baseline:
// - sync (stretched pod) 4 KiB random writes on the leader and on the other array, against an
//   unreplicated volume on the same array (QD1 latency and QD32 IOPS, fio nbd engine);
// - async: wire bytes against changed bytes for a half-duplicate, compressible data set and for a
//   small random change;
// - resync: bytes sent against bytes written while the peer was down;
// - survivor: time from kill -9 of the peer to the first acknowledged write.
// Not a test: docs/benchmarks.md records measured runs.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type ArrayProcess,
  makeTempDir,
  restSession,
  startArrayProcess,
  waitFor,
} from '../test/helpers/array-process.js';
import { startMediatorProcess } from '../test/helpers/mediator-process.js';
import { NbdTestClient } from '../test/helpers/nbd-client.js';

const exec = promisify(execFile);
const RUNTIME_SECONDS = Number(process.env.BENCH_RUNTIME_SECONDS ?? 8);
const MiB = 1024 * 1024;

async function fio(uri: string, iodepth: number) {
  const { stdout } = await exec(
    'fio',
    [
      '--name=bench',
      '--ioengine=nbd',
      `--uri=${uri}`,
      '--rw=randwrite',
      '--bs=4k',
      `--iodepth=${iodepth}`,
      '--size=256m',
      `--runtime=${RUNTIME_SECONDS}`,
      '--time_based',
      '--output-format=json',
    ],
    { maxBuffer: 64 * MiB },
  );
  const write = JSON.parse(stdout.slice(stdout.indexOf('{'))).jobs[0].write;
  return { iops: Math.round(write.iops), meanLatencyUsec: Math.round(write.lat_ns.mean / 1000) };
}

async function call(array: ArrayProcess, method: string, path: string, body?: unknown) {
  const res = await (await restSession(array)).call(method, path, body);
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function main() {
  const work = await makeTempDir('tandem-bench-repl-');
  const mediator = await startMediatorProcess(join(work.path, 'm'));
  const arrays: ArrayProcess[] = [];
  try {
    const a = await startArrayProcess({ name: 'bench-a', dataDir: join(work.path, 'a') });
    arrays.push(a);
    let b = await startArrayProcess({ name: 'bench-b', dataDir: join(work.path, 'b') });
    arrays.push(b);
    const c = await startArrayProcess({ name: 'bench-c', dataDir: join(work.path, 'c') });
    arrays.push(c);
    const keyB = (await call(b, 'GET', '/array-connections/connection-key')).items[0].connection_key;
    await call(a, 'POST', '/array-connections', {
      connection_key: keyB,
      type: 'sync-replication',
      replication_addresses: [`127.0.0.1:${b.replicationPort}`],
    });
    const keyC = (await call(c, 'GET', '/array-connections/connection-key')).items[0].connection_key;
    await call(a, 'POST', '/array-connections', {
      connection_key: keyC,
      type: 'async-replication',
      replication_addresses: [`127.0.0.1:${c.replicationPort}`],
    });
    await call(a, 'POST', '/pods?names=pod1', { failover_preferences: [{ name: 'bench-a' }] });
    await call(a, 'PATCH', '/pods?names=pod1', { mediator: mediator.url });
    await call(a, 'POST', '/volumes?names=pod1::vol', { provisioned: 256 * MiB });
    await call(a, 'POST', '/volumes?names=plain', { provisioned: 256 * MiB });
    await call(a, 'POST', '/pods/arrays?group_names=pod1&member_names=bench-b');
    for (const [array, iqn] of [
      [a, 'iqn.2026-11.bench:a'],
      [b, 'iqn.2026-11.bench:b'],
    ] as const) {
      await call(array, 'POST', '/hosts?names=bench', { iqns: [iqn] });
      await call(array, 'POST', '/connections?host_names=bench&volume_names=pod1::vol');
    }
    await call(a, 'POST', '/connections?host_names=bench&volume_names=plain');
    await waitFor(
      async () =>
        (await call(b, 'GET', '/pods?names=pod1')).items[0].arrays.every(
          (m: { status: string }) => m.status === 'online',
        ),
      60_000,
      () => 'pod never online',
    );

    // Sync against unreplicated, same array, same run.
    const sync: Record<string, { iops: number; meanLatencyUsec: number }> = {};
    for (const depth of [1, 32]) {
      sync[`plain QD${depth}`] = await fio(`nbd://127.0.0.1:${a.nbdPort}/plain`, depth);
      sync[`pod on leader QD${depth}`] = await fio(`nbd://127.0.0.1:${a.nbdPort}/pod1::vol`, depth);
      sync[`pod on other array QD${depth}`] = await fio(`nbd://127.0.0.1:${b.nbdPort}/pod1::vol`, depth);
    }

    // Async: 64 MiB where every block appears twice and half the blocks are text-like.
    await call(a, 'POST', '/volumes?names=asyncvol', { provisioned: 64 * MiB });
    await call(a, 'POST', '/connections?host_names=bench&volume_names=asyncvol');
    const writer = await NbdTestClient.open(a.nbdPort, 'asyncvol');
    for (let offset = 0; offset < 64 * MiB; offset += 8192) {
      const block =
        (offset / 8192) % 2 === 0 ? randomBytes(4096) : Buffer.alloc(4096, `bench block ${offset} `);
      await writer.write(offset, Buffer.concat([block, block]));
    }
    await call(a, 'POST', '/protection-groups?names=pg');
    await call(a, 'POST', '/protection-groups/volumes?group_names=pg&member_names=asyncvol');
    await call(a, 'POST', '/protection-groups/targets?group_names=pg&member_names=bench-c');
    await call(c, 'PATCH', `/protection-groups/targets?group_names=${encodeURIComponent('bench-a:pg')}`, {
      allowed: true,
    });
    await waitFor(
      async () => (await call(a, 'GET', '/protection-groups/targets?group_names=pg')).items[0].allowed,
      10_000,
      () => 'never allowed',
    );
    const transferred = async (name: string) => {
      await waitFor(
        async () =>
          (await call(a, 'GET', `/protection-group-snapshots/transfer?names=${name}`)).items[0].progress ===
          1,
        120_000,
        () => `${name} never completed`,
      );
      return (await call(a, 'GET', `/protection-group-snapshots/transfer?names=${name}`)).items[0]
        .data_transferred;
    };
    await call(a, 'POST', '/protection-group-snapshots?source_names=pg&replicate_now=true', {});
    const fullWire = await transferred('pg.1');
    await writer.write(0, randomBytes(4 * MiB));
    writer.close();
    await call(a, 'POST', '/protection-group-snapshots?source_names=pg&replicate_now=true', {});
    const incrementalWire = await transferred('pg.2');

    // Survivor: kill -9 the other array, time the first acknowledged write on the leader.
    const survivor = await NbdTestClient.open(a.nbdPort, 'pod1::vol');
    await survivor.write(0, randomBytes(4096));
    await b.kill();
    const killedAt = Date.now();
    await survivor.write(4096, randomBytes(4096));
    const resumeMs = Date.now() - killedAt;
    const whileAlone = 16 * MiB;
    await survivor.write(32 * MiB, randomBytes(whileAlone));
    survivor.close();
    b = await b.restart();
    arrays[1] = b;
    await waitFor(
      async () =>
        (await call(a, 'GET', '/pods?names=pod1')).items[0].arrays.every(
          (m: { status: string }) => m.status === 'online',
        ),
      120_000,
      () => 'pod never back online',
    );
    const resyncs = [...a.output().matchAll(/"resyncBytes":(\d+)/g)].map((m) => Number(m[1]));
    const resyncBytes = (resyncs.at(-1) ?? 0) - (resyncs.at(-2) ?? 0);

    const result = {
      runtimeSeconds: RUNTIME_SECONDS,
      sync,
      async: {
        full: { changedBytes: 64 * MiB, uniqueBytes: 32 * MiB, wireBytes: fullWire },
        incremental: { changedBytes: 4 * MiB, wireBytes: incrementalWire },
      },
      resync: { writtenWhileAloneBytes: whileAlone + 4096, sentBytes: resyncBytes },
      survivorResumeMs: resumeMs,
    };
    console.log(JSON.stringify(result, null, 2));
    const ratio = (x: number, y: number) => (x / y).toFixed(2);
    console.log('\nworkload (4k randwrite) | IOPS | mean latency | vs plain');
    for (const depth of [1, 32]) {
      const plain = sync[`plain QD${depth}`]!;
      for (const name of [`plain QD${depth}`, `pod on leader QD${depth}`, `pod on other array QD${depth}`]) {
        const r = sync[name]!;
        console.log(
          `${name.padEnd(24)} | ${r.iops} | ${r.meanLatencyUsec} us | latency x${ratio(r.meanLatencyUsec, plain.meanLatencyUsec)}`,
        );
      }
    }
    console.log(`async full: ${fullWire} wire bytes for ${64 * MiB} changed (${ratio(fullWire, 64 * MiB)})`);
    console.log(
      `async incremental: ${incrementalWire} wire bytes for ${4 * MiB} changed (${ratio(incrementalWire, 4 * MiB)})`,
    );
    console.log(
      `resync: ${resyncBytes} bytes sent for ${whileAlone + 4096} written alone (${ratio(resyncBytes, whileAlone + 4096)})`,
    );
    console.log(`survivor resumed writes ${resumeMs} ms after kill -9 of the peer`);
  } finally {
    for (const array of arrays) await array.stop().catch(() => {});
    await mediator.stop();
    await work.remove();
  }
}

await main();
