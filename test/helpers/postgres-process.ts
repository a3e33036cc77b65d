// A private PostgreSQL server for one test file: initdb into a temp dir, `postgres` on 127.0.0.1
// and a free port, password (scram) auth so a wrong password can be tested. PostgreSQL refuses to
// run as root, so under root (here and in CI) it runs as the `postgres` system user that Debian's
// postgresql package creates. stop() shuts it down and removes the dir; an exit hook kills it if
// the test process ends first.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './array-process.js';

/** initdb plus start; a cold start on a slow CI disk is a few seconds. */
const POSTGRES_START_TIMEOUT_MS = 60_000;
/** Fast shutdown (SIGINT) gets this long before SIGKILL. */
const POSTGRES_STOP_TIMEOUT_MS = 15_000;
const PG_ROOT = '/usr/lib/postgresql';

export const POSTGRES_TEST_USER = 'tandem_test';
export const POSTGRES_TEST_PASSWORD = 'tandem-pg-secret-7431';

interface RunAs {
  uid: number;
  gid: number;
}

/** Debian's newest /usr/lib/postgresql/<major>/bin with initdb and postgres, or TANDEM_POSTGRES_BIN_DIR. */
function findBinDir(): string | null {
  const fromEnv = process.env['TANDEM_POSTGRES_BIN_DIR'];
  const candidates = fromEnv
    ? [fromEnv]
    : existsSync(PG_ROOT)
      ? readdirSync(PG_ROOT)
          .filter((name) => /^[0-9]+$/.test(name))
          .sort((a, b) => Number(b) - Number(a))
          .map((major) => join(PG_ROOT, major, 'bin'))
      : [];
  return (
    candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) ?? null
  );
}

function postgresUser(): RunAs | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Who the server runs as: ourselves, or `postgres` when we are root. */
function runAs(): RunAs | null | 'self' {
  return process.getuid?.() === 0 ? postgresUser() : 'self';
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can. With TANDEM_REQUIRE_POSTGRES=1
 * (CI) a missing server is an error instead of a skip, so the tests cannot silently stop running.
 */
export function postgresSkipReason(): string | null {
  let reason: string | null = null;
  const fromEnv = process.env['TANDEM_POSTGRES_BIN_DIR'];
  if (findBinDir() === null && fromEnv) {
    reason = `TANDEM_POSTGRES_BIN_DIR=${fromEnv} holds no initdb and postgres`;
  } else if (findBinDir() === null) {
    reason = `no PostgreSQL server binaries (initdb, postgres) under ${PG_ROOT}/<major>/bin; install the Debian package 'postgresql' or set TANDEM_POSTGRES_BIN_DIR`;
  } else if (runAs() === null) {
    reason = "running as root and there is no 'postgres' user to run the server as (PostgreSQL refuses root)";
  }
  if (reason !== null && process.env['TANDEM_REQUIRE_POSTGRES'] === '1') {
    throw new Error(`TANDEM_REQUIRE_POSTGRES=1 but ${reason}`);
  }
  return reason;
}

export interface PostgresServer {
  readonly port: number;
  /** `postgresql://user:password@127.0.0.1:port/database`, with the test password unless given. */
  url(database: string, password?: string): string;
  /** A new empty database; returns its name. */
  createDatabase(): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Runs SQL as the superuser in `database`. */
  query(database: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

function run(file: string, args: string[], options: { cwd: string; user: RunAs | 'self' }): Promise<void> {
  const ids = options.user === 'self' ? {} : options.user;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { ...ids, cwd: options.cwd, env: { PATH: process.env['PATH'], LC_ALL: 'C' } },
      (error, _o, stderr) =>
        error ? reject(new Error(`${file} failed: ${error.message}\n${stderr}`)) : resolve(),
    );
  });
}

async function waitReady(child: ChildProcess, output: () => string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`postgres did not start:\n${output()}`)),
      POSTGRES_START_TIMEOUT_MS,
    );
    const onData = () => {
      if (output().includes('database system is ready to accept connections')) finish(null);
    };
    const onExit = () => finish(new Error(`postgres exited while starting:\n${output()}`));
    function finish(error: Error | null) {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function makeDataDir(binDir: string, user: RunAs | 'self'): Promise<{ base: string; data: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tandem-pg-'));
  const pwfile = join(base, 'pwfile');
  await writeFile(pwfile, `${POSTGRES_TEST_PASSWORD}\n`, { mode: 0o600 });
  if (user !== 'self') {
    await chown(base, user.uid, user.gid);
    await chown(pwfile, user.uid, user.gid);
  }
  const data = join(base, 'data');
  // --no-sync: the cluster is thrown away after the test; the store's own durability is not
  // what these tests measure on PostgreSQL (the server is not killed).
  const initdb = ['-D', data, '-U', POSTGRES_TEST_USER, '--pwfile', pwfile, '--auth', 'scram-sha-256'];
  await run(join(binDir, 'initdb'), [...initdb, '-E', 'UTF8', '--locale', 'C', '--no-sync'], {
    cwd: base,
    user,
  });
  return { base, data };
}

export async function startPostgres(): Promise<PostgresServer> {
  const binDir = findBinDir();
  const user = runAs();
  if (binDir === null || user === null)
    throw new Error(postgresSkipReason() ?? 'PostgreSQL is not available');
  const { base, data } = await makeDataDir(binDir, user);
  const port = await freePort();
  const settings = [`listen_addresses=127.0.0.1`, `unix_socket_directories=${base}`, 'max_connections=20'];
  const child = spawn(
    join(binDir, 'postgres'),
    ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])],
    {
      ...(user === 'self' ? {} : user),
      cwd: base,
      env: { PATH: process.env['PATH'], LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If the test process dies without stop(), do not leave a server and its files behind.
  const onExit = () => {
    child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), POSTGRES_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(base, { recursive: true, force: true });
  };
  try {
    await waitReady(child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return makeServer(port, stop);
}

function makeServer(port: number, stop: () => Promise<void>): PostgresServer {
  let databases = 0;
  const url = (database: string, password = POSTGRES_TEST_PASSWORD) =>
    `postgresql://${POSTGRES_TEST_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const query = async (database: string, sql: string, params?: unknown[]) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    query,
    createDatabase: async () => {
      databases += 1;
      const name = `store_${databases}`;
      await query('postgres', `CREATE DATABASE ${name}`);
      return name;
    },
    dropDatabase: async (name) => {
      await query('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    stop,
  };
}
