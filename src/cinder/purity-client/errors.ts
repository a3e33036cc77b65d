// Failures of the client itself: the array could not be reached, did not answer in time, or
// answered something that is not Purity REST. Purity's own errors (400 "already exists" ...) are
// not exceptions: they come back as an ErrorResponse, because the driver branches on their text.
//
// No message, field or cause of these errors ever holds the API token or a session token: every
// text that may have come from the wire goes through `redact` first.

import { PURITY_ERROR_TEXT_MAX_CHARS } from './limits.js';

/** Stable codes: callers branch on these, never on message text. */
export type PurityClientErrorCode =
  | 'PURITY_INVALID_ARGUMENT'
  | 'PURITY_CONNECTION_FAILED'
  | 'PURITY_TLS_FAILED'
  | 'PURITY_TIMEOUT'
  | 'PURITY_INVALID_RESPONSE'
  | 'PURITY_UNEXPECTED_STATUS'
  | 'PURITY_VERSION_UNSUPPORTED'
  | 'PURITY_AUTHENTICATION_FAILED'
  | 'PURITY_CLIENT_CLOSED';

export class PurityClientError extends Error {
  constructor(
    readonly code: PurityClientErrorCode,
    /** `host:port` of the array, as given to the client. */
    readonly address: string,
    readonly reason: string,
    /** HTTP status when the failure is an answer (login refused, unexpected status). */
    readonly status: number | null = null,
    /** The system error code underneath (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT ...), if any. */
    readonly causeCode: string | null = null,
  ) {
    super(`Purity array ${address}: ${reason}`);
    this.name = 'PurityClientError';
  }
}

const REDACTED = '<redacted>';

/**
 * `text` with every secret replaced and cut to a bounded length. Secrets shorter than 8
 * characters are not searched for: they would redact ordinary words, and no real token is short.
 */
export function redact(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  if (out.length > PURITY_ERROR_TEXT_MAX_CHARS) out = `${out.slice(0, PURITY_ERROR_TEXT_MAX_CHARS)}...`;
  return out;
}
