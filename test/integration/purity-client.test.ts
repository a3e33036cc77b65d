// The Cinder control plane's Purity REST client against real `tandem array start` processes:
// login and version negotiation, the calls the Cinder Pure driver makes (volumes, snapshots,
// hosts, connections, pods, protection groups with a target on a second array), Purity errors
// returned as data, re-login after a 401, paging, and transport failures that throw without ever
// showing the API token. A tiny HTTPS stub (with the array's own certificate) plays a broken
// server for timeouts, bad JSON and retries.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import {
  chooseVersion,
  encodeQuery,
  errorMessages,
  firstItem,
  hasError,
  PURITY_ERROR_TEXT,
  PurityClient,
  PurityClientError,
  type PurityClientErrorCode,
  type PurityLogger,
  type PurityResponse,
} from '../../src/cinder/purity-client/index.js';
import {
  type ArrayProcess,
  connectArrays,
  freePort,
  makeTempDir,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

let a: ArrayProcess;
let b: ArrayProcess;
let work: { path: string; remove: () => Promise<void> };
let tokenA: string;
let tokenB: string;
let clientA: PurityClient;
let clientB: PurityClient;
const clients: PurityClient[] = [];
const servers: Server[] = [];
/** Every log line of every client, to check that no token is ever logged. */
const logLines: string[] = [];

function captureLogger(into: string[] = logLines): PurityLogger {
  return {
    debug: (fields, message) => into.push(JSON.stringify({ level: 'debug', message, ...fields })),
    warn: (fields, message) => into.push(JSON.stringify({ level: 'warn', message, ...fields })),
  };
}

async function connect(array: ArrayProcess, extra: { logger?: PurityLogger; version?: string } = {}) {
  const client = await PurityClient.connect({
    target: `127.0.0.1:${array.restPort}`,
    apiToken: await array.apiToken(),
    logger: extra.logger ?? captureLogger(),
    ...(extra.version === undefined ? {} : { version: extra.version }),
  });
  clients.push(client);
  return client;
}

before(async () => {
  work = await makeTempDir('tandem-purity-client-');
  a = await startArrayProcess({ name: 'pc-a', dataDir: join(work.path, 'a') });
  b = await startArrayProcess({ name: 'pc-b', dataDir: join(work.path, 'b') });
  tokenA = await a.apiToken();
  tokenB = await b.apiToken();
  clientA = await connect(a);
  clientB = await connect(b);
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await a?.stop();
  await b?.stop();
  await work?.remove();
});

function show(res: PurityResponse<unknown>): string {
  return JSON.stringify(res);
}

/** The response is valid; returns its items. */
function ok<T>(res: PurityResponse<T>): T[] {
  assert.ok(res.ok, `expected success, got ${show(res)}`);
  assert.equal(res.status, 200);
  return res.items;
}

/** The response is a Purity 400 whose message contains `text`. */
function purityError(res: PurityResponse<unknown>, text: string, status = 400): void {
  assert.equal(res.ok, false, `expected an error, got ${show(res)}`);
  assert.equal(res.status, status, show(res));
  assert.ok(hasError(res, text), `no error containing '${text}': ${errorMessages(res).join(' | ')}`);
}

/** Runs `fn`, which must throw a PurityClientError with `code`; returns it. */
async function rejectsWith(
  fn: () => Promise<unknown>,
  code: PurityClientErrorCode,
): Promise<PurityClientError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof PurityClientError, `not a PurityClientError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** Nothing a caller could print or log about `error` holds any of `secrets`. */
function assertNoSecret(error: unknown, secrets: string[]): void {
  const views = [
    String(error),
    (error as Error).stack ?? '',
    JSON.stringify(error),
    inspect(error, { depth: 5 }),
  ];
  for (const secret of secrets)
    for (const view of views) assert.ok(!view.includes(secret), `a token appears in: ${view.slice(0, 300)}`);
}

/** Request paths the client logged (query strings included, as encoded on the wire). */
function loggedPaths(lines: string[]): string[] {
  return lines.map((l) => JSON.parse(l) as { path?: string }).flatMap((l) => (l.path ? [l.path] : []));
}

// ---------------------------------------------------------------------------------------------
// Connecting

test('connect: negotiates the highest common REST version (2.38) and logs in', async () => {
  assert.equal(clientA.apiVersion, '2.38');
  assert.equal(clientA.address, `127.0.0.1:${a.restPort}`);
  const arrays = ok(await clientA.arrays.get());
  assert.equal(arrays.length, 1);
  assert.equal(arrays[0]!.name, 'pc-a');
  assert.match(arrays[0]!.version, /^\d+\.\d+\.\d+$/, 'Cinder parses the version as X.Y.Z');

  const pinned = await connect(a, { version: '2.20' });
  assert.equal(pinned.apiVersion, '2.20');
  assert.equal(ok(await pinned.arrays.get())[0]!.name, 'pc-a');
  await rejectsWith(() => connect(a, { version: '2.99' }), 'PURITY_VERSION_UNSUPPORTED');
});

test('version choice compares numerically and ignores 1.x and versions newer than the client', () => {
  const pick = (offered: string[], pinned?: string) => {
    const chosen = chooseVersion(offered, pinned);
    return chosen.ok ? chosen.version : null;
  };
  assert.equal(pick(['1.19', '2.9', '2.10']), '2.10');
  assert.equal(pick(['2.38', '2.2', '2.56', '1.0']), '2.38');
  assert.equal(pick(['1.0', '1.19']), null);
  assert.equal(pick(['2.39', '2.40']), null);
  assert.equal(pick(['2.2', '2.17'], '2.2'), '2.2');
  assert.equal(pick(['2.2', '2.17'], '2.3'), null);
});

test('query strings are encoded as pypureclient encodes them', () => {
  assert.equal(
    encodeQuery({
      names: ['src:pg', 'pod::vol', 'vg/vol'],
      filter: "name='vol*'",
      destroyed: false,
      limit: 3,
      continuation_token: undefined,
      sort: ['started-'],
    }),
    '?names=src%3Apg,pod%3A%3Avol,vg/vol&filter=name%3D%27vol%2A%27&destroyed=false&limit=3&sort=started-',
  );
  assert.equal(encodeQuery({ filter: 'progress="1.0"' }), '?filter=progress%3D%221.0%22');
  assert.equal(encodeQuery({}), '');
});

// ---------------------------------------------------------------------------------------------
// Volumes and snapshots, as the driver drives them

test('volumes: create, read, grow, QoS, rename, destroy, recover, destroy and eradicate', async () => {
  const [created] = ok(await clientA.volumes.post({ names: ['volume-1-cinder'] }, { provisioned: GiB }));
  assert.equal(created!.name, 'volume-1-cinder');
  assert.equal(created!.provisioned, GiB);
  assert.match(created!.serial, /^[0-9A-F]{24}$/);
  assert.equal(created!.destroyed, false);

  const [read] = ok(await clientA.volumes.get({ names: ['volume-1-cinder'] }));
  assert.equal(read!.id, created!.id);
  assert.equal(read!.connection_count, 0);

  ok(await clientA.volumes.patch({ names: ['volume-1-cinder'] }, { provisioned: 2 * GiB }));
  const qos = { iops_limit: 5000, bandwidth_limit: 100 * MiB };
  const [limited] = ok(await clientA.volumes.patch({ names: ['volume-1-cinder'] }, { qos }));
  assert.deepEqual(limited!.qos, qos);
  assert.equal(limited!.provisioned, 2 * GiB);
  const [renamed] = ok(
    await clientA.volumes.patch({ names: ['volume-1-cinder'] }, { name: 'volume-1-managed' }),
  );
  assert.equal(renamed!.name, 'volume-1-managed');

  ok(await clientA.volumes.patch({ names: ['volume-1-managed'] }, { destroyed: true }));
  const destroyed = ok(await clientA.volumes.get({ names: ['volume-1-managed'], destroyed: true }));
  assert.equal(destroyed[0]!.destroyed, true);
  assert.ok((destroyed[0]!.time_remaining ?? 0) > 0);
  ok(await clientA.volumes.patch({ names: ['volume-1-managed'] }, { destroyed: false }));
  ok(await clientA.volumes.patch({ names: ['volume-1-managed'] }, { destroyed: true }));
  ok(await clientA.volumes.delete({ names: ['volume-1-managed'] }));
  purityError(await clientA.volumes.get({ names: ['volume-1-managed'] }), PURITY_ERROR_TEXT.doesNotExist);
});

test('snapshots: suffix naming, listing by source, a copy and a restore from it, destroy and eradicate', async () => {
  ok(await clientA.volumes.post({ names: ['snap-src'] }, { provisioned: GiB }));
  const [snap] = ok(
    await clientA.volumeSnapshots.post({ source_names: ['snap-src'] }, { suffix: 'snapshot-1' }),
  );
  assert.equal(snap!.name, 'snap-src.snapshot-1');
  assert.equal(snap!.source.name, 'snap-src');
  const [numbered] = ok(await clientA.volumeSnapshots.post({ source_names: ['snap-src'] }));
  assert.match(numbered!.name, /^snap-src\.\d+$/);

  const listed = ok(await clientA.volumeSnapshots.get({ source_names: ['snap-src'] }));
  assert.deepEqual(listed.map((s) => s.name).sort(), [numbered!.name, 'snap-src.snapshot-1'].sort());
  const filtered = ok(await clientA.volumeSnapshots.get({ filter: "name='snap-src.snap*'" }));
  assert.deepEqual(
    filtered.map((s) => s.name),
    ['snap-src.snapshot-1'],
  );

  // create_volume_from_snapshot, then revert_to_snapshot's intended semantics (overwrite).
  const [copy] = ok(
    await clientA.volumes.post({ names: ['snap-copy'] }, { source: { name: 'snap-src.snapshot-1' } }),
  );
  assert.equal(copy!.provisioned, GiB);
  ok(
    await clientA.volumes.post(
      { names: ['snap-src'], overwrite: true },
      { source: { name: 'snap-src.snapshot-1' } },
    ),
  );

  for (const name of ['snap-src.snapshot-1', numbered!.name]) {
    ok(await clientA.volumeSnapshots.patch({ names: [name] }, { destroyed: true }));
    ok(await clientA.volumeSnapshots.delete({ names: [name] }));
  }
  assert.deepEqual(ok(await clientA.volumeSnapshots.get({ source_names: ['snap-src'] })), []);
});

test('Purity errors come back as error responses with the texts the driver matches, never as exceptions', async () => {
  ok(await clientA.volumes.post({ names: ['err-vol'] }, { provisioned: GiB }));
  const duplicate = await clientA.volumes.post({ names: ['err-vol'] }, { provisioned: GiB });
  purityError(duplicate, PURITY_ERROR_TEXT.alreadyExists);
  assert.ok(!duplicate.ok && duplicate.errors[0]!.context === 'err-vol', show(duplicate));
  assert.equal(firstItem(duplicate), undefined);

  purityError(
    await clientA.volumes.patch({ names: ['no-such-vol'] }, { destroyed: true }),
    PURITY_ERROR_TEXT.doesNotExist,
  );
  ok(await clientA.volumes.patch({ names: ['err-vol'] }, { destroyed: true }));
  purityError(
    await clientA.volumes.patch({ names: ['err-vol'] }, { destroyed: true }),
    PURITY_ERROR_TEXT.hasBeenDestroyed,
  );
  purityError(
    await clientA.volumeSnapshots.patch({ names: ['err-vol.nothing'] }, { destroyed: true }),
    PURITY_ERROR_TEXT.noSuchVolumeOrSnapshot,
  );
  purityError(await clientA.volumes.post({ names: ['bad-size'] }, { provisioned: -1 }), 'provisioned');

  // An unknown route is Purity's 404 envelope, also data.
  const unknown = await clientA.request('GET', '/no-such-endpoint');
  assert.equal(unknown.ok, false);
  assert.equal(unknown.status, 404);
  assert.ok(errorMessages(unknown).length > 0);
});

// ---------------------------------------------------------------------------------------------
// Hosts, connections, target discovery

test('hosts and connections: the attach and detach calls of the iSCSI driver', async () => {
  const iqn = 'iqn.2026-11.lab:compute-1';
  const host = 'compute-1-0123456789abcdef0123456789abcdef-cinder';
  ok(await clientA.volumes.post({ names: ['attach-vol'] }, { provisioned: GiB }));
  assert.deepEqual(ok(await clientA.hosts.get({ filter: `iqns='${iqn}' and is_local` })), []);
  ok(await clientA.hosts.post({ names: [host] }, { iqns: [iqn] }));
  purityError(
    await clientA.hosts.post({ names: ['other-host'] }, { iqns: [iqn] }),
    PURITY_ERROR_TEXT.alreadyInUse,
  );
  const found = ok(await clientA.hosts.get({ filter: `iqns='${iqn}' and is_local` }));
  assert.deepEqual(
    found.map((h) => h.name),
    [host],
  );
  assert.deepEqual(ok(await clientA.hosts.get({ filter: `iqns='${iqn}' and not is_local` })), []);
  ok(await clientA.hosts.patch({ names: [host] }, { personality: 'esxi' }));
  const [withChap] = ok(
    await clientA.hosts.patch(
      { names: [host] },
      { chap: { host_user: 'compute-1', host_password: 'secret-123456' } },
    ),
  );
  assert.equal(withChap!.chap.host_user, 'compute-1');
  assert.equal(withChap!.personality, 'esxi');
  purityError(
    await clientA.hosts.patch({ names: ['no-host'] }, { personality: 'esxi' }),
    'Host does not exist',
  );

  const [connection] = ok(
    await clientA.connections.post({ host_names: [host], volume_names: ['attach-vol'] }),
  );
  assert.ok(connection!.lun >= 1, 'the driver needs a truthy LUN');
  purityError(
    await clientA.connections.post({ host_names: [host], volume_names: ['attach-vol'] }),
    PURITY_ERROR_TEXT.alreadyExists,
  );
  const [again] = ok(await clientA.connections.get({ host_names: [host], volume_names: ['attach-vol'] }));
  assert.equal(again!.lun, connection!.lun);
  purityError(
    await clientA.hosts.delete({ names: [host] }),
    PURITY_ERROR_TEXT.cannotDeleteExistingConnections,
  );

  ok(await clientA.connections.delete({ host_names: [host], volume_names: ['attach-vol'] }));
  assert.deepEqual(ok(await clientA.connections.get({ host_names: [host] })), []);
  ok(await clientA.hosts.delete({ names: [host] }));
  purityError(await clientA.hosts.delete({ names: [host] }), PURITY_ERROR_TEXT.doesNotExist);
});

test('system endpoints: controllers, ports and interfaces with the driver filters, space and performance', async () => {
  const controllers = ok(await clientA.controllers.get({ filter: "status='ready'" }));
  assert.deepEqual(
    controllers.map((c) => c.name),
    ['CT0', 'CT1'],
  );
  for (const controller of controllers) {
    for (const port of ok(await clientA.ports.get({ filter: `name='${controller.name}.*'` })))
      assert.ok(port.name.startsWith(`${controller.name}.`), port.name);
  }
  const bonds = ok(
    await clientA.networkInterfaces.get({ filter: "eth.subtype='lacp_bond' or eth.subtype='vif'" }),
  );
  for (const iface of bonds) ok(await clientA.ports.get({ names: [iface.name.toUpperCase()] }));

  const [space] = ok(await clientA.arrays.getSpace());
  assert.ok(space!.capacity > 0);
  assert.equal(typeof space!.space.total_physical, 'number');
  const nowMs = Date.now();
  const perf = await clientA.arrays.getPerformance({
    start_time: nowMs - 3600_000,
    end_time: nowMs,
    resolution: 30_000,
    total_item_count: true,
  });
  assert.ok(perf.ok && (perf.totalItemCount ?? 0) >= 1, show(perf));
  assert.equal(typeof perf.items[0]!.writes_per_sec, 'number');
});

// ---------------------------------------------------------------------------------------------
// Paging

test('paging: limit + continuation token by hand, and listAll across pages', async () => {
  const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);
  ok(await clientA.volumes.post({ names }, { provisioned: MiB }));
  const query = { filter: "name='page-*'", sort: ['name'], total_item_count: true } as const;

  const first = await clientA.volumes.get({ ...query, limit: 3 });
  assert.ok(first.ok, show(first));
  assert.deepEqual(
    first.items.map((v) => v.name),
    names.slice(0, 3),
  );
  assert.equal(first.totalItemCount, 7);
  assert.equal(first.moreItemsRemaining, true);
  assert.ok(first.continuationToken);
  const second = await clientA.volumes.get({
    ...query,
    limit: 3,
    continuation_token: first.continuationToken,
  });
  assert.ok(second.ok, show(second));
  assert.deepEqual(
    second.items.map((v) => v.name),
    names.slice(3, 6),
  );

  const lines: string[] = [];
  const counting = await connect(a, { logger: captureLogger(lines) });
  const all = await counting.listAll((page) => counting.volumes.get({ ...query, ...page }), { pageSize: 2 });
  assert.ok(all.ok, show(all));
  assert.deepEqual(
    all.items.map((v) => v.name),
    names,
  );
  assert.equal(all.totalItemCount, 7);
  const pages = loggedPaths(lines).filter((p) => p.includes('/volumes?'));
  assert.equal(pages.length, 4, 'four pages of at most two');
  assert.ok(pages.slice(1).every((p) => p.includes('continuation_token=')));

  const failed = await counting.listAll((page) =>
    counting.volumes.get({ names: ['page-0', 'missing'], ...page }),
  );
  purityError(failed, PURITY_ERROR_TEXT.doesNotExist);
});

// ---------------------------------------------------------------------------------------------
// Sessions, tokens, transport failures

test('a session that ends underneath is re-established once and every call still succeeds', async () => {
  const lines: string[] = [];
  const client = await connect(a, { logger: captureLogger(lines) });
  ok(await client.arrays.get());
  // Log the session out behind the client's back: the next call meets a 401.
  ok(await client.request('POST', '/logout'));
  assert.equal(ok(await client.arrays.get())[0]!.name, 'pc-a');
  assert.equal(lines.filter((l) => l.includes('logging in again')).length, 1);

  // Several calls meeting the same dead session share one login.
  ok(await client.request('POST', '/logout'));
  const results = await Promise.all(Array.from({ length: 5 }, () => client.volumes.get({ limit: 1 })));
  for (const res of results) ok(res);
  const logins = loggedPaths(lines).filter((p) => p.endsWith('/login'));
  assert.equal(logins.length, 3, 'the first login plus one per dead session');
});

test('a wrong API token fails the login with a typed error that shows neither token', async () => {
  const wrong = 'f00dfeed-dead-beef-0bad-123456789abc';
  const error = await rejectsWith(
    () => PurityClient.connect({ target: `127.0.0.1:${a.restPort}`, apiToken: wrong }),
    'PURITY_AUTHENTICATION_FAILED',
  );
  assert.equal(error.status, 401);
  assert.ok(error.message.includes(`127.0.0.1:${a.restPort}`), error.message);
  assertNoSecret(error, [wrong, tokenA, tokenB]);
});

test('connection refused is a typed error with the address and without the token', async () => {
  const port = await freePort();
  const error = await rejectsWith(
    () => PurityClient.connect({ target: `127.0.0.1:${port}`, apiToken: tokenA }),
    'PURITY_CONNECTION_FAILED',
  );
  assert.equal(error.causeCode, 'ECONNREFUSED');
  assert.equal(error.address, `127.0.0.1:${port}`);
  assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
  assertNoSecret(error, [tokenA]);
  await rejectsWith(
    () => PurityClient.connect({ target: 'https://127.0.0.1', apiToken: tokenA }),
    'PURITY_INVALID_ARGUMENT',
  );
});

test('no token in the client object or in any log line', () => {
  const shown = `${inspect(clientA, { depth: 6, showHidden: true })}${JSON.stringify(clientA)}`;
  assert.ok(!shown.includes(tokenA), 'the client object shows its API token');
  assert.ok(logLines.length > 10, 'clients logged their requests');
  for (const line of logLines) {
    assert.ok(!line.includes(tokenA) && !line.includes(tokenB), `a token was logged: ${line}`);
  }
});

test('TLS: with verifyTls the self-signed certificate is refused unless its CA is given', async () => {
  const target = `127.0.0.1:${a.restPort}`;
  const error = await rejectsWith(
    () => PurityClient.connect({ target, apiToken: tokenA, verifyTls: true }),
    'PURITY_TLS_FAILED',
  );
  assertNoSecret(error, [tokenA]);
  const verified = await PurityClient.connect({
    target,
    apiToken: tokenA,
    verifyTls: true,
    caPath: join(a.dataDir, 'tls', 'cert.pem'),
  });
  clients.push(verified);
  assert.equal(ok(await verified.arrays.get())[0]!.name, 'pc-a');
});

/** An HTTPS server with the array's certificate that answers as `handler` decides. */
type StubAnswer = { status: number; body: string; headers?: Record<string, string> } | 'hang' | 'reset';

/** An HTTPS server with the array's certificate that answers as `handler` decides. */
async function startStub(
  handler: (method: string, url: string, nthOnSocket: number) => StubAnswer,
): Promise<string> {
  const tls = join(a.dataDir, 'tls');
  const requestsOnSocket = new WeakMap<object, number>();
  const server = createServer(
    { cert: await readFile(join(tls, 'cert.pem')), key: await readFile(join(tls, 'key.pem')) },
    (req, res) => {
      const nth = (requestsOnSocket.get(req.socket) ?? 0) + 1;
      requestsOnSocket.set(req.socket, nth);
      const answer = handler(req.method ?? '', req.url ?? '', nth);
      if (answer === 'hang') return; // the client must time out
      if (answer === 'reset') {
        req.socket.destroy(); // as a server closing an idle keep-alive socket just as a request arrives
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** What a logged-in stub session needs: versions and a login that hands out a session token. */
function stubSession(url: string): StubAnswer | null {
  if (url === '/api/api_version') return { status: 200, body: '{"version":["1.19","2.0","2.38"]}' };
  if (url.endsWith('/login'))
    return { status: 200, body: '{"items":[]}', headers: { 'x-auth-token': 'stub-session-0123456789' } };
  if (url.endsWith('/logout')) return { status: 200, body: '{}' };
  return null;
}

test('a keep-alive socket the server closes under a request is replaced and the request sent again', async () => {
  let resets = 0;
  const target = await startStub((_method, url, nth) => {
    const session = stubSession(url);
    if (session) return session;
    // Every reused socket is closed on its next request; only a fresh socket gets an answer.
    if (nth > 1) {
      resets++;
      return 'reset';
    }
    return { status: 200, body: '{"items":[{"name":"v"}]}' };
  });
  const client = await PurityClient.connect({ target, apiToken: tokenA });
  clients.push(client);
  assert.deepEqual(ok(await client.volumes.get()), [{ name: 'v' }]);
  assert.ok(resets >= 1, 'the stale socket was used first');
});

test('a server that never answers, or answers with something that is not Purity, throws typed errors', async () => {
  const hang = await startStub(() => 'hang');
  const timedOut = await rejectsWith(
    () => PurityClient.connect({ target: hang, apiToken: tokenA, timeoutMs: 300 }),
    'PURITY_TIMEOUT',
  );
  assert.ok(timedOut.message.includes(hang));

  const garbage = await startStub(() => ({ status: 200, body: '<html>not json</html>' }));
  await rejectsWith(
    () => PurityClient.connect({ target: garbage, apiToken: tokenA }),
    'PURITY_INVALID_RESPONSE',
  );

  // A gateway that is busy twice, then answers; and a status Purity never uses.
  let volumeCalls = 0;
  const flaky = await startStub((method, url) => {
    const session = stubSession(url);
    if (session) return session;
    if (url.startsWith('/api/2.38/volumes')) {
      volumeCalls++;
      return volumeCalls <= 2
        ? { status: 503, body: '{}' }
        : { status: 200, body: '{"items":[{"name":"v"}]}' };
    }
    if (url.startsWith('/api/2.38/hosts')) return { status: 409, body: `{"echo":"${method} ${url}"}` };
    if (url.startsWith('/api/2.38/pods')) return { status: 200, body: '{"items":{}}' };
    return { status: 200, body: '{}' };
  });
  const stubLines: string[] = [];
  const stubClient = await PurityClient.connect({
    target: flaky,
    apiToken: tokenA,
    logger: captureLogger(stubLines),
  });
  clients.push(stubClient);
  assert.deepEqual(ok(await stubClient.volumes.get()), [{ name: 'v' }]);
  assert.equal(volumeCalls, 3, 'two retries after 503');
  const unexpected = await rejectsWith(() => stubClient.hosts.get(), 'PURITY_UNEXPECTED_STATUS');
  assert.equal(unexpected.status, 409);
  await rejectsWith(() => stubClient.pods.get(), 'PURITY_INVALID_RESPONSE');
  assertNoSecret(unexpected, [tokenA, 'stub-session-0123456789']);
  assert.ok(stubLines.some((l) => l.includes('retrying')));
  for (const line of stubLines)
    assert.ok(!line.includes('stub-session-0123456789'), `session token logged: ${line}`);
});

// ---------------------------------------------------------------------------------------------
// Replication: protection groups with a target, pods

test('async replication: a protection group targets the connected array, which allows SOURCE:PG and receives a snapshot', async () => {
  await connectArrays(a, b, 'sync-replication');
  await waitFor(
    async () => firstItem(await clientA.arrayConnections.get())?.status === 'connected',
    15_000,
    () => 'the arrays never connected',
  );
  const [connection] = ok(await clientA.arrayConnections.get({ names: ['pc-b'] }));
  assert.equal(connection!.type, 'sync-replication');

  ok(await clientA.volumes.post({ names: ['repl-vol'] }, { provisioned: 4 * MiB }));
  ok(await clientA.protectionGroups.post({ names: ['cinder-group'] }));
  purityError(
    await clientA.protectionGroups.post({ names: ['cinder-group'] }),
    PURITY_ERROR_TEXT.alreadyExists,
  );
  ok(
    await clientA.protectionGroups.patch(
      { names: ['cinder-group'] },
      { target_retention: { all_for_sec: 14400, per_day: 3, days: 7 } },
    ),
  );
  ok(
    await clientA.protectionGroups.patch(
      { names: ['cinder-group'] },
      { replication_schedule: { frequency: 3600000 } },
    ),
  );
  ok(
    await clientA.protectionGroupsVolumes.post({ group_names: ['cinder-group'], member_names: ['repl-vol'] }),
  );
  const members = ok(await clientA.protectionGroupsVolumes.get({ member_names: ['repl-vol'] }));
  assert.deepEqual(
    members.map((m) => m.group.name),
    ['cinder-group'],
  );
  ok(await clientA.protectionGroupsTargets.post({ group_names: ['cinder-group'], member_names: ['pc-b'] }));
  purityError(
    await clientA.protectionGroupsTargets.post({ group_names: ['cinder-group'], member_names: ['pc-b'] }),
    PURITY_ERROR_TEXT.alreadyIncludes,
  );

  // On the target: the replica group `pc-a:cinder-group`, sent as `pc-a%3Acinder-group`.
  const lines: string[] = [];
  const onB = await connect(b, { logger: captureLogger(lines) });
  await waitFor(
    async () => (await onB.protectionGroups.get({ names: ['pc-a:cinder-group'] })).ok,
    15_000,
    () => 'the replica group never appeared on the target',
  );
  assert.ok(
    loggedPaths(lines).some((p) => p.includes('names=pc-a%3Acinder-group')),
    loggedPaths(lines).join('\n'),
  );
  ok(await onB.protectionGroupsTargets.patch({ group_names: ['pc-a:cinder-group'] }, { allowed: true }));
  purityError(
    await onB.protectionGroupsTargets.patch({ group_names: ['pc-a:cinder-group'] }, { allowed: true }),
    PURITY_ERROR_TEXT.alreadyAllowedOn,
  );
  await waitFor(
    async () =>
      firstItem(await clientA.protectionGroupsTargets.get({ group_names: ['cinder-group'] }))?.allowed ===
      true,
    15_000,
    () => 'the source never saw the target allowed',
  );
  ok(
    await clientA.protectionGroups.patch(
      { names: ['cinder-group'] },
      { replication_schedule: { enabled: true } },
    ),
  );

  const [pgsnap] = ok(
    await clientA.protectionGroupSnapshots.post(
      { source_names: ['cinder-group'], replicate_now: true },
      { suffix: 'dr-1' },
    ),
  );
  assert.equal(pgsnap!.name, 'cinder-group.dr-1');
  ok(await clientA.volumeSnapshots.get({ names: ['cinder-group.dr-1.repl-vol'] }));

  // Cinder's failover on the target (driver spec §12.2).
  let latest: string | undefined;
  await waitFor(
    async () => {
      const transfer = await onB.protectionGroupSnapshots.getTransfer({
        names: ['pc-a:cinder-group'],
        destroyed: false,
        filter: 'progress="1.0"',
        sort: ['started-'],
      });
      latest = firstItem(transfer)?.name;
      return latest !== undefined;
    },
    30_000,
    () => 'the snapshot never completed its transfer',
  );
  assert.equal(latest, 'pc-a:cinder-group.dr-1');
  const volumeSnaps = ok(await onB.volumeSnapshots.get({ filter: `name='${latest}.*'` }));
  assert.deepEqual(
    volumeSnaps.map((s) => s.name),
    ['pc-a:cinder-group.dr-1.repl-vol'],
  );
  const [failedOver] = ok(
    await onB.volumes.post(
      { names: ['repl-vol'], overwrite: true },
      { source: { name: volumeSnaps[0]!.name } },
    ),
  );
  assert.equal(failedOver!.provisioned, 4 * MiB);

  ok(await clientA.protectionGroupSnapshots.patch({ names: ['cinder-group.dr-1'] }, { destroyed: true }));
  ok(await clientA.protectionGroupSnapshots.delete({ names: ['cinder-group.dr-1'] }));
  ok(
    await clientA.protectionGroupsVolumes.delete({
      group_names: ['cinder-group'],
      member_names: ['repl-vol'],
    }),
  );
  const again = await clientA.protectionGroupsVolumes.delete({
    group_names: ['cinder-group'],
    member_names: ['repl-vol'],
  });
  assert.equal(again.status, 400, show(again));
});

test('pods: POD::VOL names, a stretch to the connected array and back, then cleanup', async () => {
  const lines: string[] = [];
  const client = await connect(a, { logger: captureLogger(lines) });
  ok(await client.pods.post({ names: ['cinder-pod'] }));
  purityError(await client.pods.post({ names: ['cinder-pod'] }), PURITY_ERROR_TEXT.alreadyExists);
  const [podVol] = ok(
    await client.volumes.post({ names: ['cinder-pod::volume-2-cinder'] }, { provisioned: 4 * MiB }),
  );
  assert.equal(podVol!.name, 'cinder-pod::volume-2-cinder');
  assert.ok(loggedPaths(lines).some((p) => p.includes('names=cinder-pod%3A%3Avolume-2-cinder')));
  ok(await client.volumes.get({ names: ['cinder-pod::volume-2-cinder'] }));
  const inPod = ok(await client.volumes.get({ filter: "name='cinder-pod::*'" }));
  assert.deepEqual(
    inPod.map((v) => v.name),
    ['cinder-pod::volume-2-cinder'],
  );

  // The arrays were connected (sync-replication) by the protection group scenario.
  ok(await client.podsArrays.post({ group_names: ['cinder-pod'], member_names: ['pc-b'] }));
  purityError(
    await client.podsArrays.post({ group_names: ['cinder-pod'], member_names: ['pc-b'] }),
    PURITY_ERROR_TEXT.alreadyExists,
  );
  await waitFor(
    async () => {
      const pod = firstItem(await client.pods.get({ names: ['cinder-pod'] }));
      return pod?.array_count === 2 && pod.arrays.every((m) => m.status === 'online');
    },
    30_000,
    () => `the pod never came online on both arrays: ${b.output().slice(-1000)}`,
  );
  const [onB] = ok(await clientB.volumes.get({ names: ['cinder-pod::volume-2-cinder'] }));
  assert.equal(onB!.serial, podVol!.serial, 'the same volume on both arrays');
  assert.deepEqual(
    ok(await client.podsArrays.get({ group_names: ['cinder-pod'] }))
      .map((m) => m.member.name)
      .sort(),
    ['pc-a', 'pc-b'],
  );

  ok(await client.podsArrays.delete({ group_names: ['cinder-pod'], member_names: ['pc-b'] }));
  purityError(
    await clientB.volumes.get({ names: ['cinder-pod::volume-2-cinder'] }),
    PURITY_ERROR_TEXT.doesNotExist,
  );
  ok(await client.volumes.patch({ names: ['cinder-pod::volume-2-cinder'] }, { destroyed: true }));
  ok(await client.volumes.delete({ names: ['cinder-pod::volume-2-cinder'] }));
  ok(await client.pods.patch({ names: ['cinder-pod'] }, { destroyed: true }));
  ok(await client.pods.delete({ names: ['cinder-pod'] }));
  purityError(await client.pods.get({ names: ['cinder-pod'] }), PURITY_ERROR_TEXT.doesNotExist);
});

// ---------------------------------------------------------------------------------------------
// Gaps of the array's API this client found (fixed in the array since)

test('removing a volume that is not a member of a protection group says "could not be found"', async () => {
  purityError(
    await clientA.protectionGroupsVolumes.delete({
      group_names: ['cinder-group'],
      member_names: ['repl-vol'],
    }),
    PURITY_ERROR_TEXT.couldNotBeFound,
  );
});

test("pod volumes name their pod, so the driver's sync failover filter pod.name='POD' finds them", async () => {
  ok(await clientA.pods.post({ names: ['filter-pod'] }));
  ok(await clientA.volumes.post({ names: ['filter-pod::vol'] }, { provisioned: MiB }));
  const [volume] = ok(await clientA.volumes.get({ names: ['filter-pod::vol'] }));
  try {
    assert.equal(volume!.pod.name, 'filter-pod');
    const found = ok(await clientA.volumes.get({ filter: "pod.name='filter-pod'" }));
    assert.deepEqual(
      found.map((v) => v.name),
      ['filter-pod::vol'],
    );
  } finally {
    ok(await clientA.volumes.patch({ names: ['filter-pod::vol'] }, { destroyed: true }));
    ok(await clientA.volumes.delete({ names: ['filter-pod::vol'] }));
    ok(await clientA.pods.patch({ names: ['filter-pod'] }, { destroyed: true }));
    ok(await clientA.pods.delete({ names: ['filter-pod'] }));
  }
});

// ---------------------------------------------------------------------------------------------
// Lifetime

test('the client outlives an array restart: stale sockets and the lost session are recovered', async () => {
  const lines: string[] = [];
  const client = await connect(a, { logger: captureLogger(lines) });
  ok(await client.arrays.get());
  await a.stop();
  a = await a.restart();
  assert.equal(ok(await client.arrays.get())[0]!.name, 'pc-a');
  assert.equal(
    lines.filter((l) => l.includes('logging in again')).length,
    1,
    'sessions do not survive a restart',
  );
});

test('close logs out; later calls throw PURITY_CLIENT_CLOSED', async () => {
  const lines: string[] = [];
  const client = await connect(a, { logger: captureLogger(lines) });
  await client.close();
  assert.ok(loggedPaths(lines).some((p) => p.endsWith('/logout')));
  await rejectsWith(() => client.volumes.get(), 'PURITY_CLIENT_CLOSED');
  await client.close();
});
