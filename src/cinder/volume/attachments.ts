// Attaching volumes to hosts: the attachments API (3.27+: reserve, connect with the host's
// connector, complete, delete) and the legacy volume actions Nova used before it. Connecting asks
// the backend's driver to export the volume to the host (a Purity host and connection) and
// returns how the host reaches it (NBD or iSCSI connection info).

import { cinderErrors } from '../errors.js';
import type { AttachmentRecord, ConnectionInfo, VolumeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import {
  backendOf,
  newId,
  now,
  requireVolume,
  saveVolume,
  type VolumeServiceDeps,
  visibleRecord,
} from './deps.js';
import type { CreateAttachmentRequest } from './volume-api.js';

export function requireAttachment(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
): AttachmentRecord {
  return visibleRecord(deps, context, 'attachment', id, cinderErrors.attachmentNotFound);
}

async function saveAttachment(deps: VolumeServiceDeps, attachment: AttachmentRecord): Promise<void> {
  attachment.updatedAt = now();
  await deps.store.put('attachment', attachment);
}

const hasConnector = (connector: Record<string, unknown> | null): connector is Record<string, unknown> =>
  connector !== null && Object.keys(connector).length > 0;

/** The connection info as the API shows it (Cinder's wire names). */
export function connectionInfoView(info: ConnectionInfo): {
  driver_volume_type: string;
  data: Record<string, unknown>;
} {
  return { driver_volume_type: info.driverVolumeType, data: info.data };
}

async function connect(deps: VolumeServiceDeps, volume: VolumeRecord, connector: Record<string, unknown>) {
  try {
    return await backendOf(deps, volume).port.driver.initializeConnection(volume, connector);
  } catch (error) {
    throw cinderErrors.invalidVolume(`Unable to connect the volume: ${(error as Error).message}`);
  }
}

export async function createAttachment(
  deps: VolumeServiceDeps,
  context: RequestContext,
  request: CreateAttachmentRequest,
): Promise<AttachmentRecord> {
  const volume = requireVolume(deps, context, request.volumeId);
  const others = deps.store.list('attachment', (a) => a.volumeId === volume.id);
  const free = volume.status === 'available' || (volume.status === 'reserved' && others.length === 0);
  const shareable = volume.multiattach && ['in-use', 'reserved'].includes(volume.status);
  if (!free && !shareable)
    throw cinderErrors.invalidVolume(
      `Volume ${volume.id} status must be available or in-use (multiattach), but current status is: ${volume.status}.`,
    );
  const attachment: AttachmentRecord = {
    id: newId(),
    volumeId: volume.id,
    projectId: volume.projectId,
    instanceUuid: request.instanceUuid,
    attachStatus: 'reserved',
    attachMode: request.mode ?? 'rw',
    connector: null,
    connectionInfo: null,
    attachedHost: null,
    mountpoint: null,
    attachedAt: null,
    detachedAt: null,
    createdAt: now(),
    updatedAt: null,
  };
  if (volume.status === 'available') volume.status = 'reserved';
  await deps.store.write([
    { kind: 'attachment', id: attachment.id, record: attachment },
    { kind: 'volume', id: volume.id, record: { ...volume, updatedAt: now() } },
  ]);
  if (hasConnector(request.connector))
    return updateAttachment(deps, context, attachment.id, request.connector);
  return attachment;
}

export async function updateAttachment(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
  connector: Record<string, unknown>,
): Promise<AttachmentRecord> {
  const attachment = requireAttachment(deps, context, id);
  if (!hasConnector(connector))
    throw cinderErrors.invalidInput('A connector is required to update an attachment.');
  const volume = requireVolume(deps, context, attachment.volumeId);
  const info = await connect(deps, volume, connector);
  attachment.connector = connector;
  attachment.connectionInfo = info;
  attachment.attachStatus = 'attaching';
  attachment.attachedHost = typeof connector.host === 'string' ? connector.host : null;
  attachment.mountpoint = typeof connector.mountpoint === 'string' ? connector.mountpoint : null;
  await saveAttachment(deps, attachment);
  return attachment;
}

export async function completeAttachment(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
): Promise<void> {
  const attachment = requireAttachment(deps, context, id);
  const volume = requireVolume(deps, context, attachment.volumeId);
  if (attachment.connectionInfo === null)
    throw cinderErrors.invalidVolume(
      'The attachment has no connection yet: update it with a connector first.',
    );
  attachment.attachStatus = 'attached';
  attachment.attachedAt = now();
  volume.status = 'in-use';
  volume.attachStatus = 'attached';
  await saveAttachment(deps, attachment);
  await saveVolume(deps, volume);
}

/** Removes an attachment (disconnecting the host); returns the volume's remaining attachments. */
export async function deleteAttachment(
  deps: VolumeServiceDeps,
  context: RequestContext,
  id: string,
): Promise<AttachmentRecord[]> {
  const attachment = requireAttachment(deps, context, id);
  const volume = requireVolume(deps, context, attachment.volumeId);
  if (attachment.connectionInfo !== null && volume.host) {
    const sameHost = deps.store.list(
      'attachment',
      (a) =>
        a.volumeId === volume.id &&
        a.id !== attachment.id &&
        a.attachedHost === attachment.attachedHost &&
        a.connectionInfo !== null,
    );
    // Multiattach: another attachment on the same host keeps the host's connection.
    if (sameHost.length === 0)
      await backendOf(deps, volume).port.driver.terminateConnection(volume, attachment.connector);
  }
  await deps.store.remove('attachment', attachment.id);
  const left = deps.store.list('attachment', (a) => a.volumeId === volume.id);
  if (left.length === 0) {
    volume.status = 'available';
    volume.attachStatus = 'detached';
  } else if (!left.some((a) => a.attachStatus === 'attached')) {
    volume.status = 'reserved';
    volume.attachStatus = 'detached';
  }
  await saveVolume(deps, volume);
  return left;
}

/** The legacy attach actions (python API users; Nova before the attachments API). */
export async function legacyAttachAction(
  deps: VolumeServiceDeps,
  context: RequestContext,
  volume: VolumeRecord,
  action: string,
  body: Record<string, unknown>,
): Promise<object | null> {
  switch (action) {
    case 'os-reserve':
      if (volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use'))
        throw cinderErrors.invalidVolume(
          `Volume status must be available to reserve, but the status is ${volume.status}.`,
        );
      volume.status = 'attaching';
      break;
    case 'os-unreserve':
      if (volume.status === 'attaching')
        volume.status =
          deps.store.list('attachment', (a) => a.volumeId === volume.id).length > 0 ? 'in-use' : 'available';
      break;
    case 'os-begin_detaching':
      if (volume.status !== 'in-use')
        throw cinderErrors.invalidVolume('Volume status must be in-use to detach.');
      volume.status = 'detaching';
      break;
    case 'os-roll_detaching':
      if (volume.status === 'detaching') volume.status = 'in-use';
      break;
    case 'os-initialize_connection': {
      const connector = body.connector;
      if (typeof connector !== 'object' || connector === null)
        throw cinderErrors.invalidInput('Must specify a connector.');
      const info = await connect(deps, volume, connector as Record<string, unknown>);
      return { connection_info: connectionInfoView(info) };
    }
    case 'os-terminate_connection': {
      const connector = body.connector;
      if (typeof connector !== 'object' || connector === null)
        throw cinderErrors.invalidInput('Must specify a connector.');
      await backendOf(deps, volume).port.driver.terminateConnection(
        volume,
        connector as Record<string, unknown>,
      );
      return null;
    }
    case 'os-attach':
      return legacyAttach(deps, volume, body);
    case 'os-detach':
    case 'os-force_detach':
      return legacyDetach(deps, context, volume, action, body);
  }
  await saveVolume(deps, volume);
  return null;
}

async function legacyAttach(deps: VolumeServiceDeps, volume: VolumeRecord, body: Record<string, unknown>) {
  const instance = typeof body.instance_uuid === 'string' ? body.instance_uuid : null;
  const hostName = typeof body.host_name === 'string' ? body.host_name : null;
  if (!instance && !hostName)
    throw cinderErrors.invalidInput('Invalid request to attach volume to an invalid target');
  const attachment: AttachmentRecord = {
    id: newId(),
    volumeId: volume.id,
    projectId: volume.projectId,
    instanceUuid: instance,
    attachStatus: 'attached',
    attachMode: body.mode === 'ro' ? 'ro' : 'rw',
    connector: null,
    connectionInfo: null,
    attachedHost: hostName,
    mountpoint: typeof body.mountpoint === 'string' ? body.mountpoint : null,
    attachedAt: now(),
    detachedAt: null,
    createdAt: now(),
    updatedAt: null,
  };
  volume.status = 'in-use';
  volume.attachStatus = 'attached';
  await deps.store.put('attachment', attachment);
  await saveVolume(deps, volume);
  return null;
}

async function legacyDetach(
  deps: VolumeServiceDeps,
  context: RequestContext,
  volume: VolumeRecord,
  action: string,
  body: Record<string, unknown>,
) {
  if (action === 'os-force_detach') {
    if (!context.isAdmin) throw cinderErrors.forbidden('volume_extension:volume_admin_actions:force_detach');
    const connector =
      typeof body.connector === 'object' && body.connector !== null
        ? (body.connector as Record<string, unknown>)
        : null;
    await backendOf(deps, volume).port.driver.terminateConnection(volume, connector);
  }
  const attachmentId = typeof body.attachment_id === 'string' ? body.attachment_id : undefined;
  const attachments = deps.store.list('attachment', (a) => a.volumeId === volume.id);
  const gone = attachmentId ? attachments.filter((a) => a.id === attachmentId) : attachments.slice(0, 1);
  if (attachmentId && gone.length === 0) throw cinderErrors.attachmentNotFound(attachmentId);
  for (const attachment of gone) await deps.store.remove('attachment', attachment.id);
  if (attachments.length === gone.length) {
    volume.status = 'available';
    volume.attachStatus = 'detached';
  }
  await saveVolume(deps, volume);
  return null;
}
