// Limits of the Purity REST client, each with its unit and reason. They live here rather than in
// src/constants.ts only because that file is shared; they can move there unchanged.

/**
 * Whole request, from connect to the last body byte. Arrays answer in milliseconds; a stretch or a
 * target add waits for the peer array, which the emulator bounds well below this.
 */
export const PURITY_REQUEST_TIMEOUT_MS = 30_000;
/** Retries of a 429 or a 501-599 answer, as pypureclient's `retries=5`. */
export const PURITY_RETRIES_MAX = 5;
/** First wait before such a retry; it doubles each time (100, 200, 400 ... ms). */
export const PURITY_RETRY_BASE_DELAY_MS = 100;
/** Longest single wait between retries, so five retries stay within a few seconds. */
export const PURITY_RETRY_MAX_DELAY_MS = 2_000;
/** A response body larger than this is refused: a list of every volume of a full array is ~10 MiB. */
export const PURITY_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;
/** Sockets per client: the control plane serialises most calls per array; this bounds bursts. */
export const PURITY_SOCKETS_MAX = 8;
/**
 * An idle keep-alive socket is closed after this long, below the array's 72 s keep-alive timeout
 * (fastify's default), so the client rarely writes into a socket the server is closing.
 */
export const PURITY_IDLE_SOCKET_MS = 30_000;
/** Pages `listAll` follows before it gives up: a token that never ends must not loop for ever. */
export const PURITY_LIST_PAGES_MAX = 10_000;
/** Highest REST version this client was written and tested against (Tandem serves up to 2.38). */
export const PURITY_CLIENT_VERSION_MAX = '2.38';
/** Error text taken from a server answer is cut to this length before it goes into our messages. */
export const PURITY_ERROR_TEXT_MAX_CHARS = 512;
