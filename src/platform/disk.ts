// The journal's view of a disk: a directory of files with positional writes and an explicit
// durability barrier. The real one wraps node:fs; test/helpers has one that forgets unsynced writes.

import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskFile {
  write(chunks: Buffer[], positionBytes: number): Promise<void>;
  /** Returns the bytes actually present (shorter at end of file). */
  read(positionBytes: number, lengthBytes: number): Promise<Buffer>;
  /** Durability barrier: every write that completed before this call survives a crash. */
  datasync(): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface DiskDir {
  list(): Promise<string[]>;
  /** Opens (creating if needed) a file for reading and writing; with `dsync` every write is durable on return. */
  open(name: string, options?: { dsync?: boolean }): Promise<DiskFile>;
  rename(from: string, to: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Makes renames and creations in the directory durable. */
  sync(): Promise<void>;
}

class NodeFile implements DiskFile {
  constructor(private readonly handle: FileHandle) {}
  async write(chunks: Buffer[], positionBytes: number): Promise<void> {
    let position = positionBytes;
    let pending = chunks;
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, position);
      position += bytesWritten;
      pending = dropWritten(pending, bytesWritten);
    }
  }
  async read(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(lengthBytes);
    let filled = 0;
    while (filled < lengthBytes) {
      const { bytesRead } = await this.handle.read(
        buffer,
        filled,
        lengthBytes - filled,
        positionBytes + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }
  datasync(): Promise<void> {
    return this.handle.datasync();
  }
  async sizeBytes(): Promise<number> {
    return (await this.handle.stat()).size;
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

function dropWritten(chunks: Buffer[], bytesWritten: number): Buffer[] {
  let remaining = bytesWritten;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (remaining >= chunk.length) {
      remaining -= chunk.length;
    } else {
      rest.push(remaining > 0 ? chunk.subarray(remaining) : chunk);
      remaining = 0;
    }
  }
  return rest;
}

export class NodeDiskDir implements DiskDir {
  private constructor(private readonly path: string) {}
  static async create(path: string): Promise<NodeDiskDir> {
    await mkdir(path, { recursive: true });
    return new NodeDiskDir(path);
  }
  list(): Promise<string[]> {
    return readdir(this.path);
  }
  async open(name: string, options: { dsync?: boolean } = {}): Promise<DiskFile> {
    const flags = constants.O_RDWR | constants.O_CREAT | (options.dsync ? constants.O_DSYNC : 0);
    return new NodeFile(await open(join(this.path, name), flags, 0o600));
  }
  rename(from: string, to: string): Promise<void> {
    return rename(join(this.path, from), join(this.path, to));
  }
  remove(name: string): Promise<void> {
    return rm(join(this.path, name), { force: true });
  }
  async sync(): Promise<void> {
    const handle = await open(this.path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
