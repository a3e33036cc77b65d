// The shapes the scheduler works on. They follow what Cinder's scheduler receives: a pool's stats
// as its driver reports them (merged with the backend-level stats) and a create request.

/**
 * A pool's capabilities: the driver's stats for the pool, flattened the way Cinder's host manager
 * merges backend-level and pool-level keys (volume_backend_name, replication_enabled,
 * replication_type, thin_provisioning_support, total_capacity_gb, free_capacity_gb, ...).
 * Values are JSON-shaped because they travel over RPC.
 */
export type Capabilities = Readonly<Record<string, unknown>>;

/** A volume type's extra specs, e.g. `{ replication_enabled: '<is> True' }`. Cinder stores strings. */
export type ExtraSpecs = Readonly<Record<string, string>>;

/** One pool the scheduler may place a volume on. */
export interface PoolStats {
  /** Cinder's backend id for the pool, `host@backend#pool`. */
  readonly name: string;
  /** Availability zone of the cinder-volume service reporting the pool (Cinder's default is 'nova'). */
  readonly availabilityZone: string;
  readonly capabilities: Capabilities;
}

/** A request to place a new volume. */
export interface VolumeRequest {
  /** Whole GiB, as Cinder sizes volumes. 0 is a manage request, which no capacity check refuses. */
  readonly sizeGiB: number;
  /** The volume type's extra specs; `{}` for a volume without a type. */
  readonly extraSpecs: ExtraSpecs;
  /** When set, only pools in this zone are considered. */
  readonly availabilityZone?: string;
}

/** A filter's answer for one pool; the reason is for logs and for the "no valid backend" message. */
export type FilterVerdict = { readonly passed: true } | { readonly passed: false; readonly reason: string };

export const PASSED: FilterVerdict = { passed: true };

export function rejected(reason: string): FilterVerdict {
  return { passed: false, reason };
}

/** Longest rendering of a reported value inside a reason; driver stats can hold long lists. */
export const REASON_VALUE_CHARS_MAX = 120;

/** A value as it appears in a reason: JSON, cut to a bounded length. */
export function describeValue(value: unknown): string {
  const text = jsonOf(value);
  return text.length <= REASON_VALUE_CHARS_MAX ? text : `${text.slice(0, REASON_VALUE_CHARS_MAX)}...`;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cycles and bigints cannot be JSON; a reason must still be produced.
    return String(value);
  }
}
