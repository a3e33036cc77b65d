// Reading request bodies and query strings. Bad input is refused with a 400 that says which field
// is wrong ("Invalid input received: …"); explicit nulls are accepted wherever the CLIs send them
// (a volume create carries a dozen of them).

import type { FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../errors.js';
import { boolFromString } from '../scheduler/python-semantics.js';

/** Cinder's column widths: names, descriptions, metadata keys and values are String(255). */
export const FIELD_MAX_CHARS = 255;
/** Metadata items on one volume or snapshot; Cinder has no limit, this bounds one record. */
export const METADATA_ITEMS_MAX = 256;
/** Cinder's db.MAX_INT: the largest size or limit an integer column holds. */
export const INTEGER_MAX = 0x7fffffff;

export type Json = Record<string, unknown>;

/** body[key] as an object: the envelope every create/update uses ({"volume": {...}}). */
export function envelope(request: FastifyRequest, key: string): Json {
  const body = request.body;
  if (!isObject(body) || !isObject(body[key]))
    throw cinderErrors.invalidInput(`Missing required element '${key}' in request body.`);
  return body[key] as Json;
}

/** The body as an object; an absent body is {}. */
export function bodyObject(request: FastifyRequest): Json {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (!isObject(body)) throw cinderErrors.invalidInput('The request body must be a JSON object.');
  return body;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field; null or absent gives null. */
export function optionalString(object: Json, field: string, maxChars = FIELD_MAX_CHARS): string | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw cinderErrors.invalidInput(`${field} must be a string.`);
  if (value.length > maxChars)
    throw cinderErrors.invalidInput(`${field} is longer than ${maxChars} characters.`);
  return value;
}

export function requiredString(object: Json, field: string, maxChars = FIELD_MAX_CHARS): string {
  const value = optionalString(object, field, maxChars);
  if (value === null || value.trim() === '') throw cinderErrors.invalidInput(`${field} is required.`);
  return value;
}

/** A changed string for an update: undefined when absent, null when explicitly null. */
export function changedString(object: Json, field: string): string | null | undefined {
  return field in object ? optionalString(object, field) : undefined;
}

/** Cinder's boolean parameter type: true/false, or the strings oslo reads ("True", "yes", "0"). */
export function optionalBoolean(object: Json, field: string): boolean | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  return booleanValue(value, field);
}

export function booleanValue(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && STRICT_BOOLEAN_WORDS.has(value.trim().toLowerCase()))
    return boolFromString(value);
  throw cinderErrors.invalidInput(`${field} must be a boolean.`);
}

/** oslo strict bool_from_string: these words only. */
const STRICT_BOOLEAN_WORDS = new Set([
  '1',
  't',
  'true',
  'on',
  'y',
  'yes',
  '0',
  'f',
  'false',
  'off',
  'n',
  'no',
]);

/** A positive integer (or a string of digits, which Cinder's schema takes too); null when absent. */
export function optionalPositiveInteger(object: Json, field: string): number | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > INTEGER_MAX)
    throw cinderErrors.invalidInput(`${field} must be an integer and greater than 0.`);
  return number;
}

/** A metadata object: string keys of 1..255 characters, string values of at most 255. */
export function metadataOf(value: unknown, field = 'metadata'): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw cinderErrors.invalidInput(`${field} must be an object.`);
  const entries = Object.entries(value);
  if (entries.length > METADATA_ITEMS_MAX)
    throw cinderErrors.invalidInput(`${field} may hold at most ${METADATA_ITEMS_MAX} items.`);
  const metadata: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (key.length === 0 || key.length > FIELD_MAX_CHARS)
      throw cinderErrors.invalidInput(`${field} keys must be 1 to ${FIELD_MAX_CHARS} characters long.`);
    if (typeof item !== 'string')
      throw cinderErrors.invalidInput(`${field} value for '${key}' must be a string.`);
    if (item.length > FIELD_MAX_CHARS)
      throw cinderErrors.invalidInput(
        `${field} value for '${key}' is longer than ${FIELD_MAX_CHARS} characters.`,
      );
    metadata[key] = item;
  }
  return metadata;
}

export function paramOf(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new CinderError(404, 'The resource could not be found.');
  return value;
}

/** A query parameter given once; repeated parameters are a 400. */
export function queryOf(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw cinderErrors.invalidInput(`${name} must be given once.`);
  return value;
}

/** A boolean query flag (all_tenants=1, detail=True, force=False, usage=true); absent is false. */
export function queryFlag(request: FastifyRequest, name: string): boolean {
  const value = queryOf(request, name);
  return value === undefined ? false : boolFromString(value);
}

/** ?limit=N: a non-negative integer. */
export function queryLimit(request: FastifyRequest): number | undefined {
  const value = queryOf(request, 'limit');
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw cinderErrors.invalidInput('limit must be an integer 0 or greater.');
  return Number(value);
}
