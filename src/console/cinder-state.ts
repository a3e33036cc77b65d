// The Cinder part of the console's state: the volume service (replication status, active backend)
// and every project's volumes. Read with an admin token the server gets itself from the lab's
// admin password file, so the page shows the lab without anyone typing a password; that token
// never leaves this process. Changes (failover) need the password typed per request instead.

import { readFile } from 'node:fs/promises';
import type { LabDescriptor } from '../lab/descriptor.js';
import { TOKEN_RENEW_MARGIN_MS } from './limits.js';
import { cinderCall, type KeystoneSession, keystoneLogin, OpenStackError } from './openstack.js';
import type { CinderVolumeView, VolumeServiceView } from './state-types.js';

interface ServiceWire {
  binary: string;
  host: string;
  state: string;
  status: string;
  replication_status?: string;
  active_backend_id?: string | null;
  frozen?: boolean;
  disabled_reason?: string | null;
}

interface VolumeWire {
  id: string;
  name: string | null;
  status: string;
  replication_status: string;
  volume_type: string | null;
  size: number;
  'os-vol-host-attr:host'?: string | null;
}

export function serviceView(service: ServiceWire): VolumeServiceView {
  return {
    host: service.host,
    state: service.state,
    status: service.status,
    replicationStatus: service.replication_status ?? 'unknown',
    activeBackendId: service.active_backend_id ?? null,
    frozen: service.frozen ?? false,
    disabledReason: service.disabled_reason ?? null,
  };
}

function volumeView(volume: VolumeWire): CinderVolumeView {
  return {
    id: volume.id,
    name: volume.name ?? '',
    status: volume.status,
    replicationStatus: volume.replication_status,
    volumeType: volume.volume_type ?? '',
    sizeGib: volume.size,
    host: volume['os-vol-host-attr:host'] ?? null,
  };
}

/** The volume service of `host`, as `session` sees it; null when Cinder lists none. */
export async function readVolumeService(
  cinderUrl: string,
  session: KeystoneSession,
  host: string,
): Promise<VolumeServiceView | null> {
  const { services } = await cinderCall<{ services: ServiceWire[] }>(
    cinderUrl,
    session,
    'GET',
    '/os-services?binary=cinder-volume',
  );
  const service = services.find((s) => s.host === host);
  return service ? serviceView(service) : null;
}

export class CinderReader {
  private session: KeystoneSession | null = null;

  constructor(private readonly nowMs: () => number) {}

  private async adminSession(lab: LabDescriptor): Promise<KeystoneSession> {
    if (this.session && this.nowMs() < this.session.expiresAtMs - TOKEN_RENEW_MARGIN_MS) return this.session;
    const password = (await readFile(lab.admin.passwordFile, 'utf8')).trim();
    this.session = await keystoneLogin(lab.cinder.authUrl, {
      user: lab.admin.user,
      project: lab.admin.project,
      password,
    });
    return this.session;
  }

  /** Runs `read` with the admin token; a token Cinder no longer knows (restart) is renewed once. */
  private async withAdmin<T>(lab: LabDescriptor, read: (s: KeystoneSession) => Promise<T>): Promise<T> {
    try {
      return await read(await this.adminSession(lab));
    } catch (error) {
      if (!(error instanceof OpenStackError && error.status === 401)) throw error;
      this.session = null;
      return read(await this.adminSession(lab));
    }
  }

  async read(
    lab: LabDescriptor,
  ): Promise<{ service: VolumeServiceView | null; volumes: CinderVolumeView[] }> {
    return this.withAdmin(lab, async (session) => {
      const [service, detail] = await Promise.all([
        readVolumeService(lab.cinder.url, session, lab.cinder.host),
        cinderCall<{ volumes: VolumeWire[] }>(
          lab.cinder.url,
          session,
          'GET',
          '/volumes/detail?all_tenants=1',
        ),
      ]);
      return { service, volumes: detail.volumes.map(volumeView) };
    });
  }
}
