// What the array's REST API needs from replication (src/replication implements it and the daemon
// plugs it in): arrays stay independent of how replication traffic is carried.

import type {
  ArrayConnectionRecord,
  PgroupSnapshotRecord,
  PodRecord,
  ProtectionGroupRecord,
  ThrottleRecord,
} from './model.js';

/** One array's view of a stretched pod member (PodArrayStatus in Purity's API). */
export interface PodArrayStatus {
  id: string;
  name: string;
  status: 'online' | 'offline' | 'resyncing' | 'unknown';
  mediatorStatus: 'online' | 'unreachable';
  preElected: boolean;
  progress: number | null;
}

/**
 * connected: the replication link and (when known) the management path are up;
 * partially_connected: one of them is down; connecting: both are down (the link is redialled).
 */
export type ArrayConnectionStatus = 'connected' | 'connecting' | 'partially_connected';

export interface ArrayConnectionChanges {
  managementAddress?: string | null;
  replicationAddress?: string;
  connectionKey?: string;
  type?: ArrayConnectionRecord['type'];
  throttle?: ThrottleRecord;
  /** Drop the replication link and dial it again. */
  refresh?: boolean;
}

export interface ReplicationPort {
  /** Connects to a peer array: verifies its connection key over its replication address. */
  connect(request: {
    managementAddress: string | null;
    replicationAddress: string;
    connectionKey: string;
    type: ArrayConnectionRecord['type'];
  }): Promise<ArrayConnectionRecord>;
  /** Removes a connection here and, when reachable, on the peer. */
  disconnect(connection: ArrayConnectionRecord): Promise<void>;
  status(connection: ArrayConnectionRecord): ArrayConnectionStatus;
  /** PATCH /array-connections: new addresses or key (the link is redialled), type, throttle. */
  update(connection: ArrayConnectionRecord, changes: ArrayConnectionChanges): Promise<ArrayConnectionRecord>;
  /** Adds a target array to a group: the target gets the replica group SOURCE:PG. */
  addTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void>;
  removeTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void>;
  /** Target side: allows (or stops) replication into a replica group and tells the source. */
  setAllowed(replica: ProtectionGroupRecord, allowed: boolean): Promise<void>;
  /** Applies the group's source retention now (a snapshot taken with apply_retention). */
  retain(pgroup: ProtectionGroupRecord): Promise<void>;
  /** Starts sending a group snapshot to every allowed target; does not wait for it. */
  replicate(pgroup: ProtectionGroupRecord, snapshot: PgroupSnapshotRecord): void;
  /** Stretches a pod to a connected (sync) array: baseline copy, then active-active. */
  stretch(pod: PodRecord, arrayName: string): Promise<void>;
  /** Removes an array from a stretched pod (the pod and its volumes leave that array). */
  unstretch(pod: PodRecord, arrayName: string, withUnknown: boolean): Promise<void>;
  /**
   * Sends a stretched pod's records (volumes created, resized, destroyed; snapshots renamed or
   * destroyed) to the peer, with the ids of shared snapshots just eradicated here.
   */
  podChanged(pod: PodRecord, eradicatedSnapshotIds?: string[]): Promise<void>;
  podStatus(pod: PodRecord): PodArrayStatus[];
  /** Block bytes this array has sent to resync the pod's peer since it started. */
  podResyncBytes(pod: PodRecord): number;
}
