import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alreadyAllowedOn,
  alreadyExists,
  alreadyIncludes,
  alreadyInUse,
  CINDER_MATCHED_TEXT,
  cannotDeleteExistingConnections,
  couldNotBeFound,
  doesNotExist,
  ERROR_CODES,
  forbidden,
  hasBeenDestroyed,
  internal,
  invalidApiToken,
  invalidBody,
  invalidOperation,
  invalidParameter,
  limitReached,
  missingParameter,
  noSuchVolumeOrSnapshot,
  notAuthenticated,
  OBJECT_KIND_LABELS,
  type ObjectKind,
  PurityError,
  toPurityError,
  unknownRoute,
} from '../../src/array/rest/rest-error.js';

/** One call of every factory; the catalogue test below checks this list covers every code. */
function everyFactory(): PurityError[] {
  return [
    doesNotExist('volume', 'vol1'),
    alreadyExists('volume', 'vol1'),
    hasBeenDestroyed('volume', 'vol1'),
    noSuchVolumeOrSnapshot('vol1.snap1'),
    alreadyInUse('IQN iqn.x', 'h', 'h2'),
    limitReached('Pod array', 'pod1'),
    alreadyIncludes('protection_group', 'pg1', 'array2'),
    alreadyAllowedOn('array1:pg1', 'array2'),
    cannotDeleteExistingConnections('h'),
    couldNotBeFound('volume', 'vol1', 'protection_group', 'pg1'),
    invalidOperation('Volume must be destroyed before it is eradicated.', 'vol1'),
    invalidParameter('limit', 'must be an integer'),
    invalidBody('provisioned', 'must be a multiple of 512', 'vol1'),
    missingParameter('names'),
    notAuthenticated(),
    invalidApiToken(),
    forbidden(),
    unknownRoute('GET', '/api/2.38/nothing'),
    internal(),
  ];
}

test('catalogue: every code is produced by some factory, and codes are unique', () => {
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  const produced = new Set(everyFactory().map((error) => error.code));
  assert.deepEqual([...produced].sort(), [...ERROR_CODES].sort());
});

test('catalogue: every Cinder-matched text appears in its factory message, with status 400', () => {
  const matched = Object.entries(CINDER_MATCHED_TEXT);
  assert.equal(matched.length, 10, 'spec §6 lists ten message families besides "Host does not exist"');
  for (const error of everyFactory()) {
    const text = CINDER_MATCHED_TEXT[error.code];
    if (text === undefined) continue;
    assert.ok(error.message.includes(text), `${error.code}: ${error.message}`);
    assert.equal(error.status, 400, error.code);
  }
});

test('catalogue: messages that Cinder does not match do not contain a matched text by accident', () => {
  const texts = Object.values(CINDER_MATCHED_TEXT);
  for (const error of everyFactory()) {
    if (CINDER_MATCHED_TEXT[error.code] !== undefined) continue;
    for (const text of texts) assert.ok(!error.message.includes(text), `${error.code} contains "${text}"`);
  }
});

test('doesNotExist: "Host does not exist" for hosts, context is the name, for every kind', () => {
  const host = doesNotExist('host', 'h1');
  assert.equal(host.message, 'Host does not exist.');
  assert.ok(host.message.includes('Host does not exist'));
  assert.deepEqual(host.toBody(), { errors: [{ context: 'h1', message: 'Host does not exist.' }] });
  assert.equal(doesNotExist('volume', 'v').message, 'Volume does not exist.');
  for (const kind of Object.keys(OBJECT_KIND_LABELS) as ObjectKind[]) {
    assert.match(doesNotExist(kind, 'x').message, /^[A-Z][a-z ]+ does not exist\.$/);
  }
});

test('spec §5.1: duplicate volume create is 400 "Volume already exists." with the name as context', () => {
  const error = alreadyExists('volume', 'vol1');
  assert.equal(error.status, 400);
  assert.deepEqual(error.toBody(), { errors: [{ context: 'vol1', message: 'Volume already exists.' }] });
});

test('alreadyInUse: names the address and the owning host', () => {
  const error = alreadyInUse('IQN iqn.x', 'h', 'h2');
  assert.equal(error.message, 'The IQN iqn.x is already in use by host h.');
  assert.equal(error.context, 'h2');
});

test('cannotDeleteExistingConnections and hasBeenDestroyed read as Cinder expects', () => {
  assert.equal(
    cannotDeleteExistingConnections('h').message,
    'Host cannot be deleted due to existing connections.',
  );
  assert.equal(cannotDeleteExistingConnections('hg', 'host_group').context, 'hg');
  assert.equal(hasBeenDestroyed('protection_group', 'pg').message, 'Protection group has been destroyed.');
  assert.equal(
    couldNotBeFound('volume', 'v', 'protection_group', 'pg').message,
    'Volume v could not be found in protection group pg.',
  );
});

test('auth errors are 401, carry no context and never echo a token', () => {
  for (const error of [notAuthenticated(), invalidApiToken()]) {
    assert.equal(error.status, 401);
    assert.equal(error.context, null);
    assert.doesNotMatch(error.message, /[0-9a-f]{8}-/);
    assert.deepEqual(error.toBody(), { errors: [{ context: null, message: error.message }] });
  }
  assert.equal(notAuthenticated().message, 'Invalid or expired session token.');
});

test('403 and 429 use a top-level message body (Kong style)', () => {
  assert.deepEqual(forbidden().toBody(), { message: 'Permission denied.' });
  const limited = new PurityError('FORBIDDEN', 429, 'Too many requests.');
  assert.deepEqual(limited.toBody(), { message: 'Too many requests.' });
});

test('unknownRoute is 404 and leaves the query string out', () => {
  const error = unknownRoute('GET', "/api/2.38/nothing?filter=name='secret'");
  assert.equal(error.status, 404);
  assert.equal(error.message, 'Unknown route: GET /api/2.38/nothing.');
});

test('internal is a generic 500; toPurityError passes PurityErrors through and hides the rest', () => {
  const error = internal();
  assert.equal(error.status, 500);
  assert.equal(error.message, 'An internal error occurred.');
  const known = doesNotExist('pod', 'p');
  assert.equal(toPurityError(known), known);
  const hidden = toPurityError(new Error('ENOENT /var/lib/secret/path'));
  assert.equal(hidden.code, 'INTERNAL');
  assert.doesNotMatch(JSON.stringify(hidden.toBody()), /secret/);
  assert.equal(toPurityError('a string').code, 'INTERNAL');
});

test('parameter and body errors name the parameter, keep the given context, and clip echoed input', () => {
  const param = invalidParameter('limit', 'must be an integer');
  assert.equal(param.message, 'Invalid value for parameter limit: must be an integer.');
  assert.equal(param.context, null);
  assert.equal(invalidBody('provisioned', 'too small', 'vol1').context, 'vol1');
  assert.equal(missingParameter('names').message, 'Missing required parameter names.');
  const huge = invalidParameter('filter', 'x'.repeat(100_000));
  assert.ok(huge.message.length < 600, `message is ${huge.message.length} characters`);
});

test('PurityError is an Error with a stable name, usable with instanceof', () => {
  const error = limitReached('Pod array', 'pod1');
  assert.ok(error instanceof Error);
  assert.ok(error instanceof PurityError);
  assert.equal(error.name, 'PurityError');
  assert.equal(error.message, 'Pod array limit reached.');
  assert.equal(
    alreadyIncludes('protection_group', 'pg1', 'a2').message,
    'Protection group pg1 already includes a2.',
  );
  assert.equal(alreadyAllowedOn('a1:pg1', 'a2').message, 'Protection group a1:pg1 is already allowed on a2.');
});
