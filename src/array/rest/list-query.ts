// Common list-GET parameters (spec §2.2), sorting and pagination (spec §2.4).
//
// Pagination invariant the SDK depends on: `more_items_remaining` is true only together with a
// continuation token that moves forward. Without a token the SDK pages by `offset` on its own,
// and a `true` that never advances makes its ItemIterator loop for ever (spec §7.5).
// Tokens hold a plain offset, so a collection that changes between pages may shift items by
// one page position; that matches what the SDK's own offset fallback would do.

import { childOf, compareCodePoints, type Filter, matchesFilter, parseFilter } from './filter.js';

/** Sort keys per request: the clients send one; a bound keeps comparator work proportional. */
export const SORT_KEYS_MAX = 16;
/** Our tokens are ~20 characters; anything far longer is not ours and is refused unread. */
export const CONTINUATION_TOKEN_MAX_CHARS = 256;
/** Version inside the token, so a later format change can tell old tokens apart. */
const CONTINUATION_TOKEN_VERSION = 1;

export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface SortKey {
  /** Dotted field path split at the dots, e.g. `space.total_physical` → ['space', 'total_physical']. */
  path: readonly string[];
  descending: boolean;
}

export interface ListQuery {
  /** null when the parameter was absent; [] when given empty. Selection by name is the route's job. */
  names: string[] | null;
  ids: string[] | null;
  filter: Filter | null;
  sort: SortKey[];
  /** null = no limit. */
  limit: number | null;
  /** Index of the first item to return: from `continuation_token` when given, else `offset`, else 0. */
  offset: number;
  totalItemCount: boolean;
  totalOnly: boolean;
  /** null when absent (list both destroyed and live objects). */
  destroyed: boolean | null;
}

export type ListQueryParse = { ok: true; value: ListQuery } | { ok: false; reason: string; param: string };

export interface ListResult<T> {
  page: T[];
  continuationToken: string | null;
  moreItemsRemaining: boolean;
  totalItemCount: number | null;
}

export interface ListEnvelope<T> {
  items: T[];
  continuation_token: string | null;
  more_items_remaining: boolean;
  total_item_count: number | null;
  total?: unknown[];
}

type Parsed<V> = { ok: true; value: V } | { ok: false; reason: string };

/** CSV list parameter; the parameter may also be repeated. Empty elements are dropped. */
export function parseCsv(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const chunks = typeof value === 'string' ? [value] : value;
  return chunks.flatMap((chunk) => chunk.split(',')).filter((element) => element !== '');
}

/** Reads the parameters common to list GETs; other parameters are left to the route. */
export function parseListQuery(query: QueryParams): ListQueryParse {
  const fail = (param: string, reason: string): ListQueryParse => ({ ok: false, param, reason });
  const single = (param: string): Parsed<string | undefined> => singleValue(query, param);

  const filterText = single('filter');
  if (!filterText.ok) return fail('filter', filterText.reason);
  let filter: Filter | null = null;
  if (filterText.value !== undefined && filterText.value !== '') {
    const parsed = parseFilter(filterText.value);
    if (!parsed.ok) return fail('filter', parsed.reason);
    filter = parsed.filter;
  }
  const sort = parseSort(parseCsv(query['sort']));
  if (!sort.ok) return fail('sort', sort.reason);

  const numbers: Record<'limit' | 'offset', number | null> = { limit: null, offset: null };
  for (const param of ['limit', 'offset'] as const) {
    const parsed = parseCount(single(param));
    if (!parsed.ok) return fail(param, parsed.reason);
    numbers[param] = parsed.value;
  }
  const flags: Record<'total_item_count' | 'total_only' | 'destroyed', boolean | null> = {
    total_item_count: null,
    total_only: null,
    destroyed: null,
  };
  for (const param of ['total_item_count', 'total_only', 'destroyed'] as const) {
    const parsed = parseBool(single(param));
    if (!parsed.ok) return fail(param, parsed.reason);
    flags[param] = parsed.value;
  }
  let offset = numbers.offset ?? 0;
  const token = single('continuation_token');
  if (!token.ok) return fail('continuation_token', token.reason);
  if (token.value !== undefined) {
    const decoded = decodeContinuationToken(token.value);
    if (!decoded.ok) return fail('continuation_token', decoded.reason);
    offset = decoded.offset;
  }
  const value: ListQuery = {
    names: query['names'] === undefined ? null : parseCsv(query['names']),
    ids: query['ids'] === undefined ? null : parseCsv(query['ids']),
    filter,
    sort: sort.value,
    limit: numbers.limit,
    offset,
    totalItemCount: flags.total_item_count ?? false,
    totalOnly: flags.total_only ?? false,
    destroyed: flags.destroyed,
  };
  return { ok: true, value };
}

/** A scalar parameter given more than once is ambiguous, so it is refused rather than guessed. */
function singleValue(query: QueryParams, param: string): Parsed<string | undefined> {
  const value = query[param];
  if (value === undefined || typeof value === 'string') return { ok: true, value };
  if (value.length > 1) return { ok: false, reason: `${param} may be given only once` };
  return { ok: true, value: value[0] };
}

function parseCount(raw: Parsed<string | undefined>): Parsed<number | null> {
  if (!raw.ok) return raw;
  if (raw.value === undefined) return { ok: true, value: null };
  const value = Number(raw.value);
  if (!/^[0-9]+$/.test(raw.value) || !Number.isSafeInteger(value)) {
    return { ok: false, reason: 'must be an integer greater than or equal to 0' };
  }
  return { ok: true, value };
}

function parseBool(raw: Parsed<string | undefined>): Parsed<boolean | null> {
  if (!raw.ok) return raw;
  if (raw.value === undefined) return { ok: true, value: null };
  const lower = raw.value.toLowerCase();
  if (lower === 'true' || lower === 'false') return { ok: true, value: lower === 'true' };
  return { ok: false, reason: "must be 'true' or 'false'" };
}

const SORT_KEY_RE = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(-?)$/;

/** `name`, `name-` (descending), `space.total_physical-`; several keys by priority. */
export function parseSort(keys: readonly string[]): Parsed<SortKey[]> {
  if (keys.length > SORT_KEYS_MAX) return { ok: false, reason: `at most ${SORT_KEYS_MAX} sort keys` };
  const sort: SortKey[] = [];
  for (const key of keys) {
    const match = SORT_KEY_RE.exec(key);
    if (match === null) return { ok: false, reason: `invalid sort key '${key.slice(0, 64)}'` };
    sort.push({ path: match[1]!.split('.'), descending: match[2] === '-' });
  }
  return { ok: true, value: sort };
}

export function encodeContinuationToken(offset: number): string {
  return Buffer.from(JSON.stringify({ v: CONTINUATION_TOKEN_VERSION, o: offset })).toString('base64url');
}

/** Tokens are untrusted input: anything that is not exactly one of ours is refused with a reason. */
export function decodeContinuationToken(
  token: string,
): { ok: true; offset: number } | { ok: false; reason: string } {
  const invalid = { ok: false, reason: 'invalid continuation token' } as const;
  if (token.length === 0 || token.length > CONTINUATION_TOKEN_MAX_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) {
    return invalid;
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return invalid;
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return invalid;
  const fields = decoded as Record<string, unknown>;
  if (Object.keys(fields).length !== 2 || fields['v'] !== CONTINUATION_TOKEN_VERSION) return invalid;
  const offset = fields['o'];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return invalid;
  return { ok: true, offset };
}

export interface ApplyOptions<T> {
  /** The REST JSON shape filter and sort see; defaults to the item itself. */
  toRecord?: (item: T) => Record<string, unknown>;
}

/** Filter, then stable sort, then paginate. `total_item_count` counts after filtering. */
export function applyListQuery<T>(
  items: readonly T[],
  q: ListQuery,
  opts: ApplyOptions<T> = {},
): ListResult<T> {
  const toRecord = opts.toRecord ?? defaultRecord;
  let entries = items.map((item) => ({ item, record: toRecord(item) }));
  const filter = q.filter;
  if (filter !== null) entries = entries.filter((entry) => matchesFilter(filter, entry.record));
  const matched = sortEntries(entries, q.sort).map((entry) => entry.item);
  const totalItemCount = q.totalItemCount ? matched.length : null;
  // An empty page by request cannot advance, so it never claims more items (see top of file).
  if (q.totalOnly || q.limit === 0) {
    return { page: [], continuationToken: null, moreItemsRemaining: false, totalItemCount };
  }
  const start = Math.min(q.offset, matched.length);
  const end = q.limit === null ? matched.length : Math.min(matched.length, start + q.limit);
  const moreItemsRemaining = end < matched.length;
  return {
    page: matched.slice(start, end),
    continuationToken: moreItemsRemaining ? encodeContinuationToken(end) : null,
    moreItemsRemaining,
    totalItemCount,
  };
}

function defaultRecord(item: unknown): Record<string, unknown> {
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
}

function sortEntries<E extends { record: Record<string, unknown> }>(
  entries: E[],
  sort: readonly SortKey[],
): E[] {
  if (sort.length === 0) return entries;
  // Keys are read once per item; the index tie-break keeps equal items in input order.
  const keyed = entries.map((entry, index) => ({
    entry,
    index,
    keys: sort.map((k) => valueAt(entry.record, k.path)),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const order = compareSortValues(a.keys[i], b.keys[i]);
      if (order !== 0) return sort[i]!.descending ? -order : order;
    }
    return a.index - b.index;
  });
  return keyed.map((k) => k.entry);
}

function valueAt(record: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = record;
  for (const name of path) node = childOf(node, name);
  return node;
}

/** Missing < booleans < numbers < strings < anything else (objects and lists compare equal). */
function sortRank(value: unknown): number {
  if (value === undefined || value === null || Number.isNaN(value)) return 0;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  return 4;
}

function compareSortValues(a: unknown, b: unknown): number {
  const rankA = sortRank(a);
  const rankB = sortRank(b);
  if (rankA !== rankB) return rankA - rankB;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return 0;
}

/** The JSON body of a list GET; `total` only when the route computed an aggregate. */
export function listEnvelope<T>(result: ListResult<T>, extra: { total?: unknown[] } = {}): ListEnvelope<T> {
  const envelope: ListEnvelope<T> = {
    items: result.page,
    continuation_token: result.continuationToken,
    more_items_remaining: result.moreItemsRemaining,
    total_item_count: result.totalItemCount,
  };
  if (extra.total !== undefined) envelope.total = extra.total;
  return envelope;
}
