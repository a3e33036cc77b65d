// GET /metrics on two real array processes: the API token is required, NBD writes show up as
// IOPS, a replicated protection group snapshot as its last transfer, lag and bytes on both
// arrays, a stretched pod as online on both; promtool and the OpenMetrics parser accept it all.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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
import {
  ACCEPT_OPENMETRICS,
  ACCEPT_TEXT,
  dashboardMetricNames,
  openMetricsCheck,
  type ParsedSample,
  parseSamples,
  promtoolCheck,
  sampleValue,
  scrapeArray,
} from '../helpers/metrics-scrape.js';
import { NbdTestClient } from '../helpers/nbd-client.js';
import { startPrometheus } from '../helpers/prometheus-process.js';

const MiB = 1024 * 1024;
const VOLUME_BYTES = 8 * MiB;
const WRITE_BYTES = 4096;
const WRITE_COUNT = 200;
/** The purefa_ performance gauges average over the last 5 whole seconds (PerfCounters.rates). */
const RATE_WINDOW_SECONDS = 5;
/** Prometheus scrapes every second here; its first scrapes follow its startup. */
const PROMETHEUS_SCRAPE_TIMEOUT_MS = 20_000;

let a: ArrayProcess;
let b: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };

function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function scrape(array: ArrayProcess, accept = ACCEPT_OPENMETRICS) {
  const res = await scrapeArray(array.restPort, {
    authorization: `Bearer ${await array.apiToken()}`,
    accept,
  });
  assert.equal(res.status, 200, res.text);
  return res;
}

async function samplesOf(array: ArrayProcess) {
  return parseSamples((await scrape(array)).text);
}

before(async () => {
  work = await makeTempDir('tandem-metrics-');
  a = await startArrayProcess({ name: 'array-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'array-b', dataDir: join(work.path, 'b') });
  await connectArrays(a, b, 'sync-replication');
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await work?.remove();
});

test('metrics: the API token is required, as a Bearer token or the api-token header, and never echoed', async () => {
  const token = await a.apiToken();
  const none = await scrapeArray(a.restPort, {});
  assert.equal(none.status, 401);
  assert.match(String(none.wwwAuthenticate), /^Bearer/);
  const wrong = await scrapeArray(a.restPort, { authorization: 'Bearer not-the-token' });
  assert.equal(wrong.status, 401);
  assert.ok(!wrong.text.includes('not-the-token'));
  const session = await scrapeArray(a.restPort, { 'x-auth-token': (await restSession(a)).token });
  assert.equal(session.status, 401, 'a REST session is not a scrape credential');

  const bearer = await scrapeArray(a.restPort, { authorization: `Bearer ${token}` });
  assert.equal(bearer.status, 200);
  assert.match(bearer.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
  assert.ok(bearer.text.endsWith('# EOF\n'));
  assert.ok(!bearer.text.includes(token), 'the token is not in the exposition');
  const header = await scrapeArray(a.restPort, { 'api-token': token, accept: ACCEPT_TEXT });
  assert.equal(header.status, 200);
  assert.match(header.contentType, /^text\/plain; version=0\.0\.4/);
  assert.ok(!header.text.includes('# EOF'));
  const info = parseSamples(bearer.text).find((s) => s.name === 'purefa_info');
  assert.equal(info?.labels.array_name, 'array-a');
  assert.equal(info?.labels.os, 'Purity//FA');
});

test('metrics: NBD writes show as IOPS and bandwidth of the array and the volume, and as counters', async () => {
  const sa = await restSession(a);
  ok(await sa.call('POST', '/volumes?names=vol1', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/hosts?names=app', { iqns: ['iqn.2026-11.test:app-a'] }));
  ok(await sa.call('POST', '/connections?host_names=app&volume_names=vol1'));
  const before = await samplesOf(a);
  const writesBefore = sampleValue(before, 'tandem_array_io_ops_total', { op: 'write' }) ?? 0;
  const client = await NbdTestClient.open(a.nbdPort, 'vol1');
  for (let i = 0; i < WRITE_COUNT; i++) await client.write(i * WRITE_BYTES, randomBytes(WRITE_BYTES));
  client.close();

  // Rates cover whole seconds and space is recomputed every 2 s (SPACE_CACHE_MS): poll for both.
  const virtualOf = (samples: ParsedSample[]) =>
    sampleValue(samples, 'purefa_volume_space_bytes', { name: 'vol1', space: 'virtual' });
  let samples = before;
  await waitFor(
    async () => {
      samples = await samplesOf(a);
      const iops = sampleValue(samples, 'purefa_array_performance_throughput_iops', {
        dimension: 'writes_per_sec',
      });
      return (iops ?? 0) > 0 && virtualOf(samples) === WRITE_COUNT * WRITE_BYTES;
    },
    RATE_WINDOW_SECONDS * 1000,
    () => `writes_per_sec or virtual space never showed the writes:\n${samples.length} samples`,
  );
  // All the writes fall in the 5-second window, maybe split across two scrapes' whole seconds.
  const arrayIops = sampleValue(samples, 'purefa_array_performance_throughput_iops', {
    dimension: 'writes_per_sec',
  })!;
  assert.ok(arrayIops <= Math.ceil(WRITE_COUNT / RATE_WINDOW_SECONDS), `array writes_per_sec ${arrayIops}`);
  const volume = { name: 'vol1', dimension: 'writes_per_sec' };
  assert.ok((sampleValue(samples, 'purefa_volume_performance_throughput_iops', volume) ?? 0) > 0);
  const bandwidth = sampleValue(samples, 'purefa_volume_performance_bandwidth_bytes', {
    name: 'vol1',
    dimension: 'write_bytes_per_sec',
  });
  assert.ok((bandwidth ?? 0) >= WRITE_BYTES, `write_bytes_per_sec ${bandwidth}`);
  const latency = sampleValue(samples, 'purefa_array_performance_latency_usec', {
    dimension: 'usec_per_write_op',
  });
  assert.ok((latency ?? 0) > 0, 'write latency measured');
  const writesAfter = sampleValue(samples, 'tandem_array_io_ops_total', { op: 'write' })!;
  assert.equal(writesAfter - writesBefore, WRITE_COUNT, 'the counter holds every write');
  const naa = samples.find((s) => s.name === 'purefa_volume_space_bytes' && s.labels.name === 'vol1');
  assert.match(String(naa?.labels.naa_id), /^naa\.624a9370[0-9A-F]{24}$/);
  assert.ok((sampleValue(samples, 'purefa_array_space_bytes', { space: 'capacity' }) ?? 0) > 0);
});

test('metrics: a replicated protection group snapshot shows its last transfer, lag and bytes on both arrays', async () => {
  const sa = await restSession(a);
  const sb = await restSession(b);
  ok(await sa.call('POST', '/protection-groups?names=pg1'));
  ok(await sa.call('POST', '/protection-groups/volumes?group_names=pg1&member_names=vol1'));
  ok(await sa.call('POST', '/protection-groups/targets?group_names=pg1&member_names=array-b'));
  ok(
    await sb.call('PATCH', `/protection-groups/targets?group_names=${encodeURIComponent('array-a:pg1')}`, {
      allowed: true,
    }),
  );
  const snap = ok(
    await sa.call('POST', '/protection-group-snapshots?source_names=pg1&replicate_now=true', {}),
  ).items[0];
  const transferOf = async () =>
    ok(await sa.call('GET', `/protection-group-snapshots/transfer?names=${snap.name}`)).items[0];
  await waitFor(
    async () => (await transferOf()).progress === 1,
    30_000,
    () => 'the snapshot never replicated',
  );
  const transfer = await transferOf();

  const labels = { pgroup: 'pg1', source: 'array-a', target: 'array-b' };
  const startMs = Date.now();
  const onA = await samplesOf(a);
  const endMs = Date.now();
  assert.equal(
    sampleValue(onA, 'tandem_pgroup_last_transfer_completed_timestamp_seconds', labels),
    transfer.completed / 1000,
  );
  const lag = sampleValue(onA, 'tandem_pgroup_replication_lag_seconds', labels)!;
  assert.ok(lag >= (startMs - snap.created) / 1000 && lag <= (endMs - snap.created) / 1000, `lag ${lag}`);
  assert.equal(sampleValue(onA, 'tandem_pgroup_transfer_progress_ratio', labels), 1);
  const sent = sampleValue(onA, 'tandem_pgroup_replication_sent_bytes_total', {
    pgroup: 'pg1',
    target: 'array-b',
  });
  assert.equal(sent, transfer.data_transferred);
  // 200 random 4 KiB blocks do not compress: about as many block bytes as wire bytes.
  const reduction = sampleValue(onA, 'tandem_pgroup_replication_wire_reduction_ratio', labels)!;
  assert.ok(reduction > 0.9 && reduction <= 1, `wire reduction ${reduction}`);

  // The target knows its own RPO: the replica group carries the same lag, measured there.
  const onB = await samplesOf(b);
  const replica = { pgroup: 'array-a:pg1', source: 'array-a', target: 'array-b' };
  assert.ok((sampleValue(onB, 'tandem_pgroup_replication_lag_seconds', replica) ?? -1) >= lag);
  const received = sampleValue(onB, 'tandem_pgroup_replication_received_bytes_total', {
    pgroup: 'array-a:pg1',
    source: 'array-a',
  });
  assert.ok((received ?? 0) >= WRITE_COUNT * WRITE_BYTES * 0.9, `received ${received}`);
});

test('metrics: a stretched pod is online on both arrays as each sees it; the connection is connected', async () => {
  const sa = await restSession(a);
  ok(await sa.call('POST', '/pods?names=pod1'));
  ok(await sa.call('POST', '/volumes?names=pod1::db', { provisioned: VOLUME_BYTES }));
  ok(await sa.call('POST', '/pods/arrays?group_names=pod1&member_names=array-b'));
  const online = (samples: ParsedSample[], array: string) =>
    sampleValue(samples, 'tandem_pod_array_status', { pod: 'pod1', array, status: 'online' }) === 1;
  await waitFor(
    async () => {
      const [onA, onB] = [await samplesOf(a), await samplesOf(b)];
      return (
        online(onA, 'array-a') && online(onA, 'array-b') && online(onB, 'array-a') && online(onB, 'array-b')
      );
    },
    60_000,
    () => `pod1 never online on both:\n${a.output().slice(-1500)}\n${b.output().slice(-1500)}`,
  );
  const onB = await samplesOf(b);
  assert.equal(
    sampleValue(onB, 'tandem_pod_array_status', { pod: 'pod1', array: 'array-b', status: 'resyncing' }),
    0,
  );
  assert.equal(sampleValue(onB, 'tandem_pod_leader', { pod: 'pod1', array: 'array-a' }), 1);
  // The baseline copy is a resync from A: A counts what it sent (an empty volume sends no blocks).
  const onA = await samplesOf(a);
  assert.equal(typeof sampleValue(onA, 'tandem_pod_resync_sent_bytes_total', { pod: 'pod1' }), 'number');
  const mediator = onB.filter((s) => s.name === 'purefa_pod_mediator_status' && s.labels.pod === 'pod1');
  assert.deepEqual(mediator.map((s) => s.labels.array).sort(), ['array-a', 'array-b']);
  assert.ok(onB.some((s) => s.name === 'purefa_pod_space_bytes' && s.labels.name === 'pod1'));
  const connected = { remote: 'array-b', type: 'sync-replication', status: 'connected' };
  assert.equal(sampleValue(await samplesOf(a), 'tandem_array_connection_status', connected), 1);
  assert.equal(
    sampleValue(onB, 'tandem_array_connection_status', { remote: 'array-a', status: 'connecting' }),
    0,
    'b sees the connection up too',
  );
});

test('metrics: promtool accepts the text format and the OpenMetrics parser the OpenMetrics one, on both arrays', async () => {
  const names = new Set<string>();
  for (const array of [a, b]) {
    await promtoolCheck((await scrape(array, ACCEPT_TEXT)).text);
    const text = (await scrape(array)).text;
    const families = await openMetricsCheck(text);
    assert.ok(families > 20, `${array.name}: ${families} families`);
    for (const sample of parseSamples(text)) names.add(sample.name);
  }
  // The Grafana dashboard asks only for series the arrays write.
  const wanted = [...(await dashboardMetricNames('purefa_')), ...(await dashboardMetricNames('tandem_'))];
  assert.deepEqual(
    wanted.filter((name) => !names.has(name)),
    [],
  );
});

test('metrics: a real Prometheus scrapes both arrays with the documented configuration', async () => {
  // docs/monitoring.md: one job per array (each has its own token), the token file as Bearer
  // credentials, the array's self-signed certificate as the CA.
  const jobs = [a, b].map((array) => ({
    job_name: array.name,
    scheme: 'https',
    authorization: { type: 'Bearer', credentials_file: join(array.dataDir, 'api-token') },
    tls_config: { ca_file: join(array.dataDir, 'tls', 'cert.pem') },
    static_configs: [{ targets: [`127.0.0.1:${array.restPort}`] }],
  }));
  const prometheus = await startPrometheus(work.path, jobs);
  try {
    await waitFor(
      async () => (await prometheus.query('purefa_info')).length === 2,
      PROMETHEUS_SCRAPE_TIMEOUT_MS,
      () => 'Prometheus never scraped both arrays',
    );
    const up = await prometheus.query('up');
    assert.deepEqual(
      up.map((s) => s.value),
      [1, 1],
    );
    const online = await prometheus.query('tandem_pod_array_status{pod="pod1",status="online"} == 1');
    assert.equal(online.length, 4, 'each array sees both members online');
    const lag = await prometheus.query('tandem_pgroup_replication_lag_seconds');
    assert.deepEqual(lag.map((s) => s.metric.pgroup).sort(), ['array-a:pg1', 'pg1']);
  } finally {
    await prometheus.stop();
  }
});
