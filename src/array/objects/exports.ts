// What protocol servers may serve: a volume while it is connected to at least one host, and a
// snapshot (read-only) while its volume is. Each opened device counts its I/O into the perf
// registry and re-checks on every request that the object still exists and is still served.

import { type BlockDevice, type ExportCatalog, IoError } from '../engine/block-device.js';
import type { AccessStamp, ArrayState } from './array-state.js';
import type { SnapshotRecord, VolumeRecord } from './model.js';
import type { PerfRegistry } from './perf.js';

function elapsedUsec(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1000;
}

export class ArrayExports implements ExportCatalog {
  constructor(
    private readonly state: ArrayState,
    private readonly perf: PerfRegistry,
  ) {}

  /**
   * Asked on every I/O. The answer is kept per volume while the state's revision and connection
   * list stay the same (see ArrayState.revision): walking every connection, and for group
   * connections every host, for each request made I/O slower the more objects the array held.
   */
  private readonly served = new WeakMap<VolumeRecord, { stamp: AccessStamp; served: boolean }>();

  isServed(volume: VolumeRecord): boolean {
    if (volume.destroyed) return false;
    const known = this.served.get(volume);
    if (known && this.state.isCurrent(known.stamp)) return known.served;
    const served = this.findServed(volume);
    this.served.set(volume, { stamp: this.state.accessStamp(), served });
    return served;
  }

  private findServed(volume: VolumeRecord): boolean {
    for (const c of this.state.connections) {
      if (c.volumeId !== volume.id) continue;
      if (c.hostName) return true;
      for (const host of this.state.hosts.values()) if (host.hostGroup === c.hostGroupName) return true;
    }
    return false;
  }

  list(): string[] {
    const names: string[] = [];
    for (const volume of this.state.volumes.values()) {
      if (!this.isServed(volume)) continue;
      names.push(volume.name);
      for (const s of this.state.snapshots.values())
        if (s.sourceVolumeId === volume.id && !s.destroyed) names.push(s.name);
    }
    return names;
  }

  open(exportName: string): BlockDevice | { refused: string } {
    const volume = this.state.volumeByName(exportName);
    if (volume) return this.openVolume(volume);
    const snapshot = this.state.snapshotByName(exportName);
    if (snapshot) {
      const source = this.state.volumes.get(snapshot.sourceVolumeId);
      if (snapshot.destroyed) return { refused: `snapshot ${exportName} is destroyed` };
      if (!source || !this.isServed(source))
        return { refused: `the volume of snapshot ${exportName} is not connected` };
      return new SnapshotDevice(this.state, this.perf, snapshot);
    }
    return { refused: `no volume or snapshot named ${exportName}` };
  }

  /** The device of a volume already looked up (open without the search by name). */
  openVolume(volume: VolumeRecord): BlockDevice | { refused: string } {
    if (volume.destroyed) return { refused: `volume ${volume.name} is destroyed` };
    if (!this.isServed(volume)) return { refused: `volume ${volume.name} is not connected to any host` };
    return new VolumeDevice(this.state, this.perf, volume, this);
  }
}

class VolumeDevice implements BlockDevice {
  readonly readOnly = false;
  readonly name: string;
  /** Memory of writes that went to a stretched pod (see write). */
  private readonly mirrored = new WeakSet<ArrayBufferLike>();
  constructor(
    private readonly state: ArrayState,
    private readonly perf: PerfRegistry,
    private readonly volume: VolumeRecord,
    private readonly exports: ArrayExports,
  ) {
    this.name = volume.name;
  }

  get sizeBytes(): number {
    return this.volume.provisionedBytes;
  }

  private check(offsetBytes: number, lengthBytes: number): void {
    if (this.state.volumes.get(this.volume.id) !== this.volume)
      throw new IoError('gone', 'volume was eradicated');
    if (!this.exports.isServed(this.volume)) throw new IoError('offline', 'volume is no longer connected');
    if (offsetBytes + lengthBytes > this.volume.provisionedBytes)
      throw new IoError('out-of-range', 'beyond end of volume');
  }

  async read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const start = process.hrtime.bigint();
    this.check(offsetBytes, lengthBytes);
    if (this.volume.podId && this.state.podIo) this.state.podIo.checkRead(this.volume);
    const data = await this.state.engine.readAsync(this.volume.headLayerId, offsetBytes, lengthBytes);
    this.perf.record(this.volume.id, 'read', lengthBytes, elapsedUsec(start));
    return data;
  }

  release(data: Buffer): void {
    this.state.engine.releaseRead(data);
  }

  async write(offsetBytes: number, data: Buffer): Promise<void> {
    const start = process.hrtime.bigint();
    await this.fence();
    this.check(offsetBytes, data.length);
    if (this.volume.podId && this.state.podIo) {
      // The pod's replication link may still hold the bytes after the write settled (a frame
      // queued to a peer that stopped answering): such a buffer is never reused.
      this.mirrored.add(data.buffer);
      await this.state.podIo.write(this.volume, offsetBytes, data);
    } else {
      // The engine copies the data into its journal before the write settles.
      await this.state.engine.write(this.volume, offsetBytes, data);
    }
    this.perf.record(this.volume.id, 'write', data.length, elapsedUsec(start));
  }

  mayReuse(data: Buffer): boolean {
    return !this.mirrored.has(data.buffer);
  }

  async writeZeroes(offsetBytes: number, lengthBytes: number): Promise<void> {
    const start = process.hrtime.bigint();
    await this.fence();
    this.check(offsetBytes, lengthBytes);
    if (this.volume.podId && this.state.podIo)
      await this.state.podIo.writeZeroes(this.volume, offsetBytes, lengthBytes);
    else await this.state.engine.writeZeroes(this.volume, offsetBytes, lengthBytes);
    this.perf.record(this.volume.id, 'other', 0, elapsedUsec(start));
  }

  trim(offsetBytes: number, lengthBytes: number): Promise<void> {
    return this.writeZeroes(offsetBytes, lengthBytes);
  }

  async flush(): Promise<void> {
    const start = process.hrtime.bigint();
    await this.state.engine.flush();
    this.perf.record(this.volume.id, 'other', 0, elapsedUsec(start));
  }

  close(): void {}

  /** Writes wait while a snapshot or copy of this volume is being made durable. */
  private fence(): Promise<void> | undefined {
    return this.state.fences.get(this.volume.id);
  }
}

class SnapshotDevice implements BlockDevice {
  readonly readOnly = true;
  readonly name: string;
  readonly sizeBytes: number;
  constructor(
    private readonly state: ArrayState,
    private readonly perf: PerfRegistry,
    private readonly snapshot: SnapshotRecord,
  ) {
    this.name = snapshot.name;
    this.sizeBytes = snapshot.provisionedBytes;
  }

  async read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const start = process.hrtime.bigint();
    if (this.state.snapshots.get(this.snapshot.id) !== this.snapshot)
      throw new IoError('gone', 'snapshot was eradicated');
    if (offsetBytes + lengthBytes > this.sizeBytes)
      throw new IoError('out-of-range', 'beyond end of snapshot');
    const data = await this.state.engine.readAsync(this.snapshot.layerId, offsetBytes, lengthBytes);
    this.perf.record(this.snapshot.sourceVolumeId, 'read', lengthBytes, elapsedUsec(start));
    return data;
  }

  release(data: Buffer): void {
    this.state.engine.releaseRead(data);
  }

  write(): Promise<void> {
    return Promise.reject(new IoError('read-only', 'snapshots are read-only'));
  }
  mayReuse(): boolean {
    return true; // a refused write never looked at its data
  }
  writeZeroes(): Promise<void> {
    return Promise.reject(new IoError('read-only', 'snapshots are read-only'));
  }
  trim(): Promise<void> {
    return Promise.reject(new IoError('read-only', 'snapshots are read-only'));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}
