// The control plane's state as cinder_* families: volumes by status and replication status,
// volume services (up, disabled, frozen, replication status, active backend) and each backend's
// capacity from its last stats report. Only counts, service hosts and capacities are written: no
// volume ids or names, no project ids, nothing a tenant owns, so the endpoint can be open.

import { serviceIsUp } from '../cinder/api/views/services.js';
import type { ReplicationStatus } from '../cinder/model.js';
import type { RequestContext } from '../cinder/request-context.js';
import type { VolumeApi } from '../cinder/volume/volume-api.js';
import type { MetricSet } from './exposition.js';

const BYTES_PER_GIB = 1024 ** 3;
const MS_PER_SECOND = 1000;

/** Cinder's replication statuses of a volume service, each written as 0 or 1. */
const SERVICE_REPLICATION_STATES: ReplicationStatus[] = [
  'enabled',
  'disabled',
  'not-capable',
  'failing-over',
  'failover-error',
  'failed-over',
  'error',
];

/**
 * Who the collector asks as: listing every project's volumes, the services and the pools are
 * admin calls. It exists only inside this process and only reads.
 */
const METRICS_CONTEXT: RequestContext = {
  userId: 'tandem-metrics',
  userName: 'tandem-metrics',
  projectId: 'tandem-metrics',
  projectName: 'tandem-metrics',
  roles: ['admin'],
  isAdmin: true,
  requestId: 'req-tandem-metrics',
  microversion: [3, 0],
};

type StateApi = Pick<VolumeApi, 'listVolumes' | 'listServices' | 'getPools'>;

export function collectCinderFamilies(set: MetricSet, api: StateApi, nowMs: number): void {
  volumes(set, api);
  services(set, api, nowMs);
  backends(set, api);
}

function volumes(set: MetricSet, api: StateApi): void {
  const counts = new Map<string, { status: string; replication_status: string; count: number }>();
  for (const volume of api.listVolumes(METRICS_CONTEXT, { allTenants: true })) {
    const key = `${volume.status}/${volume.replicationStatus}`;
    const entry = counts.get(key) ?? {
      status: volume.status,
      replication_status: volume.replicationStatus,
      count: 0,
    };
    entry.count++;
    counts.set(key, entry);
  }
  const gauge = set.gauge('cinder_volumes', 'Volumes in every project, by status and replication_status');
  for (const { count, ...labels } of counts.values()) gauge(labels, count);
}

function services(set: MetricSet, api: StateApi, nowMs: number): void {
  const up = set.gauge('cinder_service_up', '1 while the service reported within service_down_time');
  const disabled = set.gauge('cinder_service_disabled', '1 when an admin disabled the service');
  const frozen = set.gauge('cinder_service_frozen', '1 while the volume service is frozen (failover-host)');
  const replication = set.gauge(
    'cinder_service_replication_status',
    'Volume service replication status: 1 for the current one, else 0',
  );
  const active = set.gauge(
    'cinder_service_active_backend',
    "The backend a volume service serves from: its replication_device backend_id after failover, 'default' before",
  );
  for (const service of api.listServices(METRICS_CONTEXT, {})) {
    const labels = { host: service.host, binary: service.binary };
    up(labels, serviceIsUp(service, nowMs) ? 1 : 0);
    disabled(labels, service.disabled ? 1 : 0);
    if (service.binary !== 'cinder-volume') continue;
    frozen({ host: service.host }, service.frozen ? 1 : 0);
    for (const status of SERVICE_REPLICATION_STATES)
      replication({ host: service.host, status }, status === service.replicationStatus ? 1 : 0);
    active({ host: service.host, active_backend_id: service.activeBackendId ?? 'default' }, 1);
  }
}

/** Cinder reports capacity in GiB; written in bytes, Prometheus' base unit. */
function backends(set: MetricSet, api: StateApi): void {
  const capacity = (name: string, help: string) => set.gauge(`cinder_backend_${name}_bytes`, help, 'bytes');
  const total = capacity('total_capacity', 'total_capacity_gb of the last stats report, in bytes');
  const free = capacity('free_capacity', 'free_capacity_gb of the last stats report, in bytes');
  const provisioned = capacity(
    'provisioned_capacity',
    'provisioned_capacity_gb of the last stats report, in bytes',
  );
  const ratio = set.gauge(
    'cinder_backend_max_over_subscription_ratio',
    'max_over_subscription_ratio reported',
  );
  const up = set.gauge('cinder_backend_up', '1 when the last stats report succeeded (backend_state up)');
  const reportedAt = set.gauge(
    'cinder_backend_stats_timestamp_seconds',
    'When the backend last reported stats (Unix time)',
    'seconds',
  );
  for (const pool of api.getPools(METRICS_CONTEXT, {})) {
    const labels = { backend: pool.name.split('#')[0] ?? pool.name, pool: pool.name };
    const caps = pool.capabilities;
    const gib = (key: string) =>
      typeof caps[key] === 'number' ? (caps[key] as number) * BYTES_PER_GIB : null;
    for (const [setter, key] of [
      [total, 'total_capacity_gb'],
      [free, 'free_capacity_gb'],
      [provisioned, 'provisioned_capacity_gb'],
    ] as const) {
      const bytes = gib(key);
      if (bytes !== null) setter(labels, Math.round(bytes));
    }
    // Configured as a number or a string ("20.0"); "auto" has no value until the driver computes one.
    const raw = caps.max_over_subscription_ratio;
    const oversubscription = typeof raw === 'number' || typeof raw === 'string' ? Number(raw) : Number.NaN;
    if (Number.isFinite(oversubscription)) ratio(labels, oversubscription);
    up(labels, caps.backend_state === 'down' ? 0 : 1);
    const at = typeof caps.timestamp === 'string' ? Date.parse(caps.timestamp) : Number.NaN;
    if (Number.isFinite(at)) reportedAt(labels, at / MS_PER_SECOND);
  }
}
