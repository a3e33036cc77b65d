// The drill's host: a paced writer of numbered blocks over NBD that behaves like a multipath
// host with a failover policy. It writes through the first path; on an I/O error it drops that
// path and retries the same write on the next one, so no acknowledged write is ever "forgotten"
// and every acknowledgement is recorded with the array that gave it.

import { encodeBlock } from './block-format.js';
import { DRILL_BLOCK_BYTES, PATH_RETRY_MS } from './constants.js';
import { NbdClient } from './nbd-client.js';

export interface WritePath {
  array: string;
  /** The array's NBD `host:port`. */
  address: string;
}

export interface AckedWrite {
  seq: number;
  slot: number;
  array: string;
  /** When the write was first sent (ms since the epoch); retries keep this time. */
  submittedMs: number;
  ackedMs: number;
}

export interface PathEvent {
  atMs: number;
  writer: string;
  kind: 'connected' | 'io-error' | 'connect-failed';
  array: string;
  detail: string;
}

export interface WriterOptions {
  name: string;
  exportName: string;
  /** In order of preference; the writer starts on the first. */
  paths: WritePath[];
  runId: number;
  firstSlot: number;
  slotCount: number;
  ratePerS: number;
  queueDepth: number;
  clock: () => number;
  onEvent?: (event: PathEvent) => void;
}

interface OpenPath {
  array: string;
  client: NbdClient;
}

/** What verification needs to know about one writer's run. */
export interface WriterRecord {
  name: string;
  runId: number;
  firstSlot: number;
  slotCount: number;
  acked: AckedWrite[];
  /** Sent and never answered when the writer stopped: these may or may not be on the array. */
  unacknowledged: Array<{ seq: number; slot: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A worker that fell this far behind its schedule starts again from now instead of bursting. */
const PACE_CATCH_UP_MAX_MS = 1_000;

export class BlockWriter {
  readonly acked: AckedWrite[] = [];
  readonly events: PathEvent[] = [];
  private readonly inFlight = new Map<number, number>();
  private nextSeq = 0;
  private nextDueMs = 0;
  private pathIndex = 0;
  private stopped = false;
  private connecting: Promise<OpenPath | null> | null = null;
  private open: OpenPath | null = null;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: WriterOptions) {}

  start(): void {
    this.nextDueMs = this.options.clock();
    this.workers = Array.from({ length: this.options.queueDepth }, () => this.work());
  }

  /** Stops sending; waits for what is in flight (bounded by the NBD request timeout). Idempotent. */
  async stop(): Promise<WriterRecord> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.open?.client.close();
    this.open = null;
    const { name, runId, firstSlot, slotCount } = this.options;
    const unacknowledged = [...this.inFlight].map(([seq, slot]) => ({ seq, slot }));
    return { name, runId, firstSlot, slotCount, acked: this.acked, unacknowledged };
  }

  get currentArray(): string | null {
    return this.open?.array ?? null;
  }

  private async pace(): Promise<void> {
    const now = this.options.clock();
    if (this.nextDueMs < now - PACE_CATCH_UP_MAX_MS) this.nextDueMs = now;
    const due = this.nextDueMs;
    this.nextDueMs += 1000 / this.options.ratePerS;
    if (due > now) await sleep(due - now);
  }

  private async work(): Promise<void> {
    const { runId, firstSlot, slotCount, clock } = this.options;
    while (!this.stopped) {
      await this.pace();
      if (this.stopped) return;
      const seq = this.nextSeq++;
      const slot = firstSlot + (seq % slotCount);
      const block = encodeBlock(runId, seq, slot);
      const submittedMs = clock();
      this.inFlight.set(seq, slot);
      for (;;) {
        const path = await this.activePath();
        if (path === null) break; // stopped while no path answered: the write stays unacknowledged
        try {
          await path.client.write(slot * DRILL_BLOCK_BYTES, block);
        } catch (error) {
          this.pathFailed(path, error as Error);
          continue;
        }
        this.inFlight.delete(seq);
        this.acked.push({ seq, slot, array: path.array, submittedMs, ackedMs: clock() });
        break;
      }
    }
  }

  private activePath(): Promise<OpenPath | null> {
    if (this.open) return Promise.resolve(this.open);
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private event(kind: PathEvent['kind'], array: string, detail: string): void {
    const event = { atMs: this.options.clock(), writer: this.options.name, kind, array, detail };
    this.events.push(event);
    this.options.onEvent?.(event);
  }

  private async connectLoop(): Promise<OpenPath | null> {
    const { paths, exportName } = this.options;
    while (!this.stopped) {
      const path = paths[this.pathIndex]!;
      try {
        const client = await NbdClient.open(path.address, exportName);
        this.open = { array: path.array, client };
        this.event('connected', path.array, `NBD ${path.address}`);
        return this.open;
      } catch (error) {
        this.event('connect-failed', path.array, (error as Error).message);
        this.pathIndex = (this.pathIndex + 1) % paths.length;
        await sleep(PATH_RETRY_MS);
      }
    }
    return null;
  }

  /** The first error on the open path fails it over; later errors of the same path only retry. */
  private pathFailed(path: OpenPath, error: Error): void {
    if (this.open !== path) return;
    this.open = null;
    path.client.close();
    this.event('io-error', path.array, error.message);
    this.pathIndex = (this.pathIndex + 1) % this.options.paths.length;
  }
}
