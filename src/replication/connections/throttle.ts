// Purity's array-connection throttle for async replication traffic: a default limit, and a daily
// window (ms after midnight, UTC here) with its own limit. A token bucket paces the bytes a
// transfer sends; sync (pod) traffic is never throttled, as on Purity.

import type { ThrottleRecord } from '../../array/objects/model.js';
import type { RequestLink } from '../async/transfer-sender.js';

const DAY_MS = 24 * 3600 * 1000;
/** A burst of at most this long at the limit passes without waiting. */
const THROTTLE_BURST_MS = 250;

/** The limit in force at `nowMs` (bytes per second), or null when unlimited. */
export function throttleLimitAt(throttle: ThrottleRecord | undefined, nowMs: number): number | null {
  if (!throttle) return null;
  const { window } = throttle;
  if (window && throttle.windowLimitBytesPerSec !== null) {
    const t = nowMs % DAY_MS;
    const inside =
      window.startMs <= window.endMs
        ? t >= window.startMs && t < window.endMs
        : t >= window.startMs || t < window.endMs;
    if (inside) return throttle.windowLimitBytesPerSec;
  }
  return throttle.defaultLimitBytesPerSec;
}

/** Paces byte counts to a limit that may change over time (read at every call). */
export class Pacer {
  private availableBytes = 0;
  private lastMs: number;

  constructor(
    private readonly limit: () => number | null,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.lastMs = now();
  }

  async take(bytes: number): Promise<void> {
    for (;;) {
      const limit = this.limit();
      const nowMs = this.now();
      if (limit === null) {
        this.lastMs = nowMs;
        return;
      }
      const burst = (limit * THROTTLE_BURST_MS) / 1000;
      this.availableBytes = Math.min(burst, this.availableBytes + ((nowMs - this.lastMs) * limit) / 1000);
      this.lastMs = nowMs;
      // A message larger than the burst goes once the bucket is full, leaving it in debt.
      if (this.availableBytes >= Math.min(bytes, burst)) {
        this.availableBytes -= bytes;
        return;
      }
      const missing = Math.min(bytes, burst) - this.availableBytes;
      await this.sleep(Math.max(1, Math.ceil((missing * 1000) / limit)));
    }
  }
}

/** A link whose requests wait for the pacer (header and payload bytes count). */
export function throttledLink(link: RequestLink, pacer: Pacer): RequestLink {
  return {
    async request(type, header, payload) {
      await pacer.take(JSON.stringify(header).length + (payload?.length ?? 0));
      return link.request(type, header, payload);
    },
  };
}
