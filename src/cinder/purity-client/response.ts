// The response model of pypureclient (responses.py): a call gives either a ValidResponse (2xx) or
// an ErrorResponse (400, 401, 403, 404, 500 ...). Purity errors are data, not exceptions, because
// the Cinder driver branches on their text ("already exists", "does not exist" ...; spec
// cinder-pure-driver.md §4). Only a failure to get a Purity answer at all throws.

import { PurityClientError } from './errors.js';

/** One entry of Purity's error envelope (spec purity-rest2.md §2.5). */
export interface PurityApiError {
  message: string;
  /** The object the error is about (a name), or null. */
  context: string | null;
  location_context?: unknown;
}

export interface ValidResponse<T> {
  ok: true;
  /** 200, or 207 for a partial success (`allow_errors`). */
  status: number;
  items: T[];
  /** Only filled when the request asked for `total_item_count=true`. */
  totalItemCount: number | null;
  continuationToken: string | null;
  moreItemsRemaining: boolean;
  /** Aggregates, when the request asked for `total_only`/`total`. */
  total: unknown[] | null;
  /** Partial errors of a 207; empty otherwise. */
  errors: PurityApiError[];
  requestId: string | null;
}

export interface ErrorResponse {
  ok: false;
  status: number;
  errors: PurityApiError[];
  requestId: string | null;
}

export type PurityResponse<T> = ValidResponse<T> | ErrorResponse;

/** The messages of an error response (none for a valid one). */
export function errorMessages(response: PurityResponse<unknown>): string[] {
  return response.ok ? [] : response.errors.map((e) => e.message);
}

/**
 * True when the response is an error one of whose messages contains `text`. The driver looks at
 * `errors[0]` only; Purity answers with one error per request, so looking at all is equivalent
 * and does not depend on an order the API does not promise.
 */
export function hasError(response: PurityResponse<unknown>, text: string): boolean {
  return !response.ok && response.errors.some((e) => e.message.includes(text));
}

/** The first item of a valid response, or undefined (error, or an empty list). */
export function firstItem<T>(response: PurityResponse<T>): T | undefined {
  return response.ok ? response.items[0] : undefined;
}

/** The substrings the Cinder Pure driver matches in `errors[0].message` (`ERR_MSG_*`). */
export const PURITY_ERROR_TEXT = {
  doesNotExist: 'does not exist',
  hostDoesNotExist: 'Host does not exist',
  noSuchVolumeOrSnapshot: 'No such volume or snapshot',
  hasBeenDestroyed: 'has been destroyed',
  alreadyExists: 'already exists',
  couldNotBeFound: 'could not be found',
  alreadyIncludes: 'already includes',
  alreadyAllowedOn: 'already allowed on',
  cannotDeleteExistingConnections: 'cannot be deleted due to existing connections',
  alreadyInUse: 'already in use',
  limitReached: 'limit reached',
} as const;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a body; an empty body is `{}` (DELETE and logout answer with none). */
export function parseJsonBody(text: string, address: string, status: number): JsonObject {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PurityClientError('PURITY_INVALID_RESPONSE', address, 'response is not valid JSON', status);
  }
  if (!isObject(parsed))
    throw new PurityClientError('PURITY_INVALID_RESPONSE', address, 'response is not a JSON object', status);
  return parsed;
}

function apiErrors(body: JsonObject, status: number): PurityApiError[] {
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    return body.errors.map((raw) => {
      const entry = isObject(raw) ? raw : {};
      const error: PurityApiError = {
        message: typeof entry.message === 'string' ? entry.message : String(entry.message ?? ''),
        context: typeof entry.context === 'string' ? entry.context : null,
      };
      if (entry.location_context !== undefined) error.location_context = entry.location_context;
      return error;
    });
  }
  // 403 and 429 come from the gateway in Kong's shape: a top-level message (spec §2.5).
  if (typeof body.message === 'string') return [{ message: body.message, context: null }];
  return [{ message: `HTTP status ${status}`, context: null }];
}

/** A 2xx body as a ValidResponse; items are trusted to be the model asked for (as the SDK does). */
export function validResponse<T>(
  status: number,
  body: JsonObject,
  requestId: string | null,
  address: string,
): ValidResponse<T> {
  if (body.items !== undefined && !Array.isArray(body.items))
    throw new PurityClientError('PURITY_INVALID_RESPONSE', address, "'items' is not a list", status);
  const count = body.total_item_count;
  const token = body.continuation_token;
  return {
    ok: true,
    status,
    items: (body.items as T[] | undefined) ?? [],
    totalItemCount: typeof count === 'number' ? count : null,
    continuationToken: typeof token === 'string' && token !== '' ? token : null,
    moreItemsRemaining: body.more_items_remaining === true,
    total: Array.isArray(body.total) ? body.total : null,
    errors: Array.isArray(body.errors) ? apiErrors(body, status) : [],
    requestId,
  };
}

export function errorResponse(status: number, body: JsonObject, requestId: string | null): ErrorResponse {
  return { ok: false, status, errors: apiErrors(body, status), requestId };
}
