// Starts `tandem cinder start` as a real process for tests: writes the identity file, runs the
// control plane on a free port with the given cinder.conf, and waits until it answers.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_PATH, freePort, waitFor } from './array-process.js';

export interface CinderProcess {
  url: string;
  authUrl: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Starts it again with the same files and port. */
  restart(): Promise<CinderProcess>;
}

export const TEST_USERS = {
  admin: { name: 'admin', password: 'admin-secret-pw', project: 'admin' },
  demo: { name: 'demo', password: 'demo-secret-pw', project: 'demo' },
};

export async function writeIdentityFile(dir: string): Promise<string> {
  const path = join(dir, 'identity.json');
  await writeFile(
    path,
    JSON.stringify({
      projects: [{ name: 'admin' }, { name: 'demo' }],
      users: [
        { ...TEST_USERS.admin, roles: ['admin', 'member', 'reader'] },
        { ...TEST_USERS.demo, roles: ['member', 'reader'] },
      ],
    }),
  );
  return path;
}

export async function startCinderProcess(options: {
  configFile: string;
  identityFile: string;
  port?: number;
}): Promise<CinderProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      CLI_PATH,
      'cinder',
      'start',
      '--config-file',
      options.configFile,
      '--identity-file',
      options.identityFile,
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(
    async () => output.includes('cinder is up') || child.exitCode !== null,
    60_000,
    () => `cinder did not start:\n${output}`,
  );
  if (child.exitCode !== null) throw new Error(`cinder exited at start:\n${output}`);
  const match = /cinder is up on (\S+) \(OS_AUTH_URL=(\S+)\)/.exec(output);
  if (!match) throw new Error(`cinder printed no address:\n${output}`);
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    url: match[1]!,
    authUrl: match[2]!,
    child,
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: () => startCinderProcess({ ...options, port }),
  };
}
