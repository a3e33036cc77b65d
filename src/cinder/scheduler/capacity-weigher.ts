// Cinder's CapacityWeigher (cinder/scheduler/weights/capacity.py) with the normalisation its weight
// handler applies (cinder/scheduler/base_weight.py). With the default multiplier the pool with the
// most virtual free space wins, which spreads volumes; a negative multiplier stacks them instead.

import { type CapacityState, capacityFactors, isUnbounded } from './capacity.js';

/** cinder.conf `capacity_weight_multiplier` default. */
export const CAPACITY_WEIGHT_MULTIPLIER_DEFAULT = 1.0;
/**
 * When stacking (multiplier <= 0) unbounded pools weigh as infinity, which is then replaced by a
 * value just above the finite ones: 100 times their spread above the largest, or 10000 when they
 * are all equal (Cinder's OFFSET_MULT and OFFSET_MIN).
 */
const UNBOUNDED_WEIGHT_SPREAD_FACTOR = 100;
const UNBOUNDED_WEIGHT_OFFSET_MIN = 10000;

/**
 * One pool's weight before normalisation: its virtual free capacity in GiB. Pools that report
 * 'infinite' or 'unknown' get the weight that ranks them last, to discourage such reports.
 */
export function rawCapacityWeight(state: CapacityState, thin: boolean, multiplier: number): number {
  const free = state.freeCapacityGiB;
  const total = state.totalCapacityGiB;
  // A null free capacity only gets this far on a 0 GiB (manage) request; it weighs as 'unknown'
  // here, where Cinder's thick arithmetic would raise on it.
  if (free === null || isUnbounded(free) || isUnbounded(total)) {
    return multiplier > 0 ? -1 : Number.POSITIVE_INFINITY;
  }
  return capacityFactors(total, free, state, thin).virtualFreeCapacityGiB;
}

/**
 * Final capacity weights, in the order of `states`: raw weights scaled to 0..1 across the pools
 * (all 0 when they are equal), times the multiplier. Higher wins.
 */
export function capacityWeights(
  states: readonly CapacityState[],
  thin: boolean,
  multiplier: number = CAPACITY_WEIGHT_MULTIPLIER_DEFAULT,
): number[] {
  if (states.length === 0) return [];
  const raw = states.map((state) => rawCapacityWeight(state, thin, multiplier));
  const finite = raw.filter((weight) => weight !== Number.POSITIVE_INFINITY);
  // QUIRK (diverges): when stacking and every pool is unbounded, Cinder takes the max of an empty
  // list and raises ValueError; here all pools weigh the same.
  if (finite.length === 0) return raw.map(() => 0);
  const lowest = raw.reduce((a, b) => Math.min(a, b));
  let highest = raw.reduce((a, b) => Math.max(a, b));
  let weights = raw;
  if (highest === Number.POSITIVE_INFINITY) {
    const highestFinite = finite.reduce((a, b) => Math.max(a, b));
    const offset = (highestFinite - lowest) * UNBOUNDED_WEIGHT_SPREAD_FACTOR;
    highest = highestFinite + (offset === 0 ? UNBOUNDED_WEIGHT_OFFSET_MIN : offset);
    weights = raw.map((weight) => (weight === Number.POSITIVE_INFINITY ? highest : weight));
  }
  // `+ 0` turns the -0 of a negative multiplier times 0 into 0, so results compare plainly.
  return normalizeWeights(weights, lowest, highest).map((weight) => multiplier * weight + 0);
}

/** Cinder's normalize(): scale to 0..1 between the given bounds; equal bounds give all zeros. */
export function normalizeWeights(weights: readonly number[], lowest: number, highest: number): number[] {
  if (lowest === highest) return weights.map(() => 0);
  const range = highest - lowest;
  return weights.map((weight) => (weight - lowest) / range);
}
