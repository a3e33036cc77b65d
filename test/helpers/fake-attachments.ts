// The fake volume service's attachments (see fake-volume-api.ts), following Cinder's attach flow
// (openstack-api.md §2.9): create without a connector reserves (volume and attachment 'reserved');
// a connector (at create or update) makes the connection ('attaching', connection_info filled);
// complete marks 'attached' and the volume 'in-use'; delete frees the volume with its last attachment.

import { cinderErrors } from '../../src/cinder/errors.js';
import {
  type AttachmentRecord,
  type ConnectionInfo,
  cinderTime,
  type VolumeRecord,
  type VolumeStatus,
} from '../../src/cinder/model.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import type { CreateAttachmentRequest, VolumeActionName } from '../../src/cinder/volume/volume-api.js';
import type { FakeEnv } from './fake-env.js';

/** The target every fake connection points at (a FlashArray has one IQN for all volumes). */
export const FAKE_TARGET_IQN = 'iqn.2010-06.com.purestorage:flasharray.fake';
const FAKE_PORTAL = '127.0.0.1:3260';

export class FakeAttachments {
  constructor(
    private readonly env: FakeEnv,
    private readonly getVolume: (context: RequestContext, id: string) => VolumeRecord,
  ) {}

  async create(context: RequestContext, request: CreateAttachmentRequest): Promise<AttachmentRecord> {
    const volume = this.getVolume(context, request.volumeId);
    // fake: a second attachment needs a multiattach volume, as Cinder's _attachment_reserve.
    const allowed: VolumeStatus[] = volume.multiattach ? ['available', 'in-use', 'reserved'] : ['available'];
    if (!allowed.includes(volume.status))
      throw cinderErrors.invalidVolume(
        `Volume ${volume.id} status must be available or in-use (multiattach), but current status is: ${volume.status}.`,
      );
    const now = cinderTime(this.env.now());
    const attachment: AttachmentRecord = {
      id: this.env.newId(),
      volumeId: volume.id,
      projectId: context.projectId,
      instanceUuid: request.instanceUuid,
      attachStatus: 'reserved',
      attachMode: request.mode ?? 'rw',
      connector: null,
      connectionInfo: null,
      attachedHost: null,
      mountpoint: null,
      attachedAt: null,
      detachedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    if (volume.status === 'available') await this.setVolume(volume, 'reserved', 'reserved');
    const connect = request.connector !== null && Object.keys(request.connector).length > 0;
    await this.env.store.put('attachment', attachment);
    return connect ? this.connect(attachment, request.connector!) : attachment;
  }

  get(context: RequestContext, id: string): AttachmentRecord {
    const attachment = this.env.store.get('attachment', id);
    if (!attachment || (!context.isAdmin && attachment.projectId !== context.projectId))
      throw cinderErrors.attachmentNotFound(id);
    return attachment;
  }

  list(context: RequestContext, filters: { allTenants: boolean; volumeId?: string }): AttachmentRecord[] {
    return this.env.store
      .list(
        'attachment',
        (a) =>
          (filters.allTenants || a.projectId === context.projectId) &&
          (filters.volumeId === undefined || a.volumeId === filters.volumeId),
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  ofVolume(volumeId: string): AttachmentRecord[] {
    return this.env.store.list('attachment', (a) => a.volumeId === volumeId);
  }

  async update(
    context: RequestContext,
    id: string,
    connector: Record<string, unknown>,
  ): Promise<AttachmentRecord> {
    return this.connect(this.get(context, id), connector);
  }

  async complete(context: RequestContext, id: string): Promise<void> {
    const attachment = this.get(context, id);
    const now = cinderTime(this.env.now());
    await this.env.store.put('attachment', {
      ...attachment,
      attachStatus: 'attached',
      attachedAt: now,
      updatedAt: now,
    });
    const volume = this.env.store.get('volume', attachment.volumeId);
    if (volume) await this.setVolume(volume, 'in-use', 'attached');
  }

  async delete(context: RequestContext, id: string): Promise<AttachmentRecord[]> {
    const attachment = this.get(context, id);
    await this.env.store.remove('attachment', attachment.id);
    const remaining = this.ofVolume(attachment.volumeId);
    const volume = this.env.store.get('volume', attachment.volumeId);
    if (volume && remaining.length === 0) await this.setVolume(volume, 'available', 'detached');
    return remaining;
  }

  /** What initialize_connection would give: an iSCSI target with the volume as LUN 1. */
  connectionInfoFor(volume: VolumeRecord): object {
    return { driver_volume_type: 'iscsi', data: this.iscsiData(volume) };
  }

  /** The pre-3.27 attach actions, reduced to their effect on statuses. */
  async legacyAction(
    context: RequestContext,
    volume: VolumeRecord,
    action: VolumeActionName,
    args: Record<string, unknown>,
  ): Promise<null> {
    switch (action) {
      case 'os-reserve':
        await this.setVolume(volume, 'reserved', volume.attachStatus);
        break;
      case 'os-unreserve':
        if (volume.status === 'reserved') await this.setVolume(volume, 'available', volume.attachStatus);
        break;
      case 'os-begin_detaching':
        await this.setVolume(volume, 'detaching', volume.attachStatus);
        break;
      case 'os-roll_detaching':
        if (volume.status === 'detaching') await this.setVolume(volume, 'in-use', volume.attachStatus);
        break;
      case 'os-attach': {
        const attachment = await this.create(context, {
          volumeId: volume.id,
          instanceUuid: typeof args.instance_uuid === 'string' ? args.instance_uuid : null,
          connector: null,
          mode: args.mode === 'ro' ? 'ro' : 'rw',
        });
        const host = typeof args.host_name === 'string' ? args.host_name : null;
        const mountpoint = typeof args.mountpoint === 'string' ? args.mountpoint : null;
        await this.env.store.put('attachment', { ...attachment, attachedHost: host, mountpoint });
        await this.complete(context, attachment.id);
        break;
      }
      case 'os-detach':
      case 'os-force_detach':
        for (const attachment of this.ofVolume(volume.id))
          if (args.attachment_id === undefined || args.attachment_id === attachment.id)
            await this.delete(context, attachment.id);
        break;
      case 'os-update_readonly_flag':
        volume.adminMetadata.readonly = args.readonly === true ? 'True' : 'False';
        await this.env.store.put('volume', volume);
        break;
      default:
        // os-terminate_connection, revert, os-update_volume_admin_metadata: nothing to model.
        break;
    }
    return null;
  }

  private async connect(
    attachment: AttachmentRecord,
    connector: Record<string, unknown>,
  ): Promise<AttachmentRecord> {
    const volume = this.env.store.get('volume', attachment.volumeId);
    if (!volume) throw cinderErrors.volumeNotFound(attachment.volumeId);
    const info: ConnectionInfo = { driverVolumeType: 'iscsi', data: this.iscsiData(volume) };
    const updated: AttachmentRecord = {
      ...attachment,
      // fake: the volume shows 'attaching' between update and complete, as Cinder since Queens.
      attachStatus: 'attaching',
      connector: { ...connector },
      connectionInfo: info,
      attachedHost: typeof connector.host === 'string' ? connector.host : null,
      mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
      updatedAt: cinderTime(this.env.now()),
    };
    await this.env.store.put('attachment', updated);
    if (volume.status === 'reserved') await this.setVolume(volume, 'attaching', 'attaching');
    return updated;
  }

  private iscsiData(volume: VolumeRecord): Record<string, unknown> {
    return {
      target_discovered: false,
      target_iqn: FAKE_TARGET_IQN,
      target_portal: FAKE_PORTAL,
      target_lun: 1,
      volume_id: volume.id,
      discard: true,
    };
  }

  private async setVolume(
    volume: VolumeRecord,
    status: VolumeStatus,
    attachStatus: VolumeRecord['attachStatus'],
  ) {
    await this.env.store.put('volume', {
      ...volume,
      status,
      attachStatus,
      updatedAt: cinderTime(this.env.now()),
    });
  }
}
