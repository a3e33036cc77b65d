// Cinder's fault bodies (cinder/api/openstack/wsgi.py Fault): {"<name>": {"code", "message"}}.
// The value must be an object: cinderclient reads body[first key]["message"] and crashes on a
// string (openstack-api.md §2.3). Anything that is not a CinderError is our bug: a 500 with a
// generic message, the real error going to the log only.

import type { FastifyError } from 'fastify';
import { CinderError } from '../errors.js';

const FAULT_NAMES: Partial<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** Cinder's text for a 500 (webob's HTTPInternalServerError explanation). */
export const GENERIC_FAULT_MESSAGE =
  'The server has either erred or is incapable of performing the requested operation.';
/** Cinder's answer to a body that is not JSON. */
export const MALFORMED_BODY_MESSAGE = 'Malformed request body';
/** webob's HTTPNotFound explanation: what an unknown path or an API above the microversion gets. */
export const NOT_FOUND_MESSAGE = 'The resource could not be found.';

/** 406 and 500 (and any status not in the table) are computeFault, as in wsgi.Fault. */
export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

export function faultBody(status: number, message: string): object {
  return { [faultName(status)]: { code: status, message } };
}

/**
 * The CinderError a failure stands for, or null for our own bugs. Framework errors with a 4xx
 * status are the client's: malformed JSON, a body over the limit, a bad URL.
 */
export function classifyError(raw: unknown): CinderError | null {
  if (raw instanceof CinderError) return raw;
  const framework = raw as Partial<FastifyError>;
  const status = framework.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (status === 413 || framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new CinderError(413, 'Request is too large.');
  if (status === 404) return new CinderError(404, NOT_FOUND_MESSAGE);
  if (status === 405) return new CinderError(405, 'The method specified is not allowed for this resource.');
  // Our JSON parser's refusal says what was wrong; other framework refusals (a URL segment too
  // long, a bad encoding) are malformed requests.
  return new CinderError(
    400,
    framework.message === MALFORMED_BODY_MESSAGE ? MALFORMED_BODY_MESSAGE : 'Malformed request',
  );
}
