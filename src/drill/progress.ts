// The live display of a drill's steps on stderr (stdout stays free for `--json`): on a terminal a
// spinner line with the running step and its elapsed time, replaced by a result line when the step
// ends; otherwise plain timestamped lines, one when a step starts and one when it ends.

import { seconds } from './measurements.js';

export interface Progress {
  begin(step: string): void;
  end(step: string, ok: boolean, elapsedMs: number, detail: string | null): void;
  info(text: string): void;
  close(): void;
}

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Ten frames a second: smooth enough, cheap enough. */
const SPINNER_INTERVAL_MS = 100;
const CLEAR_LINE = '\r\x1b[2K';

class TtyProgress implements Progress {
  private step: string | null = null;
  private stepStartMs = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: Output,
    private readonly scenario: string,
    private readonly clock: () => number,
  ) {}

  private draw(): void {
    if (this.step === null) return;
    const elapsed = seconds(this.clock() - this.stepStartMs).toFixed(1);
    const spinner = SPINNER_FRAMES[this.frame++ % SPINNER_FRAMES.length];
    this.out.write(`${CLEAR_LINE}${spinner} ${this.scenario}: ${this.step} (${elapsed} s)`);
  }

  begin(step: string): void {
    this.step = step;
    this.stepStartMs = this.clock();
    this.timer ??= setInterval(() => this.draw(), SPINNER_INTERVAL_MS);
    this.timer.unref();
    this.draw();
  }

  end(step: string, ok: boolean, elapsedMs: number, detail: string | null): void {
    this.step = null;
    const mark = ok ? '✔' : '✖';
    const more = detail ? `: ${detail}` : '';
    this.out.write(`${CLEAR_LINE}${mark} ${step} (${seconds(elapsedMs).toFixed(1)} s)${more}\n`);
  }

  info(text: string): void {
    this.out.write(`${CLEAR_LINE}  ${text}\n`);
    this.draw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.out.write(CLEAR_LINE);
  }
}

class PlainProgress implements Progress {
  constructor(
    private readonly out: Output,
    private readonly scenario: string,
    private readonly clock: () => number,
  ) {}

  private line(text: string): void {
    this.out.write(`${new Date(this.clock()).toISOString()} drill ${this.scenario}: ${text}\n`);
  }

  begin(step: string): void {
    this.line(`${step} ...`);
  }

  end(step: string, ok: boolean, elapsedMs: number, detail: string | null): void {
    const more = detail ? `: ${detail}` : '';
    this.line(`${step} ${ok ? 'done' : 'FAILED'} in ${seconds(elapsedMs).toFixed(1)} s${more}`);
  }

  info(text: string): void {
    this.line(text);
  }

  close(): void {}
}

export function createProgress(out: Output, scenario: string, clock: () => number): Progress {
  return out.isTTY ? new TtyProgress(out, scenario, clock) : new PlainProgress(out, scenario, clock);
}
