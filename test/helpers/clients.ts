// Real clients from Debian packages (libnbd-bin, qemu-utils, fio), run as child processes. A missing
// one fails with the apt-get line that installs it, never a silent skip.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const MiB = 1024 * 1024;

export const TOOLS = { nbdinfo: 'libnbd-bin', nbdcopy: 'libnbd-bin', 'qemu-img': 'qemu-utils', fio: 'fio' };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client in `cwd`; resolves with its exit code and output (a non-zero exit is not a throw). */
export function run(cwd: string, file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // cwd: a temp dir, so no client can leave files in the repository.
    const options = { timeout: timeoutMs, maxBuffer: 32 * MiB, cwd };
    execFile(file, args, options, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        const pkg = TOOLS[file as keyof typeof TOOLS] ?? 'its package';
        reject(new Error(`${file} is not installed: apt-get install ${pkg}`));
        return;
      }
      if (error?.killed) {
        reject(new Error(`${file} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
        return;
      }
      const code = error ? Number(error.code ?? 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function runOk(cwd: string, file: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await run(cwd, file, args, timeoutMs);
  assert.equal(result.code, 0, `${file} ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Writes `bytes` of random data to `path` and returns its sha256. */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(16 * MiB);
  const file = await open(path, 'w');
  try {
    for (let done = 0; done < bytes; done += piece.length) {
      const part = piece.subarray(0, Math.min(piece.length, bytes - done));
      randomFillSync(part);
      hash.update(part);
      await file.write(part);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * fio 4 KiB random writes at QD32 over `uri` (64 MiB), then a crc32c verify pass; asserts no error,
 * every write issued and the data read back.
 */
export async function fioVerify(cwd: string, uri: string): Promise<void> {
  const args = [
    '--name=tandem-verify',
    '--ioengine=nbd',
    `--uri=${uri}`,
    '--rw=randwrite',
    '--bs=4k',
    '--iodepth=32',
    '--size=64m',
    '--verify=crc32c',
    '--do_verify=1',
    '--verify_state_save=0', // else fio leaves a .state file in its working directory
    '--output-format=json',
  ];
  const output = await runOk(cwd, 'fio', args, 300_000);
  // The nbd engine prints "fio: connected to NBD server ..." before the JSON report.
  const [job] = JSON.parse(output.slice(output.indexOf('{'))).jobs;
  assert.equal(job.error, 0);
  assert.equal(job.write.total_ios, (64 * MiB) / 4096);
  assert.ok(job.read.total_ios > 0, 'the verify pass read the data back');
}
