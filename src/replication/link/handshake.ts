// The hello exchange that opens every replication connection, and the helpers both ends share.
//
//   dialer   -> request (the first frame) { connectionKey, array: { id, name }, replicationAddress?, type }
//   listener -> response { array: { id, name } }               (authorized: the link is up)
//            or error-response { message: reason, code: 'refused' | 'hello-invalid' }, then close
//
// In the hello, `type` is the replication type ('async-replication' | 'sync-replication'), not a
// request type: the hello is recognised by being the first frame, and the link's own request types
// only exist after it. The connection key is a shared secret: it is compared in constant time and
// never written to a log or an error.

import { createHash, timingSafeEqual } from 'node:crypto';
import type net from 'node:net';
import {
  REPLICATION_FRAME_MAX_BYTES,
  REPLICATION_HELLO_FRAME_MAX_BYTES,
  REPLICATION_HELLO_TEXT_MAX_CHARS,
} from '../../constants.js';
import type { LinkProtocolError } from './errors.js';
import { type Frame, FrameDecoder, type FrameHeader } from './frame.js';

export const REPLICATION_TYPES = ['async-replication', 'sync-replication'] as const;
export type ReplicationType = (typeof REPLICATION_TYPES)[number];

export interface ArrayIdentity {
  id: string;
  name: string;
}

export interface Hello {
  connectionKey: string;
  array: ArrayIdentity;
  /** Where the dialing array accepts replication connections itself, if it does. */
  replicationAddress?: string;
  type: ReplicationType;
}

export type AuthorizeResult = { ok: true; array: ArrayIdentity } | { ok: false; reason: string };

/** error-response codes the listener answers a hello with. */
export type HelloRefusalCode = 'refused' | 'hello-invalid';

/**
 * Reads the hello from an untrusted frame. The reason for an invalid hello names the field, never
 * its value (the value might be the key). The returned hello's connectionKey is readable but not
 * enumerable, so logging, spreading or serialising the hello leaves the key out.
 */
export function parseHello(header: FrameHeader): Hello | { invalid: string } {
  const { connectionKey, array, replicationAddress, type } = header;
  if (!isText(connectionKey)) return { invalid: 'connectionKey must be a non-empty string' };
  const identity = parseArrayIdentity(array);
  if (identity === undefined) return { invalid: 'array must be { id, name } with non-empty strings' };
  if (replicationAddress !== undefined && !isText(replicationAddress)) {
    return { invalid: 'replicationAddress must be a non-empty string when present' };
  }
  if (!REPLICATION_TYPES.includes(type as ReplicationType)) {
    return { invalid: `type must be one of ${REPLICATION_TYPES.join(', ')}` };
  }
  const fields = {
    array: identity,
    ...(replicationAddress === undefined ? {} : { replicationAddress }),
    type: type as ReplicationType,
  };
  return Object.defineProperty(fields, 'connectionKey', { value: connectionKey, enumerable: false }) as Hello;
}

/** The listener's answer: { array: { id, name } }, or undefined when it is not that. */
export function parseHelloAnswer(header: FrameHeader): ArrayIdentity | undefined {
  return parseArrayIdentity(header['array']);
}

function parseArrayIdentity(value: unknown): ArrayIdentity | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, name } = value as Record<string, unknown>;
  return isText(id) && isText(name) ? { id, name } : undefined;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= REPLICATION_HELLO_TEXT_MAX_CHARS;
}

/**
 * Constant-time key comparison. Both keys are hashed first, so the buffers compared are always of
 * equal length and the time taken says nothing about the expected key's length either.
 */
export function connectionKeysMatch(presented: string, expected: string): boolean {
  const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Replaces any occurrence of the key in text we did not write ourselves (an authorize reason). */
export function redactKey(text: string, key: string): string {
  return key.length === 0 ? text : text.split(key).join('[redacted]');
}

export type FirstFrameResult =
  | { frame: Frame; decoder: FrameDecoder }
  | { failure: 'closed' | 'socket-error' | 'protocol-error'; detail: string };

/**
 * Waits for the first complete frame on a socket that has no link yet, held to
 * REPLICATION_HELLO_FRAME_MAX_BYTES. On success the socket is paused with these listeners removed,
 * and the returned decoder (back at the normal frame limit) keeps any bytes that followed the frame,
 * so a link built on both loses nothing. The caller bounds the wait by destroying the socket.
 */
export function readFirstFrame(socket: net.Socket): Promise<FirstFrameResult> {
  const decoder = new FrameDecoder(REPLICATION_HELLO_FRAME_MAX_BYTES);
  return new Promise<FirstFrameResult>((resolve) => {
    const finish = (result: FirstFrameResult): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      decoder.push(chunk);
      try {
        const frame = decoder.next();
        if (frame === undefined) return;
        decoder.setFrameMaxBytes(REPLICATION_FRAME_MAX_BYTES);
        finish({ frame, decoder });
      } catch (error) {
        finish({ failure: 'protocol-error', detail: (error as LinkProtocolError).code });
      }
    };
    const onClose = (): void => finish({ failure: 'closed', detail: 'connection closed' });
    const onError = (error: NodeJS.ErrnoException): void =>
      finish({ failure: 'socket-error', detail: error.code ?? 'socket error' });
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.resume();
  });
}
