// The fake volume service's services and pools (see fake-volume-api.ts). Failover follows Cinder's
// manager (cinder-pure-driver.md §13) without a driver: volumes whose type is replicated follow the
// service, the others go to error/not-capable.

import { CinderError, cinderErrors } from '../../src/cinder/errors.js';
import { cinderTime, type ServiceRecord } from '../../src/cinder/model.js';
import type { PoolInfo } from '../../src/cinder/volume/volume-api.js';
import type { FakeEnv } from './fake-env.js';

export class FakeServices {
  /** The failover in progress, so tests can wait for the asynchronous half. */
  pending: Promise<void> = Promise.resolve();

  constructor(private readonly env: FakeEnv) {}

  async start(): Promise<void> {
    const host = this.env.volumeHost.split('@')[0]!;
    for (const [binary, serviceHost] of [
      ['cinder-scheduler', host],
      ['cinder-volume', this.env.volumeHost],
    ] as const) {
      if (this.env.store.list('service', (s) => s.host === serviceHost && s.binary === binary).length > 0)
        continue;
      await this.env.store.put('service', {
        id: this.env.newId(),
        uuid: this.env.newId(),
        host: serviceHost,
        binary,
        availabilityZone: this.env.availabilityZone,
        disabled: false,
        disabledReason: null,
        replicationStatus: binary === 'cinder-volume' ? 'enabled' : 'disabled',
        activeBackendId: null,
        frozen: false,
        createdAt: cinderTime(this.env.now()),
        updatedAt: cinderTime(this.env.now()),
      });
    }
  }

  /** Every listed service reports a fresh heartbeat: the fake's services are always up. */
  list(filters: { host?: string; binary?: string }): ServiceRecord[] {
    return this.env.store
      .list(
        'service',
        (s) => (!filters.host || s.host === filters.host) && (!filters.binary || s.binary === filters.binary),
      )
      .map((s) => ({ ...s, updatedAt: cinderTime(this.env.now()) }));
  }

  async setEnabled(
    host: string,
    binary: string,
    enabled: boolean,
    reason: string | null,
  ): Promise<ServiceRecord> {
    const service = this.env.store.list('service', (s) => s.host === host && s.binary === binary)[0];
    if (!service) throw new CinderError(404, 'Unknown service');
    const updated: ServiceRecord = {
      ...service,
      disabled: !enabled,
      disabledReason: enabled ? null : reason,
      updatedAt: this.time(),
    };
    await this.env.store.put('service', updated);
    return updated;
  }

  async freeze(host: string): Promise<void> {
    const service = this.volumeService(host);
    if (service.frozen)
      throw cinderErrors.invalidInput(
        `No service could be changed: frozen in ['${host}'] must be False to freeze.`,
      );
    await this.env.store.put('service', {
      ...service,
      frozen: true,
      disabled: true,
      disabledReason: 'frozen',
      updatedAt: this.time(),
    });
  }

  async thaw(host: string): Promise<void> {
    const service = this.volumeService(host);
    if (!service.frozen)
      throw cinderErrors.invalidInput(
        `No service could be changed: frozen in ['${host}'] must be True to thaw.`,
      );
    await this.env.store.put('service', {
      ...service,
      frozen: false,
      disabled: false,
      disabledReason: null,
      updatedAt: this.time(),
    });
  }

  isFrozen(volumeHost: string | null): boolean {
    if (volumeHost === null) return false;
    const serviceHost = volumeHost.split('#')[0]!;
    return this.env.store.list('service', (s) => s.host === serviceHost && s.frozen).length > 0;
  }

  /** Marks failing-over and returns; the rest runs after the 202 has gone, as in Cinder. */
  async failover(host: string, backendId: string | null): Promise<void> {
    const service = this.volumeService(host);
    if (service.replicationStatus !== 'enabled' && service.replicationStatus !== 'failed-over')
      throw cinderErrors.invalidInput(
        `No service could be changed: replication_status in ['${host}'] must be enabled or failed-over and must be up to failover.`,
      );
    await this.env.store.put('service', {
      ...service,
      replicationStatus: 'failing-over',
      updatedAt: this.time(),
    });
    this.pending = new Promise((resolve) => setImmediate(resolve)).then(() =>
      this.finishFailover(host, backendId),
    );
  }

  pools(filters: { name?: string; backend?: string }): PoolInfo[] {
    const name = `${this.env.volumeHost}#${this.env.pool}`;
    const volumes = this.env.store.list('volume', (v) => v.host === name);
    const pool: PoolInfo = {
      name,
      capabilities: {
        volume_backend_name: this.env.volumeHost.split('@')[1],
        vendor_name: 'Pure Storage',
        driver_version: '19.0.0',
        storage_protocol: 'iSCSI',
        pool_name: this.env.pool,
        total_capacity_gb: 1024,
        free_capacity_gb: 1024 - volumes.reduce((sum, v) => sum + v.size, 0),
        reserved_percentage: 0,
        thin_provisioning_support: true,
        multiattach: true,
        QoS_support: true,
        replication_enabled: true,
        replication_type: ['async', 'sync'],
        replication_count: this.env.replicationTargets.length,
        replication_targets: [...this.env.replicationTargets],
        total_volumes: volumes.length,
        backend_state: 'up',
      },
    };
    if (filters.name !== undefined && filters.name !== name) return [];
    if (filters.backend !== undefined && filters.backend !== this.env.volumeHost) return [];
    return [pool];
  }

  private async finishFailover(host: string, backendId: string | null): Promise<void> {
    const service = this.volumeService(host);
    const failback = backendId === 'default';
    const target = failback ? null : (backendId ?? this.env.replicationTargets[0] ?? null);
    if (!failback && (target === null || !this.env.replicationTargets.includes(target))) {
      // InvalidReplicationTarget: Cinder puts the status back.
      const restored = service.activeBackendId ? 'failed-over' : 'enabled';
      await this.env.store.put('service', { ...service, replicationStatus: restored });
      return;
    }
    for (const volume of this.env.store.list('volume', (v) => v.host?.split('#')[0] === host)) {
      const replicated =
        volume.replicationStatus !== 'disabled' && volume.replicationStatus !== 'not-capable';
      if (replicated) {
        await this.env.store.put('volume', {
          ...volume,
          replicationStatus: failback ? 'enabled' : 'failed-over',
        });
      } else if (!failback) {
        await this.env.store.put('volume', {
          ...volume,
          previousStatus: volume.status,
          status: 'error',
          replicationStatus: 'not-capable',
        });
        for (const snapshot of this.env.store.list('snapshot', (s) => s.volumeId === volume.id))
          await this.env.store.put('snapshot', { ...snapshot, status: 'error' });
      }
    }
    await this.env.store.put('service', {
      ...service,
      replicationStatus: failback ? 'enabled' : 'failed-over',
      activeBackendId: target,
      disabled: failback ? service.frozen : true,
      disabledReason: failback ? (service.frozen ? 'frozen' : null) : 'failed-over',
      updatedAt: this.time(),
    });
  }

  private volumeService(host: string): ServiceRecord {
    const service = this.env.store.list('service', (s) => s.host === host && s.binary === 'cinder-volume')[0];
    if (!service) throw new CinderError(400, `No service found with host=${host}`);
    return service;
  }

  private time(): string {
    return cinderTime(this.env.now());
  }
}
