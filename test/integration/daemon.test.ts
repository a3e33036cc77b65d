// daemon: one array daemon per data directory; a stale pid file from a killed daemon is taken over.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_PATH, freePort, makeTempDir, startArrayProcess } from '../helpers/array-process.js';

function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

test('daemon: a second daemon on the same data directory is refused; after kill -9 a restart takes over', async () => {
  const dir = await makeTempDir('tandem-daemon-');
  const dataDir = join(dir.path, 'array');
  let array = await startArrayProcess({ name: 'lock', dataDir });
  try {
    const second = await runCli([
      'array',
      'start',
      '--name',
      'lock',
      '--data-dir',
      dataDir,
      '--rest',
      `127.0.0.1:${await freePort()}`,
      '--nbd',
      `127.0.0.1:${await freePort()}`,
      '--iscsi',
      `127.0.0.1:${await freePort()}`,
    ]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /another array daemon \(pid \d+\) is using/);
    await array.kill();
    array = await array.restart();
    assert.match(array.output(), /is up/);
  } finally {
    await array.stop();
    await dir.remove();
  }
});

test('daemon: a bad option value is a clear error, not a crash', async () => {
  const dir = await makeTempDir('tandem-daemon-');
  try {
    const result = await runCli(['array', 'start', '--name', 'x', '--data-dir', dir.path, '--rest', 'bogus']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--rest expects HOST:PORT/);
  } finally {
    await dir.remove();
  }
});
