// The OpenMetrics writer: escaping, counter suffixes, UNIT and EOF, the 0.0.4 fallback, content
// negotiation, histograms, and the assertions that catch our own naming mistakes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  MetricSet,
  negotiateFormat,
  render,
} from '../../src/metrics/exposition.js';
import { REQUEST_DURATION_BUCKETS_SECONDS, RequestMetrics } from '../../src/metrics/request-metrics.js';

test('openmetrics: counters get _total on samples only, UNIT follows TYPE, output ends with # EOF', () => {
  const set = new MetricSet();
  set.counter('tandem_io_bytes', 'Bytes moved', 'bytes')({ op: 'read' }, 4096);
  set.gauge('purefa_info', 'FlashArray system information')({ array_name: 'a1' }, 1);
  const text = render(set.list(), 'openmetrics');
  assert.equal(
    text,
    [
      '# HELP tandem_io_bytes Bytes moved',
      '# TYPE tandem_io_bytes counter',
      '# UNIT tandem_io_bytes bytes',
      'tandem_io_bytes_total{op="read"} 4096',
      '# HELP purefa_info FlashArray system information',
      '# TYPE purefa_info gauge',
      'purefa_info{array_name="a1"} 1',
      '# EOF',
      '',
    ].join('\n'),
  );
});

test('text 0.0.4: the counter family is named with _total, no UNIT, no EOF', () => {
  const set = new MetricSet();
  set.counter('tandem_io_bytes', 'Bytes moved', 'bytes')({}, 1);
  const text = render(set.list(), 'text');
  assert.equal(
    text,
    '# HELP tandem_io_bytes_total Bytes moved\n# TYPE tandem_io_bytes_total counter\ntandem_io_bytes_total 1\n',
  );
});

test('label values escape backslash, double quote and newline; HELP escapes differ by format', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeHelp('say "hi"\\\n', 'openmetrics'), 'say \\"hi\\"\\\\\\n');
  assert.equal(escapeHelp('say "hi"\\\n', 'text'), 'say "hi"\\\\\\n');
  const set = new MetricSet();
  set.gauge('tandem_pod_leader', 'Leader')({ pod: 'p"1\\', array: 'x\ny' }, 1);
  assert.match(render(set.list(), 'openmetrics'), /^tandem_pod_leader\{pod="p\\"1\\\\",array="x\\ny"\} 1$/m);
});

test('values: integers as written, NaN and infinities spelled as OpenMetrics spells them', () => {
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(0.25), '0.25');
  assert.equal(formatValue(Number.NaN), 'NaN');
  assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
  assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
});

test('families without samples are left out; an empty set is just # EOF', () => {
  const set = new MetricSet();
  set.gauge('tandem_unused', 'Never set');
  assert.equal(render(set.list(), 'openmetrics'), '# EOF\n');
  assert.equal(render(set.list(), 'text'), '\n');
});

test('our naming mistakes are assertions: _total on a counter, unit not a suffix, twice the same series', () => {
  const set = new MetricSet();
  assert.throws(() => set.counter('tandem_ops_total', 'x'), /ends in _total/);
  assert.throws(() => set.gauge('tandem_lag', 'x', 'seconds'), /must end in its unit/);
  assert.throws(() => set.gauge('tandem bad', 'x'), /metric name/);
  const gauge = set.gauge('tandem_ok', 'x');
  assert.throws(() => set.gauge('tandem_ok', 'x'), /declared twice/);
  gauge({ a: '1', b: '2' }, 1);
  assert.throws(() => gauge({ b: '2', a: '1' }, 2), /set twice/);
  assert.throws(() => gauge({ 'bad-label': '1' }, 1), /label name/);
  assert.throws(() => gauge({ __name: '1' }, 1), /reserved/);
  const counter = set.counter('tandem_c', 'x');
  assert.throws(() => counter({}, -1), /must not be negative/);
  assert.throws(() => counter({ x: '1' }, Number.NaN), /must not be negative/);
});

test('negotiation: OpenMetrics unless the client asks for text/plain only', () => {
  const prometheus =
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  assert.equal(negotiateFormat(prometheus), 'openmetrics');
  assert.equal(negotiateFormat(undefined), 'openmetrics');
  assert.equal(negotiateFormat('*/*'), 'openmetrics');
  assert.equal(negotiateFormat('text/plain'), 'text');
  assert.equal(negotiateFormat('text/plain;version=0.0.4, application/openmetrics-text;q=0'), 'text');
});

test('request metrics: counts and cumulative buckets per method, route pattern and status', () => {
  const requests = new RequestMetrics('cinder_api');
  requests.observe('GET', '/v3/:project_id/volumes', 200, 0.004);
  requests.observe('GET', '/v3/:project_id/volumes', 200, 0.3);
  requests.observe('GET', undefined, 404, 20);
  const set = new MetricSet();
  requests.collect(set);
  const text = render(set.list(), 'openmetrics');
  assert.match(
    text,
    /^cinder_api_requests_total\{method="GET",route="\/v3\/:project_id\/volumes",status="200"\} 2$/m,
  );
  assert.match(text, /^cinder_api_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
  const bucket = (le: string) =>
    new RegExp(
      `^cinder_api_request_duration_seconds_bucket\\{method="GET",route="/v3/:project_id/volumes",status="200",le="${le}"\\} (\\d+)$`,
      'm',
    ).exec(text)?.[1];
  assert.equal(bucket('0.005'), '1');
  assert.equal(bucket('0.25'), '1');
  assert.equal(bucket('0.5'), '2');
  assert.equal(bucket('\\+Inf'), '2');
  // The slow unmatched request is above every bound: only +Inf and _count hold it.
  const largest = REQUEST_DURATION_BUCKETS_SECONDS.at(-1);
  assert.match(text, new RegExp(`route="unmatched",status="404",le="${largest}"\\} 0$`, 'm'));
  assert.match(text, /route="unmatched",status="404",le="\+Inf"\} 1$/m);
  assert.match(
    text,
    /^cinder_api_request_duration_seconds_sum\{method="GET",route="unmatched",status="404"\} 20$/m,
  );
  assert.match(text, /^# UNIT cinder_api_request_duration_seconds seconds$/m);
});
