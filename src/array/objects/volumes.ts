// Volumes and volume snapshots: create, copy (instant, from a volume or a snapshot), overwrite
// (restore), resize, rename, QoS, destroy (soft, recoverable), eradicate.

import { randomUUID } from 'node:crypto';
import { ERADICATION_DELAY_MS, SECTOR_BYTES, VOLUME_PROVISIONED_MAX_BYTES } from '../../constants.js';
import type { ArrayState } from './array-state.js';
import { objectErrors } from './errors.js';
import {
  type ConnectionRecord,
  OBJECT_NAME,
  type QosLimits,
  SNAPSHOT_SUFFIX,
  type SnapshotRecord,
  type TagRecord,
  type VolumeRecord,
} from './model.js';
import type { CopyOp, SnapshotOp } from './pod-ops.js';
import { planMove, type VolumeMove } from './volume-moves.js';

export interface VolumeChanges {
  name?: string;
  provisionedBytes?: number;
  truncate?: boolean;
  destroyed?: boolean;
  qos?: Partial<QosLimits>;
}

export function validateProvisioned(bytes: unknown, context: string): number {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes <= 0) {
    throw objectErrors.invalid(context, 'Invalid value for provisioned: must be a positive integer.');
  }
  if (bytes % SECTOR_BYTES !== 0) {
    throw objectErrors.invalid(
      context,
      `Invalid value for provisioned: must be a multiple of ${SECTOR_BYTES}.`,
    );
  }
  if (bytes > VOLUME_PROVISIONED_MAX_BYTES) {
    throw objectErrors.invalid(
      context,
      'Invalid value for provisioned: exceeds the maximum volume size of 4 PiB.',
    );
  }
  return bytes;
}

/** Checks a volume name (VOL or POD::VOL); returns the pod's id for a pod volume. */
function validateName(state: ArrayState, name: string): string | undefined {
  const separator = name.indexOf('::');
  const podName = separator >= 0 ? name.slice(0, separator) : null;
  const volumeName = separator >= 0 ? name.slice(separator + 2) : name;
  if (!OBJECT_NAME.test(volumeName)) {
    throw objectErrors.invalid(
      name,
      'Invalid name: names are 1-63 letters, digits or dashes, beginning and ending with a letter or digit.',
    );
  }
  if (podName === null) return undefined;
  const pod = state.podByName(podName);
  if (!pod) throw objectErrors.notFound('Pod', podName);
  if (pod.destroyed) throw objectErrors.destroyed('Pod', podName);
  return pod.id;
}

export class VolumeService {
  constructor(private readonly state: ArrayState) {}

  /** A volume or a snapshot by name, or undefined. */
  findSource(name: string): { volume?: VolumeRecord; snapshot?: SnapshotRecord } {
    const volume = this.state.volumeByName(name);
    if (volume) return { volume };
    const snapshot = this.state.snapshotByName(name);
    return snapshot ? { snapshot } : {};
  }

  requireVolume(name: string): VolumeRecord {
    const volume = this.state.volumeByName(name);
    if (!volume) throw objectErrors.notFound('Volume', name);
    return volume;
  }

  requireSnapshot(name: string): SnapshotRecord {
    const snapshot = this.state.snapshotByName(name);
    if (!snapshot) throw objectErrors.notFound('Snapshot', name);
    return snapshot;
  }

  async create(name: string, provisionedBytes: number, qos?: Partial<QosLimits>): Promise<VolumeRecord> {
    const podId = validateName(this.state, name);
    if (this.state.volumeByName(name)) throw objectErrors.exists('Volume', name);
    validateProvisioned(provisionedBytes, name);
    const volume = this.newRecord(name, provisionedBytes, this.state.engine.newLayer(null), null, qos);
    if (podId) volume.podId = podId;
    this.state.volumes.set(volume.id, volume);
    await this.state.persist([volume]);
    return volume;
  }

  /**
   * Copies `sourceName` (volume or snapshot) to `name`. With `overwrite` an existing volume's
   * content is replaced (restore); otherwise the name must be free. No data is copied.
   */
  async copy(name: string, sourceName: string, overwrite: boolean): Promise<VolumeRecord> {
    const { volume: sourceVolume, snapshot } = this.findSource(sourceName);
    if (!sourceVolume && !snapshot) throw objectErrors.noSuchVolumeOrSnapshot(sourceName);
    if (sourceVolume?.destroyed || snapshot?.destroyed) throw objectErrors.destroyed('Source', sourceName);
    const existing = this.state.volumeByName(name);
    if (existing && !overwrite) throw objectErrors.exists('Volume', name);
    if (existing?.destroyed) throw objectErrors.destroyed('Volume', name);
    const podId = existing ? existing.podId : validateName(this.state, name);
    if (existing && existing.id === sourceVolume?.id) return existing;
    const podIo = this.state.podIo;
    if (podId && podIo?.stretched(podId)) {
      const op: CopyOp = {
        kind: 'copy',
        podId,
        targetId: existing?.id ?? randomUUID(),
        targetName: name,
        serial: existing?.serial ?? this.state.nextSerial(),
        createdMs: existing?.createdMs ?? Date.now(),
        sourceVolumeId: sourceVolume?.id ?? null,
        sourceSnapshotId: snapshot?.id ?? null,
        source: sourceVolume
          ? { id: sourceVolume.id, name: sourceVolume.name }
          : { id: snapshot!.sourceVolumeId, name: snapshot!.sourceVolumeName },
        provisionedBytes: sourceVolume ? sourceVolume.provisionedBytes : snapshot!.provisionedBytes,
        overwrite: existing !== undefined,
        tags: existing ? [] : (sourceVolume?.tags?.filter((tag) => tag.copyable) ?? []),
      };
      await podIo.ordered(op);
      return this.requireVolume(name);
    }
    const baseLayerId = sourceVolume ? this.freezeHead(sourceVolume) : snapshot!.layerId;
    const provisionedBytes = sourceVolume ? sourceVolume.provisionedBytes : snapshot!.provisionedBytes;
    const source = sourceVolume
      ? { id: sourceVolume.id, name: sourceVolume.name }
      : { id: snapshot!.sourceVolumeId, name: snapshot!.sourceVolumeName };
    const changed: Array<VolumeRecord> = sourceVolume ? [sourceVolume] : [];
    let target: VolumeRecord;
    if (existing) {
      existing.headLayerId = this.state.engine.newLayer(baseLayerId);
      existing.provisionedBytes = Math.max(existing.provisionedBytes, provisionedBytes);
      target = existing;
    } else {
      target = this.newRecord(name, provisionedBytes, this.state.engine.newLayer(baseLayerId), source);
      if (podId) target.podId = podId;
      const copyable = sourceVolume?.tags?.filter((tag) => tag.copyable) ?? [];
      if (copyable.length > 0) target.tags = copyable.map((tag) => ({ ...tag }));
      this.state.volumes.set(target.id, target);
    }
    changed.push(target);
    await this.state.persist(
      changed,
      [],
      changed.map((v) => v.id),
    );
    return target;
  }

  /**
   * Sets tags on volumes: a tag with the same namespace and key is replaced. All volumes are
   * checked before any changes.
   */
  async setTags(names: string[], tags: TagRecord[]): Promise<VolumeRecord[]> {
    const volumes = names.map((name) => this.requireVolume(name));
    for (const volume of volumes) {
      const kept = (volume.tags ?? []).filter(
        (old) => !tags.some((tag) => tag.namespace === old.namespace && tag.key === old.key),
      );
      volume.tags = [...kept, ...tags.map((tag) => ({ ...tag }))];
    }
    await this.state.persist(volumes);
    return volumes;
  }

  /** Removes the tags matching `namespaces` and `keys` (null: any) from volumes. */
  async removeTags(names: string[], namespaces: string[] | null, keys: string[] | null): Promise<void> {
    const volumes = names.map((name) => this.requireVolume(name));
    for (const volume of volumes) {
      volume.tags = (volume.tags ?? []).filter(
        (tag) => !((namespaces?.includes(tag.namespace) ?? true) && (keys?.includes(tag.key) ?? true)),
      );
    }
    await this.state.persist(volumes);
  }

  async update(name: string, changes: VolumeChanges): Promise<VolumeRecord> {
    const volume = this.requireVolume(name);
    if (changes.destroyed === true && volume.destroyed) throw objectErrors.destroyed('Volume', name);
    if (volume.destroyed && changes.destroyed !== false && Object.keys(changes).length > 0) {
      throw objectErrors.destroyed('Volume', name);
    }
    if (changes.name !== undefined && changes.name !== volume.name) {
      const podId = validateName(this.state, changes.name);
      if (podId !== volume.podId)
        throw objectErrors.invalid(changes.name, 'A rename cannot move a volume into or out of a pod.');
      if (this.state.volumeByName(changes.name)) throw objectErrors.exists('Volume', changes.name);
      this.renameVolume(volume, changes.name);
    }
    if (changes.provisionedBytes !== undefined)
      await this.resize(volume, changes.provisionedBytes, changes.truncate);
    if (changes.qos) volume.qos = { ...volume.qos, ...changes.qos };
    const disconnected = changes.destroyed !== undefined ? this.setDestroyed(volume, changes.destroyed) : [];
    await this.state.persist([volume, ...this.snapshotsOf(volume)], disconnected);
    return volume;
  }

  /** Moves a volume into or out of a pod (see volume-moves.ts); its snapshots follow the name. */
  async move(name: string, targetPodName: string, removeFromPgroups: string[]): Promise<VolumeMove> {
    const move = planMove(this.state, this.requireVolume(name), targetPodName, removeFromPgroups);
    const { volume } = move;
    for (const group of move.leaving) group.volumeIds = group.volumeIds.filter((id) => id !== volume.id);
    if (move.to) volume.podId = move.to.id;
    else delete volume.podId;
    this.renameVolume(volume, move.newName);
    await this.state.persist([volume, ...this.snapshotsOf(volume), ...move.leaving]);
    return move;
  }

  async eradicate(name: string): Promise<void> {
    const volume = this.requireVolume(name);
    if (!volume.destroyed) throw objectErrors.notDestroyed('Volume', name);
    await this.removeVolume(volume);
  }

  async createSnapshot(sourceName: string, suffix: string | undefined): Promise<SnapshotRecord> {
    const volume = this.requireVolume(sourceName);
    if (volume.destroyed) throw objectErrors.destroyed('Volume', sourceName);
    if (suffix !== undefined && !SNAPSHOT_SUFFIX.test(suffix)) {
      throw objectErrors.invalid(
        suffix,
        'Invalid suffix: 1-65 letters, digits or dashes with at least one letter or dash.',
      );
    }
    const finalSuffix = suffix ?? String(volume.nextSnapshotNumber++);
    const name = `${volume.name}.${finalSuffix}`;
    if (this.state.snapshotByName(name)) throw objectErrors.exists('Snapshot', name);
    const podIo = this.state.podIo;
    if (volume.podId && podIo?.stretched(volume.podId)) {
      // Both arrays take it at the same point of the pod's write order.
      const op: SnapshotOp = {
        kind: 'snapshot',
        podId: volume.podId,
        volumeId: volume.id,
        snapshotId: randomUUID(),
        suffix: finalSuffix,
        serial: this.state.nextSerial(),
        createdMs: Date.now(),
      };
      await podIo.ordered(op);
      return this.requireSnapshot(name);
    }
    const snapshot: SnapshotRecord = {
      kind: 'snapshot',
      id: randomUUID(),
      name,
      suffix: finalSuffix,
      serial: this.state.nextSerial(),
      createdMs: Date.now(),
      provisionedBytes: volume.provisionedBytes,
      destroyed: false,
      destroyedAtMs: null,
      layerId: this.freezeHead(volume),
      sourceVolumeId: volume.id,
      sourceVolumeName: volume.name,
    };
    this.state.snapshots.set(snapshot.id, snapshot);
    await this.state.persist([snapshot, volume], [], [volume.id]);
    return snapshot;
  }

  async updateSnapshot(
    name: string,
    changes: { destroyed?: boolean; name?: string },
  ): Promise<SnapshotRecord> {
    const snapshot = this.state.snapshotByName(name);
    if (!snapshot) throw objectErrors.noSuchVolumeOrSnapshot(name);
    if (changes.destroyed === true && snapshot.destroyed) throw objectErrors.destroyed('Snapshot', name);
    if (changes.name !== undefined && changes.name !== snapshot.name) {
      const prefix = `${snapshot.sourceVolumeName}.`;
      const suffix = changes.name.startsWith(prefix) ? changes.name.slice(prefix.length) : '';
      if (!SNAPSHOT_SUFFIX.test(suffix))
        throw objectErrors.invalid(changes.name, `Invalid snapshot name: must be ${prefix}<suffix>.`);
      if (this.state.snapshotByName(changes.name)) throw objectErrors.exists('Snapshot', changes.name);
      snapshot.name = changes.name;
      snapshot.suffix = suffix;
    }
    if (changes.destroyed !== undefined) {
      const source = this.state.volumes.get(snapshot.sourceVolumeId);
      if (changes.destroyed === false && source?.destroyed)
        throw objectErrors.destroyed('Volume', source.name);
      snapshot.destroyed = changes.destroyed;
      snapshot.destroyedAtMs = changes.destroyed ? Date.now() : null;
    }
    await this.state.persist([snapshot]);
    return snapshot;
  }

  async eradicateSnapshot(name: string): Promise<void> {
    const snapshot = this.state.snapshotByName(name);
    if (!snapshot) throw objectErrors.notFound('Snapshot', name);
    if (!snapshot.destroyed) throw objectErrors.notDestroyed('Snapshot', name);
    this.state.snapshots.delete(snapshot.id);
    await this.state.persist([], [snapshot]);
  }

  snapshotsOf(volume: VolumeRecord): SnapshotRecord[] {
    return [...this.state.snapshots.values()].filter((s) => s.sourceVolumeId === volume.id);
  }

  /** Eradicates objects destroyed longer than the eradication delay ago. */
  async eradicateExpired(nowMs: number): Promise<void> {
    const expired = (at: number | null) => at !== null && nowMs - at >= ERADICATION_DELAY_MS;
    for (const snapshot of [...this.state.snapshots.values()]) {
      if (snapshot.destroyed && expired(snapshot.destroyedAtMs)) await this.eradicateSnapshot(snapshot.name);
    }
    for (const volume of [...this.state.volumes.values()]) {
      if (volume.destroyed && expired(volume.destroyedAtMs)) await this.eradicate(volume.name);
    }
  }

  private newRecord(
    name: string,
    provisionedBytes: number,
    headLayerId: number,
    source: VolumeRecord['source'],
    qos?: Partial<QosLimits>,
  ): VolumeRecord {
    return {
      kind: 'volume',
      id: randomUUID(),
      name,
      serial: this.state.nextSerial(),
      createdMs: Date.now(),
      provisionedBytes,
      destroyed: false,
      destroyedAtMs: null,
      headLayerId,
      source,
      qos: {
        iopsLimit: qos?.iopsLimit ?? null,
        bandwidthLimitBytesPerSec: qos?.bandwidthLimitBytesPerSec ?? null,
      },
      nextSnapshotNumber: 1,
    };
  }

  /** The current head becomes immutable; the volume continues on a new empty head above it. */
  private freezeHead(volume: VolumeRecord): number {
    const frozen = volume.headLayerId;
    volume.headLayerId = this.state.engine.newLayer(frozen);
    return frozen;
  }

  private renameVolume(volume: VolumeRecord, newName: string): void {
    const oldPrefix = `${volume.name}.`;
    volume.name = newName;
    for (const snapshot of this.snapshotsOf(volume)) {
      if (snapshot.name.startsWith(oldPrefix)) snapshot.name = `${newName}.${snapshot.suffix}`;
      snapshot.sourceVolumeName = newName;
    }
  }

  private async resize(volume: VolumeRecord, bytes: number, truncate: boolean | undefined): Promise<void> {
    validateProvisioned(bytes, volume.name);
    if (bytes < volume.provisionedBytes) {
      if (!truncate) {
        throw objectErrors.invalid(volume.name, 'Volume size cannot be reduced unless truncate is set.');
      }
      // Data past the new end must not reappear if the volume grows again.
      await this.state.engine.writeZeroes(volume, bytes, volume.provisionedBytes - bytes);
    }
    volume.provisionedBytes = bytes;
  }

  /** Returns the connections removed: a destroyed volume is disconnected from its hosts, as on Purity. */
  private setDestroyed(volume: VolumeRecord, destroyed: boolean): ConnectionRecord[] {
    const disconnected = destroyed ? this.state.connections.filter((c) => c.volumeId === volume.id) : [];
    if (disconnected.length > 0) {
      this.state.connections = this.state.connections.filter((c) => c.volumeId !== volume.id);
    }
    const previousDestroyedAt = volume.destroyedAtMs;
    volume.destroyed = destroyed;
    volume.destroyedAtMs = destroyed ? Date.now() : null;
    for (const snapshot of this.snapshotsOf(volume)) {
      if (destroyed && !snapshot.destroyed) {
        // Snapshots go with their volume and come back with it.
        snapshot.destroyed = true;
        snapshot.destroyedAtMs = volume.destroyedAtMs;
      } else if (!destroyed && snapshot.destroyed && snapshot.destroyedAtMs === previousDestroyedAt) {
        snapshot.destroyed = false;
        snapshot.destroyedAtMs = null;
      }
    }
    return disconnected;
  }

  /** Removes a volume at once (its stretched pod's peer eradicated it). */
  async eradicateNow(volume: VolumeRecord): Promise<void> {
    const connections = this.state.connections.filter((c) => c.volumeId === volume.id);
    this.state.connections = this.state.connections.filter((c) => c.volumeId !== volume.id);
    if (connections.length > 0) await this.state.persist([], connections);
    await this.removeVolume(volume);
  }

  private async removeVolume(volume: VolumeRecord): Promise<void> {
    const snapshots = this.snapshotsOf(volume);
    this.state.volumes.delete(volume.id);
    for (const snapshot of snapshots) this.state.snapshots.delete(snapshot.id);
    await this.state.persist([], [volume, ...snapshots]);
  }
}
