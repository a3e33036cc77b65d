// Volumes and snapshots as Cinder's v3 views write them (cinder/api/v3/views/volumes.py,
// snapshots.py; openstack-api.md §2.4, §2.6): wire names, per-microversion fields, admin-only
// fields. Fields the CLIs crash without (metadata, volume_type, attachments) are always present.

import type { AttachmentRecord, SnapshotRecord, VolumeRecord } from '../../model.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import { type ApiDeps, linksOf } from '../route-context.js';

/**
 * The view of one volume. `attachments` are the volume's attachment records (only the attached
 * ones are shown, as Cinder). `created`: the POST response, which lacks the os-vol-* keys.
 */
export function volumeDetail(
  deps: ApiDeps,
  context: RequestContext,
  volume: VolumeRecord,
  attachments: AttachmentRecord[],
  created = false,
): Record<string, unknown> {
  const admin = context.isAdmin;
  const view: Record<string, unknown> = {
    attachments: attachments
      .filter((a) => a.attachStatus === 'attached')
      .map((a) => attachmentEntry(a, admin)),
    availability_zone: volume.availabilityZone,
    bootable: volume.bootable ? 'true' : 'false',
    consistencygroup_id: null,
    created_at: volume.createdAt,
    description: volume.description,
    encrypted: false,
    id: volume.id,
    links: linksOf(deps, context, 'volumes', volume.id),
    metadata: { ...volume.metadata },
  };
  if (admin) view.migration_status = volume.migrationStatus;
  view.multiattach = volume.multiattach;
  view.name = volume.name;
  if (admin && !created) {
    view['os-vol-host-attr:host'] = volume.host;
    view['os-vol-mig-status-attr:migstat'] = volume.migrationStatus;
    view['os-vol-mig-status-attr:name_id'] = null;
    view['os-vol-tenant-attr:tenant_id'] = volume.projectId;
  }
  Object.assign(view, {
    replication_status: volume.replicationStatus,
    size: volume.size,
    snapshot_id: volume.snapshotId,
    source_volid: volume.sourceVolid,
    status: volume.status,
    updated_at: volume.updatedAt,
    user_id: volume.userId,
    volume_type: deps.catalog.findType(volume.volumeTypeId)?.name ?? volume.volumeTypeId,
    // Not in Cinder's view, but `cinder show` prints it when present (openstack-api.md §2.4).
    attach_status: volume.attachStatus,
  });
  addVersionedVolumeFields(view, context, volume);
  return view;
}

function addVersionedVolumeFields(
  view: Record<string, unknown>,
  context: RequestContext,
  volume: VolumeRecord,
) {
  if (atLeast(context, 3, 13)) view.group_id = volume.groupId;
  if (atLeast(context, 3, 21) && context.isAdmin) view.provider_id = volume.providerId;
  if (atLeast(context, 3, 48)) {
    // One iSCSI target serves every volume of a FlashArray, so targets are shared (Cinder's default).
    view.shared_targets = true;
    view.service_uuid = null;
  }
  if (atLeast(context, 3, 61) && context.isAdmin) view.cluster_name = null;
  if (atLeast(context, 3, 63)) view.volume_type_id = volume.volumeTypeId;
  if (atLeast(context, 3, 65)) view.consumes_quota = true;
}

/** `cinder show` reads attachment_id and server_id directly; both must be there. */
function attachmentEntry(attachment: AttachmentRecord, admin: boolean): object {
  return {
    id: attachment.volumeId,
    attachment_id: attachment.id,
    volume_id: attachment.volumeId,
    server_id: attachment.instanceUuid,
    host_name: admin ? attachment.attachedHost : null,
    device: attachment.mountpoint,
    attached_at: attachment.attachedAt,
  };
}

/** GET /volumes (no /detail): id, name and links only. */
export function volumeSummary(deps: ApiDeps, context: RequestContext, volume: VolumeRecord): object {
  return { id: volume.id, name: volume.name, links: linksOf(deps, context, 'volumes', volume.id) };
}

/** Attachments grouped by volume, so a list view asks the volume service once. */
export function attachmentsByVolume(attachments: AttachmentRecord[]): Map<string, AttachmentRecord[]> {
  const byVolume = new Map<string, AttachmentRecord[]>();
  for (const attachment of attachments) {
    const list = byVolume.get(attachment.volumeId) ?? [];
    list.push(attachment);
    byVolume.set(attachment.volumeId, list);
  }
  return byVolume;
}

export function snapshotView(context: RequestContext, snapshot: SnapshotRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    created_at: snapshot.createdAt,
    description: snapshot.description,
    id: snapshot.id,
    metadata: { ...snapshot.metadata },
    name: snapshot.name,
    size: snapshot.volumeSize,
    status: snapshot.status,
    updated_at: snapshot.updatedAt,
    volume_id: snapshot.volumeId,
    'os-extended-snapshot-attributes:progress': snapshot.progress,
    'os-extended-snapshot-attributes:project_id': snapshot.projectId,
  };
  if (atLeast(context, 3, 14)) view.group_snapshot_id = snapshot.groupSnapshotId;
  if (atLeast(context, 3, 41)) view.user_id = snapshot.userId;
  if (atLeast(context, 3, 65)) view.consumes_quota = true;
  return view;
}
