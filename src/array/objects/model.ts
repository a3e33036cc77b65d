// The array's objects as they are persisted (meta keys in the block store). REST views are built
// from these in src/array/rest; nothing here knows about HTTP.

export interface QosLimits {
  iopsLimit: number | null;
  bandwidthLimitBytesPerSec: number | null;
}

export interface VolumeRecord {
  kind: 'volume';
  id: string;
  name: string;
  serial: string;
  createdMs: number;
  provisionedBytes: number;
  destroyed: boolean;
  destroyedAtMs: number | null;
  headLayerId: number;
  source: { id: string; name: string } | null;
  qos: QosLimits;
  /** Next number for snapshots taken without a suffix (vol.1, vol.2, ...). */
  nextSnapshotNumber: number;
  /** Key/value tags by namespace (absent in records written before tags were stored). */
  tags?: TagRecord[];
  /** Set for a volume in a pod (named POD::VOL). */
  podId?: string;
}

/** A pod: a namespace of volumes that can be stretched across two arrays (ActiveCluster). */
export interface PodRecord {
  kind: 'pod';
  id: string;
  name: string;
  createdMs: number;
  destroyed: boolean;
  destroyedAtMs: number | null;
  /** The arrays the pod is stretched over (this one first when it created the pod). */
  arrays: Array<{ id: string; name: string }>;
  /** Array names that stay online when the arrays lose each other, in order. */
  failoverPreferences: string[];
  /** The mediator's URL, or Purity's default name 'purestorage' (no mediator configured). */
  mediator: string;
  /** The array that orders writes to the pod (the one that last served it alone, or its creator). */
  leaderArrayId: string;
  /** Splits decided so far; mediator claims name the epoch (kept across restarts). */
  epoch: number;
  /**
   * This array won a split and acknowledged writes the other array lacks: after a restart it must
   * still resync the other before mirroring again.
   */
  servingAlone?: boolean;
  /** A demoted pod's volumes are read-only on this array (absent: promoted). */
  promotionStatus?: 'promoted' | 'demoted';
}

export interface TagRecord {
  namespace: string;
  key: string;
  value: string;
  copyable: boolean;
}

export interface SnapshotRecord {
  kind: 'snapshot';
  id: string;
  name: string;
  suffix: string;
  serial: string;
  createdMs: number;
  provisionedBytes: number;
  destroyed: boolean;
  destroyedAtMs: number | null;
  layerId: number;
  sourceVolumeId: string;
  sourceVolumeName: string;
  /** Set when a protection group snapshot made this one (named PG.SUFFIX.VOL). */
  pgroupSnapshotId?: string;
  /** Taken in a stretched pod while both arrays mirrored: both hold it (same id). */
  podShared?: boolean;
}

/** Purity's RetentionPolicy: keep every snapshot for allForSec, then perDay a day for days. */
export interface RetentionPolicy {
  allForSec: number;
  perDay: number;
  days: number;
}

export interface ScheduleRecord {
  enabled: boolean;
  frequencyMs: number;
  /** Seconds after midnight (only for frequencies that are whole days), or null. */
  atSec: number | null;
  /** Replication only: no transfers start inside [startMs, endMs) after midnight. */
  blackout: { startMs: number; endMs: number } | null;
}

export interface PgroupTargetRecord {
  arrayId: string;
  arrayName: string;
  /** Set by the target array (PATCH /protection-groups/targets allowed=true there). */
  allowed: boolean;
}

export interface ProtectionGroupRecord {
  kind: 'pgroup';
  id: string;
  name: string;
  createdMs: number;
  destroyed: boolean;
  destroyedAtMs: number | null;
  volumeIds: string[];
  targets: PgroupTargetRecord[];
  snapshotSchedule: ScheduleRecord;
  replicationSchedule: ScheduleRecord;
  sourceRetention: RetentionPolicy;
  targetRetention: RetentionPolicy;
  nextSnapshotNumber: number;
  /** Set on a replica group (named SOURCE_ARRAY:PG): the array that replicates into it. */
  replicaOf: { arrayId: string; arrayName: string; pgroupId: string; pgroupName: string } | null;
  /** Replica groups only: the target admin allowed replication into it. */
  allowed: boolean;
  /** When the last scheduled snapshot and replication ran (ms), to keep schedules across restarts. */
  lastSnapshotMs: number;
  lastReplicationMs: number;
  /** Set for a group inside a pod (POD::PG): it goes wherever the pod is stretched (tri-sync). */
  podId?: string;
}

export interface PgroupTransferRecord {
  /** Target array id (on the source), or the source array id (on a replica). */
  arrayId: string;
  startedMs: number | null;
  completedMs: number | null;
  progress: number;
  dataTransferredBytes: number;
  physicalBytesWritten: number;
}

export interface PgroupSnapshotRecord {
  kind: 'pgroup-snapshot';
  id: string;
  pgroupId: string;
  name: string;
  suffix: string;
  createdMs: number;
  destroyed: boolean;
  destroyedAtMs: number | null;
  /** Volume snapshots taken at the same point in time (one per member). */
  volumeSnapshotIds: string[];
  /**
   * Retention applies (scheduled snapshots, and on-demand ones taken with apply_retention); an
   * on-demand snapshot without it is kept until destroyed, as on Purity. Absent: applies.
   */
  retained?: boolean;
  /** for_replication: destroyed and eradicated at this time. */
  expiresAtMs?: number;
  /** Replica side: the id of the source's snapshot this one was received from. */
  sourceSnapshotId?: string;
  /** Source side: one entry per target it is (being) sent to. Replica side: the one transfer in. */
  transfers: PgroupTransferRecord[];
}

/** A connection to another array for replication (both arrays keep one). */
export interface ArrayConnectionRecord {
  kind: 'array-connection';
  id: string;
  remote: { id: string; name: string };
  type: 'async-replication' | 'sync-replication';
  managementAddress: string | null;
  /** The remote's replication address (host:port); set on the side that dials. */
  replicationAddress: string | null;
  /** The remote's connection key, kept to redial (never shown, never logged). */
  remoteConnectionKey: string | null;
  createdMs: number;
  /** Limits on async replication traffic to the remote (absent: unlimited). */
  throttle?: ThrottleRecord;
}

/** Purity's throttle: a default limit and a daily window (ms after midnight) with its own limit. */
export interface ThrottleRecord {
  defaultLimitBytesPerSec: number | null;
  window: { startMs: number; endMs: number } | null;
  windowLimitBytesPerSec: number | null;
}

export interface ChapSettings {
  hostUser: string | null;
  hostPassword: string | null;
  targetUser: string | null;
  targetPassword: string | null;
}

export interface HostRecord {
  kind: 'host';
  name: string;
  iqns: string[];
  wwns: string[];
  nqns: string[];
  personality: string | null;
  chap: ChapSettings;
  hostGroup: string | null;
  preferredArrays: string[];
}

export interface HostGroupRecord {
  kind: 'host-group';
  name: string;
}

export interface ConnectionRecord {
  kind: 'connection';
  /** Set for a private connection. */
  hostName: string | null;
  /** Set for a shared (host group) connection. */
  hostGroupName: string | null;
  volumeId: string;
  lun: number;
}

export interface ArrayIdentity {
  kind: 'array';
  id: string;
  name: string;
  serialPrefix: string;
  nextSerial: number;
  createdMs: number;
  /** What a peer presents to connect for replication (GET /array-connections/connection-key). */
  connectionKey?: string;
}

export const PERSONALITIES = [
  'aix',
  'esxi',
  'hitachi-vsp',
  'hpux',
  'oracle-vm-server',
  'solaris',
  'vms',
  'nutanix-mgmt',
  'nutanix-cluster',
] as const;

/** Plain object names: 1-63 chars of letters, digits and '-', starting and ending alphanumeric. */
export const OBJECT_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
/** Snapshot suffixes must contain a letter or '-': digit-only suffixes are the system's own. */
export const SNAPSHOT_SUFFIX = /^(?=.*[a-zA-Z-])[a-zA-Z0-9]([a-zA-Z0-9-]{0,63}[a-zA-Z0-9])?$/;
