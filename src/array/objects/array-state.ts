// The array's object tables in memory, loaded from and persisted to the block store's meta keys.
// Every change is applied in memory first (synchronously, so it is atomic with respect to I/O) and
// then made durable with `persist`, which also releases layers nothing references any more.

import { randomBytes, randomUUID } from 'node:crypto';
import type { BlockEngine } from '../engine/engine.js';
import type {
  ArrayConnectionRecord,
  ArrayIdentity,
  ConnectionRecord,
  HostGroupRecord,
  HostRecord,
  PgroupSnapshotRecord,
  PodRecord,
  ProtectionGroupRecord,
  SnapshotRecord,
  VolumeRecord,
} from './model.js';
import type { PodOp } from './pod-ops.js';

export type AnyRecord =
  | VolumeRecord
  | SnapshotRecord
  | HostRecord
  | HostGroupRecord
  | ConnectionRecord
  | ProtectionGroupRecord
  | PgroupSnapshotRecord
  | ArrayConnectionRecord
  | PodRecord
  | ArrayIdentity;

export function recordKey(record: AnyRecord): string {
  switch (record.kind) {
    case 'volume':
      return `volume:${record.id}`;
    case 'snapshot':
      return `snapshot:${record.id}`;
    case 'host':
      return `host:${record.name}`;
    case 'host-group':
      return `hgroup:${record.name}`;
    case 'connection':
      return `conn:${record.hostName ?? ''}:${record.hostGroupName ?? ''}:${record.volumeId}`;
    case 'pgroup':
      return `pgroup:${record.id}`;
    case 'pgroup-snapshot':
      return `pgsnap:${record.id}`;
    case 'array-connection':
      return `arrayconn:${record.id}`;
    case 'pod':
      return `pod:${record.id}`;
    case 'array':
      return 'array';
  }
}

/** How I/O to volumes in a stretched pod is carried out (src/replication/sync plugs it in). */
export interface PodIo {
  /** Mirrors, serves locally or refuses the write, as the pod's state here allows. */
  write(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<void>;
  writeZeroes(volume: VolumeRecord, offsetBytes: number, lengthBytes: number): Promise<void>;
  /** Throws an IoError when the pod may not serve reads on this array now. */
  checkRead(volume: VolumeRecord): void;
  /** True when the pod is stretched and replicated from this array. */
  stretched(podId: string): boolean;
  /** Applies a snapshot or copy at one point of the pod's write order on every array serving it. */
  ordered(op: PodOp): Promise<void>;
}

/** See ArrayState.accessStamp. */
export interface AccessStamp {
  readonly revision: number;
  readonly connections: readonly ConnectionRecord[];
  readonly count: number;
}

export class ArrayState {
  readonly volumes = new Map<string, VolumeRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly hosts = new Map<string, HostRecord>();
  readonly hostGroups = new Map<string, HostGroupRecord>();
  connections: ConnectionRecord[] = [];
  readonly pgroups = new Map<string, ProtectionGroupRecord>();
  readonly pgroupSnapshots = new Map<string, PgroupSnapshotRecord>();
  readonly arrayConnections = new Map<string, ArrayConnectionRecord>();
  readonly pods = new Map<string, PodRecord>();
  /** Set while replication runs: I/O to pod volumes goes through it. */
  podIo: PodIo | null = null;
  /** Layers in use outside any record (incoming replication transfers): kept until unpinned. */
  readonly pinnedLayers = new Set<number>();
  /** Volumes whose metadata change is being persisted: their writes wait (see exports). */
  readonly fences = new Map<string, Promise<void>>();
  /**
   * Bumped by every `persist` as it starts. Changes to hosts, groups, connections and volumes that
   * decide what a host reaches are made in memory and persisted in the same turn of the event
   * loop, so what was derived from them at an unchanged revision still holds (see iscsi-access,
   * exports). Code that changes them must keep it so.
   */
  private revisionValue = 0;

  get revision(): number {
    return this.revisionValue;
  }

  /** What `isCurrent` compares later: the revision, and the connection list as it is now. */
  accessStamp(): AccessStamp {
    return { revision: this.revisionValue, connections: this.connections, count: this.connections.length };
  }

  /**
   * True while nothing that decides what a host reaches has changed since `stamp`: the revision,
   * and the connection list (replaced on every removal, grown on every addition). The list check
   * catches some changes that would not be persisted, not all.
   */
  isCurrent(stamp: AccessStamp): boolean {
    return (
      stamp.revision === this.revisionValue &&
      stamp.connections === this.connections &&
      stamp.count === this.connections.length
    );
  }

  private constructor(
    readonly engine: BlockEngine,
    readonly identity: ArrayIdentity,
  ) {}

  static async load(engine: BlockEngine, arrayName: string): Promise<ArrayState> {
    let identity = engine.store.meta.get('array') as ArrayIdentity | undefined;
    if (!identity) {
      identity = {
        kind: 'array',
        id: randomUUID(),
        name: arrayName,
        serialPrefix: randomBytes(8).toString('hex').toUpperCase(),
        nextSerial: 1,
        createdMs: Date.now(),
      };
    }
    identity.connectionKey ??= randomUUID();
    const state = new ArrayState(engine, identity);
    for (const { value } of engine.store.meta.getRange({})) {
      const record = value as AnyRecord;
      if (record?.kind === 'volume') state.volumes.set(record.id, record);
      else if (record?.kind === 'snapshot') state.snapshots.set(record.id, record);
      else if (record?.kind === 'host') state.hosts.set(record.name, record);
      else if (record?.kind === 'host-group') state.hostGroups.set(record.name, record);
      else if (record?.kind === 'connection') state.connections.push(record);
      else if (record?.kind === 'pgroup') state.pgroups.set(record.id, record);
      else if (record?.kind === 'pgroup-snapshot') state.pgroupSnapshots.set(record.id, record);
      else if (record?.kind === 'array-connection') state.arrayConnections.set(record.id, record);
      else if (record?.kind === 'pod') state.pods.set(record.id, record);
    }
    await state.persist([identity]);
    return state;
  }

  nextSerial(): string {
    const counter = this.identity.nextSerial++;
    return `${this.identity.serialPrefix}${counter.toString(16).toUpperCase().padStart(8, '0')}`;
  }

  volumeByName(name: string): VolumeRecord | undefined {
    for (const volume of this.volumes.values()) if (volume.name === name) return volume;
    return undefined;
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    for (const snapshot of this.snapshots.values()) if (snapshot.name === name) return snapshot;
    return undefined;
  }

  pgroupByName(name: string): ProtectionGroupRecord | undefined {
    for (const pgroup of this.pgroups.values()) if (pgroup.name === name) return pgroup;
    return undefined;
  }

  pgroupSnapshotByName(name: string): PgroupSnapshotRecord | undefined {
    for (const snapshot of this.pgroupSnapshots.values()) if (snapshot.name === name) return snapshot;
    return undefined;
  }

  podByName(name: string): PodRecord | undefined {
    for (const pod of this.pods.values()) if (pod.name === name) return pod;
    return undefined;
  }

  arrayConnectionByName(name: string): ArrayConnectionRecord | undefined {
    for (const connection of this.arrayConnections.values())
      if (connection.remote.name === name) return connection;
    return undefined;
  }

  /** Layers something still reads: volume heads and snapshot layers (ancestors follow). */
  roots(): number[] {
    const roots: number[] = [];
    for (const volume of this.volumes.values()) roots.push(volume.headLayerId);
    for (const snapshot of this.snapshots.values()) roots.push(snapshot.layerId);
    for (const layerId of this.pinnedLayers) roots.push(layerId);
    return roots;
  }

  /**
   * Durably records `changed` records, removes `removed` ones, persists the identity and layer
   * table, and releases unreachable layers. Writes to `fencedVolumeIds` wait until this is done.
   */
  async persist(
    changed: AnyRecord[],
    removed: AnyRecord[] = [],
    fencedVolumeIds: string[] = [],
  ): Promise<void> {
    this.revisionValue++;
    const writes = this.engine.retainOnly(this.roots());
    for (const [key, value] of this.engine.layerPuts()) writes.set(key, value);
    for (const record of removed) writes.set(recordKey(record), undefined);
    for (const record of changed) writes.set(recordKey(record), record);
    writes.set('array', this.identity);
    const done = this.engine.commitMeta(writes);
    const fence = done.catch(() => {});
    for (const id of fencedVolumeIds) this.fences.set(id, fence);
    try {
      await done;
    } finally {
      for (const id of fencedVolumeIds) if (this.fences.get(id) === fence) this.fences.delete(id);
    }
  }
}
