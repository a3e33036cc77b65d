// `tandem volume copy SOURCE TARGET`: copies a raw image between a local file and a volume served
// over NBD (or between two volumes, on one array or two), with a progress bar. A volume is
// addressed as nbd://HOST:PORT/VOLUME; arrays export a volume while it is connected to a host.
// Zero chunks are skipped when the target is a new file (it stays sparse); a volume gets every
// chunk, since it may hold older data.

import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { NbdClient } from '../drill/nbd-client.js';
import { UsageError } from './array-target.js';
import { formatBytes, ProgressBar } from './progress-bar.js';
import { printJson } from './target-options.js';

/** One request's worth: big enough for speed, well under the arrays' 32 MiB request limit. */
const CHUNK_BYTES = 1024 * 1024;
/** Requests in flight at once (reads and writes are pipelined on each NBD connection). */
const IN_FLIGHT = 8;

interface Endpoint {
  describe: string;
  sizeBytes: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer): Promise<void>;
  /** True when an unwritten range reads as zeroes (a file created by this copy). */
  sparse: boolean;
  close(): Promise<void>;
}

function parseNbdUrl(text: string): { address: string; exportName: string } | null {
  if (!text.startsWith('nbd://')) return null;
  const url = new URL(text);
  const exportName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.port || !exportName)
    throw new UsageError(
      `${text}: expected nbd://HOST:PORT/VOLUME (the lab's site-a serves NBD on 127.0.0.1:10809)`,
    );
  return { address: url.host, exportName };
}

async function nbdEndpoint(text: string, address: string, exportName: string): Promise<Endpoint> {
  let client: NbdClient;
  try {
    client = await NbdClient.open(address, exportName);
  } catch (error) {
    throw new Error(
      `${text}: ${(error as Error).message}; an array exports a volume over NBD only while it is connected to a host (POST /connections?host_names=H&volume_names=${exportName})`,
    );
  }
  return {
    describe: text,
    sizeBytes: client.sizeBytes,
    read: (offset, length) => client.read(offset, length),
    write: (offset, data) => client.write(offset, data),
    sparse: false,
    close: async () => client.close(),
  };
}

async function fileSource(path: string): Promise<Endpoint> {
  const info = await stat(path);
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file`);
  const handle = await open(path, 'r');
  return fileEndpoint(path, handle, info.size, false);
}

function fileEndpoint(path: string, handle: FileHandle, sizeBytes: number, sparse: boolean): Endpoint {
  return {
    describe: path,
    sizeBytes,
    async read(offset, length) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new Error(`${path}: short read at ${offset}`);
      return buffer;
    },
    async write(offset, data) {
      await handle.write(data, 0, data.length, offset);
    },
    sparse,
    close: () => handle.close(),
  };
}

async function openSource(text: string): Promise<Endpoint> {
  const nbd = parseNbdUrl(text);
  return nbd ? nbdEndpoint(text, nbd.address, nbd.exportName) : fileSource(text);
}

async function openTarget(text: string, sizeBytes: number): Promise<Endpoint> {
  const nbd = parseNbdUrl(text);
  if (nbd) {
    const target = await nbdEndpoint(text, nbd.address, nbd.exportName);
    if (target.sizeBytes < sizeBytes) {
      await target.close();
      throw new UsageError(
        `${text} holds ${formatBytes(target.sizeBytes)}, less than the source's ${formatBytes(sizeBytes)}: extend the volume first (PATCH /volumes {"provisioned": ${sizeBytes}})`,
      );
    }
    return target;
  }
  const handle = await open(text, 'w');
  await handle.truncate(sizeBytes);
  return fileEndpoint(text, handle, sizeBytes, true);
}

function isZero(data: Buffer): boolean {
  const whole = data.length - (data.length % 8);
  for (let i = 0; i < whole; i += 8) if (data.readBigUInt64LE(i) !== 0n) return false;
  for (let i = whole; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

export interface CopyResult {
  source: string;
  target: string;
  bytes: number;
  writtenBytes: number;
  seconds: number;
}

export async function copyVolume(sourceText: string, targetText: string): Promise<CopyResult> {
  const started = Date.now();
  const source = await openSource(sourceText);
  let target: Endpoint | null = null;
  const bar = new ProgressBar({ label: `copy ${sourceText} -> ${targetText}`, unit: 'bytes' });
  let done = 0;
  let written = 0;
  try {
    target = await openTarget(targetText, source.sizeBytes);
    const to = target;
    const size = source.sizeBytes;
    let next = 0;
    const worker = async () => {
      while (next < size) {
        const offset = next;
        const length = Math.min(CHUNK_BYTES, size - offset);
        next += length;
        const data = await source.read(offset, length);
        if (!(to.sparse && isZero(data))) {
          await to.write(offset, data);
          written += length;
        }
        done += length;
        bar.update(done, size);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    bar.finish(`${formatBytes(size)} copied (${formatBytes(written)} written)`);
  } catch (error) {
    bar.fail((error as Error).message);
    throw error;
  } finally {
    await source.close();
    await target?.close();
  }
  return {
    source: sourceText,
    target: targetText,
    bytes: done,
    writtenBytes: written,
    seconds: (Date.now() - started) / 1000,
  };
}

export function registerVolumeCommands(program: Command): void {
  const volume = program
    .command('volume')
    .description('volume data: copy raw images to, from and between volumes');
  volume
    .command('copy')
    .description(
      'copy a raw image: FILE or nbd://HOST:PORT/VOLUME to FILE or nbd://HOST:PORT/VOLUME, with progress',
    )
    .argument('<source>', 'a raw image file, or nbd://HOST:PORT/VOLUME')
    .argument(
      '<target>',
      'a file (created or overwritten, sparse), or nbd://HOST:PORT/VOLUME at least as large',
    )
    .option('--json', 'print {source, target, bytes, writtenBytes, seconds} on stdout')
    .addHelpText(
      'after',
      `
Lab NBD addresses: site-a 127.0.0.1:10809, site-b :10810, site-c :10811 (tandem lab status shows them).
An array exports a volume over NBD while it is connected to a host (POST /connections); Cinder's
attach does that. Example:
  tandem volume copy disk.img nbd://127.0.0.1:10809/vol1
  tandem volume copy nbd://127.0.0.1:10809/vol1 nbd://127.0.0.1:10811/vol1-copy`,
    )
    .action(async (source: string, target: string, flags: { json?: boolean }) => {
      const result = await copyVolume(source, target);
      if (flags.json) printJson(result);
    });
}
