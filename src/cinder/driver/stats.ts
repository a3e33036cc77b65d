// get_volume_stats (spec §8): capacity from /arrays/space, the last hour's performance, object
// counts, and what the backend offers for replication, for the scheduler's filters and weighers.

import type { PageQuery, Performance, PurityResponse } from '../purity-client/index.js';
import {
  DRIVER_VERSIONS,
  GiB,
  STATS_AUTO_OVERSUBSCRIPTION_REDUCTION_MAX,
  STATS_PERFORMANCE_RESOLUTION_MS,
  STATS_PERFORMANCE_WINDOW_MS,
  STATS_TOTAL_REDUCTION_UNKNOWN,
} from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure } from './errors.js';

/** What Cinder reports as storage_protocol (NBD is Tandem's PureNBDDriver). */
function storageProtocol(ctx: DriverContext): string {
  switch (ctx.backend.protocol) {
    case 'iscsi':
      return 'iSCSI';
    case 'fc':
      return 'FC';
    case 'nvme':
      return ctx.pure.nvmeTransport === 'tcp' ? 'NVMe-TCP' : 'NVMe-RoCE';
    case 'nbd':
      return 'NBD';
  }
}

/** `_get_replication_capability`: what the current array's connections allow. */
async function replicationCapability(array: FlashArray): Promise<string | null> {
  const res = await array.client.arrayConnections.get();
  const connected = res.ok ? res.items.filter((c) => c.status === 'connected') : [];
  const sync = connected.some((c) => c.type === 'sync-replication');
  const async = connected.some((c) => c.type === 'async-replication');
  if (sync && async) return 'trisync';
  return sync ? 'sync' : async ? 'async' : null;
}

/** Every item of a list, page by page (pypureclient's iterator), counted. */
async function countOf<T>(array: FlashArray, getPage: (page: PageQuery) => Promise<PurityResponse<T>>) {
  const res = await array.client.listAll(getPage);
  return res.ok ? res.items.length : 0;
}

const ZERO_PERFORMANCE = {
  writes_per_sec: 0,
  reads_per_sec: 0,
  write_bytes_per_sec: 0,
  read_bytes_per_sec: 0,
  usec_per_read_op: 0,
  usec_per_write_op: 0,
  queue_depth: 0,
  queue_usec_per_mirrored_write_op: 0,
  queue_usec_per_read_op: 0,
  queue_usec_per_write_op: 0,
};

async function performance(ctx: DriverContext, array: FlashArray) {
  const endMs = ctx.now();
  const res = await array.client.arrays.getPerformance({
    start_time: endMs - STATS_PERFORMANCE_WINDOW_MS,
    end_time: endMs,
    resolution: STATS_PERFORMANCE_RESOLUTION_MS,
    total_item_count: true,
  });
  const sample: Partial<Performance> | undefined =
    res.ok && res.totalItemCount !== 0 ? res.items[0] : undefined;
  if (sample === undefined)
    ctx.logger.warn({}, 'No performance samples returned from array; reporting zeroed metrics.');
  return { ...ZERO_PERFORMANCE, ...sample };
}

export async function volumeStats(ctx: DriverContext): Promise<Record<string, unknown>> {
  const array = await ctx.currentArray();
  const spaceRes = await array.client.arrays.getSpace();
  const space = spaceRes.ok ? spaceRes.items[0] : undefined;
  if (space === undefined) throw arrayFailure('Reading space', array.name, spaceRes);
  const perf = await performance(ctx, array);
  const c = array.client;
  const totalGiB = space.capacity / GiB;
  const usedGiB = (space.space.total_physical ?? 0) / GiB;
  const provisioned = space.space.total_provisioned ?? space.space.used_provisioned ?? 0;
  const reduction = space.space.total_reduction ?? STATS_TOTAL_REDUCTION_UNKNOWN;
  const autoRatio =
    ctx.pure.automaticMaxOversubscriptionRatio && reduction < STATS_AUTO_OVERSUBSCRIPTION_REDUCTION_MAX;
  const state = ctx.state;
  const replicationTypes = state.replicationEnabled ? ['async'] : [];
  if (state.activeClusterEnabled) replicationTypes.push('sync');
  if (ctx.trisync !== null) replicationTypes.push('trisync');
  return {
    volume_backend_name: ctx.backend.volumeBackendName,
    pool_name: ctx.backend.volumeBackendName,
    vendor_name: 'Pure Storage',
    driver_version: DRIVER_VERSIONS[ctx.backend.protocol],
    storage_protocol: storageProtocol(ctx),
    consistencygroup_support: true,
    thin_provisioning_support: true,
    multiattach: true,
    consistent_group_replication_enabled: true,
    consistent_group_snapshot_enabled: true,
    QoS_support: true,
    total_capacity_gb: totalGiB,
    free_capacity_gb: totalGiB - usedGiB,
    reserved_percentage: ctx.backend.reservedPercentage,
    provisioned_capacity_gb: provisioned / GiB,
    max_over_subscription_ratio: autoRatio ? reduction : ctx.backend.maxOverSubscriptionRatio,
    filter_function: ctx.backend.filterFunction,
    goodness_function: ctx.backend.goodnessFunction,
    total_volumes: await countOf(array, (page) => c.volumes.get(page)),
    total_snapshots: await countOf(array, (page) => c.volumeSnapshots.get(page)),
    total_hosts: await countOf(array, (page) => c.hosts.get(page)),
    total_pgroups: await countOf(array, (page) => c.protectionGroups.get(page)),
    writes_per_sec: perf.writes_per_sec,
    reads_per_sec: perf.reads_per_sec,
    input_per_sec: perf.write_bytes_per_sec,
    output_per_sec: perf.read_bytes_per_sec,
    usec_per_read_op: perf.usec_per_read_op,
    usec_per_write_op: perf.usec_per_write_op,
    queue_depth: perf.queue_depth ?? 0,
    queue_usec_per_mirrored_write_op: perf.queue_usec_per_mirrored_write_op,
    queue_usec_per_read_op: perf.queue_usec_per_read_op,
    queue_usec_per_write_op: perf.queue_usec_per_write_op,
    replication_capability: await replicationCapability(array),
    replication_enabled: state.replicationEnabled,
    replication_type: replicationTypes,
    replication_count: state.targets.length,
    replication_targets: state.targets.map((t) => t.backendId),
  };
}
