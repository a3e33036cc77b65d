// Protection groups: member volumes, replication targets, schedules, retention, and snapshots of
// all members at one point in time (PG.SUFFIX, with one volume snapshot PG.SUFFIX.VOL each).
// A replica group (SOURCE_ARRAY:PG) is the target side of async replication: its snapshots arrive
// complete from the source (src/replication/async) and are never written locally.

import { randomUUID } from 'node:crypto';
import { ERADICATION_DELAY_MS } from '../../constants.js';
import type { ArrayState } from './array-state.js';
import { objectErrors } from './errors.js';
import {
  OBJECT_NAME,
  type PgroupSnapshotRecord,
  type PgroupTransferRecord,
  type ProtectionGroupRecord,
  type RetentionPolicy,
  type ScheduleRecord,
  SNAPSHOT_SUFFIX,
  type SnapshotRecord,
  type VolumeRecord,
} from './model.js';
import { retainedIds } from './retention.js';

/** A volume's name without its pod (POD::VOL -> VOL), as it appears in group snapshot names. */
export function shortName(name: string): string {
  const separator = name.indexOf('::');
  return separator >= 0 ? name.slice(separator + 2) : name;
}

/** Purity's defaults for a new protection group. */
export function defaultPgroupSettings(): Pick<
  ProtectionGroupRecord,
  'snapshotSchedule' | 'replicationSchedule' | 'sourceRetention' | 'targetRetention'
> {
  return {
    snapshotSchedule: { enabled: false, frequencyMs: 3_600_000, atSec: null, blackout: null },
    replicationSchedule: { enabled: false, frequencyMs: 14_400_000, atSec: null, blackout: null },
    sourceRetention: { allForSec: 86_400, perDay: 4, days: 7 },
    targetRetention: { allForSec: 86_400, perDay: 4, days: 7 },
  };
}

export interface PgroupChanges {
  name?: string;
  destroyed?: boolean;
  snapshotSchedule?: Partial<ScheduleRecord>;
  replicationSchedule?: Partial<ScheduleRecord>;
  sourceRetention?: Partial<RetentionPolicy>;
  targetRetention?: Partial<RetentionPolicy>;
}

/** What a replica group receives with a completed transfer. */
export interface ReceivedSnapshot {
  suffix: string;
  createdMs: number;
  volumes: Array<{ id: string; name: string; provisionedBytes: number; layerId: number }>;
  transfer: PgroupTransferRecord;
  /** The target's retention applies to it (see PgroupSnapshotRecord.retained). */
  retained: boolean;
  sourceSnapshotId?: string;
}

export class ProtectionGroupService {
  constructor(private readonly state: ArrayState) {}

  require(name: string): ProtectionGroupRecord {
    const pgroup = this.state.pgroupByName(name);
    if (!pgroup) throw objectErrors.notFound('Protection group', name);
    return pgroup;
  }

  requireSnapshot(name: string): PgroupSnapshotRecord {
    const snapshot = this.state.pgroupSnapshotByName(name);
    if (!snapshot) throw objectErrors.notFound('Protection group snapshot', name);
    return snapshot;
  }

  members(pgroup: ProtectionGroupRecord): VolumeRecord[] {
    return pgroup.volumeIds
      .map((id) => this.state.volumes.get(id))
      .filter((v): v is VolumeRecord => v !== undefined);
  }

  snapshotsOf(pgroup: ProtectionGroupRecord): PgroupSnapshotRecord[] {
    return [...this.state.pgroupSnapshots.values()]
      .filter((s) => s.pgroupId === pgroup.id)
      .sort((a, b) => a.createdMs - b.createdMs);
  }

  volumeSnapshotsOf(snapshot: PgroupSnapshotRecord): SnapshotRecord[] {
    return snapshot.volumeSnapshotIds
      .map((id) => this.state.snapshots.get(id))
      .filter((s): s is SnapshotRecord => s !== undefined);
  }

  async create(name: string): Promise<ProtectionGroupRecord> {
    const separator = name.indexOf('::');
    const podName = separator >= 0 ? name.slice(0, separator) : null;
    if (!OBJECT_NAME.test(separator >= 0 ? name.slice(separator + 2) : name))
      throw objectErrors.invalid(name, 'Invalid protection group name.');
    const pod = podName === null ? undefined : this.state.podByName(podName);
    if (podName !== null && !pod) throw objectErrors.notFound('Pod', podName);
    if (this.state.pgroupByName(name)) throw objectErrors.exists('Protection group', name);
    const pgroup = this.newRecord(name, null);
    if (pod) pgroup.podId = pod.id;
    this.state.pgroups.set(pgroup.id, pgroup);
    await this.state.persist([pgroup]);
    return pgroup;
  }

  /** Creates (or returns) the replica of a source array's group: SOURCE_ARRAY:PG. */
  async ensureReplica(
    source: NonNullable<ProtectionGroupRecord['replicaOf']>,
  ): Promise<ProtectionGroupRecord> {
    const name = `${source.arrayName}:${source.pgroupName}`;
    const existing = this.state.pgroupByName(name);
    if (existing) return existing;
    const pgroup = this.newRecord(name, source);
    this.state.pgroups.set(pgroup.id, pgroup);
    await this.state.persist([pgroup]);
    return pgroup;
  }

  /** Records a pod's group as the other pod array sent it (same id); snapshots stay per array. */
  async adoptFromPod(record: ProtectionGroupRecord): Promise<ProtectionGroupRecord> {
    const existing = this.state.pgroups.get(record.id);
    const next = existing ?? { ...record, targets: [], volumeIds: [] };
    next.name = record.name;
    next.volumeIds = [...record.volumeIds];
    next.targets = record.targets.map((t) => {
      const mine = existing?.targets.find((m) => m.arrayId === t.arrayId);
      return { ...t, allowed: mine?.allowed ?? t.allowed };
    });
    next.snapshotSchedule = { ...record.snapshotSchedule };
    next.replicationSchedule = { ...record.replicationSchedule };
    next.sourceRetention = { ...record.sourceRetention };
    next.targetRetention = { ...record.targetRetention };
    next.destroyed = record.destroyed;
    next.destroyedAtMs = record.destroyedAtMs;
    next.nextSnapshotNumber = Math.max(existing?.nextSnapshotNumber ?? 1, record.nextSnapshotNumber);
    if (record.podId !== undefined) next.podId = record.podId;
    this.state.pgroups.set(next.id, next);
    await this.state.persist([next]);
    return next;
  }

  /** Renames a snapshot to another number (the target already holds that suffix from the other pod array). */
  async renumber(snapshot: PgroupSnapshotRecord, suffixNumber: number): Promise<void> {
    const pgroup = this.state.pgroups.get(snapshot.pgroupId)!;
    const suffix = String(suffixNumber);
    snapshot.suffix = suffix;
    snapshot.name = `${pgroup.name}.${suffix}`;
    for (const volumeSnapshot of this.volumeSnapshotsOf(snapshot)) {
      const volume = shortName(volumeSnapshot.sourceVolumeName);
      volumeSnapshot.suffix = `${suffix}.${volume}`;
      volumeSnapshot.name = `${snapshot.name}.${volume}`;
    }
    pgroup.nextSnapshotNumber = Math.max(pgroup.nextSnapshotNumber, suffixNumber + 1);
    await this.state.persist([pgroup, snapshot, ...this.volumeSnapshotsOf(snapshot)]);
  }

  async update(name: string, changes: PgroupChanges): Promise<ProtectionGroupRecord> {
    const pgroup = this.require(name);
    if (pgroup.destroyed && changes.destroyed !== false && Object.keys(changes).length > 0)
      throw objectErrors.destroyed('Protection group', name);
    if (changes.name !== undefined && changes.name !== pgroup.name) {
      if (pgroup.replicaOf) throw objectErrors.invalid(name, 'A replica protection group cannot be renamed.');
      if (!OBJECT_NAME.test(changes.name))
        throw objectErrors.invalid(changes.name, 'Invalid protection group name.');
      if (this.state.pgroupByName(changes.name)) throw objectErrors.exists('Protection group', changes.name);
      const old = pgroup.name;
      pgroup.name = changes.name;
      for (const snapshot of this.snapshotsOf(pgroup)) {
        snapshot.name = `${changes.name}.${snapshot.suffix}`;
        for (const volumeSnapshot of this.volumeSnapshotsOf(snapshot))
          volumeSnapshot.name = `${changes.name}${volumeSnapshot.name.slice(old.length)}`;
      }
    }
    // A schedule that is switched on runs its first snapshot one interval later, as Purity's does.
    if (changes.snapshotSchedule) {
      if (changes.snapshotSchedule.enabled && !pgroup.snapshotSchedule.enabled)
        pgroup.lastSnapshotMs = Date.now();
      pgroup.snapshotSchedule = { ...pgroup.snapshotSchedule, ...changes.snapshotSchedule };
    }
    if (changes.replicationSchedule) {
      if (changes.replicationSchedule.enabled && !pgroup.replicationSchedule.enabled)
        pgroup.lastReplicationMs = Date.now();
      pgroup.replicationSchedule = { ...pgroup.replicationSchedule, ...changes.replicationSchedule };
    }
    if (changes.sourceRetention)
      pgroup.sourceRetention = { ...pgroup.sourceRetention, ...changes.sourceRetention };
    if (changes.targetRetention)
      pgroup.targetRetention = { ...pgroup.targetRetention, ...changes.targetRetention };
    if (changes.destroyed !== undefined && changes.destroyed !== pgroup.destroyed) {
      pgroup.destroyed = changes.destroyed;
      pgroup.destroyedAtMs = changes.destroyed ? Date.now() : null;
    }
    await this.state.persist([pgroup, ...this.allSnapshotRecords(pgroup)]);
    return pgroup;
  }

  async eradicate(name: string): Promise<void> {
    const pgroup = this.require(name);
    if (!pgroup.destroyed) throw objectErrors.notDestroyed('Protection group', name);
    const removed = this.allSnapshotRecords(pgroup);
    for (const record of removed) {
      if (record.kind === 'snapshot') this.state.snapshots.delete(record.id);
      else this.state.pgroupSnapshots.delete(record.id);
    }
    this.state.pgroups.delete(pgroup.id);
    await this.state.persist([], [pgroup, ...removed]);
  }

  async addVolumes(
    name: string,
    volumeNames: string[],
  ): Promise<Array<{ pgroup: ProtectionGroupRecord; volume: VolumeRecord }>> {
    const pgroup = this.requireLocal(name);
    const volumes = volumeNames.map((v) => {
      const volume = this.state.volumeByName(v);
      if (!volume) throw objectErrors.notFound('Volume', v);
      if (pgroup.volumeIds.includes(volume.id))
        throw objectErrors.invalid(v, `Protection group ${name} already includes ${v}.`);
      if ((pgroup.podId ?? null) !== (volume.podId ?? null))
        throw objectErrors.invalid(
          v,
          'A protection group in a pod holds only volumes of that pod, and the reverse.',
        );
      return volume;
    });
    for (const volume of volumes) pgroup.volumeIds.push(volume.id);
    await this.state.persist([pgroup]);
    return volumes.map((volume) => ({ pgroup, volume }));
  }

  async removeVolumes(name: string, volumeNames: string[]): Promise<void> {
    const pgroup = this.requireLocal(name);
    const ids = volumeNames.map((v) => {
      const volume = this.state.volumeByName(v);
      if (!volume || !pgroup.volumeIds.includes(volume.id))
        // The driver's retype tolerates exactly this wording ("could not be found").
        throw objectErrors.invalid(v, `Volume ${v} could not be found in protection group ${name}.`);
      return volume.id;
    });
    pgroup.volumeIds = pgroup.volumeIds.filter((id) => !ids.includes(id));
    await this.state.persist([pgroup]);
  }

  /**
   * Takes a snapshot of every member at one point in time: all heads are frozen in the same
   * synchronous step, so a write acknowledged before the call is in every snapshot and none issued
   * after it is.
   */
  async snapshot(
    name: string,
    suffix?: string,
    atMs = Date.now(),
    options: { retained: boolean; expiresAtMs?: number } = { retained: true },
  ): Promise<PgroupSnapshotRecord> {
    const pgroup = this.requireLocal(name);
    if (pgroup.destroyed) throw objectErrors.destroyed('Protection group', name);
    if (suffix !== undefined && !SNAPSHOT_SUFFIX.test(suffix))
      throw objectErrors.invalid(
        suffix,
        'Invalid suffix: 1-65 letters, digits or dashes with at least one letter or dash.',
      );
    const finalSuffix = suffix ?? String(pgroup.nextSnapshotNumber++);
    const snapshotName = `${pgroup.name}.${finalSuffix}`;
    if (this.state.pgroupSnapshotByName(snapshotName))
      throw objectErrors.exists('Protection group snapshot', snapshotName);
    const createdMs = atMs;
    const id = randomUUID();
    const members = this.members(pgroup).filter((v) => !v.destroyed);
    const volumeSnapshots: SnapshotRecord[] = members.map((volume) => {
      const frozen = volume.headLayerId;
      volume.headLayerId = this.state.engine.newLayer(frozen);
      return {
        kind: 'snapshot',
        id: randomUUID(),
        name: `${snapshotName}.${shortName(volume.name)}`,
        suffix: `${finalSuffix}.${shortName(volume.name)}`,
        serial: this.state.nextSerial(),
        createdMs,
        provisionedBytes: volume.provisionedBytes,
        destroyed: false,
        destroyedAtMs: null,
        layerId: frozen,
        sourceVolumeId: volume.id,
        sourceVolumeName: volume.name,
        pgroupSnapshotId: id,
      };
    });
    const snapshot: PgroupSnapshotRecord = {
      kind: 'pgroup-snapshot',
      id,
      pgroupId: pgroup.id,
      name: snapshotName,
      suffix: finalSuffix,
      createdMs,
      destroyed: false,
      destroyedAtMs: null,
      volumeSnapshotIds: volumeSnapshots.map((s) => s.id),
      transfers: [],
      retained: options.retained,
    };
    if (options.expiresAtMs !== undefined) snapshot.expiresAtMs = options.expiresAtMs;
    for (const volumeSnapshot of volumeSnapshots) this.state.snapshots.set(volumeSnapshot.id, volumeSnapshot);
    this.state.pgroupSnapshots.set(snapshot.id, snapshot);
    await this.state.persist(
      [pgroup, snapshot, ...volumeSnapshots, ...members],
      [],
      members.map((v) => v.id),
    );
    return snapshot;
  }

  /** Replica side: records a fully transferred snapshot; its volume snapshots use the given layers. */
  async receive(replica: ProtectionGroupRecord, received: ReceivedSnapshot): Promise<PgroupSnapshotRecord> {
    const name = `${replica.name}.${received.suffix}`;
    const id = randomUUID();
    const volumeSnapshots: SnapshotRecord[] = received.volumes.map((volume) => ({
      kind: 'snapshot',
      id: randomUUID(),
      name: `${name}.${volume.name}`,
      suffix: `${received.suffix}.${volume.name}`,
      serial: this.state.nextSerial(),
      createdMs: received.createdMs,
      provisionedBytes: volume.provisionedBytes,
      destroyed: false,
      destroyedAtMs: null,
      layerId: volume.layerId,
      sourceVolumeId: volume.id,
      sourceVolumeName: volume.name,
      pgroupSnapshotId: id,
    }));
    const snapshot: PgroupSnapshotRecord = {
      kind: 'pgroup-snapshot',
      id,
      pgroupId: replica.id,
      name,
      suffix: received.suffix,
      createdMs: received.createdMs,
      destroyed: false,
      destroyedAtMs: null,
      volumeSnapshotIds: volumeSnapshots.map((s) => s.id),
      transfers: [received.transfer],
      retained: received.retained,
    };
    if (received.sourceSnapshotId !== undefined) snapshot.sourceSnapshotId = received.sourceSnapshotId;
    for (const volumeSnapshot of volumeSnapshots) this.state.snapshots.set(volumeSnapshot.id, volumeSnapshot);
    this.state.pgroupSnapshots.set(snapshot.id, snapshot);
    await this.state.persist([snapshot, ...volumeSnapshots]);
    return snapshot;
  }

  async updateSnapshot(name: string, changes: { destroyed?: boolean }): Promise<PgroupSnapshotRecord> {
    const snapshot = this.requireSnapshot(name);
    if (changes.destroyed !== undefined && changes.destroyed !== snapshot.destroyed) {
      snapshot.destroyed = changes.destroyed;
      snapshot.destroyedAtMs = changes.destroyed ? Date.now() : null;
      for (const volumeSnapshot of this.volumeSnapshotsOf(snapshot)) {
        volumeSnapshot.destroyed = snapshot.destroyed;
        volumeSnapshot.destroyedAtMs = snapshot.destroyedAtMs;
      }
    }
    await this.state.persist([snapshot, ...this.volumeSnapshotsOf(snapshot)]);
    return snapshot;
  }

  async eradicateSnapshot(name: string): Promise<void> {
    const snapshot = this.requireSnapshot(name);
    if (!snapshot.destroyed) throw objectErrors.notDestroyed('Protection group snapshot', name);
    await this.removeSnapshots([snapshot]);
  }

  /**
   * Applies the group's retention (source retention on the source, target retention on a replica,
   * which takes it from the source): snapshots the policy no longer keeps are eradicated at once.
   * `pinned` snapshots (the newest one each target holds) are always kept.
   */
  async applyRetention(
    pgroup: ProtectionGroupRecord,
    policy: RetentionPolicy,
    nowMs: number,
    pinned: ReadonlySet<string> = new Set(),
  ): Promise<string[]> {
    const snapshots = this.snapshotsOf(pgroup).filter((s) => !s.destroyed && s.retained !== false);
    const keep = retainedIds(snapshots, policy, nowMs, pinned);
    const dropped = snapshots.filter((s) => !keep.has(s.id));
    if (dropped.length > 0) await this.removeSnapshots(dropped);
    return dropped.map((s) => s.name);
  }

  /** Eradicates pgroups and pgroup snapshots destroyed longer than the eradication delay ago. */
  async eradicateExpired(nowMs: number): Promise<void> {
    const expired = (at: number | null) => at !== null && nowMs - at >= ERADICATION_DELAY_MS;
    for (const snapshot of [...this.state.pgroupSnapshots.values()]) {
      const forReplicationDone = snapshot.expiresAtMs !== undefined && nowMs >= snapshot.expiresAtMs;
      if (forReplicationDone || (snapshot.destroyed && expired(snapshot.destroyedAtMs)))
        await this.removeSnapshots([snapshot]);
    }
    for (const pgroup of [...this.state.pgroups.values()])
      if (pgroup.destroyed && expired(pgroup.destroyedAtMs)) await this.eradicate(pgroup.name);
  }

  private async removeSnapshots(snapshots: PgroupSnapshotRecord[]): Promise<void> {
    const removed: Array<PgroupSnapshotRecord | SnapshotRecord> = [];
    for (const snapshot of snapshots) {
      for (const volumeSnapshot of this.volumeSnapshotsOf(snapshot)) {
        this.state.snapshots.delete(volumeSnapshot.id);
        removed.push(volumeSnapshot);
      }
      this.state.pgroupSnapshots.delete(snapshot.id);
      removed.push(snapshot);
    }
    await this.state.persist([], removed);
  }

  private requireLocal(name: string): ProtectionGroupRecord {
    const pgroup = this.require(name);
    if (pgroup.replicaOf)
      throw objectErrors.invalid(name, 'A replica protection group cannot be changed here.');
    return pgroup;
  }

  private allSnapshotRecords(pgroup: ProtectionGroupRecord): Array<PgroupSnapshotRecord | SnapshotRecord> {
    return this.snapshotsOf(pgroup).flatMap((s) => [s, ...this.volumeSnapshotsOf(s)]);
  }

  private newRecord(name: string, replicaOf: ProtectionGroupRecord['replicaOf']): ProtectionGroupRecord {
    return {
      kind: 'pgroup',
      id: randomUUID(),
      name,
      createdMs: Date.now(),
      destroyed: false,
      destroyedAtMs: null,
      volumeIds: [],
      targets: [],
      ...defaultPgroupSettings(),
      nextSnapshotNumber: 1,
      replicaOf,
      allowed: false,
      lastSnapshotMs: 0,
      lastReplicationMs: 0,
    };
  }
}
