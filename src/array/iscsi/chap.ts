// CHAP with MD5 (CHAP_A=5; RFC 1994 as used by RFC 7143 section 12.1.3). The target challenges
// the initiator with CHAP_I/CHAP_C and checks CHAP_N/CHAP_R against the host's credentials; with
// mutual CHAP the initiator's CHAP_I/CHAP_C come along with its response and the target proves
// itself with CHAP_N/CHAP_R. Binary values are sent as 0x hex (libiscsi parses nothing else) and
// accepted as 0x hex or 0b base64. Secrets never leave this file except inside an MD5 digest.

import { createHash, timingSafeEqual } from 'node:crypto';
import { ISCSI_CHAP_CHALLENGE_BYTES, ISCSI_CHAP_CHALLENGE_MIN_BYTES } from './limits.js';

/** The only algorithm we offer: MD5. */
export const CHAP_MD5 = 5;
const MD5_BYTES = 16;

/** Random bytes; injectable so tests are deterministic. */
export type RandomSource = (bytes: number) => Buffer;

/** RFC 1994: MD5(identifier byte || secret || challenge). */
export function chapResponse(identifier: number, secret: string, challenge: Buffer): Buffer {
  const hash = createHash('md5');
  hash.update(Buffer.from([identifier & 0xff]));
  hash.update(Buffer.from(secret, 'utf8'));
  hash.update(challenge);
  return hash.digest();
}

/** Decodes a binary value: `0x` + hex digits or `0b` + base64; null when malformed. */
export function decodeBinary(value: string): Buffer | null {
  const prefix = value.slice(0, 2).toLowerCase();
  const body = value.slice(2);
  if (prefix === '0x') {
    if (body.length === 0 || !/^[0-9a-fA-F]+$/.test(body)) return null;
    return Buffer.from(body.length % 2 === 1 ? `0${body}` : body, 'hex');
  }
  if (prefix === '0b') {
    if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
    return Buffer.from(body, 'base64');
  }
  return null;
}

export function encodeHex(bytes: Buffer): string {
  return `0x${bytes.toString('hex')}`;
}

/** Picks MD5 from an initiator's CHAP_A list, or null when it offers none we support. */
export function chooseAlgorithm(offer: string): number | null {
  return offer.split(',').some((a) => a.trim() === String(CHAP_MD5)) ? CHAP_MD5 : null;
}

export interface ChapChallenge {
  identifier: number;
  challenge: Buffer;
}

export function newChallenge(random: RandomSource): ChapChallenge {
  return { identifier: random(1)[0]!, challenge: random(ISCSI_CHAP_CHALLENGE_BYTES) };
}

export interface Credentials {
  user: string;
  secret: string;
}

export type ChapVerdict = 'ok' | 'user-mismatch' | 'response-malformed' | 'response-mismatch';

/** Checks the initiator's CHAP_N/CHAP_R against what it should have computed for our challenge. */
export function verifyResponse(
  ours: ChapChallenge,
  expected: Credentials,
  name: string | undefined,
  response: string | undefined,
): ChapVerdict {
  if (name !== expected.user) return 'user-mismatch';
  const given = response === undefined ? null : decodeBinary(response);
  if (!given || given.length !== MD5_BYTES) return 'response-malformed';
  const want = chapResponse(ours.identifier, expected.secret, ours.challenge);
  return timingSafeEqual(given, want) ? 'ok' : 'response-mismatch';
}

export type MutualAnswer =
  | { ok: true; name: string; response: string }
  | {
      ok: false;
      reason: 'identifier-malformed' | 'challenge-malformed' | 'challenge-reflected' | 'challenge-short';
    };

/**
 * Our answer to the initiator's challenge (mutual CHAP). A challenge equal to the one we sent is
 * refused: answering it would hand a peer who does not know the secret the response it needs.
 */
export function answerMutual(
  ours: ChapChallenge,
  target: Credentials,
  identifierText: string,
  challengeText: string,
): MutualAnswer {
  if (!/^[0-9]{1,3}$/.test(identifierText) || Number(identifierText) > 255)
    return { ok: false, reason: 'identifier-malformed' };
  const challenge = decodeBinary(challengeText);
  if (!challenge) return { ok: false, reason: 'challenge-malformed' };
  if (challenge.length < ISCSI_CHAP_CHALLENGE_MIN_BYTES) return { ok: false, reason: 'challenge-short' };
  if (challenge.equals(ours.challenge)) return { ok: false, reason: 'challenge-reflected' };
  const response = chapResponse(Number(identifierText), target.secret, challenge);
  return { ok: true, name: target.user, response: encodeHex(response) };
}
