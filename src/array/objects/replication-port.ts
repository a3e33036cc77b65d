// What the array's REST API needs from replication (src/replication implements it and the daemon
// plugs it in): arrays stay independent of how replication traffic is carried.

import type { ArrayConnectionRecord, PgroupSnapshotRecord, ProtectionGroupRecord } from './model.js';

export type ArrayConnectionStatus = 'connected' | 'connecting' | 'disconnected';

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
  /** Adds a target array to a group: the target gets the replica group SOURCE:PG. */
  addTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void>;
  removeTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void>;
  /** Target side: allows (or stops) replication into a replica group and tells the source. */
  setAllowed(replica: ProtectionGroupRecord, allowed: boolean): Promise<void>;
  /** Starts sending a group snapshot to every allowed target; does not wait for it. */
  replicate(pgroup: ProtectionGroupRecord, snapshot: PgroupSnapshotRecord): void;
}
