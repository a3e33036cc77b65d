// Progress of a long operation (baseline, resync, replication transfer, volume copy) on stderr:
// on a terminal one bar redrawn in place with the percentage, the amount done, the rate and the
// ETA; otherwise plain timestamped lines, at most one every PLAIN_INTERVAL_MS, so logs and CI
// output stay readable. stdout stays free for `--json`.

/** `bytes`: amounts are byte counts (shown in KiB..TiB, rate per second); `ratio`: 0..1 only. */
export type ProgressUnit = 'bytes' | 'ratio';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  label: string;
  unit: ProgressUnit;
  out?: ProgressOutput;
  clock?: () => number;
}

/** Redraws on a terminal at most ten times a second. */
const TTY_REDRAW_MS = 100;
/** Plain output: one line at most this often (and at every tenth of the way). */
const PLAIN_INTERVAL_MS = 5_000;
/** The rate is measured over this much recent history, so ETA follows changes in speed. */
const RATE_WINDOW_MS = 5_000;
const BAR_WIDTH = 24;
const CLEAR_LINE = '\r\x1b[2K';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** 75 -> '1:15', 3725 -> '1:02:05'. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

interface Sample {
  atMs: number;
  done: number;
  bytes: number | null;
}

export interface ProgressSnapshot {
  done: number;
  total: number | null;
  /** 0..1, null when the total is not known. */
  fraction: number | null;
  /** Units per second over the recent window; null until two samples are apart in time. */
  rate: number | null;
  /** For a `ratio` bar: the bytes moved so far and their rate, when the caller reports them. */
  bytes: number | null;
  bytesRate: number | null;
  etaSeconds: number | null;
  elapsedSeconds: number;
}

export class ProgressBar {
  private readonly out: ProgressOutput;
  private readonly clock: () => number;
  private readonly startMs: number;
  private readonly samples: Sample[] = [];
  private done = 0;
  private total: number | null = null;
  private note = '';
  private lastDrawMs = -Infinity;
  private lastPlainMs = -Infinity;
  private lastPlainTenth = -1;
  private closed = false;

  constructor(private readonly options: ProgressBarOptions) {
    this.out = options.out ?? process.stderr;
    this.clock = options.clock ?? Date.now;
    this.startMs = this.clock();
  }

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  /**
   * `done` and `total` in the bar's unit (bytes, or a 0..1 ratio with total 1); a `ratio` bar may
   * also be told the bytes moved so far, for the rate.
   */
  update(done: number, total: number | null, note = '', bytes: number | null = null): void {
    if (this.closed) return;
    const now = this.clock();
    this.done = done;
    this.total = total;
    this.note = note;
    this.samples.push({ atMs: now, done, bytes });
    while (this.samples.length > 2 && now - this.samples[1]!.atMs >= RATE_WINDOW_MS) this.samples.shift();
    if (this.tty) {
      if (now - this.lastDrawMs >= TTY_REDRAW_MS) {
        this.lastDrawMs = now;
        this.out.write(`${CLEAR_LINE}${this.line(true)}`);
      }
      return;
    }
    const fraction = this.snapshot().fraction;
    const tenth = fraction === null ? -1 : Math.floor(fraction * 10);
    if (now - this.lastPlainMs >= PLAIN_INTERVAL_MS || tenth > this.lastPlainTenth) {
      this.lastPlainMs = now;
      this.lastPlainTenth = Math.max(this.lastPlainTenth, tenth);
      this.plain(this.line(false));
    }
  }

  snapshot(): ProgressSnapshot {
    const now = this.clock();
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const spanMs = first && last ? last.atMs - first.atMs : 0;
    const rate = first && last && spanMs > 0 ? (last.done - first.done) / (spanMs / 1000) : null;
    const bytesRate =
      first?.bytes != null && last?.bytes != null && spanMs > 0
        ? (last.bytes - first.bytes) / (spanMs / 1000)
        : null;
    const fraction =
      this.total === null || this.total <= 0 ? null : Math.min(1, Math.max(0, this.done / this.total));
    const remaining = this.total === null ? null : Math.max(0, this.total - this.done);
    const etaSeconds = remaining !== null && rate !== null && rate > 0 ? remaining / rate : null;
    return {
      done: this.done,
      total: this.total,
      fraction,
      rate,
      bytes: last?.bytes ?? null,
      bytesRate,
      etaSeconds,
      elapsedSeconds: (now - this.startMs) / 1000,
    };
  }

  private amount(value: number): string {
    return this.options.unit === 'bytes' ? formatBytes(value) : `${(value * 100).toFixed(1)}%`;
  }

  /** One status line: bar (terminal only), percentage, amounts, rate, ETA, note. */
  private line(withBar: boolean): string {
    const s = this.snapshot();
    const parts: string[] = [this.options.label];
    if (s.fraction !== null) {
      if (withBar) {
        const filled = Math.round(s.fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
      }
      parts.push(`${(s.fraction * 100).toFixed(1).padStart(5)}%`);
    }
    if (this.options.unit === 'bytes')
      parts.push(
        s.total === null ? formatBytes(s.done) : `${formatBytes(s.done)} of ${formatBytes(s.total)}`,
      );
    if (s.rate !== null && this.options.unit === 'bytes') parts.push(`${formatBytes(s.rate)}/s`);
    if (this.options.unit === 'ratio' && s.bytes !== null) {
      parts.push(`${formatBytes(s.bytes)} sent`);
      if (s.bytesRate !== null) parts.push(`${formatBytes(s.bytesRate)}/s`);
    }
    if (s.etaSeconds !== null && (s.fraction ?? 0) < 1) parts.push(`ETA ${formatDuration(s.etaSeconds)}`);
    else parts.push(`${formatDuration(s.elapsedSeconds)} elapsed`);
    if (this.note) parts.push(this.note);
    const text = parts.join('  ');
    const width = this.out.columns ?? 0;
    return withBar && width > 10 && text.length >= width ? `${text.slice(0, width - 2)}…` : text;
  }

  private plain(text: string): void {
    this.out.write(`${new Date(this.clock()).toISOString()} ${text}\n`);
  }

  /** Ends the display with a summary line: elapsed time and the average rate. */
  finish(summary: string): void {
    if (this.closed) return;
    this.closed = true;
    const elapsed = (this.clock() - this.startMs) / 1000;
    const average =
      this.options.unit === 'bytes' && elapsed > 0
        ? `, ${formatBytes(this.done / elapsed)}/s on average`
        : '';
    const text = `${this.options.label}: ${summary} in ${elapsed.toFixed(1)} s${average}`;
    if (this.tty) this.out.write(`${CLEAR_LINE}${text}\n`);
    else this.plain(text);
  }

  /** Ends the display with what went wrong (the caller still reports the error itself). */
  fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const text = `${this.options.label}: stopped at ${this.amount(this.done)}: ${reason}`;
    if (this.tty) this.out.write(`${CLEAR_LINE}${text}\n`);
    else this.plain(text);
  }
}
