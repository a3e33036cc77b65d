// API-token login and session tokens. Tokens are compared in constant time and never logged.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { REST_SESSION_IDLE_MS } from '../../constants.js';

export interface Session {
  username: string;
  lastUsedMs: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly apiToken: string,
    private readonly nowMs: () => number = Date.now,
    private readonly idleMs = REST_SESSION_IDLE_MS,
  ) {}

  /** Returns a new session token when `presented` is the array's API token. */
  login(presented: string | undefined): string | null {
    if (!presented || !constantTimeEquals(presented, this.apiToken)) return null;
    this.expire();
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { username: 'pureuser', lastUsedMs: this.nowMs() });
    return token;
  }

  /** The session for `token`, refreshed, or null when unknown or idle too long. */
  touch(token: string | undefined): Session | null {
    if (!token) return null;
    const session = this.sessions.get(token);
    if (!session) return null;
    if (this.nowMs() - session.lastUsedMs > this.idleMs) {
      this.sessions.delete(token);
      return null;
    }
    session.lastUsedMs = this.nowMs();
    return session;
  }

  logout(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  private expire(): void {
    const now = this.nowMs();
    for (const [token, session] of this.sessions)
      if (now - session.lastUsedMs > this.idleMs) this.sessions.delete(token);
  }
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
