// npm run bench:cinder -- the control plane's figures, each beside its peer in the same run:
// - volume creates through the Block Storage API (POST /volumes until the volume is available),
//   sequential and 32 concurrent, against the same number of direct POST /volumes on the array's
//   REST API (what the driver itself calls: the floor under the control plane);
// - failover-host of 100 async-replicated volumes to the DR array (target <= 10 s): from the
//   request until the service and every volume report failed-over.
// Not a test: docs/benchmarks.md records measured runs.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ArrayProcess,
  connectArrays,
  makeTempDir,
  restSession,
  startArrayProcess,
  waitFor,
} from '../test/helpers/array-process.js';
import {
  type CinderProcess,
  startCinderProcess,
  TEST_USERS,
  writeIdentityFile,
} from '../test/helpers/cinder-process.js';

const CREATES = Number(process.env.BENCH_CREATES ?? 200);
const FAILOVER_VOLUMES = Number(process.env.BENCH_FAILOVER_VOLUMES ?? 100);
const CONCURRENCY = 32;

interface Api {
  projectId: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the Block Storage API, read by field.
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** Logs in as admin (Keystone v3 password auth) and calls the Block Storage API with the token. */
async function cinderApi(cinder: CinderProcess): Promise<Api> {
  const auth = await fetch(`${cinder.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: 'admin', password: TEST_USERS.admin.password, domain: { name: 'Default' } },
          },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = auth.headers.get('x-subject-token')!;
  const projectId = ((await auth.json()) as { token: { project: { id: string } } }).token.project.id;
  return {
    projectId,
    async call(method, path, body) {
      const res = await fetch(`${cinder.url}/v3/${projectId}${path}`, {
        method,
        headers: {
          'x-auth-token': token,
          'content-type': 'application/json',
          'openstack-api-version': 'volume 3.70',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `count` operations at `concurrency`; returns per-second rate and p50/p99 latency (ms). */
async function measure(count: number, concurrency: number, op: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  return {
    count,
    concurrency,
    perSecond: Number((count / seconds).toFixed(1)),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

async function waitAvailable(api: Api, id: string): Promise<void> {
  for (;;) {
    const { body } = await api.call('GET', `/volumes/${id}`);
    const status = body.volume.status;
    if (status === 'available') return;
    if (status === 'error') throw new Error(`volume ${id} went to error`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  const work = await makeTempDir('tandem-bench-cinder-');
  const arrays: ArrayProcess[] = [];
  let cinder: CinderProcess | undefined;
  try {
    const [a, c] = await Promise.all([
      startArrayProcess({ name: 'bench-a', dataDir: join(work.path, 'a') }),
      startArrayProcess({ name: 'bench-c', dataDir: join(work.path, 'c') }),
    ]);
    arrays.push(a, c);
    await connectArrays(a, c, 'async-replication');
    const config = join(work.path, 'cinder.conf');
    await mkdir(join(work.path, 'state'));
    await writeFile(
      config,
      [
        '[DEFAULT]',
        'enabled_backends = puredriver-1',
        'host = tandem',
        '[database]',
        `connection = sqlite:///${join(work.path, 'state', 'cinder.sqlite')}`,
        '[puredriver-1]',
        'volume_backend_name = puredriver-1',
        'volume_driver = cinder.volume.drivers.pure.PureNBDDriver',
        `san_ip = 127.0.0.1:${a.restPort}`,
        `pure_api_token = ${await a.apiToken()}`,
        `replication_device = backend_id:pure-dr,san_ip:127.0.0.1:${c.restPort},api_token:${await c.apiToken()},type:async`,
        '',
      ].join('\n'),
    );
    cinder = await startCinderProcess({
      configFile: config,
      identityFile: await writeIdentityFile(work.path),
    });
    const api = await cinderApi(cinder);
    // The default quota (10 volumes) would stop the bench: lift it for the admin project.
    await api.call('PUT', `/os-quota-sets/${api.projectId}`, { quota_set: { volumes: -1, gigabytes: -1 } });
    const array = await restSession(a);
    const GiB = 1024 * 1024 * 1024;

    const viaCinder = (prefix: string) => async (i: number) => {
      const res = await api.call('POST', '/volumes', { volume: { size: 1, name: `${prefix}-${i}` } });
      if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      await waitAvailable(api, res.body.volume.id);
    };
    const viaArray = (prefix: string) => async (i: number) => {
      const res = await array.call('POST', `/volumes?names=${prefix}-${i}`, { provisioned: GiB });
      if (res.status !== 200) throw new Error(`array create: ${res.status}`);
    };
    const creates = {
      cinderSequential: await measure(CREATES, 1, viaCinder('seq')),
      arraySequential: await measure(CREATES, 1, viaArray('aseq')),
      cinderConcurrent: await measure(CREATES, CONCURRENCY, viaCinder('par')),
      arrayConcurrent: await measure(CREATES, CONCURRENCY, viaArray('apar')),
    };

    // Failover-host: 100 async-replicated volumes, their protection group sent to the DR array.
    const type = await api.call('POST', '/types', { volume_type: { name: 'AsyncReplicated' } });
    await api.call('POST', `/types/${type.body.volume_type.id}/extra_specs`, {
      extra_specs: { replication_enabled: '<is> True', replication_type: '<in> async' },
    });
    await measure(FAILOVER_VOLUMES, CONCURRENCY, async (i) => {
      const res = await api.call('POST', '/volumes', {
        volume: { size: 1, name: `repl-${i}`, volume_type: 'AsyncReplicated' },
      });
      await waitAvailable(api, res.body.volume.id);
    });
    await array.call('POST', '/protection-group-snapshots?source_names=cinder-group&replicate_now=true', {});
    const dr = await restSession(c);
    await waitFor(
      async () =>
        (
          await dr.call('GET', '/protection-group-snapshots/transfer?names=bench-a:cinder-group')
        ).body.items.some((s: { progress: number }) => s.progress === 1),
      300_000,
      () => 'the protection group never reached the DR array',
    );
    const started = performance.now();
    const failover = await api.call('PUT', '/os-services/failover_host', {
      host: 'tandem@puredriver-1',
      backend_id: 'pure-dr',
    });
    if (failover.status !== 202)
      throw new Error(`failover_host: ${failover.status} ${JSON.stringify(failover.body)}`);
    await waitFor(
      async () => {
        const services = (await api.call('GET', '/os-services?binary=cinder-volume')).body.services;
        if (services[0]?.replication_status !== 'failed-over') return false;
        const volumes = (await api.call('GET', '/volumes/detail?all_tenants=1')).body.volumes;
        return volumes
          .filter((v: { name: string }) => v.name.startsWith('repl-'))
          .every((v: { replication_status: string }) => v.replication_status === 'failed-over');
      },
      300_000,
      () => 'the failover never finished',
    );
    const failoverSeconds = Number(((performance.now() - started) / 1000).toFixed(2));

    const result = {
      creates,
      failover: { volumes: FAILOVER_VOLUMES, seconds: failoverSeconds, targetSeconds: 10 },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log('\nvolume creates (1 GiB)         | per second | p50 ms | p99 ms');
    for (const [name, r] of Object.entries(creates))
      console.log(`${name.padEnd(30)} | ${String(r.perSecond).padStart(10)} | ${r.p50Ms} | ${r.p99Ms}`);
    console.log(
      `cinder/array rate: sequential ${(creates.cinderSequential.perSecond / creates.arraySequential.perSecond).toFixed(2)}, ` +
        `32 concurrent ${(creates.cinderConcurrent.perSecond / creates.arrayConcurrent.perSecond).toFixed(2)}`,
    );
    console.log(
      `failover-host of ${FAILOVER_VOLUMES} async-replicated volumes: ${failoverSeconds} s (target <= 10 s)`,
    );
  } finally {
    await cinder?.stop().catch(() => {});
    for (const array of arrays) await array.stop().catch(() => {});
    await work.remove();
  }
}

await main();
