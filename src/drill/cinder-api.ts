// The drill's client of the lab's control plane, as the lab's admin: Keystone v3 password login
// (the password is read from its file and never leaves this module), then the Block Storage v3
// calls a DR runbook makes: create and delete volumes, read the service, failover_host.

import { readFile } from 'node:fs/promises';
import type { LabDescriptor } from '../lab/descriptor.js';
import { POLL_INTERVAL_MS, REST_REQUEST_TIMEOUT_MS } from './constants.js';

/** failover_host by host name needs no cluster; 3.0 answers every call made here. */
const MICROVERSION = '3.0';

export interface VolumeView {
  id: string;
  name: string | null;
  status: string;
  replication_status: string;
  volume_type: string;
}

export interface ServiceView {
  binary: string;
  host: string;
  status: string;
  state: string;
  replication_status: string;
  active_backend_id: string | null;
  disabled_reason: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CinderApi {
  private constructor(
    private readonly volumeUrl: string,
    private readonly token: string,
  ) {}

  static async login(lab: LabDescriptor): Promise<CinderApi> {
    const password = (await readFile(lab.admin.passwordFile, 'utf8')).trim();
    const domain = { name: 'Default' };
    const res = await fetch(`${lab.cinder.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: lab.admin.user, domain, password } } },
          scope: { project: { name: lab.admin.project, domain } },
        },
      }),
      signal: AbortSignal.timeout(REST_REQUEST_TIMEOUT_MS),
    });
    if (res.status !== 201) throw new Error(`keystone login as ${lab.admin.user}: HTTP ${res.status}`);
    const token = res.headers.get('x-subject-token');
    const body = (await res.json()) as { token: { project: { id: string } } };
    if (!token) throw new Error('keystone login: no X-Subject-Token in the answer');
    return new CinderApi(`${lab.cinder.url}/v3/${body.token.project.id}`, token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.volumeUrl}${path}`, {
      method,
      headers: {
        'x-auth-token': this.token,
        'openstack-api-version': `volume ${MICROVERSION}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REST_REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299)
      throw new Error(`cinder ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async createVolume(name: string, type: string, sizeGib: number): Promise<VolumeView> {
    const body = { volume: { name, size: sizeGib, volume_type: type } };
    return (await this.call<{ volume: VolumeView }>('POST', '/volumes', body)).volume;
  }

  async volume(id: string): Promise<VolumeView | null> {
    try {
      return (await this.call<{ volume: VolumeView }>('GET', `/volumes/${id}`)).volume;
    } catch (error) {
      if ((error as Error).message.includes('HTTP 404')) return null;
      throw error;
    }
  }

  /** Every volume of every project (admin). */
  async volumes(): Promise<VolumeView[]> {
    return (await this.call<{ volumes: VolumeView[] }>('GET', '/volumes/detail?all_tenants=1')).volumes;
  }

  /** Polls until the volume's status is one of `statuses`; throws on 'error' unless it is wanted. */
  async waitVolume(id: string, statuses: string[], timeoutMs: number): Promise<VolumeView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const volume = await this.volume(id);
      if (volume && statuses.includes(volume.status)) return volume;
      if (volume?.status === 'error' || volume?.status === 'error_deleting')
        throw new Error(`volume ${id} went to ${volume.status}`);
      if (Date.now() > deadline)
        throw new Error(
          `volume ${id} is ${volume?.status ?? 'gone'} after ${timeoutMs} ms, expected ${statuses.join('/')}`,
        );
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Deletes (Cinder deletes a volume in error too) and waits until it is gone. */
  async deleteVolume(id: string, timeoutMs: number): Promise<void> {
    if (!(await this.volume(id))) return;
    await this.call('DELETE', `/volumes/${id}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await this.volume(id);
      if (!left) return;
      if (left.status === 'error_deleting')
        throw new Error(`volume ${id} could not be deleted (error_deleting)`);
      if (Date.now() > deadline)
        throw new Error(`volume ${id} is still ${left.status} after ${timeoutMs} ms`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** True when the scheduler has a pool of `host` whose backend reported its stats last time. */
  async backendUp(host: string): Promise<boolean> {
    type Pool = { name: string; capabilities: { backend_state?: string } };
    const { pools } = await this.call<{ pools: Pool[] }>('GET', '/scheduler-stats/get_pools?detail=True');
    return pools.some((p) => p.name.startsWith(`${host}#`) && p.capabilities.backend_state === 'up');
  }

  async volumeService(host: string): Promise<ServiceView> {
    const { services } = await this.call<{ services: ServiceView[] }>(
      'GET',
      `/os-services?host=${encodeURIComponent(host)}`,
    );
    const service = services.find((s) => s.binary === 'cinder-volume' && s.host === host);
    if (!service) throw new Error(`no cinder-volume service on ${host}`);
    return service;
  }

  async failoverHost(host: string, backendId: string): Promise<void> {
    await this.call('PUT', '/os-services/failover_host', { host, backend_id: backendId });
  }

  /** Polls the service until `done` says so; a failover-error ends the wait with an error. */
  async waitService(
    host: string,
    done: (s: ServiceView) => boolean,
    timeoutMs: number,
  ): Promise<ServiceView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const service = await this.volumeService(host);
      if (done(service)) return service;
      if (service.replication_status === 'failover-error')
        throw new Error(`failover of ${host} failed (replication_status failover-error); see the cinder log`);
      if (Date.now() > deadline)
        throw new Error(
          `service ${host} is ${service.status}/${service.replication_status} after ${timeoutMs} ms`,
        );
      await sleep(POLL_INTERVAL_MS);
    }
  }
}
