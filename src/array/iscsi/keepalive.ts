// Target-initiated NOP-In pings (RFC 7143 sections 11.18-11.19): a connection that has been quiet
// for a while is asked for a NOP-Out with a Target Transfer Tag of ours; if the answer does not
// come in time, the initiator (or the path to it) is gone and the connection is closed, so its
// tasks and reservations do not linger. Like LIO's nopin_timeout and nopin_response_timeout.
// Pure timing: the connection sends the ping and closes; the server's timer calls tick().

import { ISCSI_NOP_IN_INTERVAL_MS, ISCSI_NOP_IN_RESPONSE_TIMEOUT_MS } from './limits.js';

export type KeepaliveAction = { kind: 'ping'; ttt: number } | { kind: 'timeout'; ttt: number } | null;

export interface KeepaliveTimes {
  /** Input silence after which a ping goes out. */
  intervalMs: number;
  /** How long a ping may stay unanswered. */
  responseTimeoutMs: number;
}

export const DEFAULT_KEEPALIVE_TIMES: KeepaliveTimes = {
  intervalMs: ISCSI_NOP_IN_INTERVAL_MS,
  responseTimeoutMs: ISCSI_NOP_IN_RESPONSE_TIMEOUT_MS,
};

export class NopInKeepalive {
  private lastInputMs: number;
  private outstanding: { ttt: number; sentMs: number } | null = null;
  private nextTtt = 1;

  constructor(
    private readonly times: KeepaliveTimes,
    nowMs: number,
  ) {
    this.lastInputMs = nowMs;
  }

  /** Any bytes from the initiator: the connection is not quiet. */
  inputSeen(nowMs: number): void {
    this.lastInputMs = nowMs;
  }

  /** A NOP-Out answering a ping; true when it answers the one outstanding. */
  answered(ttt: number): boolean {
    if (this.outstanding?.ttt !== ttt) return false;
    this.outstanding = null;
    return true;
  }

  /** What to do now: send a ping, give up on the connection, or nothing. */
  tick(nowMs: number): KeepaliveAction {
    if (this.outstanding) {
      if (nowMs - this.outstanding.sentMs < this.times.responseTimeoutMs) return null;
      return { kind: 'timeout', ttt: this.outstanding.ttt };
    }
    if (nowMs - this.lastInputMs < this.times.intervalMs) return null;
    const ttt = this.nextTtt;
    // Never the reserved 0xffffffff, which would mean "no answer wanted".
    this.nextTtt = this.nextTtt >= 0xffff_fffe ? 1 : this.nextTtt + 1;
    this.outstanding = { ttt, sentMs: nowMs };
    return { kind: 'ping', ttt };
  }
}
