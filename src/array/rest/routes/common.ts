// Helpers shared by the route modules: query parsing, selection by name, list envelopes and the
// translation of object errors into Purity's error envelope.

import type { FastifyRequest } from 'fastify';
import { ObjectError } from '../../objects/errors.js';
import {
  applyListQuery,
  type ListQuery,
  listEnvelope,
  parseCsv,
  parseListQuery,
  type QueryParams,
} from '../list-query.js';
import {
  doesNotExist,
  invalidBody,
  invalidParameter,
  missingParameter,
  type ObjectKind,
  PurityError,
  type PurityErrorCode,
} from '../rest-error.js';

export type Query = QueryParams;

export function queryOf(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

export function listQuery(request: FastifyRequest): ListQuery {
  const parsed = parseListQuery(queryOf(request));
  if (!parsed.ok) throw invalidParameter(parsed.param, parsed.reason);
  return parsed.value;
}

/** A required CSV parameter such as `names`; at least one element. */
export function requiredList(query: Query, param: string): string[] {
  const values = parseCsv(query[param]);
  if (values.length === 0) throw missingParameter(param);
  return values;
}

export function optionalList(query: Query, param: string): string[] | null {
  return query[param] === undefined ? null : parseCsv(query[param]);
}

export function booleanParam(query: Query, param: string): boolean | undefined {
  const raw = query[param];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalidParameter(param, 'must be given once');
  const lowered = raw.toLowerCase();
  if (lowered === 'true') return true;
  if (lowered === 'false') return false;
  throw invalidParameter(param, 'must be true or false');
}

/** The JSON body as an object ({} when absent); anything else is a 400. */
export function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidBody('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidBody(field, 'must be a string');
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidBody(field, 'must be true or false');
  return value;
}

export function optionalInteger(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidBody(field, 'must be an integer');
  return value;
}

export function optionalStringList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalidBody(field, 'must be a list of strings');
  return value as string[];
}

/** `{"name": "x"}` references; returns the name, '' meaning "clear". */
export function referenceName(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidBody(field, 'must be a reference object');
  const name = (value as Record<string, unknown>).name;
  if (name === undefined || name === null) return undefined;
  if (typeof name !== 'string') throw invalidBody(`${field}.name`, 'must be a string');
  return name;
}

interface ListSpec<T> {
  kind: ObjectKind;
  nameOf: (item: T) => string;
  idOf?: (item: T) => string | null;
  destroyedOf?: (item: T) => boolean;
  view: (item: T) => Record<string, unknown>;
}

/**
 * Standard list GET: `names`/`ids` select (each must match, else "does not exist"), `destroyed`
 * filters, then filter/sort/pagination on the REST view.
 */
export function listItems<T>(query: ListQuery, items: T[], spec: ListSpec<T>) {
  let selected = items;
  if (query.names !== null) {
    const wanted = query.names;
    for (const name of wanted) {
      if (!items.some((i) => spec.nameOf(i) === name)) throw doesNotExist(spec.kind, name);
    }
    selected = wanted.flatMap((name) => items.filter((i) => spec.nameOf(i) === name));
  }
  if (query.ids !== null && spec.idOf) {
    const wanted = query.ids;
    for (const id of wanted) if (!items.some((i) => spec.idOf!(i) === id)) throw doesNotExist(spec.kind, id);
    selected = selected.filter((i) => wanted.includes(spec.idOf!(i) ?? ''));
  }
  if (query.destroyed !== null && spec.destroyedOf) {
    const destroyed = query.destroyed;
    selected = selected.filter((i) => spec.destroyedOf!(i) === destroyed);
  }
  const views = selected.map(spec.view);
  return listEnvelope(applyListQuery(views, query));
}

const KIND_CODES: Record<ObjectError['kind'], PurityErrorCode> = {
  'not-found': 'DOES_NOT_EXIST',
  exists: 'ALREADY_EXISTS',
  destroyed: 'HAS_BEEN_DESTROYED',
  'not-destroyed': 'INVALID_OPERATION',
  'in-use': 'ALREADY_IN_USE',
  'has-connections': 'CANNOT_DELETE_EXISTING_CONNECTIONS',
  invalid: 'INVALID_OPERATION',
  'not-member': 'COULD_NOT_BE_FOUND',
};

/** Object errors become 400s with Purity's envelope; every validation or conflict error is 400. */
export function toRestError(error: unknown): unknown {
  if (error instanceof ObjectError) {
    const code =
      error.message === 'No such volume or snapshot.' ? 'NO_SUCH_VOLUME_OR_SNAPSHOT' : KIND_CODES[error.kind];
    return new PurityError(code, 400, error.message, error.context);
  }
  return error;
}

/** Runs `fn` for each name and returns the items; the first failure aborts with its error. */
export async function forEachName<R>(names: string[], fn: (name: string) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const name of names) results.push(await fn(name));
  return results;
}

/** A list answered whole (membership and tag lists): Purity's envelope without paging. */
export function wholeList<T>(items: T[]) {
  return { items, continuation_token: null, more_items_remaining: false, total_item_count: items.length };
}
