import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyListQuery,
  CONTINUATION_TOKEN_MAX_CHARS,
  decodeContinuationToken,
  encodeContinuationToken,
  type ListQuery,
  listEnvelope,
  parseCsv,
  parseListQuery,
  type QueryParams,
  SORT_KEYS_MAX,
} from '../../src/array/rest/list-query.js';

function query(params: QueryParams): ListQuery {
  const result = parseListQuery(params);
  if (!result.ok) assert.fail(`query ${JSON.stringify(params)} refused: ${result.param}: ${result.reason}`);
  return result.value;
}

function refusal(params: QueryParams): { param: string; reason: string } {
  const result = parseListQuery(params);
  if (result.ok) assert.fail(`query ${JSON.stringify(params)} accepted but should not`);
  return { param: result.param, reason: result.reason };
}

interface Vol {
  name: string;
  size?: number | null;
  space?: { total: number };
  tier?: string;
}

const names = (page: readonly Vol[]) => page.map((v) => v.name);

test('parseCsv: splits, accepts repeats, drops empties', () => {
  assert.deepEqual(parseCsv(undefined), []);
  assert.deepEqual(parseCsv(''), []);
  assert.deepEqual(parseCsv('vol1'), ['vol1']);
  assert.deepEqual(parseCsv('vol1,pod::vol2,arr:pg.1'), ['vol1', 'pod::vol2', 'arr:pg.1']);
  assert.deepEqual(parseCsv(['a,b', 'c']), ['a', 'b', 'c']);
  assert.deepEqual(parseCsv('a,,b,'), ['a', 'b']);
});

test('parseListQuery: defaults when nothing is given', () => {
  assert.deepEqual(query({}), {
    names: null,
    ids: null,
    filter: null,
    sort: [],
    limit: null,
    offset: 0,
    totalItemCount: false,
    totalOnly: false,
    destroyed: null,
  });
});

test('parseListQuery: reads every common parameter and ignores unknown ones', () => {
  const q = query({
    names: 'a,b',
    ids: ['1', '2,3'],
    filter: "name='a*'",
    sort: 'space.total-,name',
    limit: '10',
    offset: '5',
    total_item_count: 'TRUE',
    total_only: 'false',
    destroyed: 'False',
    allow_errors: 'whatever',
    context_names: 'x',
  });
  assert.deepEqual(q.names, ['a', 'b']);
  assert.deepEqual(q.ids, ['1', '2', '3']);
  assert.equal(q.filter?.kind, 'compare');
  assert.deepEqual(q.sort, [
    { path: ['space', 'total'], descending: true },
    { path: ['name'], descending: false },
  ]);
  assert.equal(q.limit, 10);
  assert.equal(q.offset, 5);
  assert.equal(q.totalItemCount, true);
  assert.equal(q.totalOnly, false);
  assert.equal(q.destroyed, false);
});

test('parseListQuery: names given empty is [] (not absent); empty filter means no filter', () => {
  const q = query({ names: '', filter: '' });
  assert.deepEqual(q.names, []);
  assert.equal(q.filter, null);
});

test('parseListQuery: bad values name the parameter', () => {
  const cases: [QueryParams, string, RegExp][] = [
    [{ limit: '-1' }, 'limit', /integer greater than or equal to 0/],
    [{ limit: '1.5' }, 'limit', /integer/],
    [{ limit: '' }, 'limit', /integer/],
    [{ limit: ' 1' }, 'limit', /integer/],
    [{ limit: '1e3' }, 'limit', /integer/],
    [{ limit: '99999999999999999999' }, 'limit', /integer/],
    [{ offset: 'ten' }, 'offset', /integer/],
    [{ limit: ['1', '2'] }, 'limit', /only once/],
    [{ total_item_count: 'yes' }, 'total_item_count', /'true' or 'false'/],
    [{ total_only: '1' }, 'total_only', /'true' or 'false'/],
    [{ destroyed: '' }, 'destroyed', /'true' or 'false'/],
    [{ filter: "name='a" }, 'filter', /unterminated string starting at position 5/],
    [{ filter: ["name='a'", "name='b'"] }, 'filter', /only once/],
    [{ sort: 'name--' }, 'sort', /invalid sort key 'name--'/],
    [{ sort: 'na me' }, 'sort', /invalid sort key/],
    [{ sort: '-name' }, 'sort', /invalid sort key/],
    [{ sort: 'a.' }, 'sort', /invalid sort key/],
    [{ sort: Array.from({ length: SORT_KEYS_MAX + 1 }, (_, i) => `f${i}`).join(',') }, 'sort', /at most 16/],
    [{ continuation_token: 'not a token' }, 'continuation_token', /invalid continuation token/],
  ];
  for (const [params, param, reason] of cases) {
    const refused = refusal(params);
    assert.equal(refused.param, param, JSON.stringify(params));
    assert.match(refused.reason, reason, JSON.stringify(params));
  }
});

test('continuation tokens: round-trip, and anything not ours is refused', () => {
  for (const offset of [0, 1, 1000, Number.MAX_SAFE_INTEGER]) {
    const token = encodeContinuationToken(offset);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeContinuationToken(token), { ok: true, offset });
  }
  const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const bad = [
    '',
    'a+b/',
    '!!!',
    'x'.repeat(CONTINUATION_TOKEN_MAX_CHARS + 1),
    Buffer.from('not json').toString('base64url'),
    forged(null),
    forged([1]),
    forged(5),
    forged({ o: 1 }),
    forged({ v: 2, o: 1 }),
    forged({ v: 1, o: -1 }),
    forged({ v: 1, o: 1.5 }),
    forged({ v: 1, o: '1' }),
    forged({ v: 1, o: 1, extra: true }),
  ];
  for (const token of bad)
    assert.deepEqual(decodeContinuationToken(token), { ok: false, reason: 'invalid continuation token' });
});

test('parseListQuery: continuation_token overrides offset', () => {
  const q = query({ offset: '2', continuation_token: encodeContinuationToken(7) });
  assert.equal(q.offset, 7);
});

const vols: Vol[] = [
  { name: 'c', size: 2, tier: 'gold', space: { total: 30 } },
  { name: 'a', size: 10, tier: 'silver', space: { total: 10 } },
  { name: 'b', size: 2, tier: 'gold', space: { total: 20 } },
  { name: 'B', size: null, tier: 'gold' },
  { name: 'd', tier: 'silver', space: { total: 5 } },
];

test('sort: single key ascending and descending, strings by code point', () => {
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'name' })).page), ['B', 'a', 'b', 'c', 'd']);
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'name-' })).page), ['d', 'c', 'b', 'a', 'B']);
});

test('sort: numbers numerically, missing and null first ascending, last descending', () => {
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'size' })).page), ['B', 'd', 'c', 'b', 'a']);
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'size-' })).page), ['a', 'c', 'b', 'B', 'd']);
});

test('sort: multi-key with mixed directions; equal keys keep input order (stable)', () => {
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'tier,size-' })).page), [
    'c',
    'b',
    'B',
    'a',
    'd',
  ]);
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'tier-,name' })).page), [
    'a',
    'd',
    'B',
    'b',
    'c',
  ]);
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'tier' })).page), ['c', 'b', 'B', 'a', 'd']);
});

test('sort: dotted field and repeated sort parameter', () => {
  assert.deepEqual(names(applyListQuery(vols, query({ sort: 'space.total' })).page), [
    'B',
    'd',
    'a',
    'b',
    'c',
  ]);
  assert.deepEqual(names(applyListQuery(vols, query({ sort: ['tier-', 'space.total-'] })).page), [
    'a',
    'd',
    'c',
    'b',
    'B',
  ]);
});

test('sort: mixed types order missing < boolean < number < string < object', () => {
  const items = [{ v: 'x' }, { v: { a: 1 } }, { v: 2 }, { v: true }, {}, { v: Number.NaN }].map(
    (item, i) => ({
      name: String(i),
      ...item,
    }),
  );
  const page = applyListQuery(items, query({ sort: 'v' })).page.map((item) => item.name);
  assert.deepEqual(page, ['4', '5', '3', '2', '0', '1']);
});

test('filter then sort then paginate; total_item_count counts after filtering', () => {
  const result = applyListQuery(
    vols,
    query({ filter: "tier='gold'", sort: 'name', limit: '2', total_item_count: 'true' }),
  );
  assert.deepEqual(names(result.page), ['B', 'b']);
  assert.equal(result.totalItemCount, 3);
  assert.equal(result.moreItemsRemaining, true);
  assert.notEqual(result.continuationToken, null);
});

test('no limit: everything, no token, more_items_remaining false, count null unless asked', () => {
  const result = applyListQuery(vols, query({}));
  assert.equal(result.page.length, vols.length);
  assert.deepEqual(result, {
    page: vols,
    continuationToken: null,
    moreItemsRemaining: false,
    totalItemCount: null,
  });
});

test('pagination: following tokens reaches every item exactly once, in order', () => {
  const items = Array.from({ length: 23 }, (_, i) => ({ name: `v${String(i).padStart(2, '0')}` }));
  for (const limit of [1, 2, 5, 7, 22, 23, 24, 100]) {
    const seen: string[] = [];
    let params: QueryParams = { limit: String(limit), sort: 'name' };
    for (let pageNo = 0; pageNo < 100; pageNo++) {
      const result = applyListQuery(items, query(params));
      assert.ok(result.page.length <= limit);
      seen.push(...result.page.map((item) => item.name));
      assert.equal(result.moreItemsRemaining, result.continuationToken !== null, 'more only with a token');
      if (!result.moreItemsRemaining) break;
      assert.ok(result.page.length > 0, 'a token always advances');
      params = { limit: String(limit), sort: 'name', continuation_token: result.continuationToken! };
    }
    assert.deepEqual(
      seen,
      items.map((item) => item.name),
      `limit=${limit}`,
    );
  }
});

test("pagination: the SDK's offset fallback also reaches every item exactly once", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ name: `v${i}` }));
  const seen: string[] = [];
  for (let pageNo = 0; pageNo < 10; pageNo++) {
    const result = applyListQuery(items, query({ limit: '3', offset: String(3 * pageNo) }));
    seen.push(...result.page.map((item) => item.name));
    if (!result.moreItemsRemaining) break;
  }
  assert.deepEqual(
    seen,
    items.map((item) => item.name),
  );
});

test('pagination: offset past the end gives an empty final page', () => {
  const result = applyListQuery(vols, query({ offset: '50', total_item_count: 'true' }));
  assert.deepEqual(result, {
    page: [],
    continuationToken: null,
    moreItemsRemaining: false,
    totalItemCount: 5,
  });
  const exact = applyListQuery(vols, query({ offset: '3', limit: '2' }));
  assert.equal(exact.page.length, 2);
  assert.equal(exact.moreItemsRemaining, false);
});

test('limit=0 and total_only: no items, a count, and never more_items_remaining', () => {
  const zero = applyListQuery(vols, query({ limit: '0', total_item_count: 'true' }));
  assert.deepEqual(zero, { page: [], continuationToken: null, moreItemsRemaining: false, totalItemCount: 5 });
  const totalOnly = applyListQuery(vols, query({ total_only: 'true' }));
  assert.deepEqual(totalOnly, {
    page: [],
    continuationToken: null,
    moreItemsRemaining: false,
    totalItemCount: null,
  });
});

test('toRecord: filter and sort see the REST shape, the page holds the originals', () => {
  class Internal {
    constructor(
      readonly id: number,
      readonly label: string,
    ) {}
  }
  const items = [new Internal(2, 'b'), new Internal(1, 'a'), new Internal(3, 'c')];
  const result = applyListQuery(items, query({ filter: "name!='c'", sort: 'name-' }), {
    toRecord: (item) => ({ name: item.label }),
  });
  assert.deepEqual(result.page, [items[0], items[1]]);
});

test('listEnvelope: snake_case envelope, items always a list, total only when given', () => {
  const result = applyListQuery(vols, query({ limit: '1', total_item_count: 'true' }));
  const envelope = listEnvelope(result);
  assert.deepEqual(Object.keys(envelope), [
    'items',
    'continuation_token',
    'more_items_remaining',
    'total_item_count',
  ]);
  assert.deepEqual(envelope.items, [vols[0]]);
  assert.equal(envelope.continuation_token, result.continuationToken);
  assert.equal(envelope.more_items_remaining, true);
  assert.equal(envelope.total_item_count, 5);
  const empty = listEnvelope(applyListQuery([], query({ total_only: 'true' })), { total: [{ size: 0 }] });
  assert.deepEqual(empty, {
    items: [],
    continuation_token: null,
    more_items_remaining: false,
    total_item_count: null,
    total: [{ size: 0 }],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(empty)).items, []);
});
