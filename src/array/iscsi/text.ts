// Key=value text (RFC 7143 section 6): each pair ends with a NUL; keys are at most 63 bytes,
// values at most 255 bytes (8192 for binary CHAP values). A key twice in one text is a protocol
// error. Texts longer than one PDU travel in several PDUs with the C bit set on all but the last;
// TextAssembler gathers them, splitText cuts ours.

import {
  ISCSI_BINARY_VALUE_MAX_BYTES,
  ISCSI_KEY_MAX_BYTES,
  ISCSI_TEXT_MAX_BYTES,
  ISCSI_VALUE_MAX_BYTES,
} from './limits.js';

export type TextPairs = [key: string, value: string][];

/** Keys whose values are binary (0x/0b) and may exceed 255 bytes. */
const BINARY_KEYS = new Set(['CHAP_C', 'CHAP_R']);

const KEY_PATTERN = /^[A-Za-z0-9.\-+@_]+$/;

export function decodeText(data: Buffer): TextPairs | { invalid: string } {
  const pairs: TextPairs = [];
  const seen = new Set<string>();
  let at = 0;
  while (at < data.length) {
    let end = data.indexOf(0, at);
    if (end < 0) end = data.length; // a missing final NUL is tolerated
    if (end === at) {
      at++; // stray NUL (some initiators pad with extra zeros)
      continue;
    }
    const pair = data.toString('utf8', at, end);
    at = end + 1;
    const equals = pair.indexOf('=');
    if (equals <= 0) return { invalid: `'${pair.slice(0, 64)}' is not key=value` };
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (key.length > ISCSI_KEY_MAX_BYTES) return { invalid: `key '${key.slice(0, 64)}...' exceeds 63 bytes` };
    if (!KEY_PATTERN.test(key)) return { invalid: `key '${key}' has characters outside the RFC's set` };
    const limit = BINARY_KEYS.has(key) ? ISCSI_BINARY_VALUE_MAX_BYTES : ISCSI_VALUE_MAX_BYTES;
    if (Buffer.byteLength(value) > limit) return { invalid: `value of ${key} exceeds ${limit} bytes` };
    if (seen.has(key)) return { invalid: `key ${key} appears twice` };
    seen.add(key);
    pairs.push([key, value]);
  }
  return pairs;
}

export function encodeText(pairs: TextPairs): Buffer {
  return Buffer.from(pairs.map(([key, value]) => `${key}=${value}\0`).join(''), 'utf8');
}

/** Cuts a text into data segments of at most `segmentBytes` (all but the last go with C=1). */
export function splitText(text: Buffer, segmentBytes: number): Buffer[] {
  if (text.length <= segmentBytes) return [text];
  const parts: Buffer[] = [];
  for (let at = 0; at < text.length; at += segmentBytes) parts.push(text.subarray(at, at + segmentBytes));
  return parts;
}

/** Gathers the data of continued (C=1) PDUs, bounded by ISCSI_TEXT_MAX_BYTES. */
export class TextAssembler {
  private parts: Buffer[] = [];
  private bytes = 0;

  /** Adds one PDU's data; returns the whole text when `continues` is false, or a reason on overflow. */
  add(data: Buffer, continues: boolean): Buffer | 'pending' | { invalid: string } {
    this.bytes += data.length;
    if (this.bytes > ISCSI_TEXT_MAX_BYTES) {
      this.reset();
      return { invalid: `text exceeds ${ISCSI_TEXT_MAX_BYTES} bytes` };
    }
    this.parts.push(Buffer.from(data));
    if (continues) return 'pending';
    const whole = Buffer.concat(this.parts);
    this.reset();
    return whole;
  }

  get pending(): boolean {
    return this.parts.length > 0;
  }

  reset(): void {
    this.parts = [];
    this.bytes = 0;
  }
}
