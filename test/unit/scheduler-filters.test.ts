// Cinder's default scheduler pieces: CapabilitiesFilter, CapacityFilter, CapacityWeigher and the
// choice they make together. Expected numbers follow Cinder's arithmetic (sched_utils,
// capacity_filter, weights/capacity, base_weight.normalize) worked by hand in the comments.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capabilityPathOf, checkCapabilities } from '../../src/cinder/scheduler/capabilities-filter.js';
import {
  type CapacityState,
  capacityStateOf,
  checkCapacity,
  type OverSubscriptionSetting,
} from '../../src/cinder/scheduler/capacity.js';
import { capacityWeights } from '../../src/cinder/scheduler/capacity-weigher.js';
import { choosePool, NO_VALID_BACKEND, NO_WEIGHED_BACKENDS } from '../../src/cinder/scheduler/choose-pool.js';
import type { Capabilities, ExtraSpecs, FilterVerdict, PoolStats } from '../../src/cinder/scheduler/types.js';

/** Stats shaped like the Pure driver's `_update_volume_stats` (spec section 8) for one array. */
function pureStats(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    volume_backend_name: 'pure',
    vendor_name: 'Pure Storage',
    driver_version: '22.0.iscsi',
    storage_protocol: 'iSCSI',
    consistencygroup_support: true,
    thin_provisioning_support: true,
    multiattach: true,
    consistent_group_replication_enabled: true,
    consistent_group_snapshot_enabled: true,
    QoS_support: true,
    total_capacity_gb: 1000,
    free_capacity_gb: 600,
    reserved_percentage: 0,
    provisioned_capacity_gb: 2000,
    max_over_subscription_ratio: 20,
    replication_enabled: true,
    replication_type: ['async', 'sync'],
    replication_count: 1,
    replication_targets: ['pure-b'],
    replication_capability: 'sync',
    pool_name: 'pure',
    ...overrides,
  };
}

function reasonOf(verdict: FilterVerdict): string {
  if (verdict.passed) assert.fail('expected a rejection');
  return verdict.reason;
}

function stateOf(capabilities: Capabilities, configured?: OverSubscriptionSetting): CapacityState {
  const result = capacityStateOf(capabilities, configured);
  if (!result.ok) assert.fail(`capacity stats refused: ${result.reason}`);
  return result.state;
}

// --- CapabilitiesFilter ---

const pathRows: readonly [string, string[] | null][] = [
  ['replication_enabled', ['replication_enabled']],
  ['capabilities:replication_enabled', ['replication_enabled']],
  ['capabilities:pool_tags:tier', ['pool_tags', 'tier']],
  ['capabilities', []],
  ['flasharray:vg_name', null],
  ['qos:maxIOPS', null],
  ['provisioning:type', null],
  ['replication_type:x', null],
];
for (const [key, expected] of pathRows) {
  test(`capabilities filter: key '${key}' asks about ${expected === null ? 'nothing (skipped scope)' : `[${expected}]`}`, () => {
    assert.deepEqual(capabilityPathOf(key), expected);
  });
}

interface CapabilityRow {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly specs: ExtraSpecs;
  /** undefined when the pool passes, else a piece of the expected reason. */
  readonly rejectedWith?: string;
}

const nested = pureStats({ pool_tags: { tier: 'gold', site: { name: 'us-east' } } });

const capabilityRows: readonly CapabilityRow[] = [
  { name: 'a volume without a type passes', capabilities: pureStats(), specs: {} },
  {
    name: 'replicated sync type passes on a Pure array offering async and sync',
    capabilities: pureStats(),
    specs: { replication_enabled: '<is> True', replication_type: '<in> sync' },
  },
  {
    name: "'<in> trisync' fails on ['async','sync'] and the reason shows the list",
    capabilities: pureStats(),
    specs: { replication_type: '<in> trisync' },
    rejectedWith: `replication_type='<in> trisync' does not match reported capability ["async","sync"]`,
  },
  {
    name: "'<in> sync' passes on an async-only array (substring of 'async')",
    capabilities: pureStats({ replication_type: ['async'] }),
    specs: { replication_type: '<in> sync' },
  },
  {
    name: 'an empty list capability matches nothing',
    capabilities: pureStats({ replication_type: [] }),
    specs: { replication_type: '<in> async' },
    rejectedWith: 'does not match reported capability []',
  },
  {
    name: "'<is> True' fails on an unreplicated array",
    capabilities: pureStats({ replication_enabled: false }),
    specs: { replication_enabled: '<is> True' },
    rejectedWith: "replication_enabled='<is> True'",
  },
  {
    name: 'unscoped volume_backend_name is checked (match)',
    capabilities: pureStats(),
    specs: { volume_backend_name: 'pure' },
  },
  {
    name: 'unscoped volume_backend_name is checked (mismatch)',
    capabilities: pureStats(),
    specs: { volume_backend_name: 'other' },
    rejectedWith: 'volume_backend_name=\'other\' does not match reported capability "pure"',
  },
  {
    name: "'capabilities:' scope is stripped",
    capabilities: pureStats(),
    specs: { 'capabilities:volume_backend_name': 'pure', 'capabilities:multiattach': '<is> True' },
  },
  {
    name: 'keys with another scope are skipped',
    capabilities: pureStats(),
    specs: { 'flasharray:vg_name': 'vg1', 'qos:maxIOPS': '1000', 'provisioning:type': 'thick' },
  },
  {
    name: 'unscoped maxIOPS fails: no backend reports it (use qos specs)',
    capabilities: pureStats(),
    specs: { maxIOPS: '1000' },
    rejectedWith: "capability 'maxIOPS' is not reported (extra spec 'maxIOPS')",
  },
  {
    name: 'nested key reaches into an object',
    capabilities: nested,
    specs: { 'capabilities:pool_tags:tier': 'gold' },
  },
  {
    name: 'two levels of nesting',
    capabilities: nested,
    specs: { 'capabilities:pool_tags:site:name': '<in> east' },
  },
  {
    name: 'missing nested key is named in the reason',
    capabilities: nested,
    specs: { 'capabilities:pool_tags:rack': 'r1' },
    rejectedWith: "capability 'rack' is not reported",
  },
  {
    name: 'a list cannot be indexed by name',
    capabilities: pureStats(),
    specs: { 'capabilities:replication_type:0': 'async' },
    rejectedWith: "capability '0' is not reported",
  },
  {
    name: 'a string cannot be indexed by name',
    capabilities: pureStats(),
    specs: { 'capabilities:vendor_name:length': '12' },
    rejectedWith: "capability 'length' is not reported",
  },
  {
    name: 'inherited object properties are not capabilities',
    capabilities: pureStats(),
    specs: { 'capabilities:constructor': 'x' },
    rejectedWith: "capability 'constructor' is not reported",
  },
  {
    name: "bare 'capabilities' key holds the whole object: '<in> multiattach' asks for a key",
    capabilities: pureStats(),
    specs: { capabilities: '<in> multiattach' },
  },
  {
    name: "'<in> True' on a boolean capability: Cinder raises, this pool is refused",
    capabilities: pureStats(),
    specs: { multiattach: '<in> True' },
    rejectedWith: 'Cinder raises here',
  },
  {
    name: 'a raising list element stops the search, as Cinder stops there',
    capabilities: pureStats({ replication_targets: [true, 'pure-b'] }),
    specs: { replication_targets: '<in> pure-b' },
    rejectedWith: 'Cinder raises here',
  },
  {
    name: "a null capability fails even '<is> False'",
    capabilities: pureStats({ replication_capability: null }),
    specs: { replication_capability: '<is> False' },
    rejectedWith: 'does not match reported capability null',
  },
];

for (const row of capabilityRows) {
  test(`capabilities filter: ${row.name}`, () => {
    const verdict = checkCapabilities(row.capabilities, row.specs);
    if (row.rejectedWith === undefined) {
      assert.deepEqual(verdict, { passed: true });
    } else {
      assert.ok(reasonOf(verdict).includes(row.rejectedWith), reasonOf(verdict));
    }
  });
}

// --- capacity stats and over-subscription ratio ---

test("capacity stats: missing keys take Cinder's defaults", () => {
  assert.deepEqual(stateOf({}), {
    totalCapacityGiB: 0,
    freeCapacityGiB: 0,
    provisionedCapacityGiB: 0,
    reservedPercentage: 0,
    thinProvisioningSupport: false,
    maxOverSubscriptionRatio: 1,
  });
});

test('capacity stats: provisioned capacity defaults to allocated capacity', () => {
  assert.equal(stateOf({ allocated_capacity_gb: 70 }).provisionedCapacityGiB, 70);
  assert.equal(
    stateOf({ allocated_capacity_gb: 70, provisioned_capacity_gb: 90 }).provisionedCapacityGiB,
    90,
  );
});

test("capacity stats: thin_provisioning_support 'False' (a string) is truthy, as in Python", () => {
  assert.equal(stateOf({ thin_provisioning_support: 'False' }).thinProvisioningSupport, true);
});

const thinPool = {
  total_capacity_gb: 1000,
  free_capacity_gb: 600,
  provisioned_capacity_gb: 2000,
  thin_provisioning_support: true,
};

const ratioRows: readonly [string, Capabilities, OverSubscriptionSetting | undefined, number][] = [
  ['a thin pool reporting 1.5 uses 1.5', { ...thinPool, max_over_subscription_ratio: 1.5 }, undefined, 1.5],
  [
    "a thin pool reporting '1.5' (text) uses 1.5",
    { ...thinPool, max_over_subscription_ratio: '1.5' },
    undefined,
    1.5,
  ],
  ['a thin pool reporting nothing uses the configured default 20', thinPool, undefined, 20],
  [
    'a thin pool reporting 0 falls back to the configured ratio',
    { ...thinPool, max_over_subscription_ratio: 0 },
    3,
    3,
  ],
  [
    "a thin pool reporting '0' (text) gets 0",
    { ...thinPool, max_over_subscription_ratio: '0' },
    undefined,
    0,
  ],
  [
    "'auto' with provisioned 2000, used 400: 1 + 2000 / 401",
    { ...thinPool, max_over_subscription_ratio: 'auto' },
    undefined,
    1 + 2000 / 401,
  ],
  ["configured 'auto' applies to a pool that reports nothing", thinPool, 'auto', 1 + 2000 / 401],
  [
    "'auto' on an empty pool starts at 20",
    { ...thinPool, provisioned_capacity_gb: 0, max_over_subscription_ratio: 'auto' },
    undefined,
    20,
  ],
  [
    'a thick pool is always 1',
    { ...thinPool, thin_provisioning_support: false, max_over_subscription_ratio: 5 },
    undefined,
    1,
  ],
  [
    "a pool with 'unknown' free capacity is 1",
    { ...thinPool, free_capacity_gb: 'unknown', max_over_subscription_ratio: 5 },
    undefined,
    1,
  ],
];
for (const [name, capabilities, configured, expected] of ratioRows) {
  test(`over-subscription ratio: ${name}`, () => {
    assert.equal(stateOf(capabilities, configured).maxOverSubscriptionRatio, expected);
  });
}

const malformedRows: readonly [string, Capabilities, string][] = [
  ['total as text', { total_capacity_gb: 'lots' }, 'total_capacity_gb="lots"'],
  ['total null', { total_capacity_gb: null }, 'total_capacity_gb=null'],
  ['free as text', { free_capacity_gb: '10' }, 'free_capacity_gb="10"'],
  ['reserved as a list', { reserved_percentage: [5] }, 'reserved_percentage=[5]'],
  [
    'ratio as a word',
    { ...thinPool, max_over_subscription_ratio: 'lots' },
    'malformed max_over_subscription_ratio "lots"',
  ],
];
for (const [name, capabilities, reason] of malformedRows) {
  test(`capacity stats: ${name} is refused with a reason`, () => {
    const result = capacityStateOf(capabilities);
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(result.reason.includes(reason), result.reason);
  });
}

// --- CapacityFilter ---

interface CapacityRow {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly sizeGiB: number;
  readonly specs?: ExtraSpecs;
  readonly rejectedWith?: string;
}

const thick = { 'provisioning:type': 'thick' };
const capacityRows: readonly CapacityRow[] = [
  // thin: available = total x ratio - provisioned = 1000 x 20 - 5000 = 15000
  {
    name: 'thin: 100 GiB fits in 15000 GiB of virtual space',
    capabilities: { ...thinPool, provisioned_capacity_gb: 5000, max_over_subscription_ratio: 20 },
    sizeGiB: 100,
  },
  // thin: 100 x 20 - 1990 = 10 GiB of virtual space left
  {
    name: 'thin: 10 GiB fits in the last 10 GiB',
    capabilities: {
      total_capacity_gb: 100,
      free_capacity_gb: 10,
      provisioned_capacity_gb: 1990,
      thin_provisioning_support: true,
    },
    sizeGiB: 10,
  },
  {
    name: 'thin: 20 GiB does not fit in 10 GiB',
    capabilities: {
      total_capacity_gb: 100,
      free_capacity_gb: 10,
      provisioned_capacity_gb: 1990,
      thin_provisioning_support: true,
    },
    sizeGiB: 20,
    rejectedWith: 'insufficient free virtual space: 10 GiB available, 20 GiB requested (thin)',
  },
  // auto: ratio 1 + 2000/401; 1000 x ratio - 2000 = 3987.531..., rounded to 3987.53
  {
    name: "thin 'auto': 3987 GiB fits in 3987.53",
    capabilities: { ...thinPool, max_over_subscription_ratio: 'auto' },
    sizeGiB: 3987,
  },
  {
    name: "thin 'auto': 3988 GiB does not fit in 3987.53",
    capabilities: { ...thinPool, max_over_subscription_ratio: 'auto' },
    sizeGiB: 3988,
    rejectedWith: '3987.53 GiB available',
  },
  {
    name: 'thin: a ratio below 1 is refused',
    capabilities: { ...thinPool, max_over_subscription_ratio: 0.5 },
    sizeGiB: 1,
    rejectedWith: 'over-subscription ratio 0.50 is below 1.0',
  },
  {
    name: "thin: a reported '0' ratio is refused",
    capabilities: { ...thinPool, max_over_subscription_ratio: '0' },
    sizeGiB: 1,
    rejectedWith: 'below 1.0',
  },
  // 100% reserve leaves 0 GiB to over-subscribe: Cinder divides by zero, we refuse the pool.
  {
    name: 'thin: a 100% reserve is refused (Cinder raises ZeroDivisionError)',
    capabilities: { ...thinPool, reserved_percentage: 100, provisioned_capacity_gb: 0 },
    sizeGiB: 1,
    rejectedWith: 'above the maximum over-subscription ratio',
  },
  // thick on a thin pool: 1000 - 5000 provisioned < 0 left, whatever the array's free space says.
  {
    name: 'thick type on an over-subscribed thin pool is refused',
    capabilities: { ...thinPool, free_capacity_gb: 900, provisioned_capacity_gb: 5000 },
    sizeGiB: 1,
    specs: thick,
    rejectedWith: 'insufficient free space: -4000 GiB available',
  },
  {
    name: "'Thick' (capital T) is not 'thick', so thin rules apply",
    capabilities: { ...thinPool, free_capacity_gb: 900, provisioned_capacity_gb: 5000 },
    sizeGiB: 1,
    specs: { 'provisioning:type': 'Thick' },
  },
  // thick: min(free 1000, total 1000 - reserved floor(100) - provisioned 0) = 900
  {
    name: 'thick: 10% reserve leaves 900 of 1000 GiB, 900 fits',
    capabilities: { total_capacity_gb: 1000, free_capacity_gb: 1000, reserved_percentage: 10 },
    sizeGiB: 900,
  },
  {
    name: 'thick: 10% reserve leaves 900 of 1000 GiB, 901 does not fit',
    capabilities: { total_capacity_gb: 1000, free_capacity_gb: 1000, reserved_percentage: 10 },
    sizeGiB: 901,
    rejectedWith: '900 GiB available',
  },
  // reserve is floor(1001 x 0.1) = 100 whole GiB, leaving 901
  {
    name: 'thick: the reserve is rounded down to whole GiB',
    capabilities: { total_capacity_gb: 1001, free_capacity_gb: 1001, reserved_percentage: 10 },
    sizeGiB: 901,
  },
  // min(free 300, 1000 - 100) = 300: the reserve is not taken out of the reported free space
  {
    name: 'thick: the reserve is not taken out of reported free space',
    capabilities: { total_capacity_gb: 1000, free_capacity_gb: 300, reserved_percentage: 10 },
    sizeGiB: 300,
  },
  {
    name: "'infinite' free capacity takes anything",
    capabilities: { total_capacity_gb: 10, free_capacity_gb: 'infinite' },
    sizeGiB: 1_000_000,
  },
  {
    name: "'unknown' free capacity takes anything",
    capabilities: { total_capacity_gb: 10, free_capacity_gb: 'unknown', reserved_percentage: 50 },
    sizeGiB: 1_000_000,
  },
  {
    name: "'infinite' total without reserve passes even above free",
    capabilities: { total_capacity_gb: 'infinite', free_capacity_gb: 10 },
    sizeGiB: 1000,
  },
  {
    name: "'unknown' total with a reserve is refused",
    capabilities: { total_capacity_gb: 'unknown', free_capacity_gb: 10, reserved_percentage: 5 },
    sizeGiB: 1,
    rejectedWith: "cannot reserve 5% of a total capacity reported as 'unknown'",
  },
  {
    name: 'null free capacity is refused (fail safe)',
    capabilities: { total_capacity_gb: 10, free_capacity_gb: null },
    sizeGiB: 1,
    rejectedWith: 'free capacity is not reported',
  },
  {
    name: 'a 0 GiB manage request passes even with null free capacity',
    capabilities: { total_capacity_gb: 10, free_capacity_gb: null },
    sizeGiB: 0,
  },
  {
    name: 'a pool reporting nothing has 0 GiB total and is refused',
    capabilities: {},
    sizeGiB: 1,
    rejectedWith: 'total capacity is 0.00 GiB',
  },
];

for (const row of capacityRows) {
  test(`capacity filter: ${row.name}`, () => {
    const verdict = checkCapacity(stateOf(row.capabilities), row.sizeGiB, row.specs ?? {});
    if (row.rejectedWith === undefined) {
      assert.deepEqual(verdict, { passed: true });
    } else {
      assert.ok(reasonOf(verdict).includes(row.rejectedWith), reasonOf(verdict));
    }
  });
}

// --- CapacityWeigher ---

// Virtual free space for a thin request: A 500 (thick pool, min(free 500, 1000)), B 2 x 1000 - 1000
// = 1000, C unknown (weighs -1), D 1000 - 100 reserved - 900 provisioned = 0.
const weigherPools: readonly Capabilities[] = [
  { total_capacity_gb: 1000, free_capacity_gb: 500 },
  { ...thinPool, free_capacity_gb: 800, provisioned_capacity_gb: 1000, max_over_subscription_ratio: 2 },
  { total_capacity_gb: 1000, free_capacity_gb: 'unknown' },
  {
    ...thinPool,
    free_capacity_gb: 100,
    provisioned_capacity_gb: 900,
    max_over_subscription_ratio: 1,
    reserved_percentage: 10,
  },
];
const weigherStates = weigherPools.map((capabilities) => stateOf(capabilities));

function assertWeights(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((weight, index) => {
    assert.ok(
      Math.abs(weight - expected[index]!) < 1e-12,
      `weight ${index}: ${weight} != ${expected[index]}`,
    );
  });
}

test('capacity weigher: spreading normalises virtual free space between -1 and 1000', () => {
  assertWeights(capacityWeights(weigherStates, true), [501 / 1001, 1, 0, 1 / 1001]);
});

test('capacity weigher: a thick request weighs the thin pools by what is left unprovisioned', () => {
  // A 500; B thick arithmetic min(800, 1000 - 1000) = 0; C -1; D min(100, 900 - 900) = 0
  assertWeights(capacityWeights(weigherStates, false), [1, 1 / 501, 0, 1 / 501]);
});

test('capacity weigher: stacking (multiplier -1) puts the unbounded pool just past the fullest', () => {
  // raw A 500, B 1000, C infinite, D 0; infinity becomes 1000 + (1000 - 0) x 100 = 101000
  assertWeights(capacityWeights(weigherStates, true, -1), [-500 / 101000, -1000 / 101000, -1, 0]);
});

test('capacity weigher: multiplier 2 doubles the scale', () => {
  assertWeights(capacityWeights(weigherStates, true, 2), [1002 / 1001, 2, 0, 2 / 1001]);
});

test('capacity weigher: equal pools all weigh 0', () => {
  const same = stateOf({ total_capacity_gb: 100, free_capacity_gb: 50 });
  assert.deepEqual(capacityWeights([same, same, same], true), [0, 0, 0]);
});

test('capacity weigher: stacking over only unbounded pools weighs them 0 (Cinder raises ValueError)', () => {
  const unbounded = stateOf({ total_capacity_gb: 'infinite', free_capacity_gb: 'infinite' });
  assert.deepEqual(capacityWeights([unbounded, unbounded], true, -1), [0, 0]);
});

test('capacity weigher: no pools, no weights', () => {
  assert.deepEqual(capacityWeights([], true), []);
});

// --- choosePool ---

const arrayA: PoolStats = {
  name: 'cinder-1@pure-a#pure-a',
  availabilityZone: 'az1',
  capabilities: pureStats({ volume_backend_name: 'pure-a' }),
};
// Not replicated, and with more virtual space: 1000 x 20 - 1000 = 19000 against A's 18000.
const arrayB: PoolStats = {
  name: 'cinder-2@pure-b#pure-b',
  availabilityZone: 'az2',
  capabilities: pureStats({
    volume_backend_name: 'pure-b',
    provisioned_capacity_gb: 1000,
    replication_enabled: false,
    replication_type: [],
    replication_count: 0,
    replication_targets: [],
    replication_capability: null,
  }),
};

test('choose pool: an unreplicated type goes to the pool with the most virtual space', () => {
  const choice = choosePool([arrayA, arrayB], { sizeGiB: 10, extraSpecs: {} });
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, arrayB.name);
  assert.deepEqual(
    choice.ranking.map((weighed) => [weighed.pool.name, weighed.weight]),
    [
      [arrayB.name, 1],
      [arrayA.name, 0],
    ],
  );
  assert.deepEqual(choice.rejections, []);
});

test('choose pool: a sync-replicated type only fits the replicated array', () => {
  const choice = choosePool([arrayA, arrayB], {
    sizeGiB: 10,
    extraSpecs: { replication_enabled: '<is> True', replication_type: '<in> sync' },
  });
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, arrayA.name);
  assert.deepEqual(
    choice.rejections.map((rejection) => [rejection.pool, rejection.filter]),
    [[arrayB.name, 'CapabilitiesFilter']],
  );
});

test('choose pool: the availability zone narrows the choice', () => {
  const choice = choosePool([arrayA, arrayB], { sizeGiB: 10, extraSpecs: {}, availabilityZone: 'az1' });
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, arrayA.name);
  assert.equal(choice.rejections[0]?.reason, "availability zone 'az2' is not the requested 'az1'");
});

test('choose pool: nothing fits -> No valid backend, with every pool and its reason', () => {
  const choice = choosePool([arrayA, arrayB], { sizeGiB: 10, extraSpecs: {}, availabilityZone: 'az3' });
  assert.equal(choice.ok, false);
  if (choice.ok) return;
  assert.ok(choice.reason.startsWith(`${NO_VALID_BACKEND} ${NO_WEIGHED_BACKENDS}: `), choice.reason);
  assert.equal(NO_VALID_BACKEND, 'No valid backend was found.');
  assert.ok(choice.reason.includes(`${arrayA.name} (AvailabilityZoneFilter): availability zone 'az1'`));
  assert.ok(choice.reason.includes(`${arrayB.name} (AvailabilityZoneFilter): availability zone 'az2'`));
  assert.equal(choice.rejections.length, 2);
});

test('choose pool: a pool failing capacity and capabilities is reported under CapacityFilter (runs first)', () => {
  const choice = choosePool([arrayB], { sizeGiB: 100_000, extraSpecs: { replication_enabled: '<is> True' } });
  assert.equal(choice.ok, false);
  if (choice.ok) return;
  assert.deepEqual(
    choice.rejections.map((rejection) => rejection.filter),
    ['CapacityFilter'],
  );
});

test('choose pool: no pools reported', () => {
  const choice = choosePool([], { sizeGiB: 1, extraSpecs: {} });
  assert.equal(choice.ok, false);
  if (!choice.ok)
    assert.equal(
      choice.reason,
      'No valid backend was found. No weighed backends available: no pools reported',
    );
});

test('choose pool: a size that is not whole GiB is an invalid request', () => {
  const choice = choosePool([arrayA], { sizeGiB: 1.5, extraSpecs: {} });
  assert.equal(choice.ok, false);
  if (!choice.ok) assert.ok(choice.reason.startsWith('invalid request'), choice.reason);
});

test('choose pool: malformed stats refuse that pool only', () => {
  const broken: PoolStats = {
    ...arrayA,
    name: 'cinder-3@broken#broken',
    capabilities: { total_capacity_gb: 'lots' },
  };
  const choice = choosePool([broken, arrayB], { sizeGiB: 1, extraSpecs: {} });
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, arrayB.name);
  assert.deepEqual(choice.rejections[0], {
    pool: broken.name,
    filter: 'CapacityFilter',
    reason: 'malformed capacity stats: total_capacity_gb="lots"',
  });
});

test('choose pool: the configured ratio applies to pools that report none', () => {
  // 100 GiB thin pool with 150 provisioned: ratio 20 leaves 1850 GiB, ratio 1 leaves none.
  const small: PoolStats = {
    name: 'cinder-4@small#small',
    availabilityZone: 'nova',
    capabilities: {
      total_capacity_gb: 100,
      free_capacity_gb: 100,
      provisioned_capacity_gb: 150,
      thin_provisioning_support: true,
    },
  };
  assert.ok(choosePool([small], { sizeGiB: 10, extraSpecs: {} }).ok);
  const strict = choosePool([small], { sizeGiB: 10, extraSpecs: {} }, { maxOverSubscriptionRatio: 1 });
  assert.equal(strict.ok, false);
});

test('choose pool: stacking (negative multiplier) picks the fuller pool', () => {
  const choice = choosePool(
    [arrayA, arrayB],
    { sizeGiB: 10, extraSpecs: {} },
    { capacityWeightMultiplier: -1 },
  );
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, arrayA.name);
});

test('choose pool: equal weights keep the listed order', () => {
  const twin: PoolStats = { ...arrayA, name: 'cinder-1@pure-a#twin' };
  const choice = choosePool([twin, arrayA], { sizeGiB: 10, extraSpecs: {} });
  assert.ok(choice.ok);
  assert.equal(choice.pool.name, twin.name);
});
