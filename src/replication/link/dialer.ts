// Dials a peer array's replication listener, says hello, and returns the link once the peer accepted.

import net from 'node:net';
import { REPLICATION_ERROR_MESSAGE_MAX_CHARS, REPLICATION_HANDSHAKE_TIMEOUT_MS } from '../../constants.js';
import { LinkConnectError, type LinkConnectFailure, LinkRefusedError } from './errors.js';
import { encodeFrame, type Frame } from './frame.js';
import {
  type ArrayIdentity,
  type FirstFrameResult,
  type Hello,
  parseHelloAnswer,
  readFirstFrame,
} from './handshake.js';
import { ReplicationLink, type ReplicationLinkOptions } from './link.js';

export interface DialOptions {
  host: string;
  port: number;
  hello: Hello;
  /** Bounds connect and hello together. */
  timeoutMs?: number;
  /** Abandons the dial (rejects with LinkConnectError 'aborted'). */
  signal?: AbortSignal;
  linkOptions?: Omit<ReplicationLinkOptions, 'decoder' | 'logContext'>;
}

export interface DialResult {
  link: ReplicationLink;
  /** The peer array as its answer named it. */
  peer: ArrayIdentity;
}

/** The hello is the connection's first request; the link numbers its own requests independently. */
const HELLO_REQUEST_ID = 1;

/**
 * Rejects with LinkRefusedError when the peer refused the hello (its reason inside), or with
 * LinkConnectError when no answer came (refused TCP connection, timeout, garbage, abort).
 */
export async function dialPeer(options: DialOptions): Promise<DialResult> {
  const timeoutMs = options.timeoutMs ?? REPLICATION_HANDSHAKE_TIMEOUT_MS;
  const where = `${options.host}:${options.port}`;
  const socket = net.connect({ host: options.host, port: options.port });
  // Kept for the socket's whole life: an 'error' with no listener would take the process down.
  socket.on('error', () => {});
  let connected = false;
  socket.once('connect', () => {
    connected = true;
  });
  let interruption: LinkConnectError | undefined;
  const interrupt = (code: LinkConnectFailure, detail: string): void => {
    interruption ??= new LinkConnectError(code, `${where}: ${detail}`);
    socket.destroy();
  };
  const timer = setTimeout(() => interrupt('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);
  const onAbort = (): void => interrupt('aborted', 'dial abandoned');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    // Written before the connection is up: net queues it until then.
    const hello = encodeFrame({ kind: 'request', requestId: HELLO_REQUEST_ID, header: options.hello });
    for (const chunk of hello.chunks) socket.write(chunk);
    const first = await readFirstFrame(socket);
    if (interruption !== undefined) throw interruption;
    if ('failure' in first) throw failureError(first, connected, where);
    const peer = acceptedPeer(first.frame, where);
    const link = new ReplicationLink(socket, {
      ...options.linkOptions,
      decoder: first.decoder,
      logContext: { peerArray: peer.id },
    });
    return { link, peer };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function failureError(
  result: Extract<FirstFrameResult, { failure: unknown }>,
  connected: boolean,
  where: string,
): LinkConnectError {
  if (result.failure === 'protocol-error')
    return new LinkConnectError('protocol-error', `${where}: ${result.detail}`);
  if (!connected) return new LinkConnectError('connect-failed', `${where}: ${result.detail}`);
  return new LinkConnectError('closed', `${where}: ${result.detail}`);
}

/** The peer's identity from an accepting answer; throws for a refusal or an answer that is neither. */
function acceptedPeer(frame: Frame, where: string): ArrayIdentity {
  if (
    frame.requestId !== HELLO_REQUEST_ID ||
    (frame.kind !== 'response' && frame.kind !== 'error-response')
  ) {
    throw new LinkConnectError('answer-invalid', `${where}: ${frame.kind} ${frame.requestId}`);
  }
  if (frame.kind === 'error-response') {
    const { message, code } = frame.header;
    const reason =
      typeof message === 'string' ? message.slice(0, REPLICATION_ERROR_MESSAGE_MAX_CHARS) : 'no reason given';
    throw new LinkRefusedError(reason, typeof code === 'string' ? code : undefined);
  }
  const peer = parseHelloAnswer(frame.header);
  if (peer === undefined)
    throw new LinkConnectError('answer-invalid', `${where}: answer lacks array { id, name }`);
  return peer;
}
