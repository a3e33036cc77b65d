// GET /metrics: the array's OpenMetrics exposition (docs/monitoring.md), outside /api/2.x as a
// scrape target is. It needs the array's API token, as Pure's exporter does to read an array:
// `Authorization: Bearer <api-token>` (Prometheus' `authorization` block) or the REST login's
// `api-token` header. A REST session token is not enough, because sessions expire while a
// scraper runs for months. The token is compared in constant time and never echoed.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectArrayFamilies } from '../../../metrics/array-collector.js';
import { CONTENT_TYPES, MetricSet, negotiateFormat, render } from '../../../metrics/exposition.js';
import { collectTandemFamilies } from '../../../metrics/replication-collector.js';
import { TransferBytes } from '../../../metrics/transfer-bytes.js';
import type { StorageArray } from '../../array.js';
import { invalidApiToken } from '../rest-error.js';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  apiToken: string;
  capacityBytes: () => number;
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

function presentedToken(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') return BEARER.exec(authorization)?.[1];
  const apiToken = request.headers['api-token'];
  return typeof apiToken === 'string' ? apiToken : undefined;
}

function sameToken(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const left = Buffer.from(presented);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function metricsRoutes(app: FastifyInstance, array: StorageArray, options: MetricsRouteOptions): void {
  // One per server: the replication byte counters must outlive a scrape.
  const transfers = new TransferBytes();
  app.get(METRICS_PATH, async (request, reply) => {
    if (!sameToken(presentedToken(request), options.apiToken)) {
      reply.header('WWW-Authenticate', 'Bearer realm="tandem"');
      throw invalidApiToken();
    }
    const set = new MetricSet();
    collectArrayFamilies(set, array, options.capacityBytes());
    collectTandemFamilies(set, array, transfers, Date.now());
    const format = negotiateFormat(request.headers.accept);
    reply.type(CONTENT_TYPES[format]);
    return render(set.list(), format);
  });
}
