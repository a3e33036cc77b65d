// NBD limits that only the NBD server needs. The shared ones (request size, in-flight count,
// handshake timeout, option size) live in src/constants.ts.

import { NBD_REQUEST_MAX_BYTES, SECTOR_BYTES } from '../../constants.js';

/**
 * Payload bytes (READ + WRITE) one connection may hold in flight before the server stops reading
 * its socket. NBD_INFLIGHT_MAX alone would allow 128 x 32 MiB = 4 GiB per connection.
 */
export const NBD_INFLIGHT_PAYLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** Outgoing reply headers are packed into arenas of this size, so a batch of replies is one write. */
export const NBD_REPLY_ARENA_BYTES = 64 * 1024;

/**
 * Socket buffer watermark (both directions). Node's 16 KiB default would report backpressure
 * after four 4 KiB read replies and stall request intake for nothing on a fast link.
 */
export const NBD_SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

/** After the server ends a connection, the peer has this long to close its side before a reset. */
export const NBD_CLOSE_LINGER_MS = 5_000;

/** Advertised in NBD_INFO_BLOCK_SIZE: the smallest alignment we accept (BlockDevice's rule). */
export const NBD_BLOCK_MIN_BYTES = SECTOR_BYTES;
/** Advertised in NBD_INFO_BLOCK_SIZE: the engine maps 4 KiB blocks, smaller writes cost a merge. */
export const NBD_BLOCK_PREFERRED_BYTES = 4096;
/** Advertised in NBD_INFO_BLOCK_SIZE: the largest READ or WRITE payload. */
export const NBD_BLOCK_MAX_BYTES = NBD_REQUEST_MAX_BYTES;

/** The spec's upper bound on any string (export names, messages). */
export const NBD_STRING_MAX_BYTES = 4096;
