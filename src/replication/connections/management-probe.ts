// Whether each connected array's management address answers, so a connection's status can say
// which of its paths is down: the replication link, the management path, or both. The probe is
// an unauthenticated GET /api/api_version (no token leaves this array).

import { request } from 'node:https';
import type { ArrayConnectionRecord } from '../../array/objects/model.js';
import { MANAGEMENT_PROBE_INTERVAL_MS, MANAGEMENT_PROBE_TIMEOUT_MS } from '../../constants.js';
import { parseHostPort } from '../../platform/address.js';

function answers(address: string): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(
      address.includes(':') ? address : `${address}:443`,
      'management address',
    ));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const req = request(
      // Peers use self-signed certificates; only reachability is asked here.
      { host, port, path: '/api/api_version', method: 'GET', rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.setTimeout(MANAGEMENT_PROBE_TIMEOUT_MS, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class ManagementProbe {
  private readonly reachable = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly connections: () => Iterable<ArrayConnectionRecord>) {}

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), MANAGEMENT_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** null: no management address is known for the connection (or not probed yet). */
  isReachable(connection: ArrayConnectionRecord): boolean | null {
    if (!connection.managementAddress) return null;
    return this.reachable.get(connection.id) ?? null;
  }

  /** Probes one connection now (after its address changed). */
  async probe(connection: ArrayConnectionRecord): Promise<void> {
    if (!connection.managementAddress) {
      this.reachable.delete(connection.id);
      return;
    }
    this.reachable.set(connection.id, await answers(connection.managementAddress));
  }

  private async probeAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await Promise.all([...this.connections()].map((c) => this.probe(c)));
    } finally {
      this.running = false;
    }
  }
}
