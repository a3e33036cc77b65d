// `tandem array start`: initialises the data directory on first start (API token, TLS
// certificate), opens the array and serves REST (HTTPS), NBD and iSCSI until SIGTERM/SIGINT.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino, { type Logger } from 'pino';
import { StorageArray } from './array.js';
import { createScsiDeviceServer } from './iscsi/scsi/device-server.js';
import { type IscsiServer, startIscsiServer } from './iscsi/server.js';
import { type NbdServer, startNbdServer } from './nbd/server.js';
import { ArrayIscsiAccess } from './objects/iscsi-access.js';
import { ArrayReservationStore } from './objects/reservation-store.js';
import { type RestServer, startRestServer } from './rest/server.js';

export interface ArrayDaemonOptions {
  name: string;
  dataDir: string;
  rest: { host: string; port: number };
  nbd: { host: string; port: number } | null;
  iscsi?: { host: string; port: number } | null;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  logger?: Logger;
}

export interface RunningArray {
  array: StorageArray;
  rest: RestServer;
  nbd: NbdServer | null;
  iscsi: IscsiServer | null;
  apiTokenPath: string;
  stop(): Promise<void>;
}

const exec = promisify(execFile);

/** Reads DIR/api-token, creating it (mode 0600) on first start. */
async function ensureApiToken(dataDir: string): Promise<{ token: string; path: string; created: boolean }> {
  const path = join(dataDir, 'api-token');
  try {
    return { token: (await readFile(path, 'utf8')).trim(), path, created: false };
  } catch {
    // Purity tokens look like UUIDs; keep the shape so tools that validate it accept ours.
    const hex = randomBytes(16).toString('hex');
    const token = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    return { token, path, created: true };
  }
}

/** A self-signed certificate in DIR/tls, generated with openssl on first start. */
async function ensureTls(
  dataDir: string,
  name: string,
  host: string,
): Promise<{ cert: string; key: string }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const san = /^[\d.]+$/.test(host) ? `IP:${host},DNS:localhost` : `DNS:${host},DNS:localhost,IP:127.0.0.1`;
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
    await chmod(keyPath, 0o600);
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  }
}

/**
 * One daemon per data directory: a second one would interleave two journals in the same files.
 * A pid file left by a killed daemon is taken over (its process is gone).
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'daemon.pid');
  const previous = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(previous) && previous !== process.pid && processAlive(previous)) {
    throw new Error(`another array daemon (pid ${previous}) is using ${dataDir}; stop it first`);
  }
  await writeFile(path, `${process.pid}\n`);
  return () => rm(path, { force: true });
}

/** Whether `pid` is a running process (an exited one waiting to be reaped does not count). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export async function startArrayDaemon(options: ArrayDaemonOptions): Promise<RunningArray> {
  const logger = options.logger ?? pino({ name: `array:${options.name}` });
  await mkdir(options.dataDir, { recursive: true });
  const releaseDataDir = await claimDataDir(options.dataDir);
  const apiToken = await ensureApiToken(options.dataDir);
  const tls =
    options.tlsCertPath && options.tlsKeyPath
      ? { cert: await readFile(options.tlsCertPath, 'utf8'), key: await readFile(options.tlsKeyPath, 'utf8') }
      : await ensureTls(options.dataDir, options.name, options.rest.host);
  const array = await StorageArray.open(options.dataDir, options.name);
  const filesystem = await statfs(options.dataDir);
  const capacityBytes = filesystem.blocks * filesystem.bsize;
  const nbd = options.nbd
    ? await startNbdServer({ host: options.nbd.host, port: options.nbd.port, catalog: array.exports, logger })
    : null;
  const iscsiAccess = new ArrayIscsiAccess(array.state, array.exports);
  const iscsi = options.iscsi
    ? await startIscsiServer({
        host: options.iscsi.host,
        port: options.iscsi.port,
        catalog: iscsiAccess,
        scsi: createScsiDeviceServer({
          reservationStore: new ArrayReservationStore(array.engine, array.state),
        }),
        logger,
      })
    : null;
  const rest = await startRestServer({
    array,
    host: options.rest.host,
    port: options.rest.port,
    tls,
    apiToken: apiToken.token,
    logger,
    system: {
      capacityBytes: () => capacityBytes,
      nbdAddress: nbd ? `${nbd.address.host}:${nbd.address.port}` : null,
      iscsi: iscsi
        ? { portal: `${iscsi.address.host}:${iscsi.address.port}`, targetName: iscsiAccess.targetName }
        : null,
    },
  });
  logger.info(
    {
      array: array.name,
      rest: `https://${rest.address.host}:${rest.address.port}`,
      nbd: nbd ? `nbd://${nbd.address.host}:${nbd.address.port}` : null,
      iscsi: iscsi ? `iscsi://${iscsi.address.host}:${iscsi.address.port}/${iscsiAccess.targetName}` : null,
      apiTokenFile: apiToken.path,
    },
    apiToken.created ? 'array initialised and started' : 'array started',
  );
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await rest.close();
      await nbd?.close();
      await iscsi?.close();
      await array.close();
      await releaseDataDir();
      logger.info({ array: array.name }, 'array stopped');
    })();
    return stopping;
  };
  return { array, rest, nbd, iscsi, apiTokenPath: apiToken.path, stop };
}
