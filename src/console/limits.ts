// The console's limits, each with its unit and reason. Kept beside the console rather than in
// src/constants.ts because they only bound this one loopback page; they can move there unchanged.

/** The page asks for the state this often: fast enough to watch a failover, light on the arrays. */
export const CONSOLE_REFRESH_MS = 2_000;
/**
 * An aggregated state younger than this is served again instead of asking every array anew, so
 * several open tabs cost the arrays what one does.
 */
export const STATE_REUSE_MS = 1_000;
/**
 * One array read, from connect to the last byte. Loopback arrays answer in milliseconds; a stopped
 * (SIGSTOP) array must not hold the whole state past the next refresh for long.
 */
export const ARRAY_READ_TIMEOUT_MS = 3_000;
/** A Keystone login or a Cinder call: failover_host only records the request, so it is quick too. */
export const CINDER_REQUEST_TIMEOUT_MS = 10_000;
/** A cached admin token is renewed this long before Keystone says it expires (tokens live 1 h). */
export const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
/** Passwords longer than this are refused before they reach Keystone: nobody types more. */
export const PASSWORD_MAX_CHARS = 1_024;
/** Error text that came from a daemon is cut to this before it goes into an answer. */
export const ERROR_TEXT_MAX_CHARS = 300;
/** Samples each chart keeps in the browser: 3 minutes at one sample per refresh. */
export const CHART_SAMPLES_MAX = 90;
