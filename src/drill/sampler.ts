// Replication lag over the drill, sampled from the arrays' REST APIs for the report's chart.
// Sync (a stretched pod): the time since both copies were last known equal, i.e. 0 while the pod
// is online on both arrays, growing while one array serves alone, 0 again once resynced.
// Async (a protection group): the age of the newest snapshot the DR array holds whole, which is
// the RPO if the source were lost at that moment (the target keeps answering after the loss).

import type { Lab } from './lab.js';
import { type Series, seconds } from './measurements.js';

export type SampleFn = (nowMs: number) => Promise<number | null>;

export class Sampler {
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Ends the pause between samples early, so stop() does not wait out an interval. */
  private wake: () => void = () => {};
  private readonly points: Series['points'] = [];

  constructor(
    private readonly name: string,
    private readonly unit: string,
    private readonly sample: SampleFn,
    private readonly clock: () => number,
    private readonly startMs: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const now = this.clock();
        const value = await this.sample(now).catch(() => null);
        if (value !== null) this.points.push({ tS: seconds(now - this.startMs), value });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  async stop(): Promise<Series> {
    this.stopped = true;
    this.wake();
    await this.loop;
    return { name: this.name, unit: this.unit, points: this.points };
  }
}

/** Seconds since `pod` was last seen online on every member, asking each of `arrays`. */
export function podLagSample(lab: Lab, arrays: readonly string[], pod: string): SampleFn {
  let lastInSyncMs: number | null = null;
  return async (nowMs) => {
    const views = await Promise.all(
      arrays.map((a) =>
        lab
          .array(a)
          .podArrays(pod)
          .catch(() => null),
      ),
    );
    const inSync = views.some((v) => v !== null && v.length > 1 && v.every((m) => m.status === 'online'));
    if (inSync || lastInSyncMs === null) lastInSyncMs = nowMs;
    return seconds(nowMs - lastInSyncMs);
  };
}

/** Age in seconds of the newest snapshot of `replica` that `target` holds. */
export function pgroupLagSample(lab: Lab, target: string, replica: string): SampleFn {
  return async (nowMs) => {
    const snapshots = await lab.array(target).pgSnapshots(replica);
    if (snapshots.length === 0) return null;
    const newest = Math.max(...snapshots.map((s) => s.created));
    return seconds(Math.max(0, nowMs - newest));
  };
}
