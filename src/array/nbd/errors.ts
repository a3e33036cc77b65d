// The NBD error catalogue: how engine failures become NBD errno values, why a request is refused,
// and why a connection is closed. Codes are stable (logs and tests use them); texts explain.

import { IoError, type IoErrorCode } from '../engine/block-device.js';
import { NBD_EINVAL, NBD_EIO, NBD_ENOSPC, NBD_EPERM, NBD_ESHUTDOWN, type NbdErrno } from './protocol.js';

/**
 * 'offline' and 'gone' map to ESHUTDOWN: the spec makes a client that receives it disconnect
 * (softly) rather than retry, which is right for a volume that was disconnected or destroyed; a
 * multipath host then reconnects, possibly to the other array.
 */
export const IO_ERROR_ERRNO: Readonly<Record<IoErrorCode, NbdErrno>> = {
  io: NBD_EIO,
  'read-only': NBD_EPERM,
  'out-of-range': NBD_EINVAL,
  'no-space': NBD_ENOSPC,
  offline: NBD_ESHUTDOWN,
  gone: NBD_ESHUTDOWN,
};

/** The errno for a device failure; anything that is not an IoError is an EIO (and our bug). */
export function errnoForFailure(error: unknown): NbdErrno {
  return error instanceof IoError ? (IO_ERROR_ERRNO[error.code] ?? NBD_EIO) : NBD_EIO;
}

/** Requests answered with an error without reaching the device. */
export const REQUEST_REJECTIONS = {
  'request-misaligned': { errno: NBD_EINVAL, text: 'offset or length is not a multiple of 512 bytes' },
  'request-out-of-range': { errno: NBD_EINVAL, text: 'range extends beyond the end of the export' },
  'write-out-of-range': {
    errno: NBD_ENOSPC,
    text: 'write extends beyond the end of the export (the spec asks for ENOSPC)',
  },
  'read-too-large': { errno: NBD_EINVAL, text: 'read length exceeds the advertised maximum block size' },
  'export-read-only': { errno: NBD_EPERM, text: 'write, trim or zero on a read-only export' },
  'command-unknown': { errno: NBD_EINVAL, text: 'command type not known to this server' },
  'command-flags-invalid': {
    errno: NBD_EINVAL,
    text: 'command flag not defined for this command or not negotiated',
  },
} as const satisfies Record<string, { errno: NbdErrno; text: string }>;
export type RequestRejection = keyof typeof REQUEST_REJECTIONS;

/** Why a connection was ended. Those marked peer are the client's doing; the rest are refusals. */
export const CLOSE_REASONS = {
  'client-flags-unknown': 'client flags carry bits this server did not offer',
  'client-not-fixed-newstyle': 'client did not set NBD_FLAG_C_FIXED_NEWSTYLE',
  'option-magic-bad': 'option does not start with IHAVEOPT',
  'option-too-large': 'option payload exceeds NBD_OPTION_MAX_BYTES',
  'export-name-refused': 'NBD_OPT_EXPORT_NAME named an export we cannot open (the spec requires a close)',
  'handshake-timeout': 'option haggling did not finish within NBD_HANDSHAKE_TIMEOUT_MS',
  'request-magic-bad': 'request does not start with NBD_REQUEST_MAGIC; the stream cannot be resynchronised',
  'write-too-large': 'write payload exceeds the maximum block size; it cannot be skipped safely',
  'client-abort': 'peer: NBD_OPT_ABORT',
  'client-disconnect': 'peer: NBD_CMD_DISC, in-flight requests answered first',
  'peer-closed': 'peer: connection closed or reset',
  'server-shutdown': 'the server is closing',
  'internal-error': 'a bug in the NBD server; the connection is closed, the process lives',
} as const;
export type CloseReason = keyof typeof CLOSE_REASONS;

/** Why an option payload is malformed (answered with NBD_REP_ERR_INVALID). */
export const OPTION_INVALID_REASONS = {
  'name-length-overflows': 'export name length exceeds the option payload',
  'info-count-mismatch': 'number of information requests does not match the payload length',
  'string-too-long': 'string exceeds 4096 bytes',
  'payload-unexpected': 'option takes no payload',
} as const;
export type OptionInvalidReason = keyof typeof OPTION_INVALID_REASONS;
