// `tandem lab up` as a real process for tests, the other `tandem lab` commands, a REST session on
// one of the lab's arrays (from its descriptor entry), and a last-resort cleanup that SIGKILLs
// whatever a failed test left running.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { CLI_PATH, type RestResponse, restCall, waitFor } from './array-process.js';

/** Three arrays, the mediator and cinder start in a few seconds; the bound allows a slow CI. */
export const LAB_UP_TIMEOUT_MS = 90_000;
const LAB_COMMAND_TIMEOUT_MS = 120_000;
/** Where free port ranges are looked for: above the lab defaults, below Linux's ephemeral ports. */
const RANGE_LOW = 20_000;
const RANGE_HIGH = 32_000;
const RANGE_ATTEMPTS = 50;

export interface LabArrayEntry {
  name: string;
  role: string;
  restUrl: string;
  apiTokenFile: string;
  pid: number | null;
  state: string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first port of `span` consecutive free ports. */
export async function freePortRange(span: number): Promise<number> {
  for (let attempt = 0; attempt < RANGE_ATTEMPTS; attempt++) {
    const base = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW - span));
    const free = await Promise.all(Array.from({ length: span }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${span} consecutive free ports found`);
}

export interface LabProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `tandem lab up ARGS` and waits for its "is up" summary. */
export async function startLab(args: string[]): Promise<LabProcess> {
  const child = spawn(process.execPath, [CLI_PATH, 'lab', 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor(
    async () => stdout.includes('tandem lab is up') || child.exitCode !== null,
    LAB_UP_TIMEOUT_MS,
    () => `lab did not come up:\n${stdout}\n${stderr}`,
  );
  if (child.exitCode !== null) throw new Error(`lab up exited (${child.exitCode}):\n${stdout}\n${stderr}`);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs another `tandem lab ...` command to its end. */
export function runLabCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, 'lab', ...args],
      { timeout: LAB_COMMAND_TIMEOUT_MS },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The `export NAME=VALUE` lines `lab up` printed, as an environment. OS_PASSWORD is printed as
 * "$(cat 'FILE')" (never the password itself); that file is read here as the shell would.
 */
export async function printedEnvironment(stdout: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const match of stdout.matchAll(/^\s*export (\w+)=(.*)$/gm)) {
    const [, name, value] = match as unknown as [string, string, string];
    const fromFile = /^"\$\(cat '([^']+)'\)"$/.exec(value);
    env[name] = fromFile ? (await readFile(fromFile[1]!, 'utf8')).trim() : value;
  }
  return env;
}

/** A REST session on one lab array, logged in with its API token file. */
export async function labArraySession(entry: LabArrayEntry) {
  const port = Number(new URL(entry.restUrl).port);
  const token = (await readFile(entry.apiTokenFile, 'utf8')).trim();
  const login = await restCall(port, 'POST', '/api/2.38/login', { headers: { 'api-token': token } });
  if (login.status !== 200) throw new Error(`login on ${entry.name}: ${login.status}`);
  const session = String(login.headers['x-auth-token']);
  return {
    call: (method: string, path: string, body?: unknown): Promise<RestResponse> =>
      restCall(port, method, `/api/2.38${path}`, {
        headers: { 'x-auth-token': session },
        ...(body === undefined ? {} : { body }),
      }),
  };
}

/** POST/GET on the lab control API; the body is parsed JSON. */
export async function labControl(controlUrl: string, method: string, path: string) {
  const res = await fetch(`${controlUrl}${path}`, { method });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON from the API
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive and started with `mention` on its command line (pids in an old lab.json may be reused). */
async function labDaemonAlive(pid: number, mention: string): Promise<boolean> {
  if (!alive(pid)) return false;
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(mention);
  } catch {
    return false;
  }
}

/** SIGKILLs the supervisor and every daemon of the lab.json in `dir`: cleanup after a failure. */
export async function killLab(dir: string, supervisor?: ChildProcess): Promise<void> {
  if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null)
    supervisor.kill('SIGKILL');
  let lab: {
    arrays: Array<{ pid: number | null }>;
    mediator: { pid: number | null };
    cinder: { pid: number | null };
  };
  try {
    lab = JSON.parse(await readFile(`${dir}/lab.json`, 'utf8'));
  } catch {
    return;
  }
  for (const pid of [...lab.arrays.map((a) => a.pid), lab.mediator.pid, lab.cinder.pid])
    if (pid !== null && (await labDaemonAlive(pid, dir))) process.kill(pid, 'SIGKILL');
}
