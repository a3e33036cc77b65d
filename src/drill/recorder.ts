// What a drill records while it runs: its steps (shown live through Progress), the timeline of
// faults and recoveries, measurements, checks, notes, chart series and the cleanup log. The
// report is built from this at the end, whether the drill finished or stopped early.

import { messageOf } from './errors.js';
import { type Series, seconds, writeRateSeries } from './measurements.js';
import type { Progress } from './progress.js';
import type { Check, EventKind, Measurement, StepRecord, TimelineEvent } from './report.js';
import type { AckedWrite } from './writer.js';

/** Write rate chart resolution: fine enough to show a stall of a second, coarse enough to be steady. */
const WRITE_RATE_BUCKET_MS = 500;

export class Recorder {
  readonly startMs: number;
  readonly steps: StepRecord[] = [];
  readonly timeline: TimelineEvent[] = [];
  readonly measurements: Record<string, Measurement> = {};
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  readonly cleanupLog: string[] = [];
  writeRate: Series[] = [];
  replicationLag: Series[] = [];

  constructor(
    readonly clock: () => number,
    readonly progress: Progress,
  ) {
    this.startMs = clock();
  }

  /** Seconds since the drill started, for a time in ms since the epoch. */
  offsetS(atMs: number): number {
    return seconds(atMs - this.startMs);
  }

  /** The write-rate chart from every acknowledgement between `fromMs` and `toMs`. */
  writeRateFrom(acks: readonly AckedWrite[], fromMs: number, toMs: number): void {
    this.writeRate = writeRateSeries(acks, fromMs, toMs, WRITE_RATE_BUCKET_MS, this.startMs);
  }

  /** Runs one step, shown live and recorded with its duration; a failure is recorded and rethrown. */
  async step<T>(name: string, run: () => Promise<T>, describe?: (result: T) => string | null): Promise<T> {
    const started = this.clock();
    this.progress.begin(name);
    try {
      const result = await run();
      const elapsed = this.clock() - started;
      const detail = describe ? describe(result) : null;
      this.steps.push({ name, startS: this.offsetS(started), durationS: seconds(elapsed), ok: true, detail });
      this.progress.end(name, true, elapsed, detail);
      return result;
    } catch (error) {
      const elapsed = this.clock() - started;
      const detail = messageOf(error);
      this.steps.push({
        name,
        startS: this.offsetS(started),
        durationS: seconds(elapsed),
        ok: false,
        detail,
      });
      this.progress.end(name, false, elapsed, detail);
      throw error;
    }
  }

  event(label: string, kind: EventKind, atMs = this.clock()): void {
    this.timeline.push({ tS: this.offsetS(atMs), at: new Date(atMs).toISOString(), kind, label });
    if (kind === 'fault' || kind === 'recovery') this.progress.info(`${kind}: ${label}`);
  }

  measure(key: string, value: Measurement): void {
    this.measurements[key] = value;
  }

  check(check: Check): void {
    this.checks.push(check);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Runs one cleanup action; a failure is logged in the report and does not stop the others. */
  async cleanup(what: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
      this.cleanupLog.push(`${what}: done`);
    } catch (error) {
      this.cleanupLog.push(`${what}: NOT done (${messageOf(error)})`);
      this.progress.info(`cleanup: ${what} failed: ${messageOf(error)}`);
    }
  }

  /** The timeline in time order (events are recorded as they are learnt, not as they happened). */
  sortedTimeline(): TimelineEvent[] {
    return [...this.timeline].sort((a, b) => a.tS - b.tS);
  }
}
