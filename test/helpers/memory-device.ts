// An in-memory BlockDevice for protocol tests: sparse (64 KiB chunks allocated on first write,
// so a 1 GiB device costs nothing until used), with switches to fail or hold the next operations.

import {
  type BlockDevice,
  type ExportCatalog,
  IoError,
  type IoErrorCode,
} from '../../src/array/engine/block-device.js';

const CHUNK_BYTES = 64 * 1024;

export interface MemoryDeviceOptions {
  readOnly?: boolean;
  /** Reads return a Promise instead of a Buffer (both are allowed by BlockDevice). */
  asyncReads?: boolean;
  /** Keep every operation in `calls` (off for benchmarks: it grows without bound). */
  recordCalls?: boolean;
  /**
   * What mayReuse answers once a write settled (the device copies what it writes, so either is
   * safe); undefined leaves mayReuse out, as a device that keeps written buffers would.
   */
  reuseWrites?: boolean;
}

export type DeviceOperation = 'read' | 'write' | 'writeZeroes' | 'trim' | 'flush';

export class MemoryDevice implements BlockDevice {
  readonly readOnly: boolean;
  /** Every operation in call order, for assertions (unless recordCalls is false). */
  readonly calls: { op: DeviceOperation; offsetBytes: number; lengthBytes: number }[] = [];
  closeCount = 0;
  /** The memory (ArrayBuffer) of every buffer write() was given, in call order. */
  readonly writtenBuffers: ArrayBufferLike[] = [];
  readonly mayReuse?: (data: Buffer) => boolean;
  private readonly chunks = new Map<number, Buffer>();
  private readonly asyncReads: boolean;
  private readonly recordCalls: boolean;
  private failures: { remaining: number; error: Error } | undefined;
  private holdRemaining = 0;
  private readonly held: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly sizeBytes: number,
    options: MemoryDeviceOptions = {},
  ) {
    this.readOnly = options.readOnly ?? false;
    this.asyncReads = options.asyncReads ?? false;
    this.recordCalls = options.recordCalls ?? true;
    const reuse = options.reuseWrites;
    if (reuse !== undefined) this.mayReuse = () => reuse;
  }

  /** The next `count` operations fail with IoError(code), or with `error` as given. */
  failNext(count: number, failure: IoErrorCode | Error): void {
    const error = typeof failure === 'string' ? new IoError(failure, `injected ${failure}`) : failure;
    this.failures = { remaining: count, error };
  }

  /** The next `count` operations complete only when releaseHeld() is called. */
  holdNext(count: number): void {
    this.holdRemaining = count;
  }

  get heldCount(): number {
    return this.held.length;
  }

  releaseHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  get allocatedBytes(): number {
    return this.chunks.size * CHUNK_BYTES;
  }

  read(offsetBytes: number, lengthBytes: number): Buffer | Promise<Buffer> {
    this.record('read', offsetBytes, lengthBytes);
    const injected = this.injected();
    if (injected !== undefined) return injected.then(() => this.copyOut(offsetBytes, lengthBytes));
    const data = this.copyOut(offsetBytes, lengthBytes);
    return this.asyncReads ? Promise.resolve(data) : data;
  }

  write(offsetBytes: number, data: Buffer): Promise<void> {
    this.record('write', offsetBytes, data.length);
    if (this.recordCalls) this.writtenBuffers.push(data.buffer);
    if (this.failures === undefined && this.holdRemaining === 0 && !this.readOnly) {
      return this.settleNow(() => this.copyIn(offsetBytes, data)); // the benchmark path
    }
    const copy = Buffer.from(data); // a held write applies later; the caller's buffer may change
    return this.mutate(() => this.copyIn(offsetBytes, copy));
  }

  writeZeroes(offsetBytes: number, lengthBytes: number): Promise<void> {
    this.record('writeZeroes', offsetBytes, lengthBytes);
    return this.mutate(() => this.zero(offsetBytes, lengthBytes));
  }

  trim(offsetBytes: number, lengthBytes: number): Promise<void> {
    this.record('trim', offsetBytes, lengthBytes);
    return this.mutate(() => this.zero(offsetBytes, lengthBytes));
  }

  flush(): Promise<void> {
    this.record('flush', 0, 0);
    return this.injected() ?? Promise.resolve();
  }

  close(): void {
    this.closeCount++;
  }

  private mutate(apply: () => void): Promise<void> {
    if (this.readOnly) return Promise.reject(new IoError('read-only', `${this.name} is read-only`));
    const injected = this.injected();
    if (injected !== undefined) return injected.then(apply);
    return this.settleNow(apply);
  }

  private settleNow(apply: () => void): Promise<void> {
    try {
      apply();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private record(op: DeviceOperation, offsetBytes: number, lengthBytes: number): void {
    if (this.recordCalls) this.calls.push({ op, offsetBytes, lengthBytes });
  }

  /** A promise for an injected failure or hold, or undefined for the normal path. */
  private injected(): Promise<void> | undefined {
    if (this.failures !== undefined && this.failures.remaining > 0) {
      this.failures.remaining--;
      return Promise.reject(this.failures.error);
    }
    if (this.holdRemaining > 0) {
      this.holdRemaining--;
      return new Promise<void>((resolve) => this.held.push(resolve));
    }
    return undefined;
  }

  private copyOut(offsetBytes: number, lengthBytes: number): Buffer {
    this.assertInRange(offsetBytes, lengthBytes);
    const out = Buffer.alloc(lengthBytes);
    this.forEachChunk(offsetBytes, lengthBytes, (index, chunkAt, outAt, count) => {
      this.chunks.get(index)?.copy(out, outAt, chunkAt, chunkAt + count);
    });
    return out;
  }

  private copyIn(offsetBytes: number, data: Buffer): void {
    this.assertInRange(offsetBytes, data.length);
    this.forEachChunk(offsetBytes, data.length, (index, chunkAt, dataAt, count) => {
      let chunk = this.chunks.get(index);
      if (chunk === undefined) {
        chunk = Buffer.alloc(CHUNK_BYTES);
        this.chunks.set(index, chunk);
      }
      data.copy(chunk, chunkAt, dataAt, dataAt + count);
    });
  }

  private zero(offsetBytes: number, lengthBytes: number): void {
    this.assertInRange(offsetBytes, lengthBytes);
    this.forEachChunk(offsetBytes, lengthBytes, (index, chunkAt, _at, count) => {
      if (count === CHUNK_BYTES) this.chunks.delete(index);
      else this.chunks.get(index)?.fill(0, chunkAt, chunkAt + count);
    });
  }

  private forEachChunk(
    offsetBytes: number,
    lengthBytes: number,
    visit: (index: number, chunkAt: number, bufferAt: number, count: number) => void,
  ): void {
    let done = 0;
    while (done < lengthBytes) {
      const position = offsetBytes + done;
      const index = Math.floor(position / CHUNK_BYTES);
      const chunkAt = position % CHUNK_BYTES;
      const count = Math.min(CHUNK_BYTES - chunkAt, lengthBytes - done);
      visit(index, chunkAt, done, count);
      done += count;
    }
  }

  private assertInRange(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new IoError('out-of-range', `${offsetBytes}+${lengthBytes} is beyond ${this.sizeBytes}`);
    }
  }
}

/** Serves a set of MemoryDevices by name; `refuse` lists a name that open() then refuses. */
export class MemoryCatalog implements ExportCatalog {
  readonly devices = new Map<string, MemoryDevice>();
  private readonly refusals = new Map<string, string>();
  openCount = 0;

  constructor(devices: MemoryDevice[] = []) {
    for (const device of devices) this.add(device);
  }

  add(device: MemoryDevice): void {
    this.devices.set(device.name, device);
  }

  refuse(name: string, reason: string): void {
    this.refusals.set(name, reason);
  }

  list(): string[] {
    return [...this.devices.keys(), ...this.refusals.keys()];
  }

  open(exportName: string): BlockDevice | { refused: string } {
    const refusal = this.refusals.get(exportName);
    if (refusal !== undefined) return { refused: refusal };
    const device = this.devices.get(exportName);
    if (device === undefined) return { refused: 'no such volume or snapshot' };
    this.openCount++;
    return device;
  }
}
