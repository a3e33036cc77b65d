// The Purity//FA REST 2.x API of a real `tandem array start` process, over HTTPS, as pypureclient,
// the Cinder Pure driver and Pure's OpenMetrics exporter use it (spec purity-rest2.md §1–§3.7,
// §6, §7). One array process serves the whole file; each scenario uses its own object names.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type ArrayProcess,
  makeTempDir,
  type RestResponse,
  restCall,
  restSession,
  startArrayProcess,
} from '../helpers/array-process.js';

const GiB = 1024 ** 3;
const PiB = 1024 ** 5;
const ERADICATION_DELAY_MS = 24 * 3600 * 1000;

/** A decoded JSON body, as loosely typed as the helper's `RestResponse.body`. */
type Json = RestResponse['body'];

let array: ArrayProcess;
let dataDir: { path: string; remove: () => Promise<void> };
let session: Awaited<ReturnType<typeof restSession>>;

before(async () => {
  dataDir = await makeTempDir('tandem-rest-api-');
  array = await startArrayProcess({ name: 'rest-api', dataDir: dataDir.path });
  session = await restSession(array);
});

after(async () => {
  await array?.stop();
  await dataDir?.remove();
});

/** An authenticated call on the session opened in `before`. */
function api(method: string, path: string, body?: unknown): Promise<RestResponse> {
  return session.call(method, path, body);
}

function describe(res: RestResponse): string {
  return `status ${res.status}: ${JSON.stringify(res.body)}`;
}

function assertOk(res: RestResponse): Json {
  assert.equal(res.status, 200, describe(res));
  return res.body;
}

/** A list GET's envelope (spec §2.4): `items` is always a list. */
function assertList(res: RestResponse): Json[] {
  const body = assertOk(res);
  assert.ok(Array.isArray(body.items), `items is not a list: ${describe(res)}`);
  return body.items;
}

/** Purity's error envelope (spec §2.5): `{errors:[{context, message}]}`, message containing `text`. */
function assertError(res: RestResponse, status: number, text?: string): void {
  assert.equal(res.status, status, describe(res));
  assert.ok(res.body && typeof res.body === 'object', `error body is not JSON: ${describe(res)}`);
  assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0, `no errors list: ${describe(res)}`);
  for (const error of res.body.errors) {
    assert.ok('context' in error, `error without context: ${describe(res)}`);
    assert.ok(error.context === null || typeof error.context === 'string', `bad context: ${describe(res)}`);
    assert.equal(typeof error.message, 'string', `bad message: ${describe(res)}`);
  }
  if (text !== undefined) {
    assert.ok(res.body.errors[0].message.includes(text), `message lacks '${text}': ${describe(res)}`);
  }
}

/**
 * One request on its own connection (no keep-alive agent), for requests the server may answer by
 * closing the connection: a pooled socket closed that way would break the next call in the file.
 */
function freshCall(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RestResponse> {
  return restCall(array.restPort, method, path, { headers, freshConnection: true });
}

function q(text: string): string {
  return encodeURIComponent(text);
}

async function createVolume(name: string, provisioned = GiB): Promise<Json> {
  const items = assertList(await api('POST', `/volumes?names=${name}`, { provisioned }));
  assert.equal(items.length, 1);
  return items[0];
}

async function getVolume(name: string): Promise<Json> {
  const items = assertList(await api('GET', `/volumes?names=${name}`));
  assert.equal(items.length, 1);
  return items[0];
}

async function createHost(name: string, body: Record<string, unknown> = {}): Promise<Json> {
  const items = assertList(await api('POST', `/hosts?names=${name}`, body));
  assert.equal(items.length, 1);
  return items[0];
}

// ---------------------------------------------------------------------------------------------
// Authentication and sessions (§1)

test('api_version needs no authentication and lists versions ascending up to 2.38', async () => {
  const res = await restCall(array.restPort, 'GET', '/api/api_version');
  assert.equal(res.status, 200, describe(res));
  const versions: string[] = res.body.version;
  assert.ok(Array.isArray(versions) && versions.length > 0);
  assert.equal(versions.at(-1), '2.38');
  const key = (v: string) => v.split('.').map(Number) as [number, number];
  for (let i = 1; i < versions.length; i++) {
    const [aMajor, aMinor] = key(versions[i - 1]!);
    const [bMajor, bMinor] = key(versions[i]!);
    assert.ok(
      aMajor < bMajor || (aMajor === bMajor && aMinor < bMinor),
      `not ascending: ${versions.join(',')}`,
    );
  }
  assert.ok(versions.includes('2.0'));
});

test('login with the API token returns 200 and an x-auth-token session header', async () => {
  const res = await restCall(array.restPort, 'POST', '/api/2.38/login', {
    headers: { 'api-token': await array.apiToken() },
  });
  assert.equal(res.status, 200, describe(res));
  const token = res.headers['x-auth-token'];
  assert.equal(typeof token, 'string');
  assert.ok((token as string).length >= 16);
  assert.ok(Array.isArray(res.body.items));
  const arrays = await restCall(array.restPort, 'GET', '/api/2.38/arrays', {
    headers: { 'x-auth-token': token as string },
  });
  assert.equal(arrays.status, 200, describe(arrays));
});

test('login with a wrong or missing API token is a 401 that never echoes a token', async () => {
  const apiToken = await array.apiToken();
  const wrong = 'deadbeef-0bad-cafe-f00d-123456789abc';
  const bad = await restCall(array.restPort, 'POST', '/api/2.38/login', { headers: { 'api-token': wrong } });
  assertError(bad, 401);
  assert.equal(bad.headers['x-auth-token'], undefined);
  const text = JSON.stringify(bad.body);
  assert.ok(!text.includes(wrong), 'the presented token is echoed');
  assert.ok(!text.includes(apiToken), 'the real token is echoed');

  const missing = await restCall(array.restPort, 'POST', '/api/2.38/login');
  assertError(missing, 401);
  assert.equal(missing.headers['x-auth-token'], undefined);
  assert.ok(!JSON.stringify(missing.body).includes(apiToken));

  // The API token is not a session token.
  const asSession = await restCall(array.restPort, 'GET', '/api/2.38/volumes', {
    headers: { 'x-auth-token': apiToken },
  });
  assertError(asSession, 401);
  assert.ok(!JSON.stringify(asSession.body).includes(apiToken));
});

test('requests without or with a garbage x-auth-token are 401', async () => {
  assertError(await restCall(array.restPort, 'GET', '/api/2.38/volumes'), 401);
  const garbage = 'garbage-session-token-0123456789';
  const res = await restCall(array.restPort, 'GET', '/api/2.38/arrays', {
    headers: { 'x-auth-token': garbage },
  });
  assertError(res, 401);
  assert.ok(!JSON.stringify(res.body).includes(garbage));
  assertError(
    await restCall(array.restPort, 'GET', '/api/2.38/hosts', { headers: { 'x-auth-token': '' } }),
    401,
  );
});

test('a path that merely ends in /login does not skip authentication', async () => {
  await createVolume('secret-vol');
  for (const path of [
    '/api/2.38/volumes#/login',
    '/api/2.38/hosts#/login',
    '/api/2.38/arrays#/login',
    '/api/2.38/volumes;/login',
    '/api/2.38/volumes%3F/login',
    '/api/2.38/volumes/login',
  ]) {
    const res = await restCall(array.restPort, 'GET', path);
    assert.ok(
      res.status === 401 || res.status === 404,
      `${path} answered without a session: ${describe(res)}`,
    );
    assertError(res, res.status);
    assert.ok(!JSON.stringify(res.body).includes('secret-vol'), `${path} leaked volume names`);
  }
});

test('logout answers 200 and the session stops working', async () => {
  const own = await restSession(array);
  assertList(await own.call('GET', '/volumes'));
  const logout = await own.call('POST', '/logout');
  assert.equal(logout.status, 200, describe(logout));
  assertError(await own.call('GET', '/volumes'), 401);
  // Other sessions are unaffected.
  assertList(await api('GET', '/volumes'));
});

test('X-Request-ID is echoed back, or made up when absent', async () => {
  const id = 'rest-api-test-7f3c2a';
  const open = await restCall(array.restPort, 'GET', '/api/api_version', { headers: { 'X-Request-ID': id } });
  assert.equal(open.headers['x-request-id'], id);
  const authed = await restCall(array.restPort, 'GET', '/api/2.38/arrays', {
    headers: { 'X-Request-ID': id, 'x-auth-token': session.token },
  });
  assert.equal(authed.status, 200);
  assert.equal(authed.headers['x-request-id'], id);
  const failed = await restCall(array.restPort, 'GET', '/api/2.38/arrays', {
    headers: { 'X-Request-ID': id },
  });
  assert.equal(failed.status, 401);
  assert.equal(failed.headers['x-request-id'], id);
  const none = await restCall(array.restPort, 'GET', '/api/api_version');
  assert.equal(typeof none.headers['x-request-id'], 'string');
  assert.ok((none.headers['x-request-id'] as string).length > 0);
});

// ---------------------------------------------------------------------------------------------
// Volumes (§3.2)

test('creating a volume returns every field Cinder reads as non-null', async () => {
  const v = await createVolume('v1');
  assert.equal(v.name, 'v1');
  assert.equal(typeof v.id, 'string');
  assert.ok(v.id.length > 0);
  assert.match(v.serial, /^[0-9A-F]{24}$/);
  assert.equal(v.provisioned, GiB);
  assert.equal(v.connection_count, 0);
  assert.equal(v.destroyed, false);
  assert.ok(v.space && typeof v.space === 'object');
  assert.equal(typeof v.created, 'number');
  const again = await getVolume('v1');
  assert.equal(again.id, v.id);
  assert.equal(again.serial, v.serial);
  const other = await createVolume('v1-other');
  assert.notEqual(other.serial, v.serial);
  assert.notEqual(other.id, v.id);
});

test('creating a volume that already exists is a 400 "already exists"', async () => {
  await createVolume('dup-vol');
  const res = await api('POST', '/volumes?names=dup-vol', { provisioned: 2 * GiB });
  assertError(res, 400, 'already exists');
  assert.equal(res.body.errors[0].context, 'dup-vol');
  assert.equal((await getVolume('dup-vol')).provisioned, GiB);
});

test('bad provisioned sizes and invalid names are refused with 400', async () => {
  for (const provisioned of [1000, -512, 0, '1073741824', 4 * PiB + 512, 1.5 * 512]) {
    const res = await api('POST', '/volumes?names=bad-size', { provisioned });
    assertError(res, 400);
  }
  assertError(await api('POST', '/volumes?names=no-size', {}), 400);
  // Exactly 4 PiB is the largest allowed.
  assert.equal((await createVolume('max-size', 4 * PiB)).provisioned, 4 * PiB);
  for (const name of ['bad_name', '-lead', 'trail-', 'a'.repeat(64), 'dot.ted']) {
    assertError(await api('POST', `/volumes?names=${q(name)}`, { provisioned: GiB }), 400);
  }
  assertError(await api('GET', '/volumes?names=bad-size'), 400, 'does not exist');
  assertError(await api('POST', '/volumes', { provisioned: GiB }), 400);
});

test('getting a missing volume by name is a 400 "does not exist"', async () => {
  const res = await api('GET', '/volumes?names=missing');
  assertError(res, 400, 'does not exist');
  assert.equal(res.body.errors[0].context, 'missing');
  await createVolume('present');
  assertError(await api('GET', '/volumes?names=present,missing'), 400, 'does not exist');
});

test('volume lists filter with wildcards, sort descending and page with continuation tokens', async () => {
  for (const name of ['lst-a', 'lst-c', 'lst-b', 'lst-d']) await createVolume(name);
  const filter = q("name='lst-*'");

  const all = assertList(await api('GET', `/volumes?filter=${filter}&sort=name-`));
  assert.deepEqual(
    all.map((v) => v.name),
    ['lst-d', 'lst-c', 'lst-b', 'lst-a'],
  );

  const seen: string[] = [];
  let path = `/volumes?filter=${filter}&sort=name-&limit=1&total_item_count=true`;
  for (let page = 0; page < 10; page++) {
    const body = assertOk(await api('GET', path));
    assert.equal(body.total_item_count, 4);
    assert.equal(body.items.length, 1);
    seen.push(body.items[0].name);
    if (!body.more_items_remaining) {
      assert.equal(body.continuation_token, null);
      break;
    }
    assert.equal(typeof body.continuation_token, 'string');
    path = `/volumes?filter=${filter}&sort=name-&limit=1&total_item_count=true&continuation_token=${q(body.continuation_token)}`;
  }
  assert.deepEqual(seen, ['lst-d', 'lst-c', 'lst-b', 'lst-a']);

  // Without the flag total_item_count is null; the envelope is always complete.
  const plain = assertOk(await api('GET', `/volumes?filter=${filter}`));
  assert.equal(plain.total_item_count, null);
  assert.equal(plain.more_items_remaining, false);
  assert.equal(plain.continuation_token, null);

  // The SDK's offset fallback (spec §2.4).
  const offset = assertList(await api('GET', `/volumes?filter=${filter}&sort=name&offset=1&limit=2`));
  assert.deepEqual(
    offset.map((v) => v.name),
    ['lst-b', 'lst-c'],
  );

  // limit=0: only the count.
  const countOnly = assertOk(await api('GET', `/volumes?filter=${filter}&limit=0&total_item_count=true`));
  assert.deepEqual(countOnly.items, []);
  assert.equal(countOnly.total_item_count, 4);
  assert.equal(countOnly.more_items_remaining, false);
});

test('a volume grows, refuses to shrink without truncate, and is renamed', async () => {
  const created = await createVolume('grow-me');
  const grown = assertList(await api('PATCH', '/volumes?names=grow-me', { provisioned: 2 * GiB }))[0];
  assert.equal(grown.provisioned, 2 * GiB);
  assert.equal(grown.id, created.id);

  assertError(await api('PATCH', '/volumes?names=grow-me', { provisioned: GiB }), 400);
  assert.equal((await getVolume('grow-me')).provisioned, 2 * GiB);
  assertError(await api('PATCH', '/volumes?names=grow-me', { provisioned: 2 * GiB + 100 }), 400);

  const shrunk = assertList(
    await api('PATCH', '/volumes?names=grow-me&truncate=true', { provisioned: GiB }),
  )[0];
  assert.equal(shrunk.provisioned, GiB);

  const renamed = assertList(await api('PATCH', '/volumes?names=grow-me', { name: 'grown' }))[0];
  assert.equal(renamed.name, 'grown');
  assert.equal(renamed.id, created.id);
  assert.equal(renamed.serial, created.serial);
  assertError(await api('GET', '/volumes?names=grow-me'), 400, 'does not exist');
  assert.equal((await getVolume('grown')).id, created.id);

  await createVolume('taken-name');
  assertError(await api('PATCH', '/volumes?names=grown', { name: 'taken-name' }), 400, 'already exists');
  assertError(await api('PATCH', '/volumes?names=grown', { name: 'bad_name' }), 400);
  assertError(await api('PATCH', '/volumes?names=never-was', { provisioned: GiB }), 400, 'does not exist');
});

test('volume QoS limits are set and unset with an empty string', async () => {
  await createVolume('qos-vol');
  const set = assertList(
    await api('PATCH', '/volumes?names=qos-vol', {
      qos: { iops_limit: 1000, bandwidth_limit: 10 * 1048576 },
    }),
  )[0];
  assert.deepEqual(set.qos, { iops_limit: 1000, bandwidth_limit: 10 * 1048576 });

  const unsetBandwidth = assertList(
    await api('PATCH', '/volumes?names=qos-vol', { qos: { bandwidth_limit: '' } }),
  )[0];
  assert.equal(unsetBandwidth.qos.iops_limit, 1000);
  assert.equal(unsetBandwidth.qos.bandwidth_limit ?? null, null);

  const unsetIops = assertList(await api('PATCH', '/volumes?names=qos-vol', { qos: { iops_limit: '' } }))[0];
  assert.equal(unsetIops.qos.iops_limit ?? null, null);

  assertError(await api('PATCH', '/volumes?names=qos-vol', { qos: { iops_limit: 5 } }), 400);
  assertError(await api('PATCH', '/volumes?names=qos-vol', { qos: { bandwidth_limit: 'fast' } }), 400);

  const withQos = assertList(
    await api('POST', '/volumes?names=qos-born', { provisioned: GiB, qos: { iops_limit: 500 } }),
  )[0];
  assert.equal(withQos.qos.iops_limit, 500);
});

test('a destroyed volume is listed with time_remaining, can be recovered, and is eradicated by DELETE', async () => {
  await createVolume('doomed');
  assertError(await api('DELETE', '/volumes?names=doomed'), 400);
  assert.equal((await getVolume('doomed')).destroyed, false);

  const destroyed = assertList(await api('PATCH', '/volumes?names=doomed', { destroyed: true }))[0];
  assert.equal(destroyed.destroyed, true);

  const listed = await getVolume('doomed');
  assert.equal(listed.destroyed, true);
  assert.equal(typeof listed.time_remaining, 'number');
  assert.ok(
    listed.time_remaining <= ERADICATION_DELAY_MS && listed.time_remaining > ERADICATION_DELAY_MS - 60_000,
    `time_remaining ${listed.time_remaining}`,
  );

  const live = assertList(await api('GET', '/volumes?destroyed=false'));
  assert.ok(!live.some((v) => v.name === 'doomed'), 'destroyed=false lists a destroyed volume');
  assert.ok(live.every((v) => v.destroyed === false));
  const dead = assertList(await api('GET', '/volumes?destroyed=true'));
  assert.ok(dead.some((v) => v.name === 'doomed'));
  assert.ok(dead.every((v) => v.destroyed === true));

  assertError(await api('PATCH', '/volumes?names=doomed', { destroyed: true }), 400, 'has been destroyed');

  const recovered = assertList(await api('PATCH', '/volumes?names=doomed', { destroyed: false }))[0];
  assert.equal(recovered.destroyed, false);
  assert.equal(recovered.time_remaining ?? null, null);
  assertError(await api('DELETE', '/volumes?names=doomed'), 400);

  assertList(await api('PATCH', '/volumes?names=doomed', { destroyed: true }));
  const deleted = await api('DELETE', '/volumes?names=doomed');
  assert.equal(deleted.status, 200, describe(deleted));
  assertError(await api('GET', '/volumes?names=doomed'), 400, 'does not exist');
  assertError(await api('DELETE', '/volumes?names=doomed'), 400, 'does not exist');
  assertError(await api('PATCH', '/volumes?names=doomed', { destroyed: true }), 400, 'does not exist');
});

// ---------------------------------------------------------------------------------------------
// Snapshots and copies (§3.2, §3.3)

test('snapshots are named VOL.SUFFIX or VOL.NNN and listed by source', async () => {
  const volume = await createVolume('snap-src');
  const named = assertList(await api('POST', '/volume-snapshots?source_names=snap-src', { suffix: 's1' }))[0];
  assert.equal(named.name, 'snap-src.s1');
  assert.equal(named.suffix, 's1');
  assert.equal(named.source.name, 'snap-src');
  assert.equal(named.source.id, volume.id);
  assert.equal(named.destroyed, false);
  assert.equal(named.provisioned, GiB);
  assert.match(named.serial, /^[0-9A-F]{24}$/);
  assert.notEqual(named.serial, volume.serial);

  const numbered = assertList(await api('POST', '/volume-snapshots?source_names=snap-src'))[0];
  assert.match(numbered.name, /^snap-src\.\d+$/);
  const numbered2 = assertList(await api('POST', '/volume-snapshots?source_names=snap-src', {}))[0];
  assert.match(numbered2.name, /^snap-src\.\d+$/);
  assert.notEqual(numbered2.name, numbered.name);

  assertError(await api('POST', '/volume-snapshots?source_names=snap-src', { suffix: '123' }), 400);
  assertError(await api('POST', '/volume-snapshots?source_names=snap-src', { suffix: 'bad_suffix' }), 400);
  assertError(
    await api('POST', '/volume-snapshots?source_names=snap-src', { suffix: 's1' }),
    400,
    'already exists',
  );
  assertError(
    await api('POST', '/volume-snapshots?source_names=no-such-vol', { suffix: 'x' }),
    400,
    'does not exist',
  );

  const listed = assertList(await api('GET', '/volume-snapshots?source_names=snap-src'));
  assert.deepEqual(listed.map((s) => s.name).sort(), [named.name, numbered.name, numbered2.name].sort());
  const byName = assertList(await api('GET', '/volume-snapshots?names=snap-src.s1'));
  assert.equal(byName.length, 1);
  assert.equal(byName[0].id, named.id);
  const filtered = assertList(await api('GET', `/volume-snapshots?filter=${q("name='snap-src.*'")}`));
  assert.equal(filtered.length, 3);
  assertError(await api('GET', '/volume-snapshots?names=snap-src.nope'), 400, 'does not exist');
});

test('volumes copy from snapshots and volumes, overwrite only with overwrite=true', async () => {
  await createVolume('copy-src', 2 * GiB);
  assertList(await api('POST', '/volume-snapshots?source_names=copy-src', { suffix: 's1' }));

  const fromSnap = assertList(await api('POST', '/volumes?names=c1', { source: { name: 'copy-src.s1' } }))[0];
  assert.equal(fromSnap.name, 'c1');
  assert.equal(fromSnap.source.name, 'copy-src');
  assert.equal(fromSnap.provisioned, 2 * GiB);
  assert.match(fromSnap.serial, /^[0-9A-F]{24}$/);
  assert.equal(fromSnap.destroyed, false);

  const fromVolume = assertList(await api('POST', '/volumes?names=c2', { source: { name: 'copy-src' } }))[0];
  assert.equal(fromVolume.source.name, 'copy-src');

  assertError(
    await api('POST', '/volumes?names=c1', { source: { name: 'copy-src.s1' } }),
    400,
    'already exists',
  );
  const overwritten = await api('POST', '/volumes?names=c1&overwrite=true', {
    source: { name: 'copy-src.s1' },
  });
  const item = assertList(overwritten)[0];
  assert.equal(item.name, 'c1');
  assert.equal(item.id, fromSnap.id);
  assert.equal(item.serial, fromSnap.serial);

  assertError(await api('POST', '/volumes?names=c3', { source: { name: 'no-such-source' } }), 400);
  assertError(await api('GET', '/volumes?names=c3'), 400, 'does not exist');
  assertError(await api('POST', '/volumes?names=c3', { source: { name: 'copy-src.nope' } }), 400);
});

test('a snapshot is destroyed then eradicated; a missing one is "No such volume or snapshot"', async () => {
  await createVolume('snap-life');
  assertList(await api('POST', '/volume-snapshots?source_names=snap-life', { suffix: 'gone' }));

  assertError(await api('DELETE', '/volume-snapshots?names=snap-life.gone'), 400);

  const destroyed = assertList(
    await api('PATCH', '/volume-snapshots?names=snap-life.gone', { destroyed: true }),
  )[0];
  assert.equal(destroyed.destroyed, true);
  const listed = assertList(await api('GET', '/volume-snapshots?names=snap-life.gone'))[0];
  assert.equal(listed.destroyed, true);
  assert.ok(
    listed.time_remaining > ERADICATION_DELAY_MS - 60_000 && listed.time_remaining <= ERADICATION_DELAY_MS,
  );
  const live = assertList(await api('GET', '/volume-snapshots?source_names=snap-life&destroyed=false'));
  assert.deepEqual(live, []);

  assertError(
    await api('PATCH', '/volume-snapshots?names=snap-life.gone', { destroyed: true }),
    400,
    'has been destroyed',
  );

  const deleted = await api('DELETE', '/volume-snapshots?names=snap-life.gone');
  assert.equal(deleted.status, 200, describe(deleted));
  assertError(await api('GET', '/volume-snapshots?names=snap-life.gone'), 400, 'does not exist');
  assert.deepEqual(assertList(await api('GET', '/volume-snapshots?source_names=snap-life')), []);

  assertError(
    await api('PATCH', '/volume-snapshots?names=snap-life.never', { destroyed: true }),
    400,
    'No such volume or snapshot',
  );
  assertError(await api('DELETE', '/volume-snapshots?names=snap-life.never'), 400, 'does not exist');
});

test('snapshots are renamed by PATCH name', async () => {
  await createVolume('snap-ren');
  assertList(await api('POST', '/volume-snapshots?source_names=snap-ren', { suffix: 'old' }));
  const renamed = assertList(
    await api('PATCH', '/volume-snapshots?names=snap-ren.old', { name: 'snap-ren.new' }),
  )[0];
  assert.equal(renamed.name, 'snap-ren.new');
  assert.equal(renamed.suffix, 'new');
  assertError(await api('GET', '/volume-snapshots?names=snap-ren.old'), 400, 'does not exist');
  assertError(await api('PATCH', '/volume-snapshots?names=snap-ren.new', { name: 'other.new' }), 400);

  // Renaming the volume renames its snapshots with it.
  assertList(await api('PATCH', '/volumes?names=snap-ren', { name: 'snap-ren2' }));
  const moved = assertList(await api('GET', '/volume-snapshots?source_names=snap-ren2'));
  assert.deepEqual(
    moved.map((snap) => [snap.name, snap.source.name]),
    [['snap-ren2.new', 'snap-ren2']],
  );
  assertError(await api('GET', '/volume-snapshots?source_names=snap-ren'), 400, 'does not exist');
});

// ---------------------------------------------------------------------------------------------
// Hosts, host groups and connections (§3.5, §3.6)

test('an IQN belongs to one host and Cinder finds it with iqns= and is_local', async () => {
  const iqn = 'iqn.1993-08.org.debian:01:abcdef123456';
  const host = await createHost('h1', { iqns: [iqn] });
  assert.equal(host.name, 'h1');
  assert.deepEqual(host.iqns, [iqn]);
  assert.equal(host.is_local, true);
  assert.equal(host.connection_count, 0);

  const clash = await api('POST', '/hosts?names=h1-twin', { iqns: [iqn] });
  assertError(clash, 400, 'already in use');
  assertError(await api('GET', '/hosts?names=h1-twin'), 400, 'does not exist');
  assertError(await api('POST', '/hosts?names=h1', {}), 400, 'already exists');

  const local = assertList(await api('GET', `/hosts?filter=${q(`iqns='${iqn}' and is_local`)}`));
  assert.deepEqual(
    local.map((h) => h.name),
    ['h1'],
  );
  const remote = assertList(await api('GET', `/hosts?filter=${q(`iqns='${iqn}' and not is_local`)}`));
  assert.deepEqual(remote, []);
  const other = assertList(
    await api('GET', `/hosts?filter=${q("iqns='iqn.2000-01.com.example:none' and is_local")}`),
  );
  assert.deepEqual(other, []);
});

test('WWNs are stored upper-case without colons and found that way', async () => {
  const host = await createHost('h-fc', { wwns: ['21:00:f4:c7:aa:00:27:06', '2100f4c7aa002707'] });
  assert.deepEqual(host.wwns, ['2100F4C7AA002706', '2100F4C7AA002707']);
  const found = assertList(await api('GET', `/hosts?filter=${q("wwns='2100F4C7AA002706' and is_local")}`));
  assert.deepEqual(
    found.map((h) => h.name),
    ['h-fc'],
  );
  assertError(await api('POST', '/hosts?names=h-fc2', { wwns: ['2100F4C7AA002707'] }), 400, 'already in use');
});

test('host personality and CHAP are set; the CHAP password is masked, never echoed', async () => {
  await createHost('h-chap', { iqns: ['iqn.2000-01.com.example:chap'] });
  const secret = 'Sup3rS3cretChapPassw0rd';
  const res = await api('PATCH', '/hosts?names=h-chap', {
    personality: 'esxi',
    chap: { host_user: 'chapuser', host_password: secret },
  });
  const patched = assertList(res)[0];
  assert.equal(patched.personality, 'esxi');
  assert.equal(patched.chap.host_user, 'chapuser');
  assert.equal(typeof patched.chap.host_password, 'string');
  assert.notEqual(patched.chap.host_password, secret);
  assert.ok(!JSON.stringify(res.body).includes(secret), 'PATCH response echoes the CHAP password');

  const listed = await api('GET', '/hosts?names=h-chap');
  const got = assertList(listed)[0];
  assert.equal(got.personality, 'esxi');
  assert.equal(got.chap.host_user, 'chapuser');
  assert.ok(got.chap.host_password, 'a set password shows as masked, not null');
  assert.ok(!JSON.stringify(listed.body).includes(secret), 'GET echoes the CHAP password');
  assert.ok(!JSON.stringify(assertOk(await api('GET', '/hosts'))).includes(secret));

  assertError(await api('PATCH', '/hosts?names=h-chap', { personality: 'windows-9000' }), 400);
  assert.equal((await api('GET', '/hosts?names=h-chap')).body.items[0].personality, 'esxi');
  assertError(
    await api('PATCH', '/hosts?names=no-such-host', { personality: 'esxi' }),
    400,
    'Host does not exist',
  );
});

test('host group membership is added and listed through both membership paths', async () => {
  await createHost('hg-m1', { iqns: ['iqn.2000-01.com.example:hgm1'] });
  await createHost('hg-m2', { iqns: ['iqn.2000-01.com.example:hgm2'] });
  const group = assertList(await api('POST', '/host-groups?names=hg1'))[0];
  assert.equal(group.name, 'hg1');
  assertError(await api('POST', '/host-groups?names=hg1'), 400, 'already exists');

  const added = assertList(await api('POST', '/hosts/host-groups?group_names=hg1&member_names=hg-m1,hg-m2'));
  assert.equal(added.length, 2);
  assert.deepEqual(added[0], { group: { name: 'hg1' }, member: { name: 'hg-m1' } });

  const members = assertList(await api('GET', '/host-groups/hosts?group_names=hg1'));
  assert.deepEqual(members.map((m) => m.member.name).sort(), ['hg-m1', 'hg-m2']);
  assert.ok(members.every((m) => m.group.name === 'hg1'));
  const byMember = assertList(await api('GET', '/hosts/host-groups?member_names=hg-m2'));
  assert.deepEqual(byMember, [{ group: { name: 'hg1' }, member: { name: 'hg-m2' } }]);

  assert.equal((await api('GET', '/hosts?names=hg-m1')).body.items[0].host_group.name, 'hg1');
  assert.equal(assertList(await api('GET', '/host-groups?names=hg1'))[0].host_count, 2);

  assertError(await api('DELETE', '/host-groups?names=hg1'), 400);
  assert.equal(assertList(await api('GET', '/host-groups?names=hg1')).length, 1);

  const removed = await api('DELETE', '/host-groups/hosts?group_names=hg1&member_names=hg-m2');
  assert.equal(removed.status, 200, describe(removed));
  assert.deepEqual(
    assertList(await api('GET', '/host-groups/hosts?group_names=hg1')).map((m) => m.member.name),
    ['hg-m1'],
  );
  assertError(
    await api('POST', '/hosts/host-groups?group_names=no-group&member_names=hg-m2'),
    400,
    'does not exist',
  );
});

test('private connections take LUNs from 1 up and block host deletion', async () => {
  await createHost('conn-h', { iqns: ['iqn.2000-01.com.example:conn'] });
  await createVolume('conn-v1');
  await createVolume('conn-v2');

  const first = assertList(await api('POST', '/connections?host_names=conn-h&volume_names=conn-v1'));
  assert.equal(first.length, 1);
  assert.equal(first[0].lun, 1);
  assert.equal(first[0].host.name, 'conn-h');
  assert.equal(first[0].volume.name, 'conn-v1');
  const second = assertList(await api('POST', '/connections?host_names=conn-h&volume_names=conn-v2'));
  assert.equal(second[0].lun, 2);

  assertError(
    await api('POST', '/connections?host_names=conn-h&volume_names=conn-v1'),
    400,
    'already exists',
  );
  assertError(
    await api('POST', '/connections?host_names=no-such-host&volume_names=conn-v1'),
    400,
    'Host does not exist',
  );
  assertError(
    await api('POST', '/connections?host_names=conn-h&volume_names=no-such-vol'),
    400,
    'does not exist',
  );

  const byVolume = assertList(await api('GET', '/connections?volume_names=conn-v1'));
  assert.equal(byVolume.length, 1);
  assert.equal(byVolume[0].host.name, 'conn-h');
  assert.equal(byVolume[0].lun, 1);
  const byBoth = assertList(await api('GET', '/connections?volume_names=conn-v2&host_names=conn-h'));
  assert.equal(byBoth.length, 1);
  assert.equal(byBoth[0].lun, 2);
  assert.equal(assertList(await api('GET', '/connections?host_names=conn-h')).length, 2);
  assertError(await api('GET', '/connections?host_names=no-such-host'), 400, 'does not exist');

  assert.equal((await getVolume('conn-v1')).connection_count, 1);
  assert.equal(assertList(await api('GET', '/hosts?names=conn-h'))[0].connection_count, 2);

  assertError(
    await api('DELETE', '/hosts?names=conn-h'),
    400,
    'cannot be deleted due to existing connections',
  );

  const disconnected = await api('DELETE', '/connections?host_names=conn-h&volume_names=conn-v1');
  assert.equal(disconnected.status, 200, describe(disconnected));
  assertError(
    await api('DELETE', '/connections?host_names=conn-h&volume_names=conn-v1'),
    400,
    'does not exist',
  );
  assert.equal((await getVolume('conn-v1')).connection_count, 0);
  assert.deepEqual(assertList(await api('GET', '/connections?volume_names=conn-v1')), []);

  // The freed LUN 1 is reused.
  await createVolume('conn-v3');
  assert.equal(
    assertList(await api('POST', '/connections?host_names=conn-h&volume_names=conn-v3'))[0].lun,
    1,
  );

  for (const volume of ['conn-v2', 'conn-v3']) {
    assertOk(await api('DELETE', `/connections?host_names=conn-h&volume_names=${volume}`));
  }
  const deleted = await api('DELETE', '/hosts?names=conn-h');
  assert.equal(deleted.status, 200, describe(deleted));
  assertError(await api('GET', '/hosts?names=conn-h'), 400, 'does not exist');
  assertError(await api('DELETE', '/hosts?names=conn-h'), 400, 'does not exist');
});

test('host-group connections take LUNs from 254 down and show per member host', async () => {
  await createHost('shared-h1', { iqns: ['iqn.2000-01.com.example:shared1'] });
  await createHost('shared-h2', { iqns: ['iqn.2000-01.com.example:shared2'] });
  assertList(await api('POST', '/host-groups?names=shared-hg'));
  assertList(await api('POST', '/host-groups/hosts?group_names=shared-hg&member_names=shared-h1,shared-h2'));
  await createVolume('shared-v1');
  await createVolume('shared-v2');

  const first = assertList(
    await api('POST', '/connections?host_group_names=shared-hg&volume_names=shared-v1'),
  );
  assert.ok(first.length >= 1);
  assert.ok(first.every((c) => c.lun === 254 && c.host_group.name === 'shared-hg'));
  const second = assertList(
    await api('POST', '/connections?host_group_names=shared-hg&volume_names=shared-v2'),
  );
  assert.ok(second.every((c) => c.lun === 253));

  const listed = assertList(await api('GET', '/connections?volume_names=shared-v1'));
  assert.deepEqual(listed.map((c) => c.host.name).sort(), ['shared-h1', 'shared-h2']);
  assert.ok(listed.every((c) => c.host_group.name === 'shared-hg' && c.lun === 254));
  assert.equal((await getVolume('shared-v1')).connection_count, 2);

  // A private connection on a member host avoids the shared LUNs and counts up from 1.
  await createVolume('shared-priv');
  const priv = assertList(await api('POST', '/connections?host_names=shared-h1&volume_names=shared-priv'));
  assert.equal(priv[0].lun, 1);

  assertError(
    await api('POST', '/connections?host_group_names=shared-hg&volume_names=shared-v1'),
    400,
    'already exists',
  );
  assertOk(await api('DELETE', '/connections?host_group_names=shared-hg&volume_names=shared-v1'));
  assert.equal((await getVolume('shared-v1')).connection_count, 0);
});

// ---------------------------------------------------------------------------------------------
// System endpoints (§3.1, §3.7, §3.14)

test('arrays reports name, id, a plain X.Y.Z version, capacity and space', async () => {
  const items = assertList(await api('GET', '/arrays'));
  assert.equal(items.length, 1);
  const a = items[0];
  assert.equal(a.name, 'rest-api');
  assert.equal(typeof a.id, 'string');
  assert.ok(a.id.length > 0);
  assert.equal(a.version, '6.7.1');
  assert.match(a.version, /^\d+\.\d+\.\d+$/);
  assert.equal(a.os, 'Purity//FA');
  assert.equal(typeof a.capacity, 'number');
  assert.ok(a.space && typeof a.space === 'object');
  assert.equal(typeof a.space.total_physical, 'number');
});

test('arrays/space has capacity and space.total_physical', async () => {
  const items = assertList(await api('GET', '/arrays/space'));
  assert.equal(items.length, 1);
  const s = items[0];
  assert.equal(typeof s.capacity, 'number');
  assert.ok(s.capacity > 0);
  assert.equal(typeof s.space.total_physical, 'number');
  for (const field of ['total_reduction', 'data_reduction']) {
    assert.equal(typeof s.space[field], 'number', `space.${field}`);
  }
  assert.ok(typeof s.space.total_provisioned === 'number' || typeof s.space.used_provisioned === 'number');
});

test('arrays/performance always has one sample with the counters Cinder reads', async () => {
  const body = assertOk(await api('GET', '/arrays/performance?total_item_count=true'));
  assert.equal(typeof body.total_item_count, 'number');
  assert.ok(body.total_item_count >= 1);
  const p = body.items[0];
  for (const field of [
    'writes_per_sec',
    'reads_per_sec',
    'write_bytes_per_sec',
    'read_bytes_per_sec',
    'usec_per_read_op',
    'usec_per_write_op',
    'queue_usec_per_mirrored_write_op',
    'queue_usec_per_read_op',
    'queue_usec_per_write_op',
  ]) {
    assert.equal(typeof p[field], 'number', `${field} is ${p[field]}`);
  }
  const now = Date.now();
  const windowed = assertOk(
    await api(
      'GET',
      `/arrays/performance?start_time=${now - 60_000}&end_time=${now}&resolution=30000&total_item_count=true`,
    ),
  );
  assert.ok(windowed.total_item_count >= 1);
  assert.ok(windowed.items.length >= 1);
});

test('volume tags are stored, replaced by key, listed by namespace, copied when copyable, and removed', async () => {
  assertOk(await api('POST', '/volumes?names=tagged-1', { provisioned: GiB }));
  const ns = 'openstack-integration.purestorage.com';
  const put = assertList(
    await api('PUT', '/volumes/tags/batch?resource_names=tagged-1', [
      { namespace: ns, key: 'cinder-id', value: 'abc', copyable: false },
      { key: 'team', value: 'storage' },
    ]),
  );
  assert.equal(put.length, 2);
  assert.deepEqual(put[1].resource.name, 'tagged-1');
  assertOk(
    await api('PUT', '/volumes/tags/batch?resource_names=tagged-1', [
      { namespace: ns, key: 'cinder-id', value: 'def', copyable: false },
    ]),
  );
  const listed = assertList(await api('GET', `/volumes/tags?resource_names=tagged-1&namespaces=${ns}`));
  assert.deepEqual(
    listed.map((t) => [t.key, t.value, t.copyable]),
    [['cinder-id', 'def', false]],
  );
  assertOk(await api('POST', '/volumes?names=tagged-copy', { source: { name: 'tagged-1' } }));
  const copied = assertList(await api('GET', '/volumes/tags?resource_names=tagged-copy'));
  assert.deepEqual(
    copied.map((t) => [t.namespace, t.key, t.value]),
    [['default', 'team', 'storage']],
    'only copyable tags follow a copy',
  );
  assertOk(await api('DELETE', `/volumes/tags?resource_names=tagged-1&namespaces=${ns}&keys=cinder-id`));
  assert.deepEqual(
    assertList(await api('GET', '/volumes/tags?resource_names=tagged-1')).map((t) => t.key),
    ['team'],
  );
  assertError(
    await api('PUT', '/volumes/tags/batch?resource_names=no-such-vol', [{ key: 'k', value: 'v' }]),
    400,
    'does not exist',
  );
  assertError(await api('PUT', '/volumes/tags/batch?resource_names=tagged-1', { key: 'k' }), 400);
  assertError(await api('PUT', '/volumes/tags/batch?resource_names=tagged-1', [{ value: 'v' }]), 400);
  assertError(await api('PUT', '/volumes/tags/batch', [{ key: 'k', value: 'v' }]), 400);
});

test('REST calls count as other ops of the array and of the volumes they name', async () => {
  assertOk(await api('POST', '/volumes?names=perf-rest-1', { provisioned: GiB }));
  // Rates cover the last complete seconds: make the calls, then let a second boundary pass.
  for (let i = 0; i < 10; i++) assertOk(await api('GET', '/volumes?names=perf-rest-1'));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const arrayPerf = assertOk(await api('GET', '/arrays/performance')).items[0];
  assert.ok(arrayPerf.others_per_sec >= 1, `array others_per_sec ${arrayPerf.others_per_sec}`);
  assert.ok(arrayPerf.usec_per_other_op > 0, `array usec_per_other_op ${arrayPerf.usec_per_other_op}`);
  const volumePerf = assertOk(await api('GET', '/volumes/performance?names=perf-rest-1')).items[0];
  assert.ok(volumePerf.others_per_sec >= 1, `volume others_per_sec ${volumePerf.others_per_sec}`);
  assert.ok(arrayPerf.others_per_sec >= volumePerf.others_per_sec, 'the array counts every call');
});

test('controllers, ports and network interfaces answer the iSCSI discovery queries', async () => {
  const controllers = assertList(await api('GET', `/controllers?filter=${q("status='ready'")}`));
  assert.deepEqual(
    controllers.map((c) => c.name),
    ['CT0', 'CT1'],
  );
  assertList(await api('GET', '/ports'));
  assertList(await api('GET', `/ports?filter=${q("name='CT0.*'")}`));
  const bonds = assertList(
    await api('GET', `/network-interfaces?filter=${q("eth.subtype='lacp_bond' or eth.subtype='vif'")}`),
  );
  assert.deepEqual(bonds, []);
  const all = assertList(await api('GET', '/network-interfaces'));
  const named = assertList(await api('GET', '/network-interfaces?names=CT0.ETH4'));
  assert.deepEqual(
    named.map((i) => i.name),
    all.filter((i) => String(i.name).toLowerCase() === 'ct0.eth4').map((i) => i.name),
    'names= selects, case-insensitively',
  );
  assert.ok(named.length < all.length);
});

test('exporter-only endpoints answer 200 with an items list', async () => {
  for (const path of [
    '/subscriptions',
    `/alerts?filter=${q("state='open'")}`,
    '/hardware',
    '/drives',
    '/volume-groups',
    '/volume-groups/performance',
    '/network-interfaces/performance',
    '/hosts/performance',
    '/volumes/performance',
    '/volumes/space',
    '/connections',
    '/hosts',
    '/volumes',
  ]) {
    const res = await api('GET', path);
    assert.equal(res.status, 200, `${path}: ${describe(res)}`);
    assert.ok(Array.isArray(res.body.items), `${path}: ${describe(res)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Hostile input (§1.5, §2.5)

test('bad input is a 400/404 envelope and never takes the daemon down', async () => {
  const headers = { 'x-auth-token': session.token };
  const raw = (method: string, path: string, rawBody?: string) =>
    restCall(array.restPort, method, path, { headers, ...(rawBody === undefined ? {} : { rawBody }) });

  assertError(await raw('POST', '/api/2.38/volumes?names=bad-json', '{"provisioned": 1073741824'), 400);
  assertError(await raw('POST', '/api/2.38/volumes?names=bad-json', 'not json at all'), 400);
  assertError(await raw('POST', '/api/2.38/volumes?names=bad-json', '[{"provisioned": 1073741824}]'), 400);
  assertError(await raw('POST', '/api/2.38/volumes?names=bad-json', '"a string"'), 400);
  assertError(await raw('PATCH', '/api/2.38/hosts?names=h1', '[1, 2, 3]'), 400);
  assertError(await api('GET', '/volumes?names=bad-json'), 400, 'does not exist');

  const huge = JSON.stringify({ provisioned: GiB, padding: 'x'.repeat(1024 * 1024 + 1024) });
  assertError(await raw('POST', '/api/2.38/volumes?names=huge-body', huge), 400);
  assertError(await api('GET', '/volumes?names=huge-body'), 400, 'does not exist');

  assertError(await api('GET', '/no-such-route'), 404);
  assertError(await api('PUT', '/volumes?names=v1'), 404);
  assertError(await raw('GET', '/api/3.0/volumes'), 404);
  assertError(await raw('GET', '/not-api/at-all'), 404);

  assertError(await api('GET', '/volumes?limit=-1'), 400);
  assertError(await api('GET', '/volumes?limit=many'), 400);
  assertError(await api('GET', '/volumes?offset=-3'), 400);
  assertError(await api('GET', `/volumes?filter=${q('name=')}`), 400);
  assertError(await api('GET', `/volumes?filter=${q("name='x' and (")}`), 400);
  assertError(await api('GET', '/volumes?continuation_token=not-a-real-token'), 400);
  assertError(await api('GET', '/volumes?total_item_count=perhaps'), 400);
  assertError(await api('GET', '/volumes?destroyed=maybe'), 400);
  assertError(await api('GET', `/volumes?sort=${q('name;drop')}`), 400);
  assertError(await api('PATCH', '/volumes?names=v1&truncate=yes', { provisioned: GiB }), 400);
  assertError(await api('POST', '/volumes?names=wrong-types', { provisioned: GiB, source: 'v1' }), 400);
  assertError(await api('POST', '/hosts?names=wrong-types', { iqns: 'iqn.not-a-list' }), 400);
  assertError(await api('POST', '/hosts?names=wrong-types', { chap: { host_password: 42 } }), 400);
  assertError(await api('PATCH', '/volumes', { destroyed: true }), 400);
  assertError(await api('POST', '/connections?volume_names=v1'), 400);

  const alive = await api('GET', '/arrays');
  assert.equal(alive.status, 200, describe(alive));
  assert.equal(array.child.exitCode, null);
  assert.ok(
    !/REST handler failed/.test(array.output()),
    `a request hit an internal error:\n${array.output()}`,
  );
});

test('a path with broken percent-encoding gets a 400 Purity error envelope', async () => {
  assertError(await freshCall('GET', '/api/2.38/vol%E0%A4%Aumes', { 'x-auth-token': session.token }), 400);
  assertError(await freshCall('GET', '/api/2.38/vol%E0%A4%Aumes'), 400);
  assert.equal((await freshCall('GET', '/api/api_version')).status, 200);
});

test('an over-long request line gets a 400 Purity error envelope, not a bare 431', async () => {
  // Far beyond what any client sends (a 40 000-character names=). The SDK raises on statuses it
  // does not know, such as 431 (spec §1.5), so this is a client error like any other: 400.
  const headers = { 'x-auth-token': session.token };
  assertError(await freshCall('GET', `/api/2.38/volumes?names=${'a'.repeat(40_000)}`, headers), 400);
  const alive = await freshCall('GET', '/api/2.38/arrays', headers);
  assert.equal(alive.status, 200, describe(alive));
});

test('successful GET, POST, PATCH and DELETE all answer exactly 200', async () => {
  const statuses: Array<[string, number]> = [];
  const record = async (label: string, res: Promise<RestResponse>) => {
    const r = await res;
    statuses.push([label, r.status]);
    return r;
  };
  await record('POST /volumes', api('POST', '/volumes?names=status-v', { provisioned: GiB }));
  await record('GET /volumes', api('GET', '/volumes?names=status-v'));
  await record('PATCH /volumes', api('PATCH', '/volumes?names=status-v', { provisioned: 2 * GiB }));
  await record('POST /hosts', api('POST', '/hosts?names=status-h'));
  await record('POST /connections', api('POST', '/connections?host_names=status-h&volume_names=status-v'));
  await record(
    'DELETE /connections',
    api('DELETE', '/connections?host_names=status-h&volume_names=status-v'),
  );
  await record('DELETE /hosts', api('DELETE', '/hosts?names=status-h'));
  await record(
    'POST /volume-snapshots',
    api('POST', '/volume-snapshots?source_names=status-v', { suffix: 'x' }),
  );
  await record(
    'PATCH /volume-snapshots',
    api('PATCH', '/volume-snapshots?names=status-v.x', { destroyed: true }),
  );
  await record('DELETE /volume-snapshots', api('DELETE', '/volume-snapshots?names=status-v.x'));
  await record(
    'PUT /volumes/tags/batch',
    api('PUT', '/volumes/tags/batch?resource_names=status-v', [{ key: 'k', value: 'v' }]),
  );
  await record('GET /volumes/tags', api('GET', '/volumes/tags?resource_names=status-v'));
  await record('DELETE /volumes/tags', api('DELETE', '/volumes/tags?resource_names=status-v&keys=k'));
  await record('PATCH destroy /volumes', api('PATCH', '/volumes?names=status-v', { destroyed: true }));
  await record('DELETE /volumes', api('DELETE', '/volumes?names=status-v'));
  await record(
    'POST /logout',
    restSession(array).then((s) => s.call('POST', '/logout')),
  );
  assert.deepEqual(
    statuses.filter(([, status]) => status !== 200),
    [],
  );
});

test('a request naming several objects applies to all of them or to none', async () => {
  assertOk(await api('POST', '/volumes?names=atom-a', { provisioned: GiB }));
  assertError(
    await api('PATCH', '/volumes?names=atom-a,atom-missing', { destroyed: true }),
    400,
    'does not exist',
  );
  const [volume] = assertList(await api('GET', '/volumes?names=atom-a'));
  assert.equal(volume.destroyed, false, 'atom-a was left untouched');
  assertError(
    await api('POST', '/volumes?names=atom-new,atom-a', { provisioned: GiB }),
    400,
    'already exists',
  );
  assertError(await api('GET', '/volumes?names=atom-new'), 400, 'does not exist');
  assertError(await api('POST', '/hosts?names=atom-h,atom-h', {}), 400, 'twice');
  assertError(await api('GET', '/hosts?names=atom-h'), 400, 'does not exist');
});

test('a copy source can be given by id, and error contexts are clipped', async () => {
  const [source] = assertList(await api('POST', '/volumes?names=byid-src', { provisioned: GiB }));
  const [copy] = assertList(await api('POST', '/volumes?names=byid-copy', { source: { id: source.id } }));
  assert.equal(copy.source.name, 'byid-src');
  assertError(
    await api('POST', '/volumes?names=byid-x', { source: { id: 'no-such-id' } }),
    400,
    'No such volume or snapshot',
  );
  const longName = 'x'.repeat(5000);
  const res = await api('GET', `/volumes?names=${longName}`);
  assertError(res, 400, 'does not exist');
  assert.ok(res.body.errors[0].context.length <= 260, 'context is clipped');
});
