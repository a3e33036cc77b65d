// The failover targets of the lab's volume backend: the `replication_device` entries of
// cinder.conf (their backend_id is what failover_host takes), matched to the lab array each points
// at. Only the id, type and array leave this module: the file also holds the arrays' API tokens.

import { loadCinderConfig } from '../cinder/config/index.js';
import type { FailoverTargetView } from './state-types.js';

/** failover_host's backend_id for a failback to the primary array (Cinder's convention). */
export const FAILBACK_BACKEND_ID = 'default';

export interface TargetSource {
  configFile: string;
  /** `host@backend`, e.g. tandem@puredriver-1. */
  host: string;
  arrays: ReadonlyArray<{ name: string; restUrl: string }>;
}

/** `host:port` of an https URL, the form `san_ip` takes in the lab's cinder.conf. */
function hostPortOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '443'}`;
}

export async function loadFailoverTargets(source: TargetSource): Promise<FailoverTargetView[]> {
  const { config } = await loadCinderConfig(source.configFile);
  const backendName = source.host.split('@')[1] ?? '';
  const backend = config.backends.find((b) => b.name === backendName);
  if (!backend) throw new Error(`${source.configFile} has no enabled backend '${backendName}'`);
  return backend.replicationDevices.map((device) => ({
    backendId: device.backendId,
    type: device.type,
    array: source.arrays.find((a) => hostPortOf(a.restUrl) === device.sanIp)?.name ?? null,
  }));
}

/** What the console will pass to failover_host: a configured device, or the failback id. */
export function isFailoverTarget(targets: readonly FailoverTargetView[], backendId: string): boolean {
  return backendId === FAILBACK_BACKEND_ID || targets.some((t) => t.backendId === backendId);
}
