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
