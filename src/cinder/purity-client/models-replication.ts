// Models of the replication endpoints: pods, protection groups and their snapshots, array
// connections, SafeMode default protections (spec purity-rest2.md §3.8-§3.13). Snake_case as on
// the wire; see models.ts for why.

import type { Reference, ReferenceInput, Space } from './models.js';

export interface PodArrayStatus {
  id: string;
  name: string;
  /** `online`, `offline`, `resyncing`, `suspended` or `unknown`; the driver waits for `online`. */
  status: string;
  mediator_status: string;
  pre_elected: boolean;
  progress: number | null;
  frozen_at: number | null;
}

export interface Pod {
  id: string;
  name: string;
  destroyed: boolean;
  time_remaining: number | null;
  source: Reference;
  arrays: PodArrayStatus[];
  array_count: number;
  failover_preferences: Reference[];
  mediator: string;
  promotion_status: string;
  requested_promotion_state: string;
  link_source_count: number;
  link_target_count: number;
  space?: Space;
}

export interface PodPost {
  /** Clone of another pod. */
  source?: ReferenceInput;
  failover_preferences?: ReferenceInput[];
  quota_limit?: number;
}

export interface PodPatch {
  name?: string;
  destroyed?: boolean;
  failover_preferences?: ReferenceInput[];
  mediator?: string;
  requested_promotion_state?: 'promoted' | 'demoted';
  quota_limit?: number;
}

export interface ScheduleInput {
  enabled?: boolean;
  /** Milliseconds between snapshots/replications (the driver multiplies its seconds by 1000). */
  frequency?: number;
  /** Seconds after midnight. */
  at?: number | null;
}

export interface ReplicationScheduleInput extends ScheduleInput {
  /** Milliseconds after midnight; null or {} clears the blackout window. */
  blackout?: { start: number; end: number } | null;
}

export interface RetentionPolicy {
  all_for_sec?: number;
  per_day?: number;
  days?: number;
}

export interface ProtectionGroup {
  id: string;
  name: string;
  destroyed: boolean;
  time_remaining: number | null;
  is_local: boolean;
  /** The array (or pod) the group was created on; on a target, the source array. */
  source: Reference;
  pod: Reference;
  snapshot_schedule: ScheduleInput;
  replication_schedule: ReplicationScheduleInput;
  source_retention: RetentionPolicy;
  target_retention: RetentionPolicy;
  retention_lock: string;
  host_count: number;
  host_group_count: number;
  volume_count: number;
  target_count: number;
}

/** PATCH /protection-groups takes the ProtectionGroup model as its body: only these are writable. */
export interface ProtectionGroupPatch {
  name?: string;
  destroyed?: boolean;
  snapshot_schedule?: ScheduleInput;
  replication_schedule?: ReplicationScheduleInput;
  source_retention?: RetentionPolicy;
  target_retention?: RetentionPolicy;
}

export interface ProtectionGroupTarget {
  group: Reference;
  member: Reference & { resource_type?: string };
  allowed: boolean;
  status: string;
}

export interface ProtectionGroupSnapshot {
  id: string;
  /** `PG.SUFFIX`, `PG.N`; on a target `SOURCE:PG.N`. */
  name: string;
  suffix: string | null;
  created: number;
  destroyed: boolean;
  time_remaining: number | null;
  source: Reference;
  pod: Reference;
}

export interface ProtectionGroupSnapshotPost {
  suffix?: string;
}

export interface ProtectionGroupSnapshotPatch {
  name?: string;
  destroyed?: boolean;
}

export interface ProtectionGroupSnapshotTransfer {
  id: string;
  name: string;
  destroyed: boolean;
  /** Milliseconds since the epoch; null until a transfer starts. */
  started: number | null;
  completed: number | null;
  /** 0..1; the driver's failover takes the newest snapshot at 1.0. */
  progress: number | null;
  data_transferred: number;
  physical_bytes_written: number;
}

export interface ArrayConnection {
  id: string;
  /** The remote array's name: what pods/arrays and pgroup targets take as `member_names`. */
  name: string;
  remote: Reference & { resource_type?: string };
  management_address: string | null;
  replication_addresses: string[];
  replication_transport: string;
  /** The driver counts only `connected`. */
  status: string;
  type: 'async-replication' | 'sync-replication' | string;
  version?: string;
}

export interface ContainerDefaultProtection {
  id: string;
  name: string;
  type: string;
  default_protections: Array<{ id?: string; name: string; type: string }>;
}

export interface ContainerDefaultProtectionPatch {
  default_protections: Array<{ name: string; type: string }>;
}
