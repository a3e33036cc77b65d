// Debian's iSCSI clients (libiscsi's tools, qemu-img with its iscsi driver) as the iSCSI tests run
// them: each run bounded in time, its exit code and output returned, never thrown.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TOOL_TIMEOUT_MS = 60_000;

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** latin1: iscsi-inq prints binary designators (the NAA id) as raw bytes. */
export function runTool(command: string, args: string[], env: Record<string, string> = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        timeout: TOOL_TIMEOUT_MS,
        env: { ...process.env, ...env },
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'latin1',
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export function succeeded(result: ToolRun, what: string): ToolRun {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * Writes `data` at the start of the LU qemu's `--image-opts` name, then reads the whole LU back
 * (files in `dir`); returns what was read.
 */
export async function qemuRoundTrip(dir: string, opts: string, data: Buffer): Promise<Buffer> {
  const source = join(dir, 'in.raw');
  const back = join(dir, 'back.raw');
  await writeFile(source, data);
  succeeded(
    await runTool('qemu-img', ['convert', '-n', '-f', 'raw', source, '--target-image-opts', opts]),
    'write',
  );
  succeeded(await runTool('qemu-img', ['convert', '--image-opts', opts, '-O', 'raw', back]), 'read');
  return readFile(back);
}
