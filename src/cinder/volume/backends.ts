// The control plane's volume backends (one cinder-volume service each): where a volume lives
// (host@backend#pool), and each backend's last reported stats, refreshed in the background as
// Cinder's periodic get_volume_stats does. The scheduler chooses among the pools of backends
// whose service is up and enabled.

import type { PoolStats } from '../scheduler/index.js';
import type { BackendPort, VolumeServiceLogger } from './ports.js';

/** How often backends report stats (Cinder's report_interval is 10 s, stats every 60 s). */
export const BACKEND_STATS_INTERVAL_MS = 10_000;

export interface BackendState {
  port: BackendPort;
  /** host@backend: the cinder-volume service host. */
  serviceHost: string;
  /** host@backend#pool: the one pool a FlashArray backend reports. */
  poolName: string;
  stats: Record<string, unknown> | null;
  statsAtMs: number | null;
  lastError: string | null;
}

export class Backends {
  readonly all: BackendState[];

  constructor(
    readonly host: string,
    ports: BackendPort[],
    private readonly logger: VolumeServiceLogger,
  ) {
    this.all = ports.map((port) => ({
      port,
      serviceHost: `${host}@${port.name}`,
      poolName: `${host}@${port.name}#${port.backendName}`,
      stats: null,
      statsAtMs: null,
      lastError: null,
    }));
  }

  async refreshAll(): Promise<void> {
    await Promise.all(this.all.map((backend) => this.refresh(backend)));
  }

  async refresh(backend: BackendState): Promise<void> {
    try {
      backend.stats = await backend.port.driver.getVolumeStats(true);
      backend.statsAtMs = Date.now();
      backend.lastError = null;
    } catch (error) {
      // Stale stats keep the pool visible but a backend that cannot report is not scheduled to.
      backend.lastError = (error as Error).message;
      this.logger.warn({ backend: backend.port.name, err: backend.lastError }, 'backend stats failed');
    }
  }

  /** The backend that holds a volume (its host is host@backend#pool), if it is ours. */
  forHost(volumeHost: string | null): BackendState | undefined {
    if (!volumeHost) return undefined;
    const serviceHost = volumeHost.split('#')[0];
    return this.all.find((b) => b.serviceHost === serviceHost);
  }

  forServiceHost(serviceHost: string): BackendState | undefined {
    return this.all.find((b) => b.serviceHost === serviceHost);
  }

  /** Pools as the scheduler sees them (backends with fresh stats only). */
  pools(usable: (backend: BackendState) => boolean): PoolStats[] {
    return this.all
      .filter((b) => b.stats !== null && b.lastError === null && usable(b))
      .map((b) => ({
        name: b.poolName,
        availabilityZone: b.port.availabilityZone,
        capabilities: { ...b.stats, pool_name: b.port.backendName, backend_state: 'up' },
      }));
  }
}
