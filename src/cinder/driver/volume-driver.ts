// What the volume manager asks of a backend's driver, as Cinder's VolumeDriver API does (the
// calls, their arguments and what they return are Cinder's; spec cinder-pure-driver.md §5-§12).
// The FlashArray driver implements it over the arrays' REST API only.

import type {
  ConnectionInfo,
  GroupRecord,
  GroupSnapshotRecord,
  GroupTypeRecord,
  ReplicationStatus,
  SnapshotRecord,
  VolumeRecord,
  VolumeStatus,
  VolumeTypeRecord,
} from '../model.js';

/** What a driver may change on a volume after an operation (Cinder's model_update). */
export interface VolumeModelUpdate {
  providerId?: string;
  replicationStatus?: ReplicationStatus;
  status?: VolumeStatus;
  metadata?: Record<string, string>;
}

export interface SnapshotModelUpdate {
  providerId?: string;
  metadata?: Record<string, string>;
}

/** A volume with its type resolved (extra specs, QoS specs) as the driver needs it. */
export interface DriverVolume {
  volume: VolumeRecord;
  type: VolumeTypeRecord | null;
  /** The type's QoS specs (back-end or both consumers), if associated. */
  qosSpecs: Record<string, string> | null;
}

/** The host as os-brick describes it (initiator, host, ip, wwpns, nqn, "system uuid", ...). */
export type Connector = Record<string, unknown>;

export interface FailoverResult {
  /** The backend_id now active ('default' after a failback). */
  activeBackendId: string;
  /** Per volume id: what changes (status error for volumes not recovered, replication status). */
  volumeUpdates: Array<{ volumeId: string; updates: VolumeModelUpdate }>;
}

export interface VolumeDriver {
  /** Connects to the arrays and sets replication up (pods, protection groups), as do_setup. */
  doSetup(activeBackendId: string | null): Promise<void>;
  /** Cinder's get_volume_stats: the capabilities the scheduler filters and weighs on. */
  getVolumeStats(refresh: boolean): Promise<Record<string, unknown>>;
  createVolume(volume: DriverVolume): Promise<VolumeModelUpdate>;
  createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: SnapshotRecord,
    source: VolumeRecord,
  ): Promise<VolumeModelUpdate>;
  createClonedVolume(volume: DriverVolume, source: VolumeRecord): Promise<VolumeModelUpdate>;
  deleteVolume(volume: VolumeRecord): Promise<void>;
  extendVolume(volume: DriverVolume, newSizeGiB: number): Promise<void>;
  createSnapshot(snapshot: SnapshotRecord, volume: VolumeRecord): Promise<SnapshotModelUpdate>;
  deleteSnapshot(snapshot: SnapshotRecord, volume: VolumeRecord): Promise<void>;
  revertToSnapshot(volume: VolumeRecord, snapshot: SnapshotRecord): Promise<void>;
  initializeConnection(volume: VolumeRecord, connector: Connector): Promise<ConnectionInfo>;
  /** connector null: force detach from every host. */
  terminateConnection(volume: VolumeRecord, connector: Connector | null): Promise<void>;
  /** Returns [retyped in place, model update]; this driver never migrates. */
  retype(
    volume: DriverVolume,
    newType: VolumeTypeRecord,
    newQosSpecs: Record<string, string> | null,
  ): Promise<[boolean, VolumeModelUpdate | null]>;
  manageExisting(volume: DriverVolume, reference: Record<string, unknown>): Promise<VolumeModelUpdate>;
  manageExistingGetSize(volume: DriverVolume, reference: Record<string, unknown>): Promise<number>;
  unmanage(volume: VolumeRecord): Promise<void>;
  /*
   * Group calls take the group's type when the caller has it: a type without
   * consistent_group_snapshot_enabled makes the driver throw DriverNotImplemented (Cinder's
   * NotImplementedError), and the manager then handles the group generically. Without it the
   * group is taken as a consistency group.
   */
  createGroup(
    group: GroupRecord,
    types: VolumeTypeRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<{ status: GroupRecord['status'] }>;
  deleteGroup(group: GroupRecord, volumes: VolumeRecord[], groupType?: GroupTypeRecord | null): Promise<void>;
  updateGroup(
    group: GroupRecord,
    add: VolumeRecord[],
    remove: VolumeRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<void>;
  createGroupSnapshot(
    groupSnapshot: GroupSnapshotRecord,
    group: GroupRecord,
    snapshots: SnapshotRecord[],
    groupType?: GroupTypeRecord | null,
  ): Promise<void>;
  deleteGroupSnapshot(
    groupSnapshot: GroupSnapshotRecord,
    group: GroupRecord,
    groupType?: GroupTypeRecord | null,
  ): Promise<void>;
  /** secondaryId null: the driver picks a target; 'default': fail back. */
  failover(volumes: DriverVolume[], secondaryId: string | null): Promise<FailoverResult>;
  failoverCompleted(activeBackendId: string): Promise<void>;
  close(): Promise<void>;
}
