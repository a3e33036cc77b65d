// GET /metrics on the control plane's port: request counts and latency of this API, and the
// volume service's state (src/metrics/cinder-collector.ts). It takes no Keystone token: a
// scraper cannot keep one (tokens expire and are issued for a password), and what it shows is
// aggregate (counts by status, service hosts, backend capacity), never a tenant's ids or names.
// Keep the port on the management network, as Cinder's API usually is (docs/monitoring.md).

import type { FastifyInstance } from 'fastify';
import { collectCinderFamilies } from '../../metrics/cinder-collector.js';
import { CONTENT_TYPES, MetricSet, negotiateFormat, render } from '../../metrics/exposition.js';
import { RequestMetrics } from '../../metrics/request-metrics.js';
import type { ApiDeps } from './route-context.js';

export const CINDER_METRICS_PATH = '/metrics';
const MS_PER_SECOND = 1000;

/** Call before any route is registered, so the timing hook sees every route. */
export function installApiMetrics(app: FastifyInstance, deps: Pick<ApiDeps, 'volumeApi' | 'nowMs'>): void {
  const requests = new RequestMetrics('cinder_api');
  app.addHook('onResponse', async (request, reply) => {
    // Scrapes are left out, so the request rate is the clients' traffic.
    if (request.routeOptions.url === CINDER_METRICS_PATH) return;
    requests.observe(
      request.method,
      request.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / MS_PER_SECOND,
    );
  });
  app.get(CINDER_METRICS_PATH, async (request, reply) => {
    const set = new MetricSet();
    requests.collect(set);
    collectCinderFamilies(set, deps.volumeApi, deps.nowMs());
    const format = negotiateFormat(request.headers.accept);
    reply.type(CONTENT_TYPES[format]);
    return render(set.list(), format);
  });
}
