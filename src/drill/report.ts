// The drill report: one JSON-able object that the Markdown and HTML writers render. It states the
// objectives, what was measured, each check against an objective, the steps and the timeline, and
// the series the charts draw. It never holds a token or a password (only names and numbers).

import type { Series } from './measurements.js';

export const REPORT_VERSION = 1;

export interface Check {
  name: string;
  measured: number | string | null;
  /** `<=` a number, `=` a value; null objective means "must have happened" (measured not null). */
  comparison: '<=' | '=';
  objective: number | string | null;
  unit: string;
  pass: boolean;
}

export interface StepRecord {
  name: string;
  /** Seconds since the drill started. */
  startS: number;
  durationS: number;
  ok: boolean;
  detail: string | null;
}

export type EventKind = 'fault' | 'recovery' | 'step' | 'io' | 'info';

export interface TimelineEvent {
  tS: number;
  at: string;
  kind: EventKind;
  label: string;
}

export type Measurement = number | string | boolean | null;

export interface DrillReport {
  tool: 'tandem drill';
  reportVersion: number;
  scenario: string;
  title: string;
  verdict: 'pass' | 'fail';
  startedAt: string;
  finishedAt: string;
  durationS: number;
  lab: { dir: string; controlUrl: string; cinderHost: string };
  objectives: { rpoS: number | null; rtoS: number | null };
  measurements: Record<string, Measurement>;
  checks: Check[];
  steps: StepRecord[];
  timeline: TimelineEvent[];
  charts: { writeRate: Series[]; replicationLag: Series[] };
  notes: string[];
  cleanup: string[];
  /** Why the drill stopped early, when it did. */
  error: string | null;
  files: { json: string; markdown: string; html: string } | null;
}

/** Measured at most the objective; a measurement that never happened fails. */
export function atMost(name: string, measured: number | null, objective: number, unit: string): Check {
  return {
    name,
    measured,
    comparison: '<=',
    objective,
    unit,
    pass: measured !== null && measured <= objective,
  };
}

export function equals(
  name: string,
  measured: number | string | null,
  expected: number | string,
  unit = '',
): Check {
  return { name, measured, comparison: '=', objective: expected, unit, pass: measured === expected };
}

export function verdictOf(checks: readonly Check[], error: string | null): 'pass' | 'fail' {
  return error === null && checks.length > 0 && checks.every((c) => c.pass) ? 'pass' : 'fail';
}

/** `12.345 s`, `0 writes`, `online`: a measurement with its unit, for text. */
export function formatValue(value: Measurement | undefined, unit = ''): string {
  if (value === null || value === undefined) return 'not measured';
  if (typeof value === 'number') return unit ? `${value} ${unit}` : String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

export function formatCheck(check: Check): string {
  const objective =
    check.objective === null
      ? 'must happen'
      : `${check.comparison} ${formatValue(check.objective, check.unit)}`;
  return `${check.pass ? 'PASS' : 'FAIL'} ${check.name}: ${formatValue(check.measured, check.unit)} (objective ${objective})`;
}
