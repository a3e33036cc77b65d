// Which array is current and which arrays are replication targets, as a pure function of the
// configuration and the active backend id. Cinder's driver gets there by mutating its lists on
// each failover and failback (`_swap_replication_state`), which leaves a sync peer listed twice
// after a failback and ActiveCluster switched off after an async failback. Deriving the state
// from (primary, devices, active id) gives the same lists for a failover and the configured ones
// after a failback, and the same answer again after a restart with that active id.

import type { FlashArray } from './context.js';
import { InvalidReplicationTarget, PureDriverException } from './errors.js';

export interface ReplicationState {
  /** The array volumes live on now (`_array`). */
  current: FlashArray;
  /** True after a failover until the failback (`_failed_over_primary_array` is set). */
  failedOver: boolean;
  /** The configured primary while failed over; null when it could not be reached at setup. */
  failedOverPrimary: FlashArray | null;
  /** `_replication_target_arrays`: what stats report and failover may pick from. */
  targets: FlashArray[];
  /** `_active_cluster_target_arrays`: arrays the replication pod is stretched to. */
  activeClusterTargets: FlashArray[];
  /** `_uniform_active_cluster_target_arrays`: hosts also connect pod volumes there. */
  uniformTargets: FlashArray[];
  replicationEnabled: boolean;
  activeClusterEnabled: boolean;
}

export interface StateInputs {
  primary: FlashArray | null;
  primaryBackendId: string;
  devices: readonly FlashArray[];
  /** replication_device entries configured, reachable or not (`_is_replication_enabled`). */
  devicesConfigured: number;
}

/** An active backend id that names the primary (Cinder passes '' or 'default' after a failback). */
export function namesPrimary(activeBackendId: string | null, primaryBackendId: string): boolean {
  return !activeBackendId || activeBackendId === 'default' || activeBackendId === primaryBackendId;
}

export function replicationStateFor(inputs: StateInputs, activeBackendId: string | null): ReplicationState {
  const { primary, devices } = inputs;
  if (namesPrimary(activeBackendId, inputs.primaryBackendId)) {
    if (primary === null) throw new PureDriverException('the primary array cannot be reached');
    const sync = devices.filter((d) => d.replicationType === 'sync');
    return {
      current: primary,
      failedOver: false,
      failedOverPrimary: null,
      targets: [...devices],
      activeClusterTargets: sync,
      uniformTargets: sync.filter((d) => d.uniform),
      replicationEnabled: inputs.devicesConfigured > 0,
      activeClusterEnabled: sync.length > 0,
    };
  }
  const secondary = devices.find((d) => d.backendId === activeBackendId);
  if (secondary === undefined)
    throw new InvalidReplicationTarget({
      reason: `Unable to determine secondary_array from supplied secondary: ${activeBackendId}.`,
    });
  const others = devices.filter((d) => d !== secondary);
  const base = { current: secondary, failedOver: true, failedOverPrimary: primary, replicationEnabled: true };
  if (secondary.replicationType !== 'sync') {
    // An async target is outside the ActiveCluster: nothing replicates from it synchronously.
    return {
      ...base,
      targets: others,
      activeClusterTargets: [],
      uniformTargets: [],
      activeClusterEnabled: false,
    };
  }
  // ActiveCluster is symmetric: the old primary is now the new current array's sync peer.
  const peer: FlashArray | null = primary && {
    ...primary,
    replicationType: 'sync',
    uniform: secondary.uniform,
  };
  const peers = peer ? [peer] : [];
  const syncOthers = others.filter((d) => d.replicationType === 'sync');
  return {
    ...base,
    targets: [...others, ...peers],
    activeClusterTargets: [...syncOthers, ...peers],
    uniformTargets: [...syncOthers.filter((d) => d.uniform), ...peers.filter((p) => p.uniform)],
    activeClusterEnabled: true,
  };
}
