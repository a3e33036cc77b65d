// Validators for everything the mediator reads from outside (claim bodies, queries, the grants
// file): each returns why a value is invalid, or null, so callers refuse with a reason.

import { MEDIATOR_ID_MAX_CHARS } from '../constants.js';

/** Pod and array ids: names and UUIDs. No spaces or control characters, so ids log cleanly. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export interface Claim {
  pod: string;
  epoch: number;
  array: string;
}

export function idProblem(value: unknown, what: string): string | null {
  if (typeof value !== 'string') return `${what} must be a string`;
  if (value.length === 0 || value.length > MEDIATOR_ID_MAX_CHARS) {
    return `${what} must be 1 to ${MEDIATOR_ID_MAX_CHARS} characters long`;
  }
  if (!ID_PATTERN.test(value)) {
    return `${what} may hold only letters, digits, '.', '_', ':' and '-', and must start with a letter or digit`;
  }
  return null;
}

export function epochProblem(value: unknown, what: string): string | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return `${what} must be a non-negative integer`;
  }
  return null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A claim body `{ pod, epoch, array }`; fields a newer client may add are ignored. */
export function parseClaim(body: unknown): { ok: true; claim: Claim } | { ok: false; reason: string } {
  if (!isPlainObject(body)) return { ok: false, reason: 'body must be a JSON object {pod, epoch, array}' };
  const problem =
    idProblem(body.pod, 'pod') ?? epochProblem(body.epoch, 'epoch') ?? idProblem(body.array, 'array');
  if (problem) return { ok: false, reason: problem };
  return {
    ok: true,
    claim: { pod: body.pod as string, epoch: body.epoch as number, array: body.array as string },
  };
}
