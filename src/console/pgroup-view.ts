// Protection groups as the console shows them, computed from what one array's REST API lists:
// the groups, their targets, their snapshots (creation times) and the snapshots' transfers. Pure,
// so it takes the time as a parameter. The lag is the one tandem_pgroup_replication_lag_seconds
// reports: now minus the creation time of the newest snapshot whose transfer completed, which is
// what would be lost if the source failed now.

import type {
  ProtectionGroup,
  ProtectionGroupSnapshot,
  ProtectionGroupSnapshotTransfer,
  ProtectionGroupTarget,
} from '../cinder/purity-client/index.js';
import type { PgroupView } from './state-types.js';

const MS_PER_SECOND = 1_000;

export interface PgroupListing {
  pgroups: ProtectionGroup[];
  targets: ProtectionGroupTarget[];
  snapshots: ProtectionGroupSnapshot[];
  transfers: ProtectionGroupSnapshotTransfer[];
}

interface SnapshotTransfer {
  created: number;
  transfer: ProtectionGroupSnapshotTransfer | undefined;
}

function snapshotsOf(listing: PgroupListing, pgroup: string): SnapshotTransfer[] {
  const transfers = new Map(listing.transfers.map((t) => [t.name, t]));
  return listing.snapshots
    .filter((s) => !s.destroyed && s.source.name === pgroup)
    .map((s) => ({ created: s.created, transfer: transfers.get(s.name) }))
    .sort((a, b) => b.created - a.created);
}

export function pgroupViews(listing: PgroupListing, nowMs: number): PgroupView[] {
  return listing.pgroups
    .filter((p) => !p.destroyed)
    .map((pgroup) => {
      const snapshots = snapshotsOf(listing, pgroup.name);
      const done = snapshots.find((s) => s.transfer?.progress === 1 && s.transfer.completed !== null);
      const newest = snapshots.find((s) => s.transfer?.progress !== null && s.transfer !== undefined);
      const replica = !pgroup.is_local;
      const targets = listing.targets
        .filter((t) => t.group.name === pgroup.name)
        .map((t) => ({ name: t.member.name ?? '', allowed: t.allowed, status: t.status }));
      const replicates = replica || targets.length > 0;
      return {
        name: pgroup.name,
        source: pgroup.source.name ?? '',
        replica,
        pod: pgroup.pod?.name ?? null,
        volumeCount: pgroup.volume_count,
        targets,
        snapshotCount: snapshots.length,
        lagSeconds: replicates && done ? Math.max(0, nowMs - done.created) / MS_PER_SECOND : null,
        lastTransferAtMs: replicates ? (done?.transfer?.completed ?? null) : null,
        transferProgress: replicates ? (newest?.transfer?.progress ?? null) : null,
      };
    });
}
