// Heartbeat and dead-peer detection for one link. A ping goes out when nothing was sent for half a
// heartbeat interval at a tick; the peer is dead once nothing was received for deadAfterMs. While the
// link does not read by its own choice (handling limit reached) the silence is not the peer's, so
// the clock restarts when reading resumes.

import { performance } from 'node:perf_hooks';

export interface LivenessOptions {
  heartbeatMs: number;
  deadAfterMs: number;
  /** Called on a heartbeat tick when a ping is due. */
  ping: () => void;
  /** Called once, when the peer has been silent for deadAfterMs. */
  dead: (silentMs: number) => void;
}

export class Liveness {
  private lastReceivedAt = performance.now();
  private lastSentAt = performance.now();
  private notReading = false;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private deadTimer: NodeJS.Timeout;

  constructor(private readonly options: LivenessOptions) {
    this.heartbeatTimer = setInterval(this.tick, options.heartbeatMs);
    this.deadTimer = setTimeout(this.checkDead, options.deadAfterMs);
  }

  received(): void {
    this.lastReceivedAt = performance.now();
  }

  sent(): void {
    this.lastSentAt = performance.now();
  }

  /** The link stopped (true) or resumed (false) reading on its own account. */
  readingPaused(paused: boolean): void {
    this.notReading = paused;
    if (!paused) this.received();
  }

  stop(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.deadTimer);
  }

  private readonly tick = (): void => {
    if (performance.now() - this.lastSentAt >= this.options.heartbeatMs / 2) this.options.ping();
  };

  private readonly checkDead = (): void => {
    const now = performance.now();
    if (this.notReading) this.lastReceivedAt = now;
    const silentMs = now - this.lastReceivedAt;
    if (silentMs >= this.options.deadAfterMs) {
      this.stop();
      this.options.dead(Math.round(silentMs));
      return;
    }
    this.deadTimer = setTimeout(this.checkDead, this.options.deadAfterMs - silentMs);
  };
}
