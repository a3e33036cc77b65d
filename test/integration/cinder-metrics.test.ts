// GET /metrics on the control plane (in-process API, fake volume service): no token needed,
// requests counted by route pattern, volumes by status, services, backend capacity; promtool and
// the OpenMetrics parser accept it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PROJECT_ID, startHarness } from '../helpers/cinder-api-harness.js';
import {
  ACCEPT_OPENMETRICS,
  ACCEPT_TEXT,
  dashboardMetricNames,
  openMetricsCheck,
  parseSamples,
  promtoolCheck,
  sampleValue,
} from '../helpers/metrics-scrape.js';

const GiB = 1024 ** 3;
/** The fake volume service's one pool (test/helpers/fake-services.ts). */
const FAKE_POOL = 'tandem@pure#pure';
const FAKE_TOTAL_GIB = 1024;

async function scrape(url: string, accept: string) {
  const res = await fetch(`${url}/metrics`, { headers: { accept } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

test('control plane metrics: requests by route pattern, volumes by status, services, backend capacity', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const token = await h.token();
  const base = `/v3/${ADMIN_PROJECT_ID}`;
  for (const name of ['m1', 'm2']) {
    const res = await h.http('POST', `${base}/volumes`, { token, body: { volume: { size: 2, name } } });
    assert.equal(res.status, 202);
  }
  const id = (await h.http('GET', `${base}/volumes`, { token })).body.volumes[0].id;
  assert.equal((await h.http('GET', `${base}/volumes/${id}`, { token })).status, 200);
  assert.equal((await h.http('GET', `${base}/volumes`)).status, 401);
  assert.equal((await h.http('GET', '/no/such/path', { token })).status, 404);
  const freeze = await h.http('PUT', `${base}/os-services/freeze`, { token, body: { host: 'tandem@pure' } });
  assert.equal(freeze.status, 200);

  const res = await scrape(h.api.url, ACCEPT_OPENMETRICS);
  assert.equal(res.status, 200, 'no token needed');
  assert.match(res.contentType, /^application\/openmetrics-text/);
  assert.ok(res.text.endsWith('# EOF\n'));
  assert.ok(!res.text.includes(id) && !res.text.includes(ADMIN_PROJECT_ID), 'no ids in the exposition');
  const samples = parseSamples(res.text);
  const requests = (method: string, route: string, status: string) =>
    sampleValue(samples, 'cinder_api_requests_total', { method, route, status });
  assert.equal(requests('POST', '/v3/:project_id/volumes', '202'), 2);
  assert.equal(requests('GET', '/v3/:project_id/volumes/:id', '200'), 1);
  assert.equal(requests('GET', '/v3/:project_id/volumes', '401'), 1);
  assert.equal(requests('GET', 'unmatched', '404'), 1);
  assert.equal(
    sampleValue(samples, 'cinder_api_request_duration_seconds_count', {
      method: 'POST',
      route: '/v3/:project_id/volumes',
      status: '202',
    }),
    2,
  );
  assert.ok(!samples.some((s) => s.labels.route === '/metrics'), 'scrapes are not counted');

  assert.equal(
    sampleValue(samples, 'cinder_volumes', { status: 'available', replication_status: 'disabled' }),
    2,
  );
  const volumeService = { host: 'tandem@pure', binary: 'cinder-volume' };
  assert.equal(sampleValue(samples, 'cinder_service_up', volumeService), 1);
  // Cinder's freeze_host disables the service too (reason 'frozen'); the scheduler stays enabled.
  assert.equal(sampleValue(samples, 'cinder_service_disabled', volumeService), 1);
  assert.equal(
    sampleValue(samples, 'cinder_service_disabled', { host: 'tandem', binary: 'cinder-scheduler' }),
    0,
  );
  assert.equal(sampleValue(samples, 'cinder_service_frozen', { host: 'tandem@pure' }), 1);
  assert.equal(sampleValue(samples, 'cinder_service_active_backend', { host: 'tandem@pure' }), 1);
  const active = samples.find((s) => s.name === 'cinder_service_active_backend');
  assert.equal(active?.labels.active_backend_id, 'default');
  const pool = { backend: 'tandem@pure', pool: FAKE_POOL };
  assert.equal(sampleValue(samples, 'cinder_backend_total_capacity_bytes', pool), FAKE_TOTAL_GIB * GiB);
  assert.equal(sampleValue(samples, 'cinder_backend_free_capacity_bytes', pool), (FAKE_TOTAL_GIB - 4) * GiB);
  assert.equal(sampleValue(samples, 'cinder_backend_up', pool), 1);

  // The Grafana dashboard asks only for series the control plane writes (the fake volume
  // service's stats have no provisioned_capacity_gb; the driver's do).
  const names = new Set(samples.map((s) => s.name));
  const missing = (await dashboardMetricNames('cinder_')).filter((name) => !names.has(name));
  assert.deepEqual(missing, ['cinder_backend_provisioned_capacity_bytes']);

  await promtoolCheck((await scrape(h.api.url, ACCEPT_TEXT)).text);
  assert.ok((await openMetricsCheck(res.text)) >= 10);
});
