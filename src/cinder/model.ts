// The control plane's records, as the state store keeps them and Cinder's API shows them. Field
// names follow Cinder's database models (camelCase here); the HTTP views in src/cinder/api map
// them to the wire names. Times are ISO strings without a zone, as Cinder prints them.

/** Cinder's volume statuses (cinder/objects/fields.py VolumeStatus). */
export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'reserved'
  | 'attaching'
  | 'detaching'
  | 'in-use'
  | 'maintenance'
  | 'deleting'
  | 'awaiting-transfer'
  | 'error'
  | 'error_deleting'
  | 'error_managing'
  | 'managing'
  | 'backing-up'
  | 'restoring-backup'
  | 'error_restoring'
  | 'reverting'
  | 'extending'
  | 'error_extending'
  | 'retyping'
  | 'downloading'
  | 'uploading';

/** Cinder's replication statuses, for volumes and for volume services. */
export type ReplicationStatus =
  | 'error'
  | 'enabled'
  | 'disabled'
  | 'not-capable'
  | 'failing-over'
  | 'failover-error'
  | 'failed-over'
  | 'enabling'
  | 'disabling';

export type AttachStatus =
  | 'attached'
  | 'attaching'
  | 'detached'
  | 'reserved'
  | 'error_attaching'
  | 'error_detaching'
  | 'deleted';

export type SnapshotStatus =
  | 'creating'
  | 'available'
  | 'deleting'
  | 'error'
  | 'error_deleting'
  | 'unmanaging'
  | 'backing-up'
  | 'restoring';

export interface VolumeRecord {
  id: string;
  projectId: string;
  userId: string;
  name: string | null;
  description: string | null;
  /** GiB, as Cinder. */
  size: number;
  status: VolumeStatus;
  /** Kept across failover: the status before it was set to error. */
  previousStatus: VolumeStatus | null;
  attachStatus: AttachStatus;
  /** 'host@backend#pool' once scheduled. */
  host: string | null;
  volumeTypeId: string;
  availabilityZone: string;
  bootable: boolean;
  multiattach: boolean;
  snapshotId: string | null;
  sourceVolid: string | null;
  groupId: string | null;
  /** The array's name for the volume (volume-<id>-cinder, cinder-pod::volume-<id>-cinder). */
  providerId: string | null;
  replicationStatus: ReplicationStatus;
  metadata: Record<string, string>;
  /** Driver and manager bookkeeping shown to admins only. */
  adminMetadata: Record<string, string>;
  migrationStatus: string | null;
  createdAt: string;
  updatedAt: string | null;
  launchedAt: string | null;
  terminatedAt: string | null;
}

export interface SnapshotRecord {
  id: string;
  projectId: string;
  userId: string;
  volumeId: string;
  name: string | null;
  description: string | null;
  status: SnapshotStatus;
  /** GiB: the volume's size when the snapshot was taken. */
  volumeSize: number;
  progress: string;
  providerId: string | null;
  groupSnapshotId: string | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string | null;
}

export interface VolumeTypeRecord {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
  qosSpecsId: string | null;
  /** Projects that may use a private type. */
  projects: string[];
  createdAt: string;
}

export interface QosSpecsRecord {
  id: string;
  name: string;
  consumer: 'back-end' | 'front-end' | 'both';
  specs: Record<string, string>;
  createdAt: string;
}

export interface AttachmentRecord {
  id: string;
  volumeId: string;
  projectId: string;
  instanceUuid: string | null;
  attachStatus: AttachStatus;
  attachMode: 'rw' | 'ro' | null;
  /** The host's connector (initiator, host, ip, ...); null or {} while only reserved. */
  connector: Record<string, unknown> | null;
  connectionInfo: ConnectionInfo | null;
  attachedHost: string | null;
  mountpoint: string | null;
  attachedAt: string | null;
  detachedAt: string | null;
  createdAt: string;
  updatedAt: string | null;
}

/** What initialize_connection returns: how a host reaches the volume. */
export interface ConnectionInfo {
  driverVolumeType: 'iscsi' | 'fibre_channel' | 'nvmeof' | 'nbd';
  data: Record<string, unknown>;
}

export interface ServiceRecord {
  id: string;
  uuid: string;
  /** 'host' for the scheduler and API, 'host@backend' for a volume service. */
  host: string;
  binary: 'cinder-volume' | 'cinder-scheduler';
  availabilityZone: string;
  disabled: boolean;
  disabledReason: string | null;
  replicationStatus: ReplicationStatus;
  /** The replication_device backend_id in use after a failover; null on the primary. */
  activeBackendId: string | null;
  frozen: boolean;
  createdAt: string;
  updatedAt: string | null;
}

export interface GroupTypeRecord {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  groupSpecs: Record<string, string>;
  createdAt: string;
}

export interface GroupRecord {
  id: string;
  projectId: string;
  userId: string;
  name: string | null;
  description: string | null;
  status: 'creating' | 'available' | 'deleting' | 'error' | 'updating' | 'error_deleting';
  groupTypeId: string;
  volumeTypeIds: string[];
  host: string | null;
  availabilityZone: string;
  groupSnapshotId: string | null;
  sourceGroupId: string | null;
  replicationStatus: ReplicationStatus;
  createdAt: string;
  updatedAt: string | null;
}

export interface GroupSnapshotRecord {
  id: string;
  projectId: string;
  groupId: string;
  groupTypeId: string;
  name: string | null;
  description: string | null;
  status: 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting';
  createdAt: string;
  updatedAt: string | null;
}

/** Per-project quota limits that differ from the defaults. */
export interface QuotaRecord {
  id: string;
  limits: Record<string, number>;
}

/** What a driver keeps about an initiator across restarts (Pure: the CHAP secret). */
export interface InitiatorDataRecord {
  id: string;
  initiator: string;
  namespace: string;
  key: string;
  value: string;
}

/** Every kind of record the store holds, by its kind name. */
export interface RecordKinds {
  volume: VolumeRecord;
  snapshot: SnapshotRecord;
  volume_type: VolumeTypeRecord;
  qos_specs: QosSpecsRecord;
  attachment: AttachmentRecord;
  service: ServiceRecord;
  group_type: GroupTypeRecord;
  group: GroupRecord;
  group_snapshot: GroupSnapshotRecord;
  quota: QuotaRecord;
  initiator_data: InitiatorDataRecord;
}

export type RecordKind = keyof RecordKinds;

/** The time format Cinder prints: ISO 8601 without a zone, microseconds. */
export function cinderTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 23)}000`;
}
