// What arrays return and accept for volumes, snapshots, hosts, connections and the system
// endpoints, with Purity's own (snake_case) field names, so a field can be found in the spec and
// in captured JSON by the same name. Response fields are typed as the spec (purity-rest2.md §3)
// describes them; like pypureclient's `construct()`, the client does not validate them at run time.

/** `{"name": ...}` (and usually `id`) pointing at another object; both null when unset. */
export interface Reference {
  id?: string | null;
  name: string | null;
}

/** How a request names an object: by name (what the driver uses) or by id. */
export type ReferenceInput = { name: string } | { id: string };

/** Plain integers on the wire; in a PATCH, '' unsets a limit (QosPatch). */
export interface Qos {
  iops_limit?: number | null;
  bandwidth_limit?: number | null;
}
export interface QosPatch {
  iops_limit?: number | '';
  bandwidth_limit?: number | '';
}

export interface Space {
  data_reduction?: number | null;
  snapshots?: number | null;
  thin_provisioning?: number | null;
  total_physical?: number | null;
  total_provisioned?: number | null;
  total_reduction?: number | null;
  unique?: number | null;
  used_provisioned?: number | null;
  virtual?: number | null;
  [field: string]: unknown;
}

export interface Volume {
  id: string;
  name: string;
  created: number;
  destroyed: boolean;
  time_remaining: number | null;
  /** 24 upper-case hex digits; the driver builds the WWN and NGUID from it. */
  serial: string;
  subtype?: string;
  provisioned: number;
  qos: Qos;
  pod: Reference;
  volume_group: Reference;
  source: Reference;
  connection_count: number;
  promotion_status?: string;
  requested_promotion_state?: string;
  space?: Space;
  context?: Reference;
}

export interface VolumePost {
  provisioned?: number;
  /** Copy from a volume or a snapshot. */
  source?: ReferenceInput;
  qos?: Qos;
  destroyed?: boolean;
}

export interface VolumePatch {
  name?: string;
  provisioned?: number;
  destroyed?: boolean;
  qos?: QosPatch;
  /** Move into a pod; `{name: ''}` moves out. */
  pod?: ReferenceInput;
  /** Move into a volume group; `{name: ''}` moves out. */
  volume_group?: ReferenceInput;
  requested_promotion_state?: 'promoted' | 'demoted';
}

export interface VolumeSnapshot {
  id: string;
  /** `VOL.SUFFIX`, or `PG.SUFFIX.VOL` when taken by a protection group snapshot. */
  name: string;
  suffix: string | null;
  created: number;
  destroyed: boolean;
  time_remaining: number | null;
  provisioned: number;
  serial: string;
  source: Reference;
  pod: Reference;
  volume_group: Reference;
  space?: Space;
}

export interface VolumeSnapshotPost {
  suffix?: string;
}

export interface VolumeSnapshotPatch {
  name?: string;
  destroyed?: boolean;
}

export interface VolumeGroup {
  id: string;
  name: string;
  destroyed: boolean;
  volume_count: number;
  qos?: Qos;
  pod?: Reference;
  time_remaining?: number | null;
}

export interface VolumeGroupPost {
  qos?: Qos;
}

export interface VolumeGroupPatch {
  name?: string;
  destroyed?: boolean;
  qos?: QosPatch;
}

/** A tag of PUT /volumes/tags/batch (the driver's namespace is `openstack-integration.purestorage.com`). */
export interface Tag {
  key: string;
  value: string;
  namespace?: string;
  copyable?: boolean;
  resource?: Reference;
}

export interface Chap {
  host_user?: string | null;
  host_password?: string | null;
  target_user?: string | null;
  target_password?: string | null;
}

export interface Host {
  name: string;
  iqns: string[];
  wwns: string[];
  nqns: string[];
  personality: string | null;
  chap: Chap;
  host_group: Reference;
  preferred_arrays?: Reference[];
  connection_count: number;
  is_local: boolean;
  destroyed?: boolean;
  context?: Reference;
}

export interface HostPost {
  iqns?: string[];
  wwns?: string[];
  nqns?: string[];
  personality?: string | null;
  chap?: Chap;
  preferred_arrays?: ReferenceInput[];
}

export interface HostPatch extends HostPost {
  name?: string;
  add_iqns?: string[];
  remove_iqns?: string[];
  add_wwns?: string[];
  remove_wwns?: string[];
  add_nqns?: string[];
  remove_nqns?: string[];
  host_group?: ReferenceInput;
}

export interface HostGroup {
  name: string;
  host_count: number;
  connection_count: number;
  is_local: boolean;
  destroyed?: boolean;
}

/** A group-member pair (hosts/host-groups, pods/arrays, protection-groups/volumes ...). */
export interface Member {
  group: Reference;
  member: Reference & { destroyed?: boolean; resource_type?: string };
}

export interface Connection {
  host: Reference;
  host_group: Reference;
  volume: Reference;
  /** SCSI LUN; the driver needs it truthy for iSCSI and FC. */
  lun: number;
  /** NVMe namespace id. */
  nsid?: number | null;
  protocol_endpoint?: Reference;
}

export interface ConnectionPost {
  lun?: number;
}

export interface PurityArray {
  id: string;
  name: string;
  /** `X.Y.Z`; the driver compares it with 6.1.0, 6.3.4 (SafeMode) and 6.4.2 (NVMe-TCP). */
  version: string;
  os: string;
  capacity: number;
  space: Space;
  [field: string]: unknown;
}

export interface ArraySpace {
  id: string;
  name: string;
  capacity: number;
  space: Space;
  time: number;
}

/** Counters of /arrays/performance (and /volumes/performance); the driver reads the named ones. */
export interface Performance {
  id: string | null;
  name: string;
  time: number;
  reads_per_sec: number;
  writes_per_sec: number;
  read_bytes_per_sec: number;
  write_bytes_per_sec: number;
  usec_per_read_op: number;
  usec_per_write_op: number;
  queue_usec_per_read_op: number;
  queue_usec_per_write_op: number;
  queue_usec_per_mirrored_write_op: number;
  queue_depth?: number;
  [field: string]: unknown;
}

export interface Controller {
  name: string;
  mode: string;
  model: string;
  status: string;
  type: string;
  version: string;
}

/** A target port: iSCSI ports have `iqn` and `portal` (`ip:port`), FC `wwn`, NVMe `nqn`. */
export interface Port {
  name: string;
  iqn: string | null;
  nqn: string | null;
  wwn: string | null;
  portal: string | null;
  failover: string | null;
}

export interface NetworkInterface {
  name: string;
  enabled: boolean;
  interface_type: string;
  services: string[];
  speed: number;
  eth: {
    address: string | null;
    netmask?: string | null;
    gateway?: string | null;
    mtu?: number;
    subtype: string;
    [field: string]: unknown;
  } | null;
}
