// Performance counters: ops, bytes and latency per second, kept as a ring of 1-second buckets so
// that REST performance endpoints can report rates over a recent window, as Purity does.

import { PERF_HISTORY_SECONDS } from '../../constants.js';

export type OpKind = 'read' | 'write' | 'other';

interface Bucket {
  second: number;
  ops: [number, number, number];
  bytes: [number, number, number];
  usec: [number, number, number];
}

export interface PerfRates {
  readsPerSec: number;
  writesPerSec: number;
  othersPerSec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  usecPerReadOp: number;
  usecPerWriteOp: number;
  usecPerOtherOp: number;
}

const KIND_INDEX: Record<OpKind, 0 | 1 | 2> = { read: 0, write: 1, other: 2 };

export class PerfCounters {
  private readonly buckets: Bucket[] = [];
  /** Totals since start (for OpenMetrics counters). */
  readonly totals = { ops: [0, 0, 0], bytes: [0, 0, 0], usec: [0, 0, 0] };

  constructor(private readonly nowMs: () => number = Date.now) {}

  record(kind: OpKind, bytes: number, latencyUsec: number): void {
    const bucket = this.currentBucket();
    const i = KIND_INDEX[kind];
    bucket.ops[i]++;
    bucket.bytes[i] += bytes;
    bucket.usec[i] += latencyUsec;
    this.totals.ops[i]!++;
    this.totals.bytes[i]! += bytes;
    this.totals.usec[i]! += latencyUsec;
  }

  /** Average rates over the last `windowSeconds` complete seconds. */
  rates(windowSeconds = 5): PerfRates {
    const nowSecond = Math.floor(this.nowMs() / 1000);
    const from = nowSecond - windowSeconds;
    const ops = [0, 0, 0];
    const bytes = [0, 0, 0];
    const usec = [0, 0, 0];
    for (const b of this.buckets) {
      if (b.second < from || b.second >= nowSecond) continue;
      for (let i = 0; i < 3; i++) {
        ops[i]! += b.ops[i]!;
        bytes[i]! += b.bytes[i]!;
        usec[i]! += b.usec[i]!;
      }
    }
    const perSec = (v: number) => Math.round(v / windowSeconds);
    const avg = (i: number) => (ops[i]! > 0 ? Math.round(usec[i]! / ops[i]!) : 0);
    return {
      readsPerSec: perSec(ops[0]!),
      writesPerSec: perSec(ops[1]!),
      othersPerSec: perSec(ops[2]!),
      readBytesPerSec: perSec(bytes[0]!),
      writeBytesPerSec: perSec(bytes[1]!),
      usecPerReadOp: avg(0),
      usecPerWriteOp: avg(1),
      usecPerOtherOp: avg(2),
    };
  }

  private currentBucket(): Bucket {
    const second = Math.floor(this.nowMs() / 1000);
    const last = this.buckets.at(-1);
    if (last && last.second === second) return last;
    const bucket: Bucket = { second, ops: [0, 0, 0], bytes: [0, 0, 0], usec: [0, 0, 0] };
    this.buckets.push(bucket);
    while (this.buckets.length > PERF_HISTORY_SECONDS) this.buckets.shift();
    return bucket;
  }
}

/** Per-object counters plus the array total. */
export class PerfRegistry {
  readonly array = new PerfCounters();
  private readonly byObject = new Map<string, PerfCounters>();

  of(objectId: string): PerfCounters {
    let counters = this.byObject.get(objectId);
    if (!counters) {
      counters = new PerfCounters();
      this.byObject.set(objectId, counters);
    }
    return counters;
  }

  record(objectId: string, kind: OpKind, bytes: number, latencyUsec: number): void {
    this.of(objectId).record(kind, bytes, latencyUsec);
    this.array.record(kind, bytes, latencyUsec);
  }

  forget(objectId: string): void {
    this.byObject.delete(objectId);
  }
}
