// Attachments, services, pools and groups on the wire (cinder/api/v3/views/attachments.py,
// v3/services.py, v3/views/groups.py, group_snapshots.py; openstack-api.md §2.7-§2.9).

import type { AttachmentRecord, GroupRecord, GroupSnapshotRecord, ServiceRecord } from '../../model.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import type { PoolInfo } from '../../volume/volume-api.js';
import { type ApiDeps, linksOf } from '../route-context.js';

/**
 * Cinder's service_down_time: a service whose last heartbeat (updated_at, else created_at) is older
 * than this is shown "down". The volume service must refresh updatedAt more often than this.
 */
export const SERVICE_DOWN_TIME_MS = 60_000;

export function attachmentSummary(attachment: AttachmentRecord): Record<string, unknown> {
  return {
    id: attachment.id,
    status: attachment.attachStatus,
    instance: attachment.instanceUuid,
    volume_id: attachment.volumeId,
  };
}

export function attachmentDetail(attachment: AttachmentRecord): Record<string, unknown> {
  const info = attachment.connectionInfo;
  return {
    ...attachmentSummary(attachment),
    // Cinder's _normalize_time gives '' for a time not set; attach_mode's column default is 'null'.
    attached_at: attachment.attachedAt ?? '',
    detached_at: attachment.detachedAt ?? '',
    attach_mode: attachment.attachMode ?? 'null',
    connection_info: info === null ? null : { driver_volume_type: info.driverVolumeType, data: info.data },
  };
}

/** Cinder's utils.service_is_up, against `nowMs`. */
export function serviceIsUp(service: ServiceRecord, nowMs: number): boolean {
  const heartbeat = Date.parse(`${service.updatedAt ?? service.createdAt}Z`);
  return Number.isFinite(heartbeat) && nowMs - heartbeat <= SERVICE_DOWN_TIME_MS;
}

export function serviceView(context: RequestContext, service: ServiceRecord, nowMs: number): object {
  const state = serviceIsUp(service, nowMs) ? 'up' : 'down';
  const view: Record<string, unknown> = {
    binary: service.binary,
    host: service.host,
    zone: service.availabilityZone,
    status: service.disabled ? 'disabled' : 'enabled',
    state,
    updated_at: service.updatedAt,
    disabled_reason: service.disabledReason,
  };
  if (atLeast(context, 3, 7)) view.cluster = null;
  if (service.binary === 'cinder-volume') {
    if (atLeast(context, 3, 49)) view.backend_state = state;
    view.replication_status = service.replicationStatus;
    view.active_backend_id = service.activeBackendId;
    view.frozen = service.frozen;
  }
  return view;
}

/** The answer to enable/disable (services.py update): Cinder echoes what it set. */
export function serviceUpdateView(service: ServiceRecord, withReason: boolean): object {
  const view: Record<string, unknown> = {
    host: service.host,
    service: service.binary,
    binary: service.binary,
    status: service.disabled ? 'disabled' : 'enabled',
    disabled: service.disabled,
  };
  if (withReason) view.disabled_reason = service.disabledReason;
  return view;
}

export function poolView(pool: PoolInfo, detail: boolean): object {
  return detail ? { name: pool.name, capabilities: { ...pool.capabilities } } : { name: pool.name };
}

export function groupSummary(deps: ApiDeps, context: RequestContext, group: GroupRecord): object {
  return { id: group.id, name: group.name, links: linksOf(deps, context, 'groups', group.id) };
}

export function groupDetail(context: RequestContext, group: GroupRecord, volumeIds: string[] | null): object {
  const view: Record<string, unknown> = {
    id: group.id,
    status: group.status,
    availability_zone: group.availabilityZone,
    created_at: group.createdAt,
    name: group.name,
    description: group.description,
    group_type: group.groupTypeId,
    volume_types: [...group.volumeTypeIds],
  };
  if (atLeast(context, 3, 14)) {
    view.group_snapshot_id = group.groupSnapshotId;
    view.source_group_id = group.sourceGroupId;
  }
  if (atLeast(context, 3, 38)) view.replication_status = group.replicationStatus;
  if (atLeast(context, 3, 58)) view.project_id = group.projectId;
  if (volumeIds !== null) view.volumes = volumeIds;
  return view;
}

export function groupSnapshotView(
  context: RequestContext,
  snapshot: GroupSnapshotRecord,
  detail: boolean,
): object {
  const view: Record<string, unknown> = { id: snapshot.id, name: snapshot.name };
  if (!detail) return view;
  Object.assign(view, {
    group_id: snapshot.groupId,
    status: snapshot.status,
    created_at: snapshot.createdAt,
    description: snapshot.description,
  });
  if (atLeast(context, 3, 19)) view.group_type_id = snapshot.groupTypeId;
  if (atLeast(context, 3, 58)) view.project_id = snapshot.projectId;
  return view;
}
