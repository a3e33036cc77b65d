// The replication link's error catalogue: why a frame is invalid, why a link closed, why a dial
// failed. Codes are stable (logs, tests and callers branch on them); texts explain. No message
// ever carries a connection key or frame contents: only codes, counts, addresses and peer text.

import { REPLICATION_ERROR_MESSAGE_MAX_CHARS } from '../../constants.js';

/** Why bytes from the peer are not a valid frame. The stream cannot be resynchronised after any of them. */
export const FRAME_INVALID_REASONS = {
  'frame-too-short': 'frame length is shorter than the fixed frame header',
  'frame-too-large': 'frame length exceeds REPLICATION_FRAME_MAX_BYTES',
  'version-unsupported': 'frame version is not one this side speaks',
  'kind-unknown': 'frame kind is not request, response, message or error-response',
  'reserved-nonzero': 'reserved frame field is not zero',
  'request-id-missing': 'request or response carries request id 0',
  'request-id-unexpected': 'message carries a request id',
  'header-length-overflows': 'JSON header length exceeds the frame',
  'header-too-large': 'JSON header exceeds REPLICATION_FRAME_HEADER_MAX_BYTES',
  'crc-mismatch': 'frame checksum does not match its contents',
  'header-not-json': 'JSON header does not parse',
  'header-not-object': 'JSON header is not an object',
} as const;
export type FrameInvalidReason = keyof typeof FRAME_INVALID_REASONS;

/** Why a link ended; the 'close' event and LinkClosedError carry one of these. */
export const LINK_CLOSE_REASONS = {
  'local-close': 'closed by this side',
  'peer-closed': 'the peer closed the connection',
  dead: 'nothing received from the peer within deadAfterMs',
  'protocol-error': 'the peer sent bytes that are not a valid frame',
  'socket-error': 'the connection failed (reset, unreachable)',
} as const;
export type LinkCloseReason = keyof typeof LINK_CLOSE_REASONS;

/** Why dialing a peer failed before a link existed (a refusal is LinkRefusedError instead). */
export const LINK_CONNECT_FAILURES = {
  'connect-failed': 'the TCP connection could not be made',
  timeout: 'connect and hello did not finish within the dial timeout',
  closed: 'the peer closed the connection during the hello',
  'protocol-error': 'the peer answered with bytes that are not a valid frame',
  'answer-invalid': 'the peer answered the hello with something other than { array: { id, name } }',
  aborted: 'the dial was abandoned (connector stopped)',
} as const;
export type LinkConnectFailure = keyof typeof LINK_CONNECT_FAILURES;

/** Bytes from the peer (or a frame we were asked to send) break the frame format. */
export class LinkProtocolError extends Error {
  override readonly name = 'LinkProtocolError';
  constructor(
    readonly code: FrameInvalidReason,
    /** Numbers that explain the case (lengths, versions); never frame contents. */
    detail?: string,
  ) {
    super(detail === undefined ? FRAME_INVALID_REASONS[code] : `${FRAME_INVALID_REASONS[code]} (${detail})`);
  }
}

/** A request could not complete because the link is closed or closing. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
  constructor(
    readonly reason: LinkCloseReason,
    detail?: string,
  ) {
    const text = LINK_CLOSE_REASONS[reason];
    super(`replication link closed: ${detail === undefined ? text : `${text} (${detail})`}`);
  }
}

/** The peer's handler failed (or had no handler); only its message and optional code cross the wire. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    message: string,
    /** The remote error's `code` when it had a string one ('unknown-type' when no handler exists). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The peer answered the hello with a refusal; `reason` is the peer's text. */
export class LinkRefusedError extends Error {
  override readonly name = 'LinkRefusedError';
  constructor(
    readonly reason: string,
    /** 'refused' when authorize said no, 'hello-invalid' when the hello was malformed. */
    readonly remoteCode: string | undefined,
  ) {
    super(`replication peer refused the connection: ${reason}`);
  }
}

export class LinkConnectError extends Error {
  override readonly name = 'LinkConnectError';
  constructor(
    readonly code: LinkConnectFailure,
    /** host:port and, for socket failures, the errno code; never hello contents. */
    detail: string,
  ) {
    super(`replication dial failed: ${LINK_CONNECT_FAILURES[code]} (${detail})`);
  }
}

// How a handler's failure crosses the wire: an error-response header { message, code? }.

/** Message and string code only: stacks and other fields stay on this side. */
export function errorHeader(error: unknown): { message: string; code?: string } {
  const message = error instanceof Error ? error.message : 'request handler failed';
  const code = (error as { code?: unknown } | null)?.code;
  return {
    message: message.slice(0, REPLICATION_ERROR_MESSAGE_MAX_CHARS),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

export function remoteErrorFrom(header: Record<string, unknown>): RemoteError {
  const message = typeof header['message'] === 'string' ? header['message'] : 'remote handler failed';
  const code = typeof header['code'] === 'string' ? header['code'] : undefined;
  return new RemoteError(message.slice(0, REPLICATION_ERROR_MESSAGE_MAX_CHARS), code);
}
