// Replication bytes as a counter. The arrays keep bytes per snapshot transfer, and retention
// eradicates snapshots, so a sum over the snapshots still held would go down; Prometheus would
// read every such drop as a counter reset. This remembers what each transfer had reached at the
// last scrape and adds only what it gained since, per protection group and peer, for as long as
// the daemon runs.

import type {
  PgroupSnapshotRecord,
  PgroupTransferRecord,
  ProtectionGroupRecord,
} from '../array/objects/model.js';
import type { Labels } from './exposition.js';

export interface ByteTotal {
  labels: Labels;
  bytes: number;
}

/** The newest snapshot whose transfer to (or from) `arrayId` completed, with that transfer. */
export function newestCompleted(
  snapshots: PgroupSnapshotRecord[],
  arrayId: string,
): { snapshot: PgroupSnapshotRecord; transfer: PgroupTransferRecord } | null {
  let best: { snapshot: PgroupSnapshotRecord; transfer: PgroupTransferRecord } | null = null;
  for (const snapshot of snapshots) {
    const transfer = snapshot.transfers.find((t) => t.arrayId === arrayId && t.completedMs !== null);
    if (transfer && (!best || snapshot.createdMs > best.snapshot.createdMs)) best = { snapshot, transfer };
  }
  return best;
}

/** What the counter reads of an array (a StorageArray is one). */
export interface TransferSource {
  state: {
    pgroups: ReadonlyMap<string, ProtectionGroupRecord>;
    pgroupSnapshots: ReadonlyMap<string, PgroupSnapshotRecord>;
  };
}

export class TransferBytes {
  /** Bytes each transfer (snapshot id + peer array id) had reached at the last update. */
  private readonly reached = new Map<string, number>();
  private readonly sentTotals = new Map<string, ByteTotal>();
  private readonly receivedTotals = new Map<string, ByteTotal>();

  update(array: TransferSource): void {
    const live = new Set<string>();
    const groups = new Set([...array.state.pgroups.values()].map((g) => g.name));
    for (const snapshot of array.state.pgroupSnapshots.values()) {
      const pgroup = array.state.pgroups.get(snapshot.pgroupId);
      if (!pgroup) continue;
      for (const transfer of snapshot.transfers) {
        const key = `${snapshot.id}>${transfer.arrayId}`;
        live.add(key);
        const before = this.reached.get(key) ?? 0;
        const now = transfer.dataTransferredBytes;
        // A transfer sent again after an interruption starts from 0: all it has now is new.
        const gained = now >= before ? now - before : now;
        this.reached.set(key, now);
        if (gained === 0) continue;
        if (pgroup.replicaOf) {
          this.add(this.receivedTotals, { pgroup: pgroup.name, source: pgroup.replicaOf.arrayName }, gained);
        } else {
          const target =
            pgroup.targets.find((t) => t.arrayId === transfer.arrayId)?.arrayName ?? transfer.arrayId;
          this.add(this.sentTotals, { pgroup: pgroup.name, target }, gained);
        }
      }
    }
    for (const key of this.reached.keys()) if (!live.has(key)) this.reached.delete(key);
    // A group that is gone takes its series with it (a counter that disappears is not a reset).
    for (const totals of [this.sentTotals, this.receivedTotals])
      for (const [key, total] of totals) if (!groups.has(total.labels.pgroup ?? '')) totals.delete(key);
  }

  sent(): ByteTotal[] {
    return [...this.sentTotals.values()];
  }

  received(): ByteTotal[] {
    return [...this.receivedTotals.values()];
  }

  private add(totals: Map<string, ByteTotal>, labels: Labels, bytes: number): void {
    const key = JSON.stringify(labels);
    const total = totals.get(key);
    if (total) total.bytes += bytes;
    else totals.set(key, { labels, bytes });
  }
}
