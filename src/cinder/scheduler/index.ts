// The scheduler's public surface: Cinder's extra-spec grammar, its default filters and weigher, and
// choosePool, which runs them over a set of pools.

export { capabilityPathOf, checkCapabilities } from './capabilities-filter.js';
export {
  AUTO_OVER_SUBSCRIPTION_RATIO_INITIAL,
  type CapacityFactors,
  type CapacityGiB,
  type CapacityState,
  type CapacityStateResult,
  capacityFactors,
  capacityStateOf,
  checkCapacity,
  MAX_OVER_SUBSCRIPTION_RATIO_DEFAULT,
  type OverSubscriptionSetting,
  resolveOverSubscriptionRatio,
  wantsThinProvisioning,
} from './capacity.js';
export {
  CAPACITY_WEIGHT_MULTIPLIER_DEFAULT,
  capacityWeights,
  rawCapacityWeight,
} from './capacity-weigher.js';
export {
  checkAvailabilityZone,
  choosePool,
  NO_VALID_BACKEND,
  NO_WEIGHED_BACKENDS,
  type PoolChoice,
  type PoolRejection,
  type SchedulerFilterName,
  type SchedulerOptions,
  type WeighedPool,
} from './choose-pool.js';
export {
  EXTRA_SPEC_OPERATORS,
  evaluateExtraSpec,
  matchExtraSpec,
  type SpecOutcome,
} from './extra-spec-ops.js';
export type { Capabilities, ExtraSpecs, FilterVerdict, PoolStats, VolumeRequest } from './types.js';
