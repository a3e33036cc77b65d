// The emulated Keystone's pieces without HTTP: the identity file's checks, stable ids, password
// logins in every body form, and token expiry on a fake clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthRequest } from '../../src/cinder/identity/auth-request.js';
import { IdentityFileError, parseIdentityFile } from '../../src/cinder/identity/identity-file.js';
import { IdentityService, stableId } from '../../src/cinder/identity/identity-service.js';
import { TokenStore } from '../../src/cinder/identity/token-store.js';

const FILE = {
  projects: [{ name: 'admin' }, { name: 'demo' }],
  users: [
    { name: 'admin', password: 'pw-admin', project: 'admin', roles: ['admin', 'member', 'reader'] },
    { name: 'demo', password: 'pw-demo', project: 'demo', roles: ['member', 'reader'] },
  ],
};

function login(user: object, scope?: object) {
  const body = {
    auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) },
  };
  const parsed = parseAuthRequest(body);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

test('identity file: each mistake is refused naming its field, never quoting a password', () => {
  const cases: Array<[unknown, string]> = [
    [{ ...FILE, projects: 'x' }, 'projects'],
    [{ ...FILE, projects: [] }, 'projects'],
    [{ ...FILE, users: [{ ...FILE.users[0], project: 'nope' }] }, 'users[0].project'],
    [{ ...FILE, users: [FILE.users[0], { ...FILE.users[1], roles: ['owner'] }] }, 'users[1].roles[0]'],
    [{ ...FILE, users: [{ ...FILE.users[0], password: '' }] }, 'users[0].password'],
    [{ ...FILE, users: [FILE.users[0], FILE.users[0]] }, 'users[1].name'],
    [{ ...FILE, projects: [{ name: '  ' }] }, 'projects[0].name'],
  ];
  for (const [json, field] of cases) {
    assert.throws(
      () => parseIdentityFile(json, 'identity.json'),
      (error: unknown) =>
        error instanceof IdentityFileError &&
        error.field === field &&
        error.message.startsWith(`identity.json: ${field} `) &&
        !error.message.includes('pw-admin'),
      field,
    );
  }
  assert.deepEqual(parseIdentityFile(FILE).users[1]?.roles, ['member', 'reader']);
});

test('identity: ids are derived from names, so every start hands out the same ones', () => {
  const first = new IdentityService(parseIdentityFile(FILE));
  const second = new IdentityService(parseIdentityFile(FILE));
  assert.deepEqual(
    first.projects().map((p) => p.id),
    second.projects().map((p) => p.id),
  );
  assert.match(stableId('project', 'admin'), /^[0-9a-f]{32}$/);
  assert.notEqual(stableId('project', 'admin'), stableId('user', 'admin'));
});

test('identity: password logins by name and domain name or id, or by user id; wrong answers all look alike', () => {
  const identity = new IdentityService(parseIdentityFile(FILE));
  const demoProject = { name: 'demo', domain: { name: 'Default' } };
  assert.ok(
    identity.authenticate(
      login({ name: 'demo', password: 'pw-demo', domain: { name: 'Default' } }, { project: demoProject }),
    ),
  );
  assert.ok(
    identity.authenticate(
      login(
        { name: 'demo', password: 'pw-demo', domain: { id: 'default' } },
        { project: { id: stableId('project', 'demo') } },
      ),
    ),
  );
  assert.ok(identity.authenticate(login({ id: stableId('user', 'demo'), password: 'pw-demo' })));
  const refused = [
    login({ name: 'demo', password: 'pw-admin', domain: { name: 'Default' } }),
    login({ name: 'ghost', password: 'pw-demo', domain: { name: 'Default' } }),
    login({ name: 'demo', password: 'pw-demo', domain: { name: 'Other' } }),
    login(
      { name: 'demo', password: 'pw-demo', domain: { name: 'Default' } },
      { project: { name: 'admin', domain: { name: 'Default' } } },
    ),
  ];
  for (const request of refused) assert.equal(identity.authenticate(request), null);
  const noMethod = parseAuthRequest({ auth: { identity: { methods: ['token'], token: { id: 'x' } } } });
  assert.equal(noMethod.ok, false);
});

test('identity: tokens expire after their lifetime and are then unknown', () => {
  let nowMs = 1_000_000;
  const identity = new IdentityService(parseIdentityFile(FILE), {
    nowMs: () => nowMs,
    tokenLifetimeMs: 60_000,
  });
  const issued = identity.authenticate(
    login({ name: 'admin', password: 'pw-admin', domain: { name: 'Default' } }),
  );
  assert.ok(issued);
  assert.equal(identity.validateToken(issued.token)?.user.name, 'admin');
  assert.equal(issued.info.grant.expiresAtMs, 1_060_000);
  nowMs += 60_000;
  assert.equal(identity.validateToken(issued.token), null);
  assert.equal(identity.validateToken(undefined), null);
});

test('token store: holds at most its bound, dropping the oldest first', () => {
  const store = new TokenStore(() => 0, 60_000, 2);
  const first = store.issue('u', 'p', ['password']).token;
  const second = store.issue('u', 'p', ['password']).token;
  const third = store.issue('u', 'p', ['password']).token;
  assert.equal(store.size, 2);
  assert.equal(store.validate(first), null);
  assert.ok(store.validate(second) && store.validate(third));
});
