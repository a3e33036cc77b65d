// A real `tandem mediator start` process on a free loopback port, for tests and benches.

import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, waitFor } from './array-process.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface MediatorProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startMediatorProcess(dataDir: string, port?: number): Promise<MediatorProcess> {
  const listen = port ?? (await freePort());
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'mediator', 'start', '--listen', `127.0.0.1:${listen}`, '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    async () => output.includes('mediator is up'),
    15_000,
    () => `mediator did not start: ${output}`,
  );
  return {
    url: `http://127.0.0.1:${listen}`,
    port: listen,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
