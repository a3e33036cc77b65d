// One lab daemon (`tandem array|mediator|cinder start ...`) as a child process of the supervisor.
// Its JSON log lines go straight to DIR/logs/<name>.log (the file, not a pipe through us, so a
// busy daemon never waits on the supervisor). It counts as up once it prints its "is up" line.
// Each child gets its own process group, so Ctrl-C in the terminal reaches only the supervisor,
// which then stops the children in order.

import { type ChildProcess, spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DaemonState, DaemonStatus, ExitRecord } from './descriptor.js';

/** The `tandem` entry point this module was built next to (dist/src/cli/main.js). */
export const TANDEM_CLI = resolve(import.meta.dirname, '../cli/main.js');

/** How often the log is read while waiting for the "is up" line. */
const READY_POLL_MS = 100;
/** A SIGTERM'd daemon flushes and closes its stores; past this it is killed. */
export const STOP_GRACE_MS = 20_000;
/** Log lines quoted when a daemon fails to start. */
const FAILURE_TAIL_CHARS = 3000;
/** The "is up" line comes within the first lines of a start; more is never scanned. */
const READY_SCAN_MAX_BYTES = 4 * 1024 * 1024;

export interface DaemonSpec {
  /** Also the log file's name. */
  name: string;
  /** Arguments after `tandem`. */
  args: string[];
  /** A text the daemon prints (stderr) once it serves. */
  readyMarker: string;
  readyTimeoutMs: number;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const length = Math.min(Math.max((await handle.stat()).size - offset, 0), READY_SCAN_MAX_BYTES);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DaemonProcess {
  state: DaemonState = 'stopped';
  lastExit: ExitRecord | undefined;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** What we asked for; null while the daemon is meant to run, so an exit then is unexpected. */
  private requested: 'stopped' | 'killed' | null = null;
  private starting = false;
  /** Where this start's output begins in the (appended) log file. */
  private logOffset = 0;

  constructor(
    readonly spec: DaemonSpec,
    private readonly logFile: string,
    private readonly logger: Logger,
    /** Called after every state change (the supervisor rewrites the descriptor). */
    private readonly changed: (unexpected: ExitRecord | null) => void,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Running, or on its way up. */
  get alive(): boolean {
    return this.child !== null || this.starting;
  }

  status(): DaemonStatus {
    return { pid: this.pid, state: this.state, ...(this.lastExit ? { lastExit: this.lastExit } : {}) };
  }

  /** Spawns the daemon and waits for its "is up" line; throws (with its last log lines) if it dies. */
  async start(): Promise<void> {
    if (this.child || this.starting) throw new Error(`${this.spec.name} is already running`);
    this.starting = true;
    this.requested = null;
    try {
      const child = await this.spawnChild();
      await this.waitReady(child, this.logOffset);
    } finally {
      this.starting = false;
    }
    this.state = 'running';
    this.logger.info({ daemon: this.spec.name, pid: this.pid }, 'daemon up');
    this.changed(null);
  }

  private async spawnChild(): Promise<ChildProcess> {
    this.logOffset = await sizeOf(this.logFile);
    const log = await open(this.logFile, 'a', 0o600);
    try {
      // A stop that came while the log was being opened wins: nothing is spawned.
      if (this.requested) throw new Error(`${this.spec.name}: start cancelled by a stop`);
      const child = spawn(process.execPath, [TANDEM_CLI, ...this.spec.args], {
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
      });
      this.child = child;
      this.exited = new Promise((done) => {
        const ended = (code: number | null, signal: NodeJS.Signals | null) => {
          if (this.child !== child) return;
          this.onExit(code, signal);
          done();
        };
        child.once('exit', ended);
        child.once('error', (error) => {
          this.logger.error({ err: error, daemon: this.spec.name }, 'daemon process error');
          // A process that could not be spawned never emits 'exit'.
          if (child.pid === undefined) ended(null, null);
        });
      });
      this.logger.info({ daemon: this.spec.name, pid: child.pid, args: this.spec.args }, 'daemon starting');
      return child;
    } finally {
      await log.close();
    }
  }

  private async waitReady(child: ChildProcess, offset: number): Promise<void> {
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    for (;;) {
      const output = await readFrom(this.logFile, offset);
      if (output.includes(this.spec.readyMarker)) return;
      const tail = () => output.slice(-FAILURE_TAIL_CHARS);
      if (this.child !== child)
        throw new Error(`${this.spec.name} exited while starting; the end of ${this.logFile}:\n${tail()}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `${this.spec.name} did not come up within ${this.spec.readyTimeoutMs} ms; the end of ${this.logFile}:\n${tail()}`,
        );
      }
      await sleep(READY_POLL_MS);
    }
  }

  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) {
      if (this.starting) this.requested = 'stopped';
      return;
    }
    this.requested = 'stopped';
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!gone) {
      this.logger.warn({ daemon: this.spec.name, graceMs: STOP_GRACE_MS }, 'no exit after SIGTERM; SIGKILL');
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** SIGKILL (a crash, for drills); resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) {
      if (this.starting) this.requested = 'killed';
      return;
    }
    this.requested = 'killed';
    child.kill('SIGKILL');
    await this.exited;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const unexpected = this.requested === null;
    // A daemon that dies while starting is reported by start() itself.
    const crashed = unexpected && this.state === 'running';
    this.lastExit = { at: new Date().toISOString(), code, signal, unexpected };
    this.state = this.requested ?? (signal === null ? 'stopped' : 'killed');
    this.child = null;
    const fields = { daemon: this.spec.name, code, signal };
    if (unexpected) this.logger.error(fields, 'daemon exited unexpectedly; it is not restarted');
    else this.logger.info(fields, 'daemon exited');
    this.changed(crashed ? this.lastExit : null);
  }
}
