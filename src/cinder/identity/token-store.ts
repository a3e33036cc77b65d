// Keystone tokens: random opaque strings held in memory with an expiry. A restart forgets them,
// which the CLIs do not notice (they authenticate on every run, and re-authenticate on a 401).

import { randomBytes } from 'node:crypto';

/** Keystone's default token lifetime ([token] expiration = 3600 s). */
export const TOKEN_LIFETIME_MS = 3600 * 1000;
/** Tokens held at once; past this the oldest go first (each CLI run issues one, so this is generous). */
export const TOKENS_MAX = 10_000;
/** 32 random bytes: unguessable, and short enough for an HTTP header. */
export const TOKEN_BYTES = 32;
/** Keystone's audit ids are 16 random bytes in url-safe base64 (22 characters). */
const AUDIT_ID_BYTES = 16;

export interface TokenGrant {
  userId: string;
  projectId: string;
  methods: string[];
  issuedAtMs: number;
  expiresAtMs: number;
  auditId: string;
}

export class TokenStore {
  // Insertion order is issue order, which makes "drop the oldest" a walk from the front.
  private readonly tokens = new Map<string, TokenGrant>();

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly lifetimeMs = TOKEN_LIFETIME_MS,
    private readonly maxTokens = TOKENS_MAX,
  ) {}

  issue(userId: string, projectId: string, methods: string[]): { token: string; grant: TokenGrant } {
    this.dropExpired();
    while (this.tokens.size >= this.maxTokens) {
      const oldest = this.tokens.keys().next().value;
      if (oldest === undefined) break;
      this.tokens.delete(oldest);
    }
    const issuedAtMs = this.nowMs();
    const grant: TokenGrant = {
      userId,
      projectId,
      methods,
      issuedAtMs,
      expiresAtMs: issuedAtMs + this.lifetimeMs,
      auditId: randomBytes(AUDIT_ID_BYTES).toString('base64url'),
    };
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    this.tokens.set(token, grant);
    return { token, grant };
  }

  /** The grant behind `token`, or null when unknown or expired. Map lookup by the whole token. */
  validate(token: string | undefined): TokenGrant | null {
    if (!token) return null;
    const grant = this.tokens.get(token);
    if (!grant) return null;
    if (this.nowMs() >= grant.expiresAtMs) {
      this.tokens.delete(token);
      return null;
    }
    return grant;
  }

  revoke(token: string): boolean {
    return this.tokens.delete(token);
  }

  get size(): number {
    return this.tokens.size;
  }

  private dropExpired(): void {
    const now = this.nowMs();
    for (const [token, grant] of this.tokens) if (now >= grant.expiresAtMs) this.tokens.delete(token);
  }
}
