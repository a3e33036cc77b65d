import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareCodePoints,
  FILTER_NESTING_MAX,
  FILTER_TEXT_MAX_CHARS,
  type Filter,
  matchesFilter,
  parseFilter,
} from '../../src/array/rest/filter.js';

function parsed(text: string): Filter {
  const result = parseFilter(text);
  if (!result.ok) assert.fail(`filter ${JSON.stringify(text)} did not parse: ${result.reason}`);
  return result.filter;
}

/** Names of the items the filter keeps, in order. */
function keep(text: string, items: Record<string, unknown>[]): unknown[] {
  const filter = parsed(text);
  return items.filter((item) => matchesFilter(filter, item)).map((item) => item['name']);
}

function reasonOf(text: string): string {
  const result = parseFilter(text);
  if (result.ok) assert.fail(`filter ${JSON.stringify(text)} parsed but should not`);
  return result.reason;
}

// --- every filter string the clients send (spec §2.3 table) ---

test('spec: state=open on /alerts keeps only open alerts', () => {
  const alerts = [
    { name: 'a1', state: 'open' },
    { name: 'a2', state: 'closed' },
    { name: 'a3', state: 'Open' },
  ];
  assert.deepEqual(keep("state='open'", alerts), ['a1']);
});

test("spec: status='ready' on /controllers", () => {
  const controllers = [
    { name: 'CT0', status: 'ready' },
    { name: 'CT1', status: 'not ready' },
  ];
  assert.deepEqual(keep("status='ready'", controllers), ['CT0']);
});

test("spec: name='CT0.*' wildcard on /ports, dot is literal", () => {
  const ports = [
    { name: 'CT0.ETH4' },
    { name: 'CT0.ETH5' },
    { name: 'CT1.ETH4' },
    { name: 'CT0' },
    { name: 'CT0xETH4' },
  ];
  assert.deepEqual(keep("name='CT0.*'", ports), ['CT0.ETH4', 'CT0.ETH5']);
});

test("spec: eth.subtype='lacp_bond' or eth.subtype='vif' reaches nested objects", () => {
  const interfaces = [
    { name: 'bond0', eth: { subtype: 'lacp_bond' } },
    { name: 'vir0', eth: { subtype: 'vif' } },
    { name: 'eth0', eth: { subtype: 'physical' } },
    { name: 'fc0', fc: { wwn: 'x' } },
    { name: 'odd', eth: null },
  ];
  assert.deepEqual(keep("eth.subtype='lacp_bond' or eth.subtype='vif'", interfaces), ['bond0', 'vir0']);
});

const hosts = [
  { name: 'h-local', iqns: ['iqn.a', 'iqn.b'], wwns: ['524A937100000001'], nqns: [], is_local: true },
  { name: 'arr2:h-remote', iqns: ['iqn.a'], wwns: [], nqns: ['nqn.x'], is_local: false },
  { name: 'h-nolocal', iqns: ['iqn.c'], wwns: [], nqns: ['nqn.x'] },
];

test("spec: iqns='<iqn>' and is_local / and not is_local on /hosts", () => {
  assert.deepEqual(keep("iqns='iqn.a' and is_local", hosts), ['h-local']);
  assert.deepEqual(keep("iqns='iqn.a' and not is_local", hosts), ['arr2:h-remote']);
  assert.deepEqual(keep("iqns='iqn.b' and not is_local", hosts), []);
  assert.deepEqual(
    keep("iqns='iqn.c' and not is_local", hosts),
    ['h-nolocal'],
    'missing is_local is not local',
  );
});

test("spec: wwns='<WWN>' and [not] is_local on /hosts", () => {
  assert.deepEqual(keep("wwns='524A937100000001' and is_local", hosts), ['h-local']);
  assert.deepEqual(keep("wwns='524A937100000001' and not is_local", hosts), []);
  assert.deepEqual(keep("wwns='524a937100000001' and is_local", hosts), [], 'case-sensitive');
});

test("spec: nqns='<nqn>' and [not] is_local on /hosts", () => {
  assert.deepEqual(keep("nqns='nqn.x' and is_local", hosts), []);
  assert.deepEqual(keep("nqns='nqn.x' and not is_local", hosts), ['arr2:h-remote', 'h-nolocal']);
});

test("spec: pod.name='<pod>' on /volumes", () => {
  const volumes = [
    { name: 'cinder-pod::v1', pod: { id: 'p1', name: 'cinder-pod' } },
    { name: 'v2', pod: { id: null, name: null } },
    { name: 'v3' },
  ];
  assert.deepEqual(keep("pod.name='cinder-pod'", volumes), ['cinder-pod::v1']);
  assert.deepEqual(keep('pod.name=null', volumes), ['v2', 'v3']);
});

test("spec: name='<src>:<pg>.<N>.*' on /volume-snapshots", () => {
  const snaps = [
    { name: 'src:pg.3.vol1' },
    { name: 'src:pg.3.vol2' },
    { name: 'src:pg.30.vol1' },
    { name: 'src:pg.3' },
    { name: 'other:pg.3.vol1' },
  ];
  assert.deepEqual(keep("name='src:pg.3.*'", snaps), ['src:pg.3.vol1', 'src:pg.3.vol2']);
});

test('spec: progress="1.0" in double quotes compares numerically', () => {
  const transfers = [
    { name: 's.1', progress: 1 },
    { name: 's.2', progress: 0.5 },
    { name: 's.3', progress: 1.0 },
    { name: 's.4', progress: null },
    { name: 's.5' },
  ];
  assert.deepEqual(keep('progress="1.0"', transfers), ['s.1', 's.3']);
  assert.deepEqual(keep('progress=1', transfers), ['s.1', 's.3']);
  assert.deepEqual(keep('progress<"1"', transfers), ['s.2']);
});

// --- grammar and semantics ---

test('operators: all six comparisons, with and without spaces', () => {
  const items = [1, 2, 3].map((size) => ({ name: `v${size}`, size }));
  assert.deepEqual(keep('size=2', items), ['v2']);
  assert.deepEqual(keep('size != 2', items), ['v1', 'v3']);
  assert.deepEqual(keep('size>2', items), ['v3']);
  assert.deepEqual(keep('size >= 2', items), ['v2', 'v3']);
  assert.deepEqual(keep('size<2', items), ['v1']);
  assert.deepEqual(keep('size<= 2', items), ['v1', 'v2']);
  assert.deepEqual(keep('size>-1.5e0', items), ['v1', 'v2', 'v3']);
});

test('strings: ordering compares code points, case-sensitively', () => {
  const items = ['a', 'B', 'b', 'c'].map((name) => ({ name }));
  assert.deepEqual(keep("name>'a'", items), ['b', 'c']);
  assert.deepEqual(keep("name<'a'", items), ['B']);
  assert.equal(compareCodePoints('\u{1F600}', '\uFFFF'), 1, 'astral sorts after the BMP');
  assert.equal(compareCodePoints('ab', 'a'), 1);
  assert.equal(compareCodePoints('a', 'a'), 0);
});

test('precedence: and binds tighter than or; parentheses override', () => {
  const items = [
    { name: 'x', a: 1, b: 0, c: 0 },
    { name: 'y', a: 0, b: 1, c: 1 },
    { name: 'z', a: 0, b: 1, c: 0 },
  ];
  assert.deepEqual(keep('a=1 or b=1 and c=1', items), ['x', 'y']);
  assert.deepEqual(keep('(a=1 or b=1) and c=1', items), ['y']);
  assert.deepEqual(keep('a=1 OR b=1 AND c=0', items), ['x', 'z'], 'keywords are case-insensitive');
});

test('not: not(expr), not field, not comparison, double not', () => {
  const items = [
    { name: 'a', on: true, size: 1 },
    { name: 'b', on: false, size: 2 },
    { name: 'c', size: 3 },
  ];
  assert.deepEqual(keep('not(size=1)', items), ['b', 'c']);
  assert.deepEqual(keep('not (size=1 or size=2)', items), ['c']);
  assert.deepEqual(keep('not on', items), ['b', 'c']);
  assert.deepEqual(keep('NOT on', items), ['b', 'c']);
  assert.deepEqual(keep('not size=2', items), ['a', 'c']);
  assert.deepEqual(keep('not not on', items), ['a']);
  assert.deepEqual(keep('notes', [{ name: 'n', notes: 'x' }]), ['n'], 'a field starting with not');
});

test('bare field: true when present and not null/false/empty; 0 counts as present', () => {
  const items = [
    { name: 'true', f: true },
    { name: 'false', f: false },
    { name: 'null', f: null },
    { name: 'missing' },
    { name: 'zero', f: 0 },
    { name: 'empty', f: '' },
    { name: 'text', f: 'x' },
    { name: 'list', f: ['x'] },
    { name: 'emptylist', f: [] },
    { name: 'object', f: {} },
  ];
  assert.deepEqual(keep('f', items), ['true', 'zero', 'text', 'list', 'object']);
});

test('quoting: single, double, doubled quotes and backslash escapes', () => {
  const items = [
    { name: "it's" },
    { name: 'say "hi"' },
    { name: 'back\\slash' },
    { name: 'a*b' },
    { name: 'axxb' },
  ];
  assert.deepEqual(keep("name='it''s'", items), ["it's"]);
  assert.deepEqual(keep("name='it\\'s'", items), ["it's"]);
  assert.deepEqual(keep('name="it\'s"', items), ["it's"]);
  assert.deepEqual(keep('name="say ""hi"""', items), ['say "hi"']);
  assert.deepEqual(keep('name="say \\"hi\\""', items), ['say "hi"']);
  assert.deepEqual(keep("name='back\\\\slash'", items), ['back\\slash']);
  assert.deepEqual(keep("name='a\\*b'", items), ['a*b'], 'escaped star is literal');
  assert.deepEqual(keep("name='a*b'", items), ['a*b', 'axxb']);
});

test('wildcards: prefix, suffix, middle, several stars, star alone, != with wildcard', () => {
  const items = ['pg.1.vol', 'pg.2.vol', 'pg.1.snap', 'vol', 'aXbXc'].map((name) => ({ name }));
  assert.deepEqual(keep("name='*.vol'", items), ['pg.1.vol', 'pg.2.vol']);
  assert.deepEqual(keep("name='pg.*.vol'", items), ['pg.1.vol', 'pg.2.vol']);
  assert.deepEqual(keep("name='*'", items).length, 5);
  assert.deepEqual(keep("name='a*b*c'", items), ['aXbXc']);
  assert.deepEqual(keep("name='*X*X*'", items), ['aXbXc']);
  assert.deepEqual(keep("name='aXb*bXc'", items), [], 'prefix and suffix may not overlap');
  assert.deepEqual(keep("name!='pg.*'", items), ['vol', 'aXbXc']);
  assert.deepEqual(keep("name>'q*'", items), ['vol'], 'ordering treats the star as a character');
});

test('wildcards: a hostile pattern runs in bounded time', () => {
  const pattern = `name='${'*a'.repeat(1000)}*b*'`;
  const started = process.hrtime.bigint();
  assert.deepEqual(keep(pattern, [{ name: 'a'.repeat(5000) }]), []);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(elapsedMs < 1000, `took ${elapsedMs} ms`);
});

test('numbers vs strings: numeric strings only compare numerically against number fields', () => {
  const items = [
    { name: 'n10', v: 10 },
    { name: 's10', v: '10' },
    { name: 's9', v: '9' },
  ];
  assert.deepEqual(keep("v='10'", items), ['n10', 's10']);
  assert.deepEqual(keep('v=10', items), ['n10', 's10']);
  assert.deepEqual(keep("v>'9'", items), ['n10'], "'10' < '9' as strings");
  assert.deepEqual(keep("v='ten'", items), []);
  assert.deepEqual(keep('v>9', items), ['n10', 's10'], 'numeric string field against a bare number');
  assert.deepEqual(keep('name>0', items), [], 'a bare number never matches a non-numeric string');
});

test('booleans: true/false literals, quoted booleans, and no match against other types', () => {
  const items = [
    { name: 'a', on: true },
    { name: 'b', on: false },
    { name: 'c', on: 'true' },
  ];
  assert.deepEqual(keep('on=true', items), ['a'], 'a bare true does not match the string');
  assert.deepEqual(keep('on=FALSE', items), ['b']);
  assert.deepEqual(keep("on='true'", items), ['a', 'c']);
  assert.deepEqual(keep('on!=true', items), ['b', 'c']);
});

test('null: x=null matches missing and null; x!=null matches the rest', () => {
  const items = [{ name: 'a', x: null }, { name: 'b' }, { name: 'c', x: 0 }, { name: 'd', x: 'v' }];
  assert.deepEqual(keep('x=null', items), ['a', 'b']);
  assert.deepEqual(keep('x!=null', items), ['c', 'd']);
  assert.deepEqual(keep("x!='v'", items), ['a', 'b', 'c'], 'missing differs from any value');
  assert.deepEqual(keep('x>0', items), [], 'ordering against missing is false');
});

test('in-lists: f=(a,b) and f!=(a,b), mixed literal types', () => {
  const items = ['a', 'b', 'c'].map((name, i) => ({ name, n: i }));
  assert.deepEqual(keep("name=('a','c')", items), ['a', 'c']);
  assert.deepEqual(keep("name = ( 'a' , 'c' )", items), ['a', 'c']);
  assert.deepEqual(keep("name!=('a','c')", items), ['b']);
  assert.deepEqual(keep('n=(1,2)', items), ['b', 'c']);
  assert.deepEqual(keep("name=('*')", items), ['a', 'b', 'c']);
});

test('contains(): case-insensitive substring, fans out over lists, star is literal', () => {
  const items = [
    { name: 'Volume-ABC', tags: ['Gold'] },
    { name: 'vol-x', tags: ['silver', 'bronze'] },
    { name: 'a*b' },
  ];
  assert.deepEqual(keep("contains(name,'abc')", items), ['Volume-ABC']);
  assert.deepEqual(keep("contains(name, 'VOL')", items), ['Volume-ABC', 'vol-x']);
  assert.deepEqual(keep("contains(tags,'ZE')", items), ['vol-x']);
  assert.deepEqual(keep("contains(name,'*')", items), ['a*b']);
  assert.deepEqual(keep("not contains(name,'vol')", items), ['a*b']);
  assert.deepEqual(keep("CONTAINS(name,'x') or name='a*b'", items), ['vol-x', 'a*b']);
  assert.deepEqual(keep("contains='x'", [{ name: 'f', contains: 'x' }]), ['f'], 'contains as a field name');
});

test('lists: bare list field means membership; != means not a member', () => {
  const items = [
    { name: 'a', tags: ['x', 'y'] },
    { name: 'b', tags: ['y'] },
    { name: 'c', tags: [] },
    { name: 'd' },
  ];
  assert.deepEqual(keep("tags='x'", items), ['a']);
  assert.deepEqual(keep("tags!='x'", items), ['b', 'c', 'd']);
  assert.deepEqual(keep("tags='*'", items), ['a', 'b']);
});

test('lists: [any] and [all], including over empty lists and nested paths', () => {
  const items = [
    { name: 'a', tags: ['x', 'x'], arrays: [{ status: 'online' }, { status: 'online' }] },
    { name: 'b', tags: ['x', 'y'], arrays: [{ status: 'online' }, { status: 'offline' }] },
    { name: 'c', tags: [], arrays: [] },
  ];
  assert.deepEqual(keep("tags[any]='x'", items), ['a', 'b']);
  assert.deepEqual(keep("tags[all]='x'", items), ['a', 'c'], 'vacuously true on an empty list');
  assert.deepEqual(keep("tags[ALL]='x'", items), ['a', 'c']);
  assert.deepEqual(keep("tags[any]!='x'", items), ['b'], 'quantified != applies per element');
  assert.deepEqual(keep("tags[all]!='y'", items), ['a', 'c']);
  assert.deepEqual(keep("arrays[all].status='online'", items), ['a', 'c']);
  assert.deepEqual(keep("arrays[any].status='offline'", items), ['b']);
  assert.deepEqual(keep("arrays.status='offline'", items), ['b'], 'unquantified list in the middle = any');
  assert.deepEqual(keep('tags[any]', items), ['a', 'b']);
});

test('nested: deep dotted paths, non-objects and prototype names read as missing', () => {
  const items = [
    { name: 'a', space: { snapshots: { total: 5 } } },
    { name: 'b', space: 'flat' },
    { name: 'c' },
  ];
  assert.deepEqual(keep('space.snapshots.total=5', items), ['a']);
  assert.deepEqual(keep('space.snapshots.total=null', items), ['b', 'c']);
  assert.deepEqual(keep('constructor', items), []);
  assert.deepEqual(keep('name.length=1', items), [], 'string properties are not fields');
});

// --- errors ---

test('errors: bad syntax yields a reason with a 0-based position, never an exception', () => {
  const cases: [string, RegExp][] = [
    ["name='abc", /unterminated string starting at position 5/],
    ['name=', /expected a value, unexpected end of filter at position 5/],
    ['name=vol1', /expected a value \(quote string values\), unexpected 'vol1' at position 5/],
    ["(name='a'", /expected '\)', unexpected end of filter at position 9/],
    ["name='a')", /unexpected '\)' at position 8/],
    ["name='a' and", /unexpected end of filter at position 12/],
    ["and name='a'", /expected a field, 'not' or '\(', unexpected 'and' at position 0/],
    ["name='a' name='b'", /unexpected 'name' at position 9/],
    ["name=='a'", /unexpected '=' at position 5/],
    ["name>('a','b')", /a value list needs '=' or '!=', not '>' at position 4/],
    ['name=()', /expected a value, unexpected '\)' at position 6/],
    ["name#'a'", /unexpected character '#' at position 4/],
    ["name!'a'", /unexpected character '!' at position 4/],
    ["tags[some]='a'", /expected '\[any\]' or '\[all\]' at position 4/],
    ["a.='x'", /expected a field name at position 2/],
    ['size=12ab', /malformed number at position 5/],
    ['contains(name)', /expected ',', unexpected '\)' at position 13/],
    ['contains(name,true)', /contains\(\) needs a string/],
    ["contains('x','y')", /expected a field, unexpected value at position 9/],
    ['', /unexpected end of filter at position 0/],
    ['   ', /unexpected end of filter at position 3/],
    ['size=-', /unexpected character '-' at position 5/],
  ];
  for (const [text, expected] of cases) assert.match(reasonOf(text), expected, text);
});

test('limits: text over FILTER_TEXT_MAX_CHARS is refused before parsing', () => {
  const padding = ' '.repeat(FILTER_TEXT_MAX_CHARS - "name='a'".length);
  assert.equal(parseFilter(`name='a'${padding}`).ok, true);
  assert.match(reasonOf(`name='a'${padding} `), /longer than 4096 characters/);
});

test('limits: nesting deeper than FILTER_NESTING_MAX is refused; at the limit it works', () => {
  const nested = (depth: number) => `${'('.repeat(depth)}x=1${')'.repeat(depth)}`;
  assert.equal(matchesFilter(parsed(nested(FILTER_NESTING_MAX)), { x: 1 }), true);
  assert.match(reasonOf(nested(FILTER_NESTING_MAX + 1)), /nesting too deep at position 64/);
  const nots = (depth: number) => `${'not '.repeat(depth)}x`;
  assert.equal(matchesFilter(parsed(nots(FILTER_NESTING_MAX)), { x: 1 }), true);
  assert.match(reasonOf(nots(FILTER_NESTING_MAX + 1)), /nesting too deep/);
  assert.match(reasonOf(`${'not('.repeat(40)}x${')'.repeat(40)}`), /nesting too deep/);
});

test('limits: long and/or chains are not nesting and stay within the size bound', () => {
  const chain = Array.from({ length: 400 }, (_, i) => `x=${i}`).join(' or ');
  assert.equal(matchesFilter(parsed(chain), { x: 399 }), true);
  assert.equal(matchesFilter(parsed(chain), { x: 400 }), false);
});

test('fuzz: random printable text never throws from parseFilter', () => {
  // Deterministic LCG so a failure replays exactly.
  let seed = 12345;
  const nextRandom = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const alphabet = 'ab.()[]\'"=!<>*, \\-0123456789notandorcontainsanyall';
  for (let round = 0; round < 3000; round++) {
    const length = Math.floor(nextRandom() * 30);
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(nextRandom() * alphabet.length)];
    const result = parseFilter(text);
    if (result.ok) matchesFilter(result.filter, { a: [1, { b: 'x' }], b: 'y' });
  }
});
