// A small OpenMetrics 1.0 writer (prometheus.io/docs/specs/om/open_metrics_spec/), with the
// Prometheus text format 0.0.4 as a fallback for clients that ask only for text/plain (promtool
// 2.x, older Prometheus). Both render the same families; they differ in where `_total` goes, in
// HELP escaping, in UNIT lines and in the closing `# EOF`.
// Metric and label names come from our own code, so a bad one is our bug (an assertion); label
// values come from the array's objects and are escaped.

import assert from 'node:assert/strict';

export type ExpositionFormat = 'openmetrics' | 'text';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  text: 'text/plain; version=0.0.4; charset=utf-8',
};

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Cumulative counts per upper bound, ascending; the +Inf bucket is `count`. */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

interface FamilyBase {
  /** Without `_total` for counters: the writer adds it. */
  name: string;
  help: string;
  /** OpenMetrics UNIT; the name must end in `_<unit>`. */
  unit?: string;
}

export type MetricFamily =
  | (FamilyBase & { type: 'gauge' | 'counter'; samples: Sample[] })
  | (FamilyBase & { type: 'histogram'; samples: HistogramSample[] });

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/**
 * Suffixes a family name may not end in: its samples would clash with a counter's or histogram's.
 * (`_info` stays allowed: Pure's exporter names gauges purefa_info and purefa_hw_controller_info.)
 */
const RESERVED_SUFFIXES = ['_total', '_created', '_bucket', '_count', '_sum'];

/** Collects families in the order they are declared; each family's samples stay together. */
export class MetricSet {
  private readonly families = new Map<string, MetricFamily>();

  gauge(name: string, help: string, unit?: string): (labels: Labels, value: number) => void {
    return this.scalar('gauge', name, help, unit);
  }

  /** `value` is the running total since the process started (never decreasing). */
  counter(name: string, help: string, unit?: string): (labels: Labels, value: number) => void {
    return this.scalar('counter', name, help, unit);
  }

  histogram(name: string, help: string, unit?: string): (sample: HistogramSample) => void {
    const family = this.declare({ type: 'histogram', name, help, samples: [], ...(unit ? { unit } : {}) });
    const samples = family.samples as HistogramSample[];
    return (sample) => {
      checkLabels(family, samples, sample.labels);
      samples.push(sample);
    };
  }

  /** Families with at least one sample (an empty family tells a scraper nothing). */
  list(): MetricFamily[] {
    return [...this.families.values()].filter((f) => f.samples.length > 0);
  }

  private scalar(type: 'gauge' | 'counter', name: string, help: string, unit: string | undefined) {
    const family = this.declare({ type, name, help, samples: [], ...(unit ? { unit } : {}) });
    const samples = family.samples as Sample[];
    return (labels: Labels, value: number) => {
      checkLabels(family, samples, labels);
      if (type === 'counter') assert.ok(value >= 0, `counter ${name} must not be negative or NaN`);
      samples.push({ labels, value });
    };
  }

  private declare(family: MetricFamily): MetricFamily {
    const { name, unit } = family;
    assert.match(name, METRIC_NAME, `metric name ${name}`);
    assert.ok(!this.families.has(name), `metric family ${name} declared twice`);
    for (const suffix of RESERVED_SUFFIXES) assert.ok(!name.endsWith(suffix), `${name} ends in ${suffix}`);
    if (unit !== undefined) assert.ok(name.endsWith(`_${unit}`), `${name} must end in its unit ${unit}`);
    this.families.set(name, family);
    return family;
  }
}

function checkLabels(family: MetricFamily, samples: Array<{ labels: Labels }>, labels: Labels): void {
  for (const label of Object.keys(labels)) {
    assert.match(label, LABEL_NAME, `label name ${label} of ${family.name}`);
    assert.ok(!label.startsWith('__') && label !== 'le', `label name ${label} is reserved`);
  }
  const key = labelKey(labels);
  assert.ok(!samples.some((s) => labelKey(s.labels) === key), `${family.name}{${key}} set twice`);
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * OpenMetrics when the client accepts it (Prometheus asks for it first), or when it states no
 * preference; the 0.0.4 text format when it asks for text/plain and not for OpenMetrics.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'openmetrics';
  const ranges = accept.split(',').map((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q === undefined ? 1 : Number(q.slice(2)) };
  });
  const accepted = (type: string) => ranges.some((r) => r.type === type && r.q > 0);
  if (accepted('application/openmetrics-text')) return 'openmetrics';
  if (accepted('text/plain')) return 'text';
  return 'openmetrics';
}

export function render(families: MetricFamily[], format: ExpositionFormat): string {
  const lines: string[] = [];
  for (const family of families) {
    // In 0.0.4 a counter family is named as its samples are (with _total); in OpenMetrics without.
    const familyName = family.type === 'counter' && format === 'text' ? `${family.name}_total` : family.name;
    lines.push(`# HELP ${familyName} ${escapeHelp(family.help, format)}`);
    lines.push(`# TYPE ${familyName} ${family.type}`);
    if (family.unit !== undefined && format === 'openmetrics')
      lines.push(`# UNIT ${familyName} ${family.unit}`);
    if (family.type === 'histogram') {
      for (const sample of family.samples) lines.push(...histogramLines(family.name, sample));
    } else {
      const sampleName = family.type === 'counter' ? `${family.name}_total` : family.name;
      for (const sample of family.samples) lines.push(sampleLine(sampleName, sample.labels, sample.value));
    }
  }
  if (format === 'openmetrics') lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function histogramLines(name: string, sample: HistogramSample): string[] {
  const lines = sample.buckets.map((bucket) =>
    sampleLine(`${name}_bucket`, { ...sample.labels, le: formatValue(bucket.le) }, bucket.count),
  );
  lines.push(sampleLine(`${name}_bucket`, { ...sample.labels, le: '+Inf' }, sample.count));
  lines.push(sampleLine(`${name}_sum`, sample.labels, sample.sum));
  lines.push(sampleLine(`${name}_count`, sample.labels, sample.count));
  return lines;
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, raw]) => `${key}="${escapeLabelValue(raw)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`;
}

/** Both formats: backslash, double quote and newline are escaped in label values. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** OpenMetrics escapes the double quote in HELP as well; 0.0.4 only backslash and newline. */
export function escapeHelp(text: string, format: ExpositionFormat): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
