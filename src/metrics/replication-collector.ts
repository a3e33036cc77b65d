// Tandem's own families (prefix tandem_): replication state Pure's exporter has no name for
// (pods per array, array connections, protection group transfers and lag), the engine, and the
// I/O counters as true counters (the purefa_ performance gauges are 5-second averages).
// State-like values are written the way Pure's exporter writes them: one gauge per possible
// state, labelled with it, 1 for the current one and 0 for the others, so alerts can match
// `== 1` on the state they care about.

import type { StorageArray } from '../array/array.js';
import type { OpKind } from '../array/objects/perf.js';
import type { ArrayConnectionStatus, PodArrayStatus } from '../array/objects/replication-port.js';
import { podStatuses } from './array-collector.js';
import type { MetricSet } from './exposition.js';
import { newestCompleted, type TransferBytes } from './transfer-bytes.js';

const MS_PER_SECOND = 1000;
const USEC_PER_SECOND = 1_000_000;
const OP_KINDS: OpKind[] = ['read', 'write', 'other'];
const POD_STATES: PodArrayStatus['status'][] = ['online', 'offline', 'resyncing', 'unknown'];
const CONNECTION_STATES: ArrayConnectionStatus[] = ['connected', 'partially_connected', 'connecting'];

export function collectTandemFamilies(
  set: MetricSet,
  array: StorageArray,
  transfers: TransferBytes,
  nowMs: number,
): void {
  ioCounters(set, array);
  engine(set, array);
  connections(set, array);
  pods(set, array);
  pgroups(set, array, nowMs);
  transfers.update(array);
  const sent = set.counter(
    'tandem_pgroup_replication_sent_bytes',
    'Bytes this array sent on the wire for protection group snapshots (lz4 blocks and headers)',
    'bytes',
  );
  for (const total of transfers.sent()) sent(total.labels, total.bytes);
  const received = set.counter(
    'tandem_pgroup_replication_received_bytes',
    'Bytes this array received on the wire into replica protection groups',
    'bytes',
  );
  for (const total of transfers.received()) received(total.labels, total.bytes);
}

function ioCounters(set: MetricSet, array: StorageArray): void {
  const totals = array.perf.array.totals;
  const ops = set.counter(
    'tandem_array_io_ops',
    'Operations served since the daemon started (REST calls are other)',
  );
  const bytes = set.counter(
    'tandem_array_io_bytes',
    'Bytes hosts read and wrote since the daemon started (other: REST request bodies)',
    'bytes',
  );
  const time = set.counter('tandem_array_io_latency_seconds', 'Sum of operation latencies', 'seconds');
  OP_KINDS.forEach((op, i) => {
    ops({ op }, totals.ops[i] ?? 0);
    bytes({ op }, totals.bytes[i] ?? 0);
    time({ op }, (totals.usec[i] ?? 0) / USEC_PER_SECOND);
  });
}

function engine(set: MetricSet, array: StorageArray): void {
  const stats = array.engine.stats();
  set.gauge(
    'tandem_engine_overlay_bytes',
    'Written bytes waiting in memory to be destaged',
    'bytes',
  )({}, stats.overlayBytes);
  set.gauge(
    'tandem_engine_stored_bytes',
    'Bytes of block data in the data log',
    'bytes',
  )({}, stats.storedBytes);
  set.gauge('tandem_engine_stored_blocks', 'Unique blocks in the block store (after dedup)')(
    {},
    stats.blockCount,
  );
  set.gauge(
    'tandem_engine_journal_live_bytes',
    'Journal bytes in segments destage has not released yet (whole segments)',
    'bytes',
  )({}, stats.journalLiveBytes);
  set.gauge('tandem_engine_destage_failing', '1 while the last destage failed (writes will stop)')(
    {},
    stats.lastDestageError === null ? 0 : 1,
  );
}

function connections(set: MetricSet, array: StorageArray): void {
  const replication = array.replication;
  if (!replication) return;
  const status = set.gauge(
    'tandem_array_connection_status',
    'Array connection state: 1 for the current status of the connection to remote, else 0',
  );
  for (const connection of array.state.arrayConnections.values()) {
    const current = replication.status(connection);
    for (const state of CONNECTION_STATES)
      status(
        { remote: connection.remote.name, type: connection.type, status: state },
        state === current ? 1 : 0,
      );
  }
}

function pods(set: MetricSet, array: StorageArray): void {
  const status = set.gauge(
    'tandem_pod_array_status',
    'Pod member state as this array sees it: 1 for the current status of array in pod, else 0',
  );
  const preElected = set.gauge(
    'tandem_pod_pre_elected',
    '1 when array is pre-elected to keep the pod in a split',
  );
  const progress = set.gauge(
    'tandem_pod_resync_progress_ratio',
    'Resync progress of array in pod (0..1)',
    'ratio',
  );
  const leader = set.gauge('tandem_pod_leader', '1 for the pod member that orders the pod writes');
  const resyncSent = set.counter(
    'tandem_pod_resync_sent_bytes',
    'Block bytes this array sent to resync the pod on its peer (since the array started)',
    'bytes',
  );
  for (const pod of array.state.pods.values()) {
    if (pod.destroyed) continue;
    if (pod.arrays.length > 1) resyncSent({ pod: pod.name }, array.replication?.podResyncBytes(pod) ?? 0);
    for (const member of podStatuses(array, pod)) {
      const labels = { pod: pod.name, array: member.name };
      for (const state of POD_STATES) status({ ...labels, status: state }, state === member.status ? 1 : 0);
      preElected(labels, member.preElected ? 1 : 0);
      if (member.progress !== null) progress(labels, member.progress);
      leader(labels, member.id === pod.leaderArrayId ? 1 : 0);
    }
  }
}

/**
 * Per protection group and target: the source side names its targets, a replica group
 * (SOURCE:PG) names itself the target, so the target array alone can tell its RPO after the
 * source is lost.
 */
function pgroups(set: MetricSet, array: StorageArray, nowMs: number): void {
  const lag = set.gauge(
    'tandem_pgroup_replication_lag_seconds',
    'Now minus the creation time of the newest snapshot the target completed (the RPO if the source failed now)',
    'seconds',
  );
  const last = set.gauge(
    'tandem_pgroup_last_transfer_completed_timestamp_seconds',
    'When the newest completed transfer to the target finished (Unix time)',
    'seconds',
  );
  const progress = set.gauge(
    'tandem_pgroup_transfer_progress_ratio',
    'Progress of the newest snapshot transfer to the target (1 when it completed)',
    'ratio',
  );
  const reduction = set.gauge(
    'tandem_pgroup_replication_wire_reduction_ratio',
    'Block bytes the target needed over bytes on the wire, for the newest completed transfer (lz4)',
    'ratio',
  );
  for (const pgroup of array.state.pgroups.values()) {
    if (pgroup.destroyed) continue;
    const snapshots = [...array.state.pgroupSnapshots.values()].filter(
      (s) => s.pgroupId === pgroup.id && !s.destroyed,
    );
    const peers = pgroup.replicaOf
      ? [{ arrayId: pgroup.replicaOf.arrayId, source: pgroup.replicaOf.arrayName, target: array.name }]
      : pgroup.targets.map((t) => ({ arrayId: t.arrayId, source: array.name, target: t.arrayName }));
    for (const peer of peers) {
      const labels = { pgroup: pgroup.name, source: peer.source, target: peer.target };
      const done = newestCompleted(snapshots, peer.arrayId);
      if (done) {
        lag(labels, Math.max(0, nowMs - done.snapshot.createdMs) / MS_PER_SECOND);
        last(labels, (done.transfer.completedMs ?? 0) / MS_PER_SECOND);
        if (done.transfer.dataTransferredBytes > 0)
          reduction(labels, done.transfer.physicalBytesWritten / done.transfer.dataTransferredBytes);
      }
      const newest = snapshots
        .filter((s) => s.transfers.some((t) => t.arrayId === peer.arrayId))
        .sort((a, b) => b.createdMs - a.createdMs)[0];
      const transfer = newest?.transfers.find((t) => t.arrayId === peer.arrayId);
      if (transfer) progress(labels, transfer.progress);
    }
  }
}
