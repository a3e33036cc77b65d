// Cinder's CapabilitiesFilter (cinder/scheduler/filters/capabilities_filter.py): a pool passes when
// every extra spec of the volume type that names a capability is satisfied by what the pool reports.

import { evaluateExtraSpec } from './extra-spec-ops.js';
import {
  type Capabilities,
  describeValue,
  type ExtraSpecs,
  type FilterVerdict,
  PASSED,
  rejected,
} from './types.js';

/** The scope that names a capability; every other scope belongs to someone else. */
const CAPABILITY_SCOPE = 'capabilities';

/**
 * The capability path an extra-spec key asks about, or null when the filter ignores the key.
 *
 * - `replication_enabled` (no scope) is the capability `replication_enabled`.
 * - `capabilities:replication_enabled` is the same capability, scope stripped.
 * - `capabilities:a:b` is key `b` inside the object reported as `a`.
 * - `flasharray:vg_name`, `qos:maxIOPS`, `provisioning:type`, ... carry another scope: those are
 *   for drivers and other filters, and this filter skips them.
 */
export function capabilityPathOf(key: string): string[] | null {
  const parts = key.split(':');
  if (parts.length > 1 && parts[0] !== CAPABILITY_SCOPE) return null;
  // QUIRK (kept): a bare `capabilities` key strips to an empty path, which holds the whole
  // capability object against the requirement: plain equality never matches, '<in> name' asks
  // whether a top-level capability exists.
  if (parts[0] === CAPABILITY_SCOPE) parts.shift();
  return parts;
}

type Lookup =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly missing: string };

/**
 * Walks a path through nested capability objects. Only a dict can be indexed by name: a list, a
 * string, a number or null on the way means the capability is not there, as in Cinder.
 */
function lookUp(capabilities: Capabilities, path: readonly string[]): Lookup {
  let current: unknown = capabilities;
  for (const name of path) {
    // Own keys only: a reported object must not answer for `constructor` or `toString`.
    if (!isDict(current) || !Object.hasOwn(current, name)) return { found: false, missing: name };
    current = current[name];
  }
  return { found: true, value: current };
}

function isDict(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks one pool's capabilities against a volume type's extra specs. A volume without a type (no
 * specs) passes. The first failing key decides, and the reason names it.
 */
export function checkCapabilities(capabilities: Capabilities, extraSpecs: ExtraSpecs): FilterVerdict {
  for (const [key, requirement] of Object.entries(extraSpecs)) {
    const path = capabilityPathOf(key);
    if (path === null) continue;
    const lookup = lookUp(capabilities, path);
    if (!lookup.found) {
      // A backend that does not report a capability cannot promise it: the pool is rejected.
      return rejected(`capability '${lookup.missing}' is not reported (extra spec '${key}')`);
    }
    const verdict = checkValue(key, requirement, lookup.value);
    if (!verdict.passed) return verdict;
  }
  return PASSED;
}

/**
 * A list capability (Pure's replication_type ['async', 'sync'], for one) passes when any element
 * matches; any other value is a list of one.
 */
function checkValue(key: string, requirement: string, value: unknown): FilterVerdict {
  const candidates: readonly unknown[] = Array.isArray(value) ? value : [value];
  for (const candidate of candidates) {
    const outcome = evaluateExtraSpec(candidate, requirement);
    if (outcome === 'match') return PASSED;
    if (outcome === 'cinder-raises') {
      // Cinder stops the whole request with an exception here; we reject only this pool and say so.
      return rejected(
        `extra spec ${key}='${requirement}' cannot be evaluated against capability value ` +
          `${describeValue(candidate)} (Cinder raises here)`,
      );
    }
  }
  return rejected(
    `extra spec ${key}='${requirement}' does not match reported capability ${describeValue(value)}`,
  );
}
