// HTTP request counts and a latency histogram per (method, route pattern, status). The route is
// the pattern the router matched ('/v3/:project_id/volumes/:id'), never the raw URL, so ids do
// not become label values; requests no route matched share route="unmatched". The number of
// series is still capped, because methods and statuses come from clients.

import type { Labels, MetricSet } from './exposition.js';

/** Upper bounds of the latency buckets: from a cached GET (ms) to a slow create or failover (s). */
export const REQUEST_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Series kept per family; later label sets are counted under method/route/status "other". */
export const REQUEST_SERIES_MAX = 1000;
export const UNMATCHED_ROUTE = 'unmatched';

interface Series {
  labels: Labels;
  /** Per bucket (not cumulative: made cumulative when written). */
  bucketCounts: number[];
  sumSeconds: number;
  count: number;
}

const OVERFLOW: Labels = { method: 'other', route: 'other', status: 'other' };

export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  constructor(private readonly prefix: string) {}

  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    let labels: Labels = { method, route: route ?? UNMATCHED_ROUTE, status: String(status) };
    let key = JSON.stringify(labels);
    if (!this.series.has(key) && this.series.size >= REQUEST_SERIES_MAX) {
      labels = OVERFLOW;
      key = JSON.stringify(labels);
    }
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels,
        bucketCounts: REQUEST_DURATION_BUCKETS_SECONDS.map(() => 0),
        sumSeconds: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    const bucket = REQUEST_DURATION_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
    if (bucket >= 0) series.bucketCounts[bucket]!++;
    series.sumSeconds += seconds;
    series.count++;
  }

  collect(set: MetricSet): void {
    const requests = set.counter(
      `${this.prefix}_requests`,
      'HTTP requests answered, by method, route and status',
    );
    const duration = set.histogram(
      `${this.prefix}_request_duration_seconds`,
      'Time from request to response, by method, route and status',
      'seconds',
    );
    for (const series of this.series.values()) {
      requests(series.labels, series.count);
      let cumulative = 0;
      const buckets = REQUEST_DURATION_BUCKETS_SECONDS.map((le, i) => {
        cumulative += series.bucketCounts[i]!;
        return { le, count: cumulative };
      });
      duration({ labels: series.labels, buckets, sum: series.sumSeconds, count: series.count });
    }
  }
}
