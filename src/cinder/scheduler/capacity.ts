// Cinder's CapacityFilter (cinder/scheduler/filters/capacity_filter.py) and the capacity arithmetic
// it shares with the CapacityWeigher (cinder/scheduler/sched_utils.py): reserved space,
// thin provisioning with an over-subscription ratio (a number or 'auto'), and backends that
// report 'infinite' or 'unknown' instead of a size. All sizes are GiB, as Cinder's `_gb` keys are.

import { isTruthy, pythonFloat, roundToHundredths } from './python-semantics.js';
import {
  type Capabilities,
  describeValue,
  type ExtraSpecs,
  type FilterVerdict,
  PASSED,
  rejected,
} from './types.js';

/** A reported size, or one of the two words drivers use when they cannot say. */
export type CapacityGiB = number | 'infinite' | 'unknown';

/** cinder.conf `max_over_subscription_ratio` when the operator leaves it alone ('20.0'). */
export const MAX_OVER_SUBSCRIPTION_RATIO_DEFAULT = 20;
/** The ratio 'auto' starts from while a pool has nothing provisioned yet (Cinder's INITIAL_AUTO_MOSR). */
export const AUTO_OVER_SUBSCRIPTION_RATIO_INITIAL = 20;

/** The operator's setting: a ratio, or 'auto' to derive it from how full the pool is. */
export type OverSubscriptionSetting = number | 'auto';

/** What the capacity code reads from a pool's stats, with Cinder's defaults for missing keys. */
export interface CapacityState {
  readonly totalCapacityGiB: CapacityGiB;
  /** null when the driver explicitly reported none: Cinder then refuses to place anything there. */
  readonly freeCapacityGiB: CapacityGiB | null;
  /** What the pool's volumes could grow to; defaults to allocated_capacity_gb as in Cinder. */
  readonly provisionedCapacityGiB: number;
  readonly reservedPercentage: number;
  readonly thinProvisioningSupport: boolean;
  /** Already resolved: 1 for thick pools, 'auto' turned into a number. */
  readonly maxOverSubscriptionRatio: number;
}

export function isUnbounded(value: CapacityGiB | null): value is 'infinite' | 'unknown' {
  return value === 'infinite' || value === 'unknown';
}

export type CapacityStateResult =
  | { readonly ok: true; readonly state: CapacityState }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the capacity keys the way Cinder's PoolState does. Where Cinder would raise on a malformed
 * value (a size that is text, a ratio that is not a number) the pool gets a reason instead.
 */
export function capacityStateOf(
  capabilities: Capabilities,
  configuredRatio: OverSubscriptionSetting = MAX_OVER_SUBSCRIPTION_RATIO_DEFAULT,
): CapacityStateResult {
  const total = readSize(capabilities, 'total_capacity_gb');
  const free = readSize(capabilities, 'free_capacity_gb');
  const allocated = readPlainNumber(capabilities, 'allocated_capacity_gb', 0);
  if (typeof allocated === 'string') return { ok: false, reason: allocated };
  const provisioned = readPlainNumber(capabilities, 'provisioned_capacity_gb', allocated);
  const reserved = Object.hasOwn(capabilities, 'reserved_percentage')
    ? pythonFloat(capabilities['reserved_percentage'])
    : 0;
  // A null total is not a sentinel: Cinder's float(None) would raise.
  if (total === null) return { ok: false, reason: malformed(capabilities, 'total_capacity_gb') };
  if (typeof total === 'object') return { ok: false, reason: total.malformed };
  if (typeof free === 'object' && free !== null) return { ok: false, reason: free.malformed };
  if (typeof provisioned === 'string') return { ok: false, reason: provisioned };
  if (typeof reserved !== 'number')
    return { ok: false, reason: malformed(capabilities, 'reserved_percentage') };
  // QUIRK (kept): Cinder tests this flag for truthiness, so a driver reporting the string 'False'
  // counts as thin-capable. Real drivers report a boolean.
  const thin = isTruthy(capabilities['thin_provisioning_support'] ?? false);
  const ratio = resolveOverSubscriptionRatio(
    capabilities,
    { total, free, provisioned, thin },
    configuredRatio,
  );
  if (typeof ratio === 'string') return { ok: false, reason: ratio };
  const state: CapacityState = {
    totalCapacityGiB: total,
    freeCapacityGiB: free,
    provisionedCapacityGiB: provisioned,
    reservedPercentage: reserved,
    thinProvisioningSupport: thin,
    maxOverSubscriptionRatio: ratio,
  };
  return { ok: true, state };
}

function malformed(capabilities: Capabilities, key: string): string {
  return `malformed capacity stats: ${key}=${describeValue(capabilities[key])}`;
}

/**
 * A size key: missing reads as 0 (Cinder's default), null stays null, text must be a sentinel word.
 * Numeric text such as '10' is refused: Cinder raises on it in some paths (thick arithmetic compares
 * it with a float) and not others, and no driver reports sizes as text.
 */
function readSize(capabilities: Capabilities, key: string): CapacityGiB | null | { malformed: string } {
  if (!Object.hasOwn(capabilities, key)) return 0;
  const value = capabilities[key];
  if (value === null || value === 'infinite' || value === 'unknown') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return { malformed: malformed(capabilities, key) };
}

/** A number-only key; a string result is the reason it is malformed. */
function readPlainNumber(capabilities: Capabilities, key: string, fallback: number): number | string {
  if (!Object.hasOwn(capabilities, key)) return fallback;
  const value = capabilities[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : malformed(capabilities, key);
}

interface RatioInputs {
  readonly total: CapacityGiB | null;
  readonly free: CapacityGiB | null;
  readonly provisioned: number;
  readonly thin: boolean;
}

/**
 * Cinder's calculate_max_over_subscription_ratio: the pool's own setting wins over the configured
 * one, and 'auto' derives a ratio from what is provisioned against what is used. A string result
 * is the reason the ratio cannot be worked out.
 */
export function resolveOverSubscriptionRatio(
  capabilities: Capabilities,
  inputs: RatioInputs,
  configuredRatio: OverSubscriptionSetting,
): number | string {
  // Thick pools never over-subscribe, and unbounded pools skip the ratio checks altogether.
  if (!inputs.thin) return 1;
  if (isUnbounded(inputs.total) || isUnbounded(inputs.free)) return 1;
  const reported = capabilities['max_over_subscription_ratio'];
  // QUIRK (kept): Cinder falls back on any falsy report, so a pool reporting 0 gets the configured
  // ratio, while the string '0' is taken as a ratio of 0 (which the filter then refuses).
  const setting = isTruthy(reported) ? reported : configuredRatio;
  if (setting === 'auto') {
    if (inputs.provisioned === 0) return AUTO_OVER_SUBSCRIPTION_RATIO_INITIAL;
    if (typeof inputs.total !== 'number' || typeof inputs.free !== 'number') {
      return 'cannot derive an auto over-subscription ratio without numeric total and free capacity';
    }
    // The +1 keeps an empty pool from dividing by zero; free above total by exactly 1 still would.
    const usedPlusOne = inputs.total - inputs.free + 1;
    if (usedPlusOne === 0) return 'cannot derive an auto over-subscription ratio: used capacity is -1 GiB';
    return 1 + inputs.provisioned / usedPlusOne;
  }
  const ratio = pythonFloat(setting);
  if (typeof ratio !== 'number') return `malformed max_over_subscription_ratio ${describeValue(setting)}`;
  return ratio;
}

/** The derived sizes Cinder's calculate_capacity_factors produces that the filter and weigher use. */
export interface CapacityFactors {
  /** floor(total x reserved%): Cinder reserves whole GiB. */
  readonly reservedCapacityGiB: number;
  /** Total minus reserved, times the ratio when thin. Rounded to hundredths as Cinder does. */
  readonly totalAvailableCapacityGiB: number;
  /** What a new volume can still take; the number both the filter and the weigher act on. */
  readonly virtualFreeCapacityGiB: number;
  readonly provisionedType: 'thin' | 'thick';
}

/**
 * Cinder's capacity arithmetic for a pool with numeric total and free capacity. `thin` is whether
 * the volume type asks for thin provisioning; it only counts where the pool supports it.
 */
export function capacityFactors(
  totalGiB: number,
  freeGiB: number,
  state: CapacityState,
  thin: boolean,
): CapacityFactors {
  const reservedCapacity = Math.floor(totalGiB * (state.reservedPercentage / 100));
  const totalReservedAvailable = totalGiB - reservedCapacity;
  const thinPlacement = thin && state.thinProvisioningSupport;
  const totalAvailable = thinPlacement
    ? totalReservedAvailable * state.maxOverSubscriptionRatio
    : totalReservedAvailable;
  const calculatedFree = totalAvailable - state.provisionedCapacityGiB;
  // QUIRK (kept): for thick placement the reported free space caps the result but is not itself
  // reduced by the reserve, and provisioned capacity counts against total even on a thin-capable
  // pool, so a thick volume type is refused by a heavily over-subscribed array.
  const virtualFree = !thinPlacement && freeGiB < calculatedFree ? freeGiB : calculatedFree;
  return {
    reservedCapacityGiB: reservedCapacity,
    totalAvailableCapacityGiB: roundToHundredths(totalAvailable),
    virtualFreeCapacityGiB: roundToHundredths(virtualFree),
    provisionedType: thinPlacement ? 'thin' : 'thick',
  };
}

/** Volume types ask for thick volumes with `provisioning:type=thick`; everything else is thin. */
export function wantsThinProvisioning(extraSpecs: ExtraSpecs): boolean {
  // QUIRK (kept): an exact string test, so 'Thick' or '<in> thick' still mean thin.
  return extraSpecs['provisioning:type'] !== 'thick';
}

/** Cinder's CapacityFilter for one pool and a request of `sizeGiB`. */
export function checkCapacity(state: CapacityState, sizeGiB: number, extraSpecs: ExtraSpecs): FilterVerdict {
  // Managing an existing volume asks for 0 GiB, which any pool can take.
  if (sizeGiB === 0) return PASSED;
  const free = state.freeCapacityGiB;
  const total = state.totalCapacityGiB;
  if (free === null) return rejected('free capacity is not reported (null): stats collection is broken');
  // A pool that cannot report its free space is trusted; a failed create gets rescheduled.
  if (isUnbounded(free)) return PASSED;
  if (isUnbounded(total)) {
    // With an unbounded total there is no way to work out how much the reserve holds back.
    if (state.reservedPercentage === 0) return PASSED;
    return rejected(`cannot reserve ${state.reservedPercentage}% of a total capacity reported as '${total}'`);
  }
  if (total <= 0) return rejected(`total capacity is ${total.toFixed(2)} GiB`);
  return checkNumericCapacity(state, total, free, sizeGiB, wantsThinProvisioning(extraSpecs));
}

function checkNumericCapacity(
  state: CapacityState,
  total: number,
  free: number,
  sizeGiB: number,
  thin: boolean,
): FilterVerdict {
  // The ratio is already 1 for a pool without thin support, as Cinder's filter forces it to be.
  const factors = capacityFactors(total, free, state, thin);
  const available = factors.virtualFreeCapacityGiB;
  if (thin && state.thinProvisioningSupport) {
    // Written so that a NaN ratio is refused too.
    if (!(state.maxOverSubscriptionRatio >= 1)) {
      return rejected(`over-subscription ratio ${state.maxOverSubscriptionRatio.toFixed(2)} is below 1.0`);
    }
    // QUIRK (diverges): with a 100% reserve the denominator is 0 and Cinder raises
    // ZeroDivisionError; here the ratio is infinite and the pool is refused.
    const projectedRatio = (state.provisionedCapacityGiB + sizeGiB) / factors.totalAvailableCapacityGiB;
    if (projectedRatio > state.maxOverSubscriptionRatio) {
      return rejected(
        `provisioned/total ratio would be ${projectedRatio.toFixed(2)}, above the maximum ` +
          `over-subscription ratio ${state.maxOverSubscriptionRatio.toFixed(2)}`,
      );
    }
    if (available >= sizeGiB) return PASSED;
    return rejected(
      `insufficient free virtual space: ${available} GiB available, ${sizeGiB} GiB requested (thin)`,
    );
  }
  if (available < sizeGiB) {
    return rejected(`insufficient free space: ${available} GiB available, ${sizeGiB} GiB requested`);
  }
  return PASSED;
}
