// The control plane's HTTP API against Debian's real CLIs (`openstack` 6.0, `cinder` 9.1) and
// direct HTTP (openstack-api.md). Each test starts its own in-process server (fake volume service,
// memory store) on 127.0.0.1 and closes it; independent CLI runs go concurrently to keep the file fast.

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { stableId } from '../../src/cinder/identity/identity-service.js';
import {
  ADMIN_PROJECT_ID,
  DEMO_PROJECT_ID,
  type Harness,
  type HarnessOptions,
  passwordAuth,
  startHarness,
  USERS,
} from '../helpers/cinder-api-harness.js';
import { type CliResult, parsePropertyTable, parseTable, parseTables } from '../helpers/openstack-cli.js';

const VOLUME_HOST = 'tandem@pure';
const SERVER_UUID = '3f2a5a8e-7a49-4c5e-9b4c-0d1f2e3a4b5c';

async function harness(t: TestContext, options?: HarnessOptions): Promise<Harness> {
  const h = await startHarness(options);
  t.after(() => h.close());
  return h;
}

function ok(result: CliResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

// biome-ignore lint/suspicious/noExplicitAny: CLI JSON output, checked field by field
function json(result: CliResult, what: string): any {
  return JSON.parse(ok(result, what));
}

function refused(result: CliResult, what: string, text: string): void {
  assert.notEqual(result.code, 0, `${what} should have failed:\n${result.stdout}`);
  assert.match(result.stderr, new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), what);
}

/** A volume made over HTTP, for tests whose CLI runs are about something else. */
async function createVolume(h: Harness, token: string, name: string, extra: object = {}): Promise<string> {
  const res = await h.http('POST', `/v3/${ADMIN_PROJECT_ID}/volumes`, {
    token,
    body: { volume: { size: 1, name, ...extra } },
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.volume.id;
}

test('keystone: openstack token issue is scoped to the project; a wrong password is (HTTP 401) and never logged', async (t) => {
  const h = await harness(t);
  const wrong = { ...USERS.admin, password: 'not-the-Adm1n-password' };
  const [issued, denied] = await Promise.all([
    h.cli('openstack', ['token', 'issue', '-f', 'json']),
    h.cli('cinder', ['list'], wrong),
  ]);
  const token = json(issued, 'openstack token issue');
  assert.equal(token.project_id, ADMIN_PROJECT_ID);
  assert.equal(token.user_id, stableId('user', 'admin'));
  assert.ok(Date.parse(token.expires) > Date.now() + 50 * 60_000, `expires ${token.expires}`);
  refused(
    denied,
    'cinder list with a wrong password',
    'The request you have made requires authentication. (HTTP 401)',
  );
  const log = h.logLines.join('');
  assert.match(log, /authentication failed/);
  for (const secret of [wrong.password, USERS.admin.password, token.id])
    assert.ok(!log.includes(secret), 'a password or token reached the log');
});

test('keystone: version documents, every auth body variant, project and user lookups, token validation', async (t) => {
  const h = await harness(t);
  const root = await h.http('GET', '/identity');
  assert.equal(root.status, 300);
  assert.equal(root.body.versions.values[0].links[0].href, `${h.api.authUrl}/`);
  const v3 = await h.http('GET', '/identity/v3');
  assert.deepEqual([v3.status, v3.body.version.id, v3.body.version.status], [200, 'v3.14', 'stable']);

  const byIds = {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { id: stableId('user', 'demo'), password: USERS.demo.password } },
      },
      scope: { project: { id: DEMO_PROJECT_ID } },
    },
  };
  const byDomainId = {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'demo', domain: { id: 'default' }, password: USERS.demo.password } },
      },
      scope: { project: { name: 'demo', domain: { id: 'default' } } },
    },
  };
  for (const body of [byIds, byDomainId, passwordAuth(USERS.demo)]) {
    const res = await h.http('POST', '/identity/v3/auth/tokens', { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.headers.get('x-subject-token') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(res.body.token.project.id, DEMO_PROJECT_ID);
    assert.deepEqual(
      res.body.token.roles.map((r: { name: string }) => r.name),
      ['member', 'reader'],
    );
    const services = Object.fromEntries(
      res.body.token.catalog.map((s: { type: string; endpoints: Array<{ url: string }> }) => [
        s.type,
        s.endpoints[0]!.url,
      ]),
    );
    assert.deepEqual(services, {
      identity: h.api.authUrl,
      volumev3: `${h.api.url}/v3/${DEMO_PROJECT_ID}`,
      'block-storage': `${h.api.url}/v3/${DEMO_PROJECT_ID}`,
      image: `${h.api.url}/image`,
    });
  }
  const otherProject = await h.http('POST', '/identity/v3/auth/tokens', {
    body: { ...byIds, auth: { ...byIds.auth, scope: { project: { id: ADMIN_PROJECT_ID } } } },
  });
  assert.deepEqual([otherProject.status, otherProject.body.error.title], [401, 'Unauthorized']);
  assert.ok(otherProject.headers.get('x-openstack-request-id')?.startsWith('req-'));
  const malformed = await h.http('POST', '/identity/v3/auth/tokens', { body: { auth: {} } });
  assert.deepEqual([malformed.status, malformed.body.error.code], [400, 400]);

  const admin = await h.token();
  const member = await h.token(USERS.demo);
  const named = await h.http('GET', '/identity/v3/projects?name=demo', { token: admin });
  assert.deepEqual(
    named.body.projects.map((p: { id: string }) => p.id),
    [DEMO_PROJECT_ID],
  );
  const hidden = await h.http('GET', `/identity/v3/projects/${ADMIN_PROJECT_ID}`, { token: member });
  assert.equal(hidden.status, 404);
  const user = await h.http('GET', `/identity/v3/users/${stableId('user', 'demo')}`, { token: member });
  assert.deepEqual(
    [user.status, user.body.user.name, user.body.user.default_project_id],
    [200, 'demo', DEMO_PROJECT_ID],
  );
  const validated = await h.http('GET', '/identity/v3/auth/tokens', { token: admin, ...subject(member) });
  assert.equal(validated.body.token.user.name, 'demo');
  const revoked = await h.http('DELETE', '/identity/v3/auth/tokens', { token: admin, ...subject(member) });
  assert.equal(revoked.status, 204);
  const afterRevoke = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/volumes`, { token: member });
  assert.deepEqual(Object.keys(afterRevoke.body), ['unauthorized']);
});

function subject(token: string): { headers: Record<string, string> } {
  return { headers: { 'x-subject-token': token } };
}

test('types: openstack and cinder create, set, show, list, unset and delete a replicated type', async (t) => {
  const h = await harness(t);
  const created = json(
    await h.cli('openstack', ['volume', 'type', 'create', 'T', '--description', 'gold', '-f', 'json']),
    'type create',
  );
  assert.deepEqual([created.name, created.description, created.is_public], ['T', 'gold', true]);
  ok(
    await h.cli('openstack', ['volume', 'type', 'set', '--property', 'replication_enabled=<is> True', 'T']),
    'type set',
  );
  ok(await h.cli('cinder', ['type-key', 'T', 'set', 'replication_type=<in> sync', 'k=v']), 'type-key set');
  const [shown, typeList, specsList] = await Promise.all([
    h.cli('openstack', ['volume', 'type', 'show', 'T', '-f', 'json']),
    h.cli('cinder', ['type-list']),
    h.cli('cinder', ['extra-specs-list']),
  ]);
  assert.deepEqual(json(shown, 'type show').properties, {
    replication_enabled: '<is> True',
    replication_type: '<in> sync',
    k: 'v',
  });
  // cinder sorts its tables by the first column (random ids), so compare as sets.
  const rows = parseTable(ok(typeList, 'type-list'));
  assert.deepEqual(rows.map((r) => r.Name).sort(), ['T', '__DEFAULT__']);
  assert.equal(rows.find((r) => r.Name === 'T')?.Description, 'gold');
  const specsRow = parseTable(ok(specsList, 'extra-specs-list')).find((r) => r.Name === 'T');
  assert.match(specsRow?.extra_specs ?? '', /'replication_enabled': '<is> True'/);

  ok(await h.cli('openstack', ['volume', 'type', 'unset', '--property', 'k', 'T']), 'type unset');
  assert.deepEqual(Object.keys(h.catalog.types.findByName('T')!.extraSpecs), [
    'replication_enabled',
    'replication_type',
  ]);
  ok(await h.cli('openstack', ['volume', 'type', 'delete', 'T']), 'type delete');
  const listed = json(await h.cli('openstack', ['volume', 'type', 'list', '-f', 'json']), 'type list');
  assert.deepEqual(
    listed.map((r: { Name: string }) => r.Name),
    ['__DEFAULT__'],
  );
});

test('qos: openstack creates, sets, associates, shows and force-deletes QoS specs', async (t) => {
  const h = await harness(t);
  const type = await h.catalog.types.create({ name: 'gold', description: null, isPublic: true });
  const created = json(
    await h.cli('openstack', [
      'volume',
      'qos',
      'create',
      '--consumer',
      'back-end',
      '--property',
      'maxIOPS=1000',
      'q1',
      '-f',
      'json',
    ]),
    'qos create',
  );
  assert.deepEqual(
    [created.name, created.consumer, created.properties],
    ['q1', 'back-end', { maxIOPS: '1000' }],
  );
  ok(await h.cli('openstack', ['volume', 'qos', 'set', '--property', 'maxBWS=100', 'q1']), 'qos set');
  ok(await h.cli('openstack', ['volume', 'qos', 'associate', 'q1', 'gold']), 'qos associate');
  const shown = json(await h.cli('openstack', ['volume', 'qos', 'show', 'q1', '-f', 'json']), 'qos show');
  assert.deepEqual(shown.associations, ['gold']);
  assert.deepEqual(shown.properties, { maxIOPS: '1000', maxBWS: '100' });
  assert.deepEqual(h.catalog.qosFor(h.catalog.getType(type.id))?.specs, { maxIOPS: '1000', maxBWS: '100' });
  ok(await h.cli('openstack', ['volume', 'qos', 'delete', '--force', 'q1']), 'qos delete --force');
  assert.equal(h.catalog.getType(type.id).qosSpecsId, null);
  assert.deepEqual(h.catalog.qos.list(), []);
});

test('volumes: both CLIs create, list, show and delete volumes; the image stub satisfies openstack volume create', async (t) => {
  const h = await harness(t);
  await h.catalog.types.create({
    name: 'T',
    description: null,
    isPublic: true,
    extraSpecs: { replication_enabled: '<is> True' },
  });
  const v1 = json(
    await h.cli('openstack', ['volume', 'create', '--size', '1', '--type', 'T', 'v1', '-f', 'json']),
    'volume create',
  );
  assert.deepEqual(
    [v1.name, v1.size, v1.type, v1.status, v1.replication_status],
    ['v1', 1, 'T', 'creating', 'enabled'],
  );
  const v2 = parsePropertyTable(
    parseTable(ok(await h.cli('cinder', ['create', '--name', 'v2', '1']), 'cinder create')),
  );
  assert.deepEqual(
    [v2.name, v2.volume_type, v2.status, v2.bootable],
    ['v2', '__DEFAULT__', 'available', 'false'],
  );

  const [osList, osShow, cinderList, cinderShow] = await Promise.all([
    h.cli('openstack', ['volume', 'list', '-f', 'json']),
    h.cli('openstack', ['volume', 'show', 'v1', '-f', 'json']),
    h.cli('cinder', ['list']),
    h.cli('cinder', ['show', 'v1']),
  ]);
  assert.deepEqual(
    json(osList, 'volume list')
      .map((v: { Name: string }) => v.Name)
      .sort(),
    ['v1', 'v2'],
  );
  const shown = json(osShow, 'volume show');
  assert.deepEqual(
    [shown.id, shown.status, shown['os-vol-host-attr:host']],
    [v1.id, 'available', `${VOLUME_HOST}#pure`],
  );
  const rows = parseTable(ok(cinderList, 'cinder list'));
  assert.deepEqual(rows.map((r) => [r.Name, r.Status, r['Volume Type'], r.Size]).sort(), [
    ['v1', 'available', 'T', '1'],
    ['v2', 'available', '__DEFAULT__', '1'],
  ]);
  const detail = parsePropertyTable(parseTable(ok(cinderShow, 'cinder show')));
  assert.deepEqual([detail.id, detail.attachment_ids, detail.replication_status], [v1.id, '[]', 'enabled']);

  ok(await h.cli('openstack', ['volume', 'delete', 'v2']), 'volume delete');
  assert.deepEqual(
    h.store.list('volume').map((v) => v.name),
    ['v1'],
  );
});

test('snapshots and attachments: cinder snapshot-create/list and attachment-create/list/show/delete', async (t) => {
  const h = await harness(t);
  const volumeId = await createVolume(h, await h.token(), 'v1');
  const snapshot = parsePropertyTable(
    parseTable(ok(await h.cli('cinder', ['snapshot-create', '--name', 's1', 'v1']), 'snapshot-create')),
  );
  assert.deepEqual([snapshot.name, snapshot.volume_id, snapshot.status], ['s1', volumeId, 'creating']);
  const created = parseTables(
    ok(
      await h.cli('cinder', [
        'attachment-create',
        'v1',
        SERVER_UUID,
        '--connect',
        'True',
        '--initiator',
        'iqn.x',
        '--ip',
        '127.0.0.1',
        '--host',
        'h',
      ]),
      'attachment-create',
    ),
  );
  const attachment = parsePropertyTable(created[0]!);
  const connection = parsePropertyTable(created[1]!);
  assert.deepEqual(
    [attachment.instance, attachment.status, attachment.volume_id],
    [SERVER_UUID, 'attaching', volumeId],
  );
  assert.equal(connection.driver_volume_type, 'iscsi');

  const [snapshots, attachments, shown, completed] = await Promise.all([
    h.cli('cinder', ['snapshot-list']),
    h.cli('cinder', ['attachment-list']),
    h.cli('cinder', ['--os-volume-api-version', '3.44', 'attachment-show', attachment.id!]),
    h.cli('cinder', ['attachment-complete', attachment.id!]),
  ]);
  assert.deepEqual(
    parseTable(ok(snapshots, 'snapshot-list')).map((r) => [r.Name, r.Status, r['Volume ID']]),
    [['s1', 'available', volumeId]],
  );
  assert.deepEqual(
    parseTable(ok(attachments, 'attachment-list')).map((r) => [r.ID, r['Server ID']]),
    [[attachment.id, SERVER_UUID]],
  );
  assert.equal(parsePropertyTable(parseTables(ok(shown, 'attachment-show'))[0]!).id, attachment.id);
  ok(completed, 'attachment-complete');
  assert.deepEqual(
    [h.store.get('volume', volumeId)?.status, h.store.get('attachment', attachment.id!)?.attachStatus],
    ['in-use', 'attached'],
  );
  const volumeView = parsePropertyTable(parseTable(ok(await h.cli('cinder', ['show', 'v1']), 'cinder show')));
  assert.equal(volumeView.attached_servers, `['${SERVER_UUID}']`);

  ok(await h.cli('cinder', ['attachment-delete', attachment.id!]), 'attachment-delete');
  assert.deepEqual(
    [h.store.get('volume', volumeId)?.status, h.store.list('attachment').length],
    ['available', 0],
  );
});

test('replication control: cinder service-list, freeze-host, thaw-host, failover-host and get-pools', async (t) => {
  const h = await harness(t);
  const token = await h.token();
  const volumeId = await createVolume(h, token, 'plain');
  const [services, frozen, pools] = await Promise.all([
    h.cli('cinder', ['service-list', '--withreplication']),
    h.cli('cinder', ['freeze-host', VOLUME_HOST]),
    h.cli('cinder', ['get-pools', '--detail']),
  ]);
  const volumeRow = parseTable(ok(services, 'service-list')).find((r) => r.Binary === 'cinder-volume');
  assert.deepEqual(
    [volumeRow?.Host, volumeRow?.State, volumeRow?.['Replication Status']],
    [VOLUME_HOST, 'up', 'enabled'],
  );
  ok(frozen, 'freeze-host');
  const pool = parsePropertyTable(parseTable(ok(pools, 'get-pools --detail')));
  assert.deepEqual(
    [pool.name, pool.vendor_name, pool.replication_enabled],
    [`${VOLUME_HOST}#pure`, 'Pure Storage', 'True'],
  );

  const blocked = await h.http('DELETE', `/v3/${ADMIN_PROJECT_ID}/volumes/${volumeId}`, { token });
  assert.deepEqual(blocked.body, {
    badRequest: {
      code: 400,
      message: 'Invalid input received: Modification operations are not allowed on frozen storage backends.',
    },
  });
  ok(await h.cli('cinder', ['thaw-host', VOLUME_HOST]), 'thaw-host');
  ok(await h.cli('cinder', ['failover-host', VOLUME_HOST, '--backend_id', 'target']), 'failover-host');
  await h.volumeApi.services.pending;
  const service = h.store.list('service', (s) => s.binary === 'cinder-volume')[0]!;
  assert.deepEqual(
    [service.replicationStatus, service.activeBackendId, service.disabled, service.disabledReason],
    ['failed-over', 'target', true, 'failed-over'],
  );
  assert.deepEqual(
    [h.store.get('volume', volumeId)?.status, h.store.get('volume', volumeId)?.replicationStatus],
    ['error', 'not-capable'],
  );
});

test('limits and quotas: cinder absolute-limits, quota-show and api-version', async (t) => {
  const h = await harness(t);
  await createVolume(h, await h.token(), 'v1');
  const [limits, quotas, versions] = await Promise.all([
    h.cli('cinder', ['absolute-limits']),
    h.cli('cinder', ['quota-show', ADMIN_PROJECT_ID]),
    h.cli('cinder', ['api-version']),
  ]);
  const absolute = Object.fromEntries(
    parseTable(ok(limits, 'absolute-limits')).map((r) => [r.Name, r.Value]),
  );
  assert.deepEqual(
    [absolute.maxTotalVolumes, absolute.totalVolumesUsed, absolute.totalGigabytesUsed],
    ['10', '1', '1'],
  );
  const quota = parsePropertyTable(parseTable(ok(quotas, 'quota-show')));
  assert.deepEqual(
    [quota.volumes, quota.gigabytes, quota.per_volume_gigabytes, quota.volumes___DEFAULT__],
    ['10', '1000', '-1', '-1'],
  );
  assert.deepEqual(parseTable(ok(versions, 'api-version')), [
    { ID: 'v3.0', Status: 'CURRENT', Version: '3.70', Min_version: '3.0' },
  ]);
});

test('policy: a member is refused with 403 on openstack volume type create and cinder freeze-host', async (t) => {
  const h = await harness(t);
  const [typeCreate, freeze] = await Promise.all([
    h.cli('openstack', ['volume', 'type', 'create', 'X'], USERS.demo),
    h.cli('cinder', ['freeze-host', VOLUME_HOST], USERS.demo),
  ]);
  refused(
    typeCreate,
    'member type create',
    "Policy doesn't allow volume_extension:type_create to be performed. (HTTP 403)",
  );
  refused(
    freeze,
    'member freeze-host',
    "ERROR: Policy doesn't allow volume:freeze_host to be performed. (HTTP 403)",
  );
  assert.equal(h.catalog.types.findByName('X'), undefined);
  assert.equal(h.store.list('service', (s) => s.frozen).length, 0);
});

test('microversions: none is 3.0, latest is 3.70, out of range is 406 computeFault, malformed is 400; echoed with Vary', async (t) => {
  const h = await harness(t);
  const token = await h.token();
  const path = `/v3/${ADMIN_PROJECT_ID}/volumes`;
  const cases: Array<[string | undefined, number, string | null]> = [
    [undefined, 200, 'volume 3.0'],
    ['volume latest', 200, 'volume 3.70'],
    ['compute 2.1, volume 3.27', 200, 'volume 3.27'],
    ['volume 3.99', 406, null],
    ['volume 2.0', 406, null],
    ['volume 3.x', 400, null],
  ];
  for (const [version, status, echoed] of cases) {
    const res = await h.http('GET', path, { token, ...(version ? { version } : {}) });
    assert.equal(res.status, status, `${version}: ${JSON.stringify(res.body)}`);
    assert.equal(res.headers.get('openstack-api-version'), echoed, String(version));
    assert.equal(res.headers.get('vary'), 'OpenStack-API-Version');
  }
  const tooNew = await h.http('GET', path, { token, version: 'volume 3.99' });
  assert.deepEqual(tooNew.body, {
    computeFault: {
      code: 406,
      message: 'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
    },
  });
  const malformed = await h.http('GET', path, { token, version: 'volume 3.x' });
  assert.equal(malformed.body.badRequest.code, 400);

  const root = await h.http('GET', '/', { version: 'volume 3.70' });
  assert.deepEqual(
    [root.status, root.body.versions[0].version, root.body.versions[0].min_version],
    [300, '3.70', '3.0'],
  );
  const v3 = await h.http('GET', '/v3/');
  assert.deepEqual([v3.status, v3.body.versions[0].links[1].href], [200, `${h.api.url}/v3/`]);
  const image = await h.http('GET', '/image');
  assert.deepEqual([image.status, image.body.versions[0].id], [300, 'v2.0']);
});

test('faults: body shapes and request ids on every response; attachments are 404 below 3.27; 401 for unknown tokens; 403 for another project', async (t) => {
  const h = await harness(t);
  const admin = await h.token();
  const member = await h.token(USERS.demo);
  const base = `/v3/${ADMIN_PROJECT_ID}`;

  const missing = await h.http('GET', `${base}/volumes/nope`, { token: admin });
  assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Volume nope could not be found.' } });
  for (const res of [
    missing,
    await h.http('GET', '/identity/v3'),
    await h.http('GET', `${base}/volumes`, { token: admin }),
  ]) {
    const id = res.headers.get('x-openstack-request-id');
    assert.match(id ?? '', /^req-[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-compute-request-id'), id);
  }

  const at326 = await h.http('GET', `${base}/attachments`, { token: admin, version: 'volume 3.26' });
  assert.deepEqual(at326.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  const at327 = await h.http('GET', `${base}/attachments`, { token: admin, version: 'volume 3.27' });
  assert.deepEqual([at327.status, at327.body], [200, { attachments: [] }]);

  const badJson = await h.http('POST', `${base}/volumes`, { token: admin, rawBody: '{"volume":' });
  assert.deepEqual(badJson.body, { badRequest: { code: 400, message: 'Malformed request body' } });
  const badSize = await h.http('POST', `${base}/volumes`, {
    token: admin,
    body: { volume: { size: 'big' } },
  });
  assert.deepEqual(badSize.body, {
    badRequest: { code: 400, message: 'Invalid input received: size must be an integer and greater than 0.' },
  });
  const unknownRoute = await h.http('GET', `${base}/no-such-thing`, { token: admin });
  assert.deepEqual(Object.keys(unknownRoute.body), ['itemNotFound']);

  const unknownToken = await h.http('GET', `${base}/volumes`, { token: 'f'.repeat(64) });
  assert.deepEqual(unknownToken.body, {
    unauthorized: { code: 401, message: 'The request you have made requires authentication.' },
  });
  assert.match(unknownToken.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
  const noToken = await h.http('GET', `${base}/volumes`);
  assert.equal(noToken.status, 401);

  const otherProject = await h.http('GET', `${base}/volumes`, { token: member });
  assert.deepEqual([otherProject.status, Object.keys(otherProject.body)], [403, ['forbidden']]);
  const ownProject = await h.http('GET', `/v3/${DEMO_PROJECT_ID}/volumes`, { token: member });
  const withoutProject = await h.http('GET', '/v3/volumes/detail', { token: member, version: 'volume 3.67' });
  assert.deepEqual([ownProject.status, withoutProject.status], [200, 200]);
});

test('faults: a bug behind the API is a 500 computeFault with a generic message; only the log has the real error', async (t) => {
  const h = await harness(t, {
    wrapVolumeApi: (api) =>
      Object.assign(Object.create(api), {
        listVolumes: () => {
          throw new TypeError('secret internal detail: cannot read properties of undefined');
        },
      }),
  });
  const res = await h.http('GET', `/v3/${ADMIN_PROJECT_ID}/volumes/detail`, { token: await h.token() });
  assert.deepEqual(res.body, {
    computeFault: {
      code: 500,
      message: 'The server has either erred or is incapable of performing the requested operation.',
    },
  });
  const logged = h.logLines.find((line) => line.includes('handler failed'));
  assert.ok(logged?.includes('secret internal detail'), 'the real error is logged');
  assert.ok(logged?.includes(res.headers.get('x-openstack-request-id')!), 'with the request id');
});
