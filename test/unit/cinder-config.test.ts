// cinder.conf reading: the seed's example as written, oslo.config's value semantics, Cinder's
// backend_defaults fallback, and errors that name file, line, section and option without secrets.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import {
  type CinderConfig,
  loadCinderConfig,
  type ParsedCinderConfig,
  parseCinderConfig,
} from '../../src/cinder/config/cinder-config.js';
import { CinderConfigError, type CinderConfigErrorCode } from '../../src/cinder/config/errors.js';
import { parseIni } from '../../src/cinder/config/ini.js';
import {
  parseOsloBool,
  parseOsloDict,
  parseOsloFloat,
  parseOsloInt,
  parseOsloList,
} from '../../src/cinder/config/options.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/cinder');
const CWD = '/srv/tandem';
const TOKEN = '00000000-0000-0000-0000-000000000001';
const SECRET = 'S3cr3t-token-never-shown';

function parse(text: string): ParsedCinderConfig {
  return parseCinderConfig(text, 'cinder.conf', { cwd: CWD, hostname: 'node-1', myIp: '192.0.2.10' });
}

const conf = (...lines: string[]) => lines.join('\n');

/** A minimal valid file; lines given to `backend(...)` start at line 8, inside [puredriver-1]. */
const BASE = [
  '[DEFAULT]', // 1
  'enabled_backends = puredriver-1', // 2
  '', // 3
  '[puredriver-1]', // 4
  'volume_driver = cinder.volume.drivers.pure.PureISCSIDriver', // 5
  'san_ip = 127.0.0.1:8443', // 6
  `pure_api_token = ${TOKEN}`, // 7
];
const backend = (...lines: string[]) => conf(...BASE, ...lines);
const firstBackend = (config: CinderConfig) => config.backends[0]!;

function assertConfigError(text: string, code: CinderConfigErrorCode, message: string): CinderConfigError {
  let caught: unknown;
  assert.throws(
    () => parse(text),
    (error) => {
      caught = error;
      return true;
    },
  );
  assert.ok(caught instanceof CinderConfigError, `expected CinderConfigError, got ${String(caught)}`);
  assert.equal(caught.message, message);
  assert.equal(caught.code, code);
  return caught;
}

function assertNoSecret(thing: unknown): void {
  const shown = thing instanceof Error ? `${thing.message} ${JSON.stringify(thing)}` : JSON.stringify(thing);
  assert.ok(!shown.includes(SECRET), `secret leaked in: ${shown}`);
}

function errorOf(text: string): CinderConfigError {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof CinderConfigError);
    return error;
  }
  assert.fail('expected a CinderConfigError');
}

describe('cinder.conf: the seed example', () => {
  test('seed.conf parses as written, with the driver defaults for everything it leaves out', async () => {
    const path = resolve(FIXTURES, 'seed.conf');
    const { config, warnings } = await loadCinderConfig(path, {
      cwd: CWD,
      hostname: 'node-1',
      myIp: '192.0.2.10',
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.fileName, path);
    assert.deepEqual(config.service, {
      enabledBackends: ['puredriver-1'],
      defaultVolumeType: 'puredriver-1',
      host: 'node-1',
      myIp: '192.0.2.10',
      statePath: CWD,
      debug: false,
      authStrategy: 'keystone',
      osapiVolumeListen: '0.0.0.0',
      osapiVolumeListenPort: 8776,
      storageAvailabilityZone: 'nova',
    });
    assert.deepEqual(config.database, { kind: 'sqlite', path: '/srv/tandem/cinder.sqlite' });
    assert.equal(config.backends.length, 1);
    const b = firstBackend(config);
    assert.equal(b.name, 'puredriver-1');
    assert.equal(b.volumeBackendName, 'puredriver-1');
    assert.equal(b.volumeDriver, 'PureISCSIDriver');
    assert.equal(b.protocol, 'iscsi');
    assert.equal(b.sanIp, '127.0.0.1:8443');
    assert.equal(b.useChapAuth, false);
    assert.deepEqual(b.replicationDevices, [
      {
        backendId: 'pure-dr',
        sanIp: '127.0.0.1:9443',
        apiToken: '00000000-0000-0000-0000-000000000002',
        type: 'async',
        uniform: false,
        sslCertVerify: false,
        sslCertPath: null,
        line: 11,
      },
    ]);
    // Inherited options the driver uses, with cinder's defaults.
    assert.equal(b.sanLogin, 'admin');
    assert.equal(b.sanPassword, '');
    assert.equal(b.driverSslCertVerify, false);
    assert.equal(b.driverSslCertPath, null);
    assert.equal(b.reservedPercentage, 0);
    assert.equal(b.maxOverSubscriptionRatio, 20);
    assert.equal(b.filterFunction, null);
    assert.equal(b.goodnessFunction, null);
    assert.equal(b.optionLines.get('replication_device'), 11);
    assert.equal(b.optionLines.get('san_ip'), 8);
  });

  test('every pure_* option has the default of the driver spec table', () => {
    const b = firstBackend(parse(conf(...BASE)).config);
    assert.deepEqual(b.pure, {
      apiToken: TOKEN,
      automaticMaxOversubscriptionRatio: true,
      hostPersonality: null,
      replicaIntervalSeconds: 3600,
      replicaRetentionShortTermSeconds: 14400,
      replicaRetentionLongTermPerDay: 3,
      replicaRetentionLongTermDays: 7,
      replicationPgName: 'cinder-group',
      trisyncPgName: 'cinder-trisync',
      replicationPodName: 'cinder-pod',
      ghostPodName: 'cinder-ghost-pod',
      iscsiCidr: '0.0.0.0/0',
      iscsiCidrList: null,
      nvmeCidr: '0.0.0.0/0',
      nvmeCidrList: null,
      nvmeTransport: 'roce',
      eradicateOnDelete: false,
      trisyncEnabled: false,
      safemodeEnabled: false,
    });
    assert.deepEqual(firstBackend(parse(conf(...BASE)).config).replicationDevices, []);
  });

  test('every pure_* option can be set', () => {
    const b = firstBackend(
      parse(
        backend(
          'pure_automatic_max_oversubscription_ratio = false',
          'pure_host_personality = oracle-vm-server',
          'pure_replica_interval_default = 600',
          'pure_replica_retention_short_term_default = 7200',
          'pure_replica_retention_long_term_per_day_default = 4',
          'pure_replica_retention_long_term_default = 30',
          'pure_replication_pg_name = pg-a',
          'pure_trisync_pg_name = tri-a',
          'pure_replication_pod_name = pod-a',
          'pure_ghost_pod_name = ghost-a',
          'pure_iscsi_cidr = 10.0.0.0/8',
          'pure_iscsi_cidr_list = 10.1.0.0/16,fd00::/8',
          'pure_nvme_cidr = 10.2.0.0/16',
          'pure_nvme_cidr_list = 10.3.0.0/16',
          'pure_nvme_transport = tcp',
          'pure_eradicate_on_delete = on',
          'pure_safemode_enabled = 1',
        ),
      ).config,
    );
    assert.deepEqual(b.pure, {
      apiToken: TOKEN,
      automaticMaxOversubscriptionRatio: false,
      hostPersonality: 'oracle-vm-server',
      replicaIntervalSeconds: 600,
      replicaRetentionShortTermSeconds: 7200,
      replicaRetentionLongTermPerDay: 4,
      replicaRetentionLongTermDays: 30,
      replicationPgName: 'pg-a',
      trisyncPgName: 'tri-a',
      replicationPodName: 'pod-a',
      ghostPodName: 'ghost-a',
      iscsiCidr: '10.0.0.0/8',
      iscsiCidrList: ['10.1.0.0/16', 'fd00::/8'],
      nvmeCidr: '10.2.0.0/16',
      nvmeCidrList: ['10.3.0.0/16'],
      nvmeTransport: 'tcp',
      eradicateOnDelete: true,
      trisyncEnabled: false,
      safemodeEnabled: true,
    });
  });

  test('a production-style file with other services configured reads cleanly', async () => {
    const { config, warnings } = await loadCinderConfig(resolve(FIXTURES, 'production.conf'), { cwd: CWD });
    assert.deepEqual(
      warnings.map((w) => w.message),
      [],
    );
    assert.deepEqual(config.service.enabledBackends, ['pure-a', 'pure-b']);
    assert.equal(config.service.myIp, '10.0.0.11');
    assert.equal(config.service.statePath, '/var/lib/tandem-cinder');
    assert.equal(config.service.debug, true);
    assert.equal(config.service.osapiVolumeListenPort, 18776);
    assert.equal(config.database.kind, 'postgresql');
    const [a, b] = config.backends;
    assert.equal(a!.protocol, 'iscsi');
    assert.equal(a!.useChapAuth, true);
    assert.equal(a!.maxOverSubscriptionRatio, 'auto');
    assert.equal(a!.filterFunction, 'volume.size < 100');
    assert.deepEqual(a!.pure.iscsiCidrList, ['10.0.0.0/24', 'fd00::/64']);
    assert.equal(a!.pure.trisyncEnabled, true);
    assert.deepEqual(
      a!.replicationDevices.map((d) => [d.backendId, d.sanIp, d.type, d.uniform, d.line]),
      [
        ['pure-sync', '10.0.1.50', 'sync', true, 35],
        ['pure-async', '10.0.2.50', 'async', false, 36],
      ],
    );
    assert.equal(a!.replicationDevices[1]!.apiToken, 'aaaaaaaa-0000-0000-0000-000000000003');
    // [PURE-B] matches 'pure-b' (section names are case-insensitive); [backend_defaults] fills gaps.
    assert.equal(b!.name, 'pure-b');
    assert.equal(b!.protocol, 'nvme');
    assert.equal(b!.pure.nvmeTransport, 'tcp');
    assert.equal(b!.pure.hostPersonality, 'esxi');
    assert.equal(b!.pure.eradicateOnDelete, true);
    assert.equal(b!.reservedPercentage, 10, 'an empty integer is None in oslo, so cinder falls back');
  });
});

describe('cinder.conf: oslo.config file syntax', () => {
  test('two replication_device lines are collected in file order', () => {
    const b = firstBackend(
      parse(
        backend(
          'replication_device = backend_id:dr-1,san_ip:10.0.0.1,api_token:t1',
          'pure_eradicate_on_delete = false',
          'replication_device = backend_id:dr-2,san_ip:10.0.0.2,api_token:t2,type:sync',
        ),
      ).config,
    );
    assert.deepEqual(
      b.replicationDevices.map((d) => [d.backendId, d.sanIp, d.apiToken, d.type, d.line]),
      [
        ['dr-1', '10.0.0.1', 't1', 'async', 8],
        ['dr-2', '10.0.0.2', 't2', 'sync', 10],
      ],
    );
  });

  test('continuation lines join with a newline; a blank line or comment ends the value', () => {
    const { config } = parse(
      backend(
        'filter_function = volume.size < 10',
        '    and volume.size > 1',
        '\tor capabilities.x',
        '',
        'goodness_function = 50',
      ),
    );
    assert.equal(
      firstBackend(config).filterFunction,
      'volume.size < 10\nand volume.size > 1\nor capabilities.x',
    );
    assert.equal(firstBackend(config).goodnessFunction, '50');
    assertConfigError(
      backend('goodness_function = 50', '', '  100'),
      'CINDER_CONFIG_SYNTAX',
      'cinder.conf line 10: [puredriver-1] unexpected continuation line (it starts with a space or tab)',
    );
    assertConfigError(
      backend('goodness_function = 50', '# comment', '  100'),
      'CINDER_CONFIG_SYNTAX',
      'cinder.conf line 10: [puredriver-1] unexpected continuation line (it starts with a space or tab)',
    );
  });

  test("':' assigns too, the first of '=' and ':' splits, matching quotes are stripped, '#' mid-line stays", () => {
    const doc = parseIni(
      conf(
        '[s]',
        'a: 1',
        'b = x:y',
        'c: x=y',
        'd = "quoted value"',
        "e = 'half",
        'f = 1 # not a comment',
        '; comment',
        '# comment',
      ),
      'f.conf',
    );
    const value = (key: string) => doc.sections.get('s')!.options.get(key)![0]!.text;
    assert.equal(value('a'), '1');
    assert.equal(value('b'), 'x:y');
    assert.equal(value('c'), 'x=y');
    assert.equal(value('d'), 'quoted value');
    assert.equal(value('e'), "'half");
    assert.equal(value('f'), '1 # not a comment');
    assert.deepEqual([...doc.sections.get('s')!.options.keys()], ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('repeated sections merge, section names ignore case except DEFAULT, option names keep case', () => {
    const doc = parseIni(
      conf('[Pure]', 'a = 1', '[DEFAULT]', 'x = 1', '[pure]', 'a = 2', 'B = 3', '[default]', 'y = 2'),
      'f.conf',
    );
    const pure = doc.sections.get('pure')!;
    assert.equal(pure.name, 'Pure');
    assert.deepEqual(pure.options.get('a'), [
      { text: '1', line: 2 },
      { text: '2', line: 6 },
    ]);
    assert.ok(pure.options.has('B') && !pure.options.has('b'));
    assert.deepEqual([...doc.sections.keys()], ['pure', 'DEFAULT', 'default']);
  });

  test('a repeated single-valued option: the last wins, with a warning naming both lines', () => {
    const { config, warnings } = parse(backend('reserved_percentage = 5', 'reserved_percentage = 7'));
    assert.equal(firstBackend(config).reservedPercentage, 7);
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'cinder.conf line 9: [puredriver-1] reserved_percentage: set 2 times (lines 8, 9); the last one is used',
      ],
    );
  });

  test('malformed lines are syntax errors with their line number', () => {
    assertConfigError(
      conf('[DEFAULT]', 'enabled_backends'),
      'CINDER_CONFIG_SYNTAX',
      "cinder.conf line 2: [DEFAULT] no '=' or ':' in this line",
    );
    assertConfigError(
      conf('# header', 'debug = true', '[DEFAULT]'),
      'CINDER_CONFIG_SYNTAX',
      'cinder.conf line 2: debug: option outside any section (start with [DEFAULT])',
    );
    assertConfigError(
      conf('[DEFAULT', 'debug = true'),
      'CINDER_CONFIG_SYNTAX',
      "cinder.conf line 1: section header [DEFAULT must end with ']'",
    );
    assertConfigError(conf('[]'), 'CINDER_CONFIG_SYNTAX', 'cinder.conf line 1: empty section name');
    assertConfigError(
      conf('[DEFAULT]', ' = 1'),
      'CINDER_CONFIG_SYNTAX',
      'cinder.conf line 2: [DEFAULT] unexpected continuation line (it starts with a space or tab)',
    );
    assertConfigError(
      conf('[DEFAULT]', '= 1'),
      'CINDER_CONFIG_SYNTAX',
      "cinder.conf line 2: [DEFAULT] empty option name before '=' or ':'",
    );
  });

  test('CRLF line endings and a byte order mark read like plain LF', () => {
    const { config } = parse(`\uFEFF${BASE.join('\r\n')}\r\nreserved_percentage = 3\r\n`);
    assert.equal(firstBackend(config).reservedPercentage, 3);
  });
});

describe('cinder.conf: values as oslo.config converts them', () => {
  test('booleans: true/1/on/yes and false/0/off/no in any case; nothing else', () => {
    for (const word of ['true', 'True', 'TRUE', '1', 'on', 'On', 'yes', 'YES']) {
      assert.deepEqual(parseOsloBool(word), { kind: 'value', value: true }, word);
    }
    for (const word of ['false', 'False', '0', 'off', 'OFF', 'no', 'No']) {
      assert.deepEqual(parseOsloBool(word), { kind: 'value', value: false }, word);
    }
    for (const word of ['', 'y', 't', 'enabled', '2', 'true ']) {
      assert.equal(parseOsloBool(word).kind, 'invalid', JSON.stringify(word));
    }
    assertConfigError(
      backend('use_chap_auth = maybe'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] use_chap_auth: 'maybe' is not a boolean (use true/false, yes/no, on/off or 1/0)",
    );
  });

  test("integers: Python int() of the text; blank is unset; '1.5' and '0x10' are errors", () => {
    const cases: [string, number][] = [
      ['42', 42],
      [' 7 ', 7],
      ['+5', 5],
      ['-3', -3],
      ['007', 7],
      ['1_000', 1000],
    ];
    for (const [text, n] of cases) assert.deepEqual(parseOsloInt(text), { kind: 'value', value: n }, text);
    assert.deepEqual(parseOsloInt('  '), { kind: 'unset' });
    for (const text of ['1.5', '0x10', '1e3', 'abc', '1__0', '_1', '99999999999999999999']) {
      assert.equal(parseOsloInt(text).kind, 'invalid', text);
    }
    assertConfigError(
      backend('', '', '', 'reserved_percentage = abc'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 11: [puredriver-1] reserved_percentage: 'abc' is not an integer",
    );
    assertConfigError(
      backend('reserved_percentage = 101'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] reserved_percentage: '101' is more than the maximum 100",
    );
    assertConfigError(
      backend('pure_replica_interval_default = 1.5'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] pure_replica_interval_default: '1.5' is not an integer",
    );
  });

  test('floats, lists and dicts follow oslo types', () => {
    assert.deepEqual(parseOsloFloat('1.'), { kind: 'value', value: 1 });
    assert.deepEqual(parseOsloFloat('.5'), { kind: 'value', value: 0.5 });
    assert.deepEqual(parseOsloFloat('2e3'), { kind: 'value', value: 2000 });
    assert.deepEqual(parseOsloFloat('-inf'), { kind: 'value', value: Number.NEGATIVE_INFINITY });
    assert.equal(parseOsloFloat('1.2.3').kind, 'invalid');
    assert.deepEqual(parseOsloList(' a , b ,,'), { kind: 'value', value: ['a', 'b'] });
    assert.deepEqual(parseOsloList('a,,b'), { kind: 'value', value: ['a', '', 'b'] });
    assert.deepEqual(parseOsloList('  '), { kind: 'value', value: [] });
    const dict = parseOsloDict('backend_id:pure-dr, san_ip : 127.0.0.1:9443');
    assert.deepEqual(dict.kind === 'value' && [...dict.value], [
      ['backend_id', 'pure-dr'],
      ['san_ip', '127.0.0.1:9443'],
    ]);
    // oslo glues a piece without ':' to the next piece.
    const glued = parseOsloDict('a:1,b,c:2');
    assert.deepEqual(glued.kind === 'value' && [...glued.value], [
      ['a', '1'],
      ['b,c', '2'],
    ]);
    assert.equal(parseOsloDict('a:1,b').kind, 'invalid');
    assert.equal(parseOsloDict('a:1,a:2').kind, 'invalid');
    assert.equal(parseOsloDict(':1').kind, 'invalid');
  });

  test('choices are exact: pure_host_personality and pure_nvme_transport', () => {
    assertConfigError(
      backend('pure_host_personality = ESXi'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] pure_host_personality: 'ESXi' is not one of: aix, esxi, hitachi-vsp, hpux, oracle-vm-server, solaris, vms",
    );
    assertConfigError(
      backend('pure_nvme_transport = rdma'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] pure_nvme_transport: 'rdma' is not one of: roce, tcp",
    );
  });

  test("max_over_subscription_ratio: 'auto' or a decimal number of at least 1", () => {
    const ratio = (text: string) =>
      firstBackend(parse(backend(`max_over_subscription_ratio = ${text}`)).config);
    assert.equal(ratio('auto').maxOverSubscriptionRatio, 'auto');
    assert.equal(ratio('1.5').maxOverSubscriptionRatio, 1.5);
    assert.equal(ratio('40').maxOverSubscriptionRatio, 40);
    assertConfigError(
      backend('max_over_subscription_ratio = 0.5'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] max_over_subscription_ratio: '0.5' is less than 1 (the driver refuses it)",
    );
    assert.equal(errorOf(backend('max_over_subscription_ratio = 1e3')).code, 'CINDER_CONFIG_INVALID_VALUE');
    assert.equal(errorOf(backend('max_over_subscription_ratio = Auto')).code, 'CINDER_CONFIG_INVALID_VALUE');
  });

  test('volume_driver: the three Pure drivers and the NBD one; anything else is refused', () => {
    const drive = (path: string) =>
      firstBackend(parse(conf(...BASE.slice(0, 4), `volume_driver = ${path}`, ...BASE.slice(5))).config);
    assert.deepEqual(
      [
        'cinder.volume.drivers.pure.PureFCDriver',
        'cinder.volume.drivers.pure.PureNVMEDriver',
        'cinder.volume.drivers.pure.PureNBDDriver',
        'tandem.PureNBDDriver',
      ].map((path) => [drive(path).volumeDriver, drive(path).protocol]),
      [
        ['PureFCDriver', 'fc'],
        ['PureNVMEDriver', 'nvme'],
        ['PureNBDDriver', 'nbd'],
        ['PureNBDDriver', 'nbd'],
      ],
    );
    // volume_backend_name unset: the driver names the backend after its class.
    assert.equal(drive('tandem.PureNBDDriver').volumeBackendName, 'PureNBDDriver');
    const lvm = errorOf(
      conf(...BASE.slice(0, 4), 'volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver'),
    );
    assert.equal(lvm.code, 'CINDER_CONFIG_INVALID_VALUE');
    assert.match(
      lvm.message,
      /^cinder\.conf line 5: \[puredriver-1\] volume_driver: '.*LVMVolumeDriver' is not a driver/,
    );
    assertConfigError(
      conf(...BASE.slice(0, 4), 'san_ip = 10.0.0.1'),
      'CINDER_CONFIG_MISSING_OPTION',
      "cinder.conf line 4: [puredriver-1] volume_driver: not set (cinder's default, the LVM driver, is not emulated by Tandem)",
    );
  });
});

describe('cinder.conf: sections and backends', () => {
  test('a backend in enabled_backends without its section is an error naming the line', () => {
    assertConfigError(
      conf('[DEFAULT]', 'debug = false', 'enabled_backends = puredriver-1, pure-2', ...BASE.slice(3)),
      'CINDER_CONFIG_MISSING_SECTION',
      "cinder.conf line 3: [DEFAULT] enabled_backends: backend 'pure-2' has no [pure-2] section",
    );
    assertConfigError(
      conf('[DEFAULT]', 'enabled_backends = puredriver-1,puredriver-1', ...BASE.slice(3)),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 2: [DEFAULT] enabled_backends: lists 'puredriver-1' twice",
    );
  });

  test('[backend_defaults] fills what a backend leaves unset; [DEFAULT] does not, with a warning', () => {
    const { config, warnings } = parse(
      conf(
        '[DEFAULT]', // 1
        'enabled_backends = puredriver-1', // 2
        'reserved_percentage = 50', // 3
        '[backend_defaults]', // 4
        'pure_eradicate_on_delete = true', // 5
        'reserved_percentage = 20', // 6
        'use_chap_auth = true', // 7
        ...BASE.slice(3), // 8..11
        'use_chap_auth = false', // 12
      ),
    );
    const b = firstBackend(config);
    assert.equal(b.pure.eradicateOnDelete, true);
    assert.equal(b.reservedPercentage, 20);
    assert.equal(b.useChapAuth, false);
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'cinder.conf line 3: [DEFAULT] reserved_percentage: backend options are not read from [DEFAULT]; move it to [backend_defaults] or a backend section',
      ],
    );
  });

  test('an unknown option is ignored with a warning naming section, option and line', () => {
    const { warnings } = parse(
      conf(
        '[DEFAULT]',
        'enabled_backends = puredriver-1',
        'colour = blue',
        ...BASE.slice(3),
        'Pure_Api_Token = x',
      ),
    );
    assert.deepEqual(
      warnings.map((w) => [w.section, w.option, w.line, w.message]),
      [
        ['DEFAULT', 'colour', 3, 'cinder.conf line 3: [DEFAULT] colour: unknown option, ignored'],
        [
          'puredriver-1',
          'Pure_Api_Token',
          8,
          'cinder.conf line 8: [puredriver-1] Pure_Api_Token: unknown option, ignored (option names are case-sensitive: did you mean pure_api_token?)',
        ],
      ],
    );
  });

  test('a section with a volume_driver that is not enabled is reported and skipped', () => {
    const { config, warnings } = parse(
      backend('', '[old-array]', 'volume_driver = cinder.volume.drivers.pure.PureFCDriver'),
    );
    assert.equal(config.backends.length, 1);
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['cinder.conf line 9: [old-array] has a volume_driver but is not in enabled_backends; ignored'],
    );
  });

  test('no enabled_backends: no backend, and a warning', () => {
    const { config, warnings } = parse(conf('[DEFAULT]', 'debug = 1'));
    assert.deepEqual(config.backends, []);
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['cinder.conf: [DEFAULT] enabled_backends: no backends enabled: no volume service will run'],
    );
  });
});

describe('cinder.conf: replication_device', () => {
  test('missing keys and the reserved id are errors with the line', () => {
    assertConfigError(
      backend('replication_device = backend_id:dr,san_ip:10.0.0.2'),
      'CINDER_CONFIG_INVALID_VALUE',
      'cinder.conf line 8: [puredriver-1] replication_device: missing api_token',
    );
    assertConfigError(
      backend('replication_device = san_ip:10.0.0.2,api_token:t'),
      'CINDER_CONFIG_INVALID_VALUE',
      'cinder.conf line 8: [puredriver-1] replication_device: missing backend_id',
    );
    assertConfigError(
      backend('replication_device = backend_id:default,san_ip:10.0.0.2,api_token:t'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 8: [puredriver-1] replication_device: backend_id 'default' is reserved for the primary",
    );
    assertConfigError(
      backend(
        'replication_device = backend_id:dr,san_ip:10.0.0.2,api_token:t',
        'replication_device = backend_id:dr,san_ip:10.0.0.3,api_token:u',
      ),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 9: [puredriver-1] replication_device: backend_id 'dr' is already used on line 8",
    );
  });

  test('odd type, uniform and unknown keys are read as the driver reads them, with warnings', () => {
    const { config, warnings } = parse(
      backend(
        'replication_device = backend_id:dr,san_ip:10.0.0.2,api_token:t,type:SYNC,uniform:maybe,zone:a',
      ),
    );
    const [device] = firstBackend(config).replicationDevices;
    assert.equal(device!.type, 'async');
    assert.equal(device!.uniform, false);
    assert.deepEqual(
      warnings.map((w) => w.reason),
      [
        "unknown key 'zone' in the entry, ignored",
        "type: 'SYNC' is neither 'sync' nor 'async'; the driver treats it as async",
        "uniform: 'maybe' is not a boolean; the driver reads it as false",
      ],
    );
    const lenient = firstBackend(
      parse(
        backend(
          'replication_device = backend_id:dr,san_ip:h,api_token:t,type:sync,uniform:Y,ssl_cert_verify:t',
        ),
      ).config,
    ).replicationDevices[0]!;
    assert.deepEqual([lenient.type, lenient.uniform, lenient.sslCertVerify], ['sync', true, true]);
  });

  test('trisync without one sync and one async device warns that the driver leaves it off', () => {
    const { warnings } = parse(
      backend(
        'pure_trisync_enabled = true',
        'replication_device = backend_id:dr,san_ip:h,api_token:t,type:sync',
      ),
    );
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'cinder.conf line 8: [puredriver-1] pure_trisync_enabled: needs exactly 2 replication_device entries (found 1); the driver leaves trisync disabled',
      ],
    );
  });
});

describe('cinder.conf: secrets never appear in messages', () => {
  test('replication_device errors and warnings do not show the api_token', () => {
    const cases = [
      `replication_device = backend_id:dr,san_ip:h,api_token:${SECRET},api_token:${SECRET}`,
      `replication_device = backend_id:default,san_ip:h,api_token:${SECRET}`,
      `replication_device = backend_id:dr,san_ip:h,api_token:x,${SECRET}`,
      `replication_device = ${SECRET}`,
    ];
    for (const line of cases) {
      const error = errorOf(backend(line));
      assert.equal(error.where.line, 8);
      assert.equal(error.where.option, 'replication_device');
      assertNoSecret(error);
    }
    const error = errorOf(backend(`replication_device = ${SECRET}`));
    assert.equal(
      error.message,
      "cinder.conf line 8: [puredriver-1] replication_device: '***' is not NAME:VALUE pairs separated by ','",
    );
    // Glued into a key by oslo's dict parsing: warned about without the key.
    const { warnings } = parse(
      backend(`replication_device = backend_id:dr,san_ip:h,api_token:t,${SECRET},type:sync`),
    );
    assert.deepEqual(
      warnings.map((w) => w.message),
      ["cinder.conf line 8: [puredriver-1] replication_device: unknown key '***' in the entry, ignored"],
    );
    assertNoSecret(warnings);
  });

  test('misspelled, misplaced or malformed secret options do not show their values', () => {
    const texts = [
      backend(`pure_api_tokn = ${SECRET}`),
      backend(`san_password = $${SECRET}`),
      conf('[DEFAULT]', `pure_api_token = ${SECRET}`),
      conf(...BASE.slice(0, 4), `  pure_api_token = ${SECRET}`),
      conf('[DEFAULT]', '[database]', `connection = mysql+pymysql://cinder:${SECRET}@db/cinder`),
      conf('[DEFAULT]', '[database]', `connection = postgresql://cinder:${SECRET}@/cinder`),
      conf('[DEFAULT]', '[database]', `connection = ${SECRET}`),
    ];
    let errors = 0;
    for (const text of texts) {
      try {
        const { warnings } = parse(text);
        assert.ok(warnings.length > 0, text);
        assertNoSecret(warnings);
      } catch (error) {
        assert.ok(error instanceof CinderConfigError);
        assertNoSecret(error);
        errors++;
      }
    }
    assert.equal(errors, 4);
    assertConfigError(
      conf('[DEFAULT]', '[database]', `connection = mysql+pymysql://cinder:${SECRET}@db/cinder`),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 3: [database] connection: '***' uses 'mysql+pymysql'; Tandem's state store is sqlite or postgresql",
    );
  });
});

describe('cinder.conf: [database] connection', () => {
  const database = (...lines: string[]) => parse(conf('[DEFAULT]', ...lines)).config.database;

  test('sqlite: default under state_path (or the working directory), relative, absolute, in memory', () => {
    assert.deepEqual(database(), { kind: 'sqlite', path: '/srv/tandem/cinder.sqlite' });
    assert.deepEqual(database('state_path = var/cinder'), {
      kind: 'sqlite',
      path: '/srv/tandem/var/cinder/cinder.sqlite',
    });
    assert.deepEqual(database('[database]', 'connection = sqlite:///state.db'), {
      kind: 'sqlite',
      path: '/srv/tandem/state.db',
    });
    assert.deepEqual(database('[database]', 'connection = sqlite:////var/lib/c.db?timeout=5'), {
      kind: 'sqlite',
      path: '/var/lib/c.db',
    });
    assert.deepEqual(database('[database]', 'connection = sqlite://'), { kind: 'sqlite', path: ':memory:' });
  });

  test('$state_path is substituted as oslo does', () => {
    assert.deepEqual(
      database('state_path = /data', '[database]', 'connection = sqlite:///$state_path/x.sqlite'),
      {
        kind: 'sqlite',
        path: '/data/x.sqlite',
      },
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo's ${name} template, not JavaScript's
    assert.deepEqual(database('[database]', 'connection = sqlite:///${state_path}/y.sqlite'), {
      kind: 'sqlite',
      path: '/srv/tandem/y.sqlite',
    });
  });

  test('postgresql, with or without an SQLAlchemy driver, keeps a redacted URL for logs', () => {
    assert.deepEqual(
      database('[database]', 'connection = postgresql+psycopg2://cinder:pw@db.lab:5432/cinder'),
      {
        kind: 'postgresql',
        url: 'postgresql://cinder:pw@db.lab:5432/cinder',
        redactedUrl: 'postgresql://cinder:***@db.lab:5432/cinder',
      },
    );
    const withQueryPassword = database(
      '[database]',
      'connection = postgresql://db.lab/cinder?user=c&password=s3cret&sslmode=off',
    );
    assert.equal(
      withQueryPassword.kind === 'postgresql' ? withQueryPassword.redactedUrl : '',
      'postgresql://db.lab/cinder?user=c&password=***&sslmode=off',
      'a password in the query string is hidden too',
    );
    assert.deepEqual(database('[database]', 'connection = postgresql://db.lab/cinder'), {
      kind: 'postgresql',
      url: 'postgresql://db.lab/cinder',
      redactedUrl: 'postgresql://db.lab/cinder',
    });
    assertConfigError(
      conf('[DEFAULT]', '[database]', 'connection = postgres://db.lab/cinder'),
      'CINDER_CONFIG_INVALID_VALUE',
      "cinder.conf line 3: [database] connection: '***' uses 'postgres' (SQLAlchemy spells it 'postgresql'); Tandem's state store is sqlite or postgresql",
    );
  });
});

test('loadCinderConfig: a missing file is CINDER_CONFIG_UNREADABLE naming the path', async () => {
  const path = resolve(FIXTURES, 'does-not-exist.conf');
  await assert.rejects(loadCinderConfig(path), (error) => {
    assert.ok(error instanceof CinderConfigError);
    assert.equal(error.code, 'CINDER_CONFIG_UNREADABLE');
    assert.ok(error.message.startsWith(`${path}: cannot read the file: `));
    return true;
  });
});
