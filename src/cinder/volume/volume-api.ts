// What the HTTP API asks of the volume service: volumes, snapshots, attachments, groups, services
// (freeze, thaw, failover) and pools. Every method checks policy and state as Cinder's
// cinder/volume/api.py does and throws CinderError with Cinder's message; long work (creating on
// the array, deleting) continues after the method returns, as Cinder's 202 responses promise.
// Volume types, QoS specs and quotas are plain records (src/cinder/catalog).

import type {
  AttachmentRecord,
  GroupRecord,
  GroupSnapshotRecord,
  ServiceRecord,
  SnapshotRecord,
  VolumeRecord,
  VolumeStatus,
} from '../model.js';
import type { RequestContext } from '../request-context.js';

export interface CreateVolumeRequest {
  size: number | null;
  name: string | null;
  description: string | null;
  /** Name or id, as the user typed it; null: the default type. */
  volumeType: string | null;
  availabilityZone: string | null;
  snapshotId: string | null;
  sourceVolid: string | null;
  groupId: string | null;
  metadata: Record<string, string>;
  multiattach: boolean;
}

export interface VolumeFilters {
  allTenants: boolean;
  projectId?: string;
  name?: string;
  status?: string;
  limit?: number;
  marker?: string;
}

export interface CreateAttachmentRequest {
  volumeId: string;
  instanceUuid: string | null;
  /** null or {}: reserve only. */
  connector: Record<string, unknown> | null;
  mode: 'rw' | 'ro' | null;
}

/** Cinder's pool entry: name host@backend#pool and the backend's reported capabilities. */
export interface PoolInfo {
  name: string;
  capabilities: Record<string, unknown>;
}

/** A volume action body as POST /volumes/{id}/action sends it, e.g. {"os-extend": {"new_size": 2}}. */
export type VolumeActionName =
  | 'os-extend'
  | 'os-reset_status'
  | 'os-force_delete'
  | 'os-retype'
  | 'os-reserve'
  | 'os-unreserve'
  | 'os-begin_detaching'
  | 'os-roll_detaching'
  | 'os-initialize_connection'
  | 'os-terminate_connection'
  | 'os-attach'
  | 'os-detach'
  | 'os-force_detach'
  | 'os-set_bootable'
  | 'os-update_readonly_flag'
  | 'revert'
  | 'os-update_volume_admin_metadata'
  | 'os-unmanage';

/** POST /os-volume-manage: take an existing array volume under Cinder's management. */
export interface ManageVolumeRequest {
  /** host@backend#pool (or host@backend) of the backend holding it. */
  host: string;
  /** How the driver finds it, e.g. {"source-name": "vol1"}. */
  ref: Record<string, unknown>;
  name: string | null;
  description: string | null;
  volumeType: string | null;
  availabilityZone: string | null;
  bootable: boolean;
  metadata: Record<string, string>;
}

export interface VolumeApi {
  createVolume(context: RequestContext, request: CreateVolumeRequest): Promise<VolumeRecord>;
  getVolume(context: RequestContext, id: string): VolumeRecord;
  listVolumes(context: RequestContext, filters: VolumeFilters): VolumeRecord[];
  updateVolume(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
  ): Promise<VolumeRecord>;
  /** replace: the metadata becomes exactly `metadata`; else keys are added or changed. */
  setVolumeMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>>;
  deleteVolumeMetadata(context: RequestContext, id: string, key: string): Promise<void>;
  deleteVolume(
    context: RequestContext,
    id: string,
    options: { cascade: boolean; force: boolean },
  ): Promise<void>;
  /** Admin: records an existing array volume (renamed by the driver) as a Cinder volume. */
  manageVolume(context: RequestContext, request: ManageVolumeRequest): Promise<VolumeRecord>;
  /** Returns the response body for actions that have one (os-initialize_connection), else null. */
  volumeAction(
    context: RequestContext,
    id: string,
    action: VolumeActionName,
    body: unknown,
  ): Promise<object | null>;

  createSnapshot(
    context: RequestContext,
    request: {
      volumeId: string;
      name: string | null;
      description: string | null;
      force: boolean | null;
      metadata: Record<string, string>;
    },
  ): Promise<SnapshotRecord>;
  getSnapshot(context: RequestContext, id: string): SnapshotRecord;
  listSnapshots(context: RequestContext, filters: VolumeFilters & { volumeId?: string }): SnapshotRecord[];
  updateSnapshot(
    context: RequestContext,
    id: string,
    changes: { name?: string | null; description?: string | null },
  ): Promise<SnapshotRecord>;
  deleteSnapshot(context: RequestContext, id: string, force: boolean): Promise<void>;
  resetSnapshotStatus(context: RequestContext, id: string, status: string): Promise<void>;

  createAttachment(context: RequestContext, request: CreateAttachmentRequest): Promise<AttachmentRecord>;
  getAttachment(context: RequestContext, id: string): AttachmentRecord;
  listAttachments(
    context: RequestContext,
    filters: { allTenants: boolean; volumeId?: string },
  ): AttachmentRecord[];
  updateAttachment(
    context: RequestContext,
    id: string,
    connector: Record<string, unknown>,
  ): Promise<AttachmentRecord>;
  completeAttachment(context: RequestContext, id: string): Promise<void>;
  /** Returns the attachments left on the same volume. */
  deleteAttachment(context: RequestContext, id: string): Promise<AttachmentRecord[]>;

  listServices(context: RequestContext, filters: { host?: string; binary?: string }): ServiceRecord[];
  setServiceEnabled(
    context: RequestContext,
    host: string,
    binary: string,
    enabled: boolean,
    reason: string | null,
  ): Promise<ServiceRecord>;
  freezeHost(context: RequestContext, host: string): Promise<void>;
  thawHost(context: RequestContext, host: string): Promise<void>;
  /** Starts a failover (or failback with 'default') of a volume service; returns at once. */
  failoverHost(context: RequestContext, host: string, backendId: string | null): Promise<void>;
  getPools(
    context: RequestContext,
    filters: { name?: string; backend?: string; volumeType?: string },
  ): PoolInfo[];

  createGroup(
    context: RequestContext,
    request: {
      name: string | null;
      description: string | null;
      groupType: string;
      volumeTypes: string[];
      availabilityZone: string | null;
    },
  ): Promise<GroupRecord>;
  getGroup(context: RequestContext, id: string): GroupRecord;
  listGroups(context: RequestContext, filters: { allTenants: boolean }): GroupRecord[];
  updateGroup(
    context: RequestContext,
    id: string,
    changes: {
      name?: string | null;
      description?: string | null;
      addVolumes: string[];
      removeVolumes: string[];
    },
  ): Promise<GroupRecord>;
  deleteGroup(context: RequestContext, id: string, deleteVolumes: boolean): Promise<void>;
  createGroupSnapshot(
    context: RequestContext,
    request: { groupId: string; name: string | null; description: string | null },
  ): Promise<GroupSnapshotRecord>;
  getGroupSnapshot(context: RequestContext, id: string): GroupSnapshotRecord;
  listGroupSnapshots(context: RequestContext, filters: { allTenants: boolean }): GroupSnapshotRecord[];
  deleteGroupSnapshot(context: RequestContext, id: string): Promise<void>;
}

/** Statuses a volume may be deleted from without force (cinder/volume/api.py delete). */
export const DELETABLE_VOLUME_STATUSES: readonly VolumeStatus[] = [
  'available',
  'error',
  'error_restoring',
  'error_extending',
  'error_managing',
];
