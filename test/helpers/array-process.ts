// Starts a real `tandem array start` process on 127.0.0.1 with free ports, and a tiny HTTPS client
// for its REST API. Tests use these to talk to the array exactly as external clients do.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI_PATH = resolve(import.meta.dirname, '../../src/cli/main.js');

/** Ports freePort has handed out in this process: none is handed out twice. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on now, and one this process has not been given before: the kernel may
 * hand the same ephemeral port to two back-to-back probes, and an array given it for two of its
 * listeners failed to start (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port this process was not given before');
}

function probePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface ArrayProcess {
  name: string;
  dataDir: string;
  restPort: number;
  nbdPort: number;
  replicationPort: number;
  iscsiPort: number;
  child: ChildProcess;
  output: () => string;
  apiToken(): Promise<string>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Starts the same array (same data dir and ports) again. */
  restart(): Promise<ArrayProcess>;
}

export async function makeTempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function startArrayProcess(options: {
  name: string;
  dataDir: string;
  restPort?: number;
  nbdPort?: number;
  replicationPort?: number;
  iscsiPort?: number;
  /** More `tandem array start` options, e.g. ['--mediator', url]. */
  extraArgs?: string[];
}): Promise<ArrayProcess> {
  const restPort = options.restPort ?? (await freePort());
  const nbdPort = options.nbdPort ?? (await freePort());
  const replicationPort = options.replicationPort ?? (await freePort());
  const iscsiPort = options.iscsiPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      CLI_PATH,
      'array',
      'start',
      '--name',
      options.name,
      '--data-dir',
      options.dataDir,
      '--rest',
      `127.0.0.1:${restPort}`,
      '--nbd',
      `127.0.0.1:${nbdPort}`,
      '--replication',
      `127.0.0.1:${replicationPort}`,
      '--iscsi',
      `127.0.0.1:${iscsiPort}`,
      ...(options.extraArgs ?? []),
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
    async () => output.includes('is up'),
    30_000,
    () => `array ${options.name} did not start:\n${output}`,
  );
  const proc: ArrayProcess = {
    name: options.name,
    dataDir: options.dataDir,
    restPort,
    nbdPort,
    replicationPort,
    iscsiPort,
    child,
    output: () => output,
    apiToken: async () => (await readFile(join(options.dataDir, 'api-token'), 'utf8')).trim(),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    restart: () =>
      startArrayProcess({
        name: options.name,
        dataDir: options.dataDir,
        restPort,
        nbdPort,
        replicationPort,
        iscsiPort,
        ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
      }),
  };
  return proc;
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(describe());
}

export interface RestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON from the API
  body: any;
}

/** One HTTPS request to the array (self-signed certificate accepted, as Pure's SDK does by default). */
export function restCall(
  port: number,
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    /** Own connection, no keep-alive pool: for requests the server may answer by closing it. */
    freshConnection?: boolean;
  } = {},
): Promise<RestResponse> {
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  return new Promise((resolveCall, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers,
        rejectUnauthorized: false,
        ...(options.freshConnection ? { agent: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {}
          resolveCall({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Logs in with the array's API token and returns a caller bound to the session. */
export async function restSession(array: ArrayProcess, version = '2.38') {
  const login = await restCall(array.restPort, 'POST', `/api/${version}/login`, {
    headers: { 'api-token': await array.apiToken() },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const token = String(login.headers['x-auth-token']);
  return {
    token,
    call: (method: string, path: string, body?: unknown) =>
      restCall(array.restPort, method, `/api/${version}${path}`, {
        headers: { 'x-auth-token': token },
        ...(body === undefined ? {} : { body }),
      }),
  };
}

/** Connects `from` to `to` the way an operator does: `to`'s key, `to`'s replication address. */
export async function connectArrays(
  from: ArrayProcess,
  to: ArrayProcess,
  type: 'async-replication' | 'sync-replication',
  replicationAddress = `127.0.0.1:${to.replicationPort}`,
): Promise<void> {
  const key = await (await restSession(to)).call('GET', '/array-connections/connection-key');
  if (key.status !== 200) throw new Error(`connection key: ${key.status}`);
  const made = await (await restSession(from)).call('POST', '/array-connections', {
    connection_key: key.body.items[0].connection_key,
    type,
    replication_addresses: [replicationAddress],
  });
  if (made.status !== 200) throw new Error(`array connection: ${made.status} ${JSON.stringify(made.body)}`);
}
