// Placing one new volume, as Cinder's FilterScheduler does with its default configuration: the
// filters AvailabilityZoneFilter, CapacityFilter and CapabilitiesFilter (in that order), then the
// CapacityWeigher; the heaviest pool wins and ties go to the pool listed first.

import { checkCapabilities } from './capabilities-filter.js';
import {
  type CapacityState,
  capacityStateOf,
  checkCapacity,
  MAX_OVER_SUBSCRIPTION_RATIO_DEFAULT,
  type OverSubscriptionSetting,
  wantsThinProvisioning,
} from './capacity.js';
import { CAPACITY_WEIGHT_MULTIPLIER_DEFAULT, capacityWeights } from './capacity-weigher.js';
import { type FilterVerdict, PASSED, type PoolStats, rejected, type VolumeRequest } from './types.js';

/** The text of Cinder's NoValidBackend error, and the reason it gives when every pool was filtered out. */
export const NO_VALID_BACKEND = 'No valid backend was found.';
export const NO_WEIGHED_BACKENDS = 'No weighed backends available';

export type SchedulerFilterName = 'AvailabilityZoneFilter' | 'CapacityFilter' | 'CapabilitiesFilter';

export interface PoolRejection {
  readonly pool: string;
  /** The first filter, in Cinder's order, that refused the pool. */
  readonly filter: SchedulerFilterName;
  readonly reason: string;
}

export interface WeighedPool {
  readonly pool: PoolStats;
  readonly weight: number;
}

/** The cinder.conf settings the default filters and weigher read. */
export interface SchedulerOptions {
  /** `max_over_subscription_ratio`, used for pools that do not report their own. Default 20. */
  readonly maxOverSubscriptionRatio?: OverSubscriptionSetting;
  /** `capacity_weight_multiplier`: positive spreads volumes, negative stacks them. Default 1.0. */
  readonly capacityWeightMultiplier?: number;
}

export type PoolChoice =
  | {
      readonly ok: true;
      readonly pool: PoolStats;
      readonly weight: number;
      /** Every pool that passed the filters, heaviest first. */
      readonly ranking: readonly WeighedPool[];
      readonly rejections: readonly PoolRejection[];
    }
  | { readonly ok: false; readonly reason: string; readonly rejections: readonly PoolRejection[] };

/** AvailabilityZoneFilter: with a zone in the request, only pools of services in that zone pass. */
export function checkAvailabilityZone(pool: PoolStats, request: VolumeRequest): FilterVerdict {
  const wanted = request.availabilityZone;
  // An empty zone counts as none, as Cinder tests the requested zone for truthiness.
  if (wanted === undefined || wanted === '' || wanted === pool.availabilityZone) return PASSED;
  return rejected(`availability zone '${pool.availabilityZone}' is not the requested '${wanted}'`);
}

/** Picks the pool for `request`, or says why no pool can take it. */
export function choosePool(
  pools: readonly PoolStats[],
  request: VolumeRequest,
  options: SchedulerOptions = {},
): PoolChoice {
  if (!Number.isSafeInteger(request.sizeGiB) || request.sizeGiB < 0) {
    return {
      ok: false,
      reason: `invalid request: size ${request.sizeGiB} is not a whole number of GiB`,
      rejections: [],
    };
  }
  const configuredRatio = options.maxOverSubscriptionRatio ?? MAX_OVER_SUBSCRIPTION_RATIO_DEFAULT;
  const survivors: { pool: PoolStats; state: CapacityState }[] = [];
  const rejections: PoolRejection[] = [];
  for (const pool of pools) {
    const outcome = filterPool(pool, request, configuredRatio);
    if ('filter' in outcome) rejections.push(outcome);
    else survivors.push({ pool, state: outcome.state });
  }
  if (survivors.length === 0) return { ok: false, reason: noValidBackendReason(rejections), rejections };

  const weights = capacityWeights(
    survivors.map((survivor) => survivor.state),
    wantsThinProvisioning(request.extraSpecs),
    options.capacityWeightMultiplier ?? CAPACITY_WEIGHT_MULTIPLIER_DEFAULT,
  );
  const ranking = survivors.map((survivor, index) => ({ pool: survivor.pool, weight: weights[index]! }));
  // Array.prototype.sort is stable, so equal weights keep the pools' order, as Python's sorted does.
  ranking.sort((a, b) => b.weight - a.weight);
  const best = ranking[0]!;
  return { ok: true, pool: best.pool, weight: best.weight, ranking, rejections };
}

function filterPool(
  pool: PoolStats,
  request: VolumeRequest,
  configuredRatio: OverSubscriptionSetting,
): PoolRejection | { state: CapacityState } {
  const zone = checkAvailabilityZone(pool, request);
  if (!zone.passed) return { pool: pool.name, filter: 'AvailabilityZoneFilter', reason: zone.reason };
  const parsed = capacityStateOf(pool.capabilities, configuredRatio);
  if (!parsed.ok) return { pool: pool.name, filter: 'CapacityFilter', reason: parsed.reason };
  const capacity = checkCapacity(parsed.state, request.sizeGiB, request.extraSpecs);
  if (!capacity.passed) return { pool: pool.name, filter: 'CapacityFilter', reason: capacity.reason };
  const capabilities = checkCapabilities(pool.capabilities, request.extraSpecs);
  if (!capabilities.passed)
    return { pool: pool.name, filter: 'CapabilitiesFilter', reason: capabilities.reason };
  return { state: parsed.state };
}

/**
 * Cinder's message is only "No valid backend was found. No weighed backends available"; the
 * per-pool reasons, which Cinder leaves in debug logs, follow it so a user can see why.
 */
function noValidBackendReason(rejections: readonly PoolRejection[]): string {
  const details =
    rejections.length === 0
      ? 'no pools reported'
      : rejections.map((r) => `${r.pool} (${r.filter}): ${r.reason}`).join('; ');
  return `${NO_VALID_BACKEND} ${NO_WEIGHED_BACKENDS}: ${details}`;
}
