// Space accounting in Purity's terms, computed by walking layer maps (cached briefly: the walk
// costs time proportional to mapped blocks).
//   virtual           logical bytes written and visible (non-zero blocks)
//   unique            stored bytes only this volume's head references (freed if it were eradicated)
//   snapshots         stored bytes only this volume's snapshots reference
//   shared            the rest of its proportional share of deduplicated blocks
//   total_physical    unique + snapshots (per volume); all stored bytes (per array)
//   data_reduction    virtual / proportional physical share
//   thin_provisioning fraction of provisioned space never written
//   total_reduction   provisioned / proportional physical share

import { BLOCK_BYTES, SPACE_CACHE_MS } from '../../constants.js';
import type { ArrayState } from './array-state.js';
import type { SnapshotRecord, VolumeRecord } from './model.js';

export interface SpaceView {
  data_reduction: number;
  thin_provisioning: number;
  total_reduction: number;
  unique: number;
  snapshots: number;
  shared: number;
  system: number;
  virtual: number;
  total_physical: number;
  total_provisioned: number;
  used_provisioned: number;
  total_used: number;
  footprint: number;
}

interface LayerUsage {
  /** stored bytes of blocks referenced only here */
  exclusiveBytes: number;
}

export class SpaceCalculator {
  private cache: { atMs: number; volumes: Map<string, SpaceView>; array: SpaceView } | null = null;

  constructor(private readonly state: ArrayState) {}

  invalidate(): void {
    this.cache = null;
  }

  volume(volume: VolumeRecord): SpaceView {
    return this.compute().volumes.get(volume.id) ?? emptyView(volume.provisionedBytes);
  }

  array(): SpaceView {
    return this.compute().array;
  }

  private compute() {
    const now = Date.now();
    if (this.cache && now - this.cache.atMs < SPACE_CACHE_MS) return this.cache;
    const usage = new Map<number, LayerUsage>();
    const volumes = new Map<string, SpaceView>();
    let sumUnique = 0;
    let sumSnapshots = 0;
    let sumVirtual = 0;
    let sumProvisioned = 0;
    for (const volume of this.state.volumes.values()) {
      const view = this.volumeView(volume, usage);
      volumes.set(volume.id, view);
      sumUnique += view.unique;
      sumSnapshots += view.snapshots;
      sumVirtual += view.virtual;
      if (!volume.destroyed) sumProvisioned += volume.provisionedBytes;
    }
    const engine = this.state.engine.stats();
    const physical = engine.storedBytes + engine.overlayBytes;
    const shared = Math.max(0, physical - sumUnique - sumSnapshots);
    const array: SpaceView = {
      data_reduction: ratio(sumVirtual, physical),
      thin_provisioning: sumProvisioned > 0 ? clamp01(1 - sumVirtual / sumProvisioned) : 1,
      total_reduction: ratio(sumProvisioned, physical),
      unique: sumUnique,
      snapshots: sumSnapshots,
      shared,
      system: 0,
      virtual: sumVirtual,
      total_physical: physical,
      total_provisioned: sumProvisioned,
      used_provisioned: sumProvisioned,
      total_used: physical,
      footprint: physical,
    };
    this.cache = { atMs: now, volumes, array };
    return this.cache;
  }

  /** A snapshot's own space: what eradicating it would free, and what it shows. */
  snapshot(snapshot: SnapshotRecord): {
    unique: number;
    total_physical: number;
    virtual: number;
    snapshots: number;
  } {
    const usage = new Map<number, LayerUsage>();
    const unique = this.exclusiveBytes(snapshot.layerId, usage);
    const { virtualBlocks } = this.visibleUsage(snapshot.layerId);
    return { unique, snapshots: unique, total_physical: unique, virtual: virtualBlocks * BLOCK_BYTES };
  }

  /** Non-zero blocks visible from `headLayerId`, and their proportional share of stored bytes. */
  private visibleUsage(headLayerId: number): { virtualBlocks: number; shareBytes: number } {
    const store = this.state.engine.store;
    const chain = this.state.engine.chain(headLayerId);
    // Visible mapping: walk from the root up so nearer layers override farther ones.
    const visible = new Map<number, number>(); // blockIndex -> blockId (0 zero, -1 overlay data)
    for (const layerId of [...chain].reverse()) {
      for (const [blockIndex, blockId] of store.layerEntries(layerId)) visible.set(blockIndex, blockId);
      const pending = this.state.engine.overlayLayer(layerId);
      if (pending) {
        for (const range of pending.zeroRanges) {
          for (const index of [...visible.keys()]) {
            if (index >= range.startBlock && index < range.startBlock + range.blockCount)
              visible.set(index, 0);
          }
        }
        for (const [blockIndex, entry] of pending.blocks) visible.set(blockIndex, entry.data ? -1 : 0);
      }
    }
    let virtualBlocks = 0;
    let shareBytes = 0;
    for (const blockId of visible.values()) {
      if (blockId === 0) continue;
      virtualBlocks++;
      shareBytes +=
        blockId < 0 ? BLOCK_BYTES : store.storedBytesOf(blockId) / Math.max(1, store.refcount(blockId));
    }
    return { virtualBlocks, shareBytes };
  }

  private volumeView(volume: VolumeRecord, usage: Map<number, LayerUsage>): SpaceView {
    const { virtualBlocks, shareBytes } = this.visibleUsage(volume.headLayerId);
    const unique = this.exclusiveBytes(volume.headLayerId, usage);
    let snapshots = 0;
    for (const snapshot of this.state.snapshots.values()) {
      if (snapshot.sourceVolumeId === volume.id) snapshots += this.exclusiveBytes(snapshot.layerId, usage);
    }
    const virtual = virtualBlocks * BLOCK_BYTES;
    return {
      data_reduction: ratio(virtual, shareBytes),
      thin_provisioning: clamp01(1 - virtual / volume.provisionedBytes),
      total_reduction: ratio(volume.provisionedBytes, shareBytes),
      unique,
      snapshots,
      shared: Math.max(0, Math.round(shareBytes) - unique),
      system: 0,
      virtual,
      total_physical: unique + snapshots,
      total_provisioned: volume.provisionedBytes,
      used_provisioned: volume.provisionedBytes,
      total_used: unique + snapshots,
      footprint: Math.round(shareBytes),
    };
  }

  private exclusiveBytes(layerId: number, usage: Map<number, LayerUsage>): number {
    const cached = usage.get(layerId);
    if (cached) return cached.exclusiveBytes;
    const store = this.state.engine.store;
    let exclusiveBytes = 0;
    for (const [, blockId] of store.layerEntries(layerId)) {
      if (blockId !== 0 && store.refcount(blockId) === 1) exclusiveBytes += store.storedBytesOf(blockId);
    }
    for (const entry of this.state.engine.overlayLayer(layerId)?.blocks.values() ?? []) {
      if (entry.data) exclusiveBytes += BLOCK_BYTES;
    }
    usage.set(layerId, { exclusiveBytes });
    return exclusiveBytes;
  }
}

function ratio(numerator: number, denominator: number): number {
  if (denominator <= 0) return 1;
  return Math.max(1, Math.round((numerator / denominator) * 1000) / 1000);
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, Math.round(value * 1e6) / 1e6));
}

function emptyView(provisioned: number): SpaceView {
  return {
    data_reduction: 1,
    thin_provisioning: 1,
    total_reduction: 1,
    unique: 0,
    snapshots: 0,
    shared: 0,
    system: 0,
    virtual: 0,
    total_physical: 0,
    total_provisioned: provisioned,
    used_provisioned: provisioned,
    total_used: 0,
    footprint: 0,
  };
}
