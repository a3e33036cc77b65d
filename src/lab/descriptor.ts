// DIR/lab.json: what runs where, for people (`tandem lab status`), drills and the console (GET
// /lab serves the same object). It names files, never their contents: no password or API token
// is ever in it. Rewritten whole (write, then rename) so a reader never sees half of it.

import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  type ArrayName,
  type ArrayRole,
  type ConnectionType,
  hostPort,
  LAB_ADMIN,
  LAB_ARRAYS,
  LAB_BACKEND,
  LAB_CINDER_HOST,
  LAB_DEMO,
  LAB_LINKS,
  type LabPaths,
  type LabPorts,
} from './layout.js';

export const DESCRIPTOR_VERSION = 1;
/** Where the web console will be served on the control port (by a later module). */
export const CONSOLE_PATH = '/console';

export type DaemonState = 'running' | 'stopped' | 'killed';

/** How a daemon last ended; `unexpected` when nobody asked it to (a crash, a stray kill). */
export interface ExitRecord {
  at: string;
  code: number | null;
  signal: string | null;
  unexpected: boolean;
}

export interface DaemonStatus {
  pid: number | null;
  state: DaemonState;
  lastExit?: ExitRecord;
}

export interface ArrayEntry extends DaemonStatus {
  name: ArrayName;
  role: ArrayRole;
  restUrl: string;
  nbd: string;
  /** host:port of the array's iSCSI portal (iscsi-ls iscsi://PORTAL lists its target). */
  iscsi: string;
  replication: string;
  /** Peer name -> the proxy address the replication traffic with that peer goes through. */
  replicationVia: Record<string, string>;
  metricsUrl: string;
  dataDir: string;
  apiTokenFile: string;
  logFile: string;
}

export interface LinkEntry {
  from: ArrayName;
  to: ArrayName;
  type: ConnectionType;
  /** The proxy `from` dials; it forwards to `to`'s replication port. */
  via: string;
  state: 'up' | 'cut';
}

export interface LabDescriptor {
  version: number;
  startedAt: string;
  dir: string;
  supervisor: { pid: number; controlUrl: string; logFile: string };
  arrays: ArrayEntry[];
  links: LinkEntry[];
  mediator: DaemonStatus & { url: string; dataDir: string; logFile: string };
  cinder: DaemonStatus & {
    url: string;
    authUrl: string;
    host: string;
    configFile: string;
    identityFile: string;
    metricsUrl: string;
    logFile: string;
  };
  console: { url: string };
  admin: { user: string; project: string; passwordFile: string };
  demo: { user: string; project: string; passwordFile: string };
}

export interface LabRuntime {
  startedAt: string;
  supervisorPid: number;
  arrays: Record<ArrayName, DaemonStatus>;
  mediator: DaemonStatus;
  cinder: DaemonStatus;
  /** In LAB_LINKS order. */
  linksCut: boolean[];
}

/** Arrays and the control plane serve their metrics on their own API port; the lab only points there. */
const METRICS_PATH = '/metrics';

function arrayEntry(name: ArrayName, role: ArrayRole, ports: LabPorts, paths: LabPaths, rt: LabRuntime) {
  const p = ports.arrays[name];
  const restUrl = `https://${hostPort(p.rest)}`;
  const replicationVia: Record<string, string> = {};
  LAB_LINKS.forEach((link, i) => {
    if (link.from === name) replicationVia[link.to] = hostPort(ports.proxies[i]!);
    if (link.to === name) replicationVia[link.from] = hostPort(ports.proxies[i]!);
  });
  return {
    name,
    role,
    restUrl,
    nbd: hostPort(p.nbd),
    iscsi: hostPort(p.iscsi),
    replication: hostPort(p.replication),
    replicationVia,
    metricsUrl: `${restUrl}${METRICS_PATH}`,
    dataDir: paths.arrayDir(name),
    apiTokenFile: paths.apiToken(name),
    logFile: paths.log(name),
    ...rt.arrays[name],
  } satisfies ArrayEntry;
}

export function describeLab(paths: LabPaths, ports: LabPorts, rt: LabRuntime): LabDescriptor {
  const controlUrl = `http://${hostPort(ports.control)}`;
  const cinderUrl = `http://${hostPort(ports.cinder)}`;
  return {
    version: DESCRIPTOR_VERSION,
    startedAt: rt.startedAt,
    dir: paths.dir,
    supervisor: { pid: rt.supervisorPid, controlUrl, logFile: paths.log('lab') },
    arrays: LAB_ARRAYS.map(({ name, role }) => arrayEntry(name, role, ports, paths, rt)),
    links: LAB_LINKS.map((link, i) => ({
      ...link,
      via: hostPort(ports.proxies[i]!),
      state: rt.linksCut[i] ? 'cut' : 'up',
    })),
    mediator: {
      url: `http://${hostPort(ports.mediator)}`,
      dataDir: paths.mediator,
      logFile: paths.log('mediator'),
      ...rt.mediator,
    },
    cinder: {
      url: cinderUrl,
      authUrl: `${cinderUrl}/identity/v3`,
      host: `${LAB_CINDER_HOST}@${LAB_BACKEND}`,
      configFile: paths.cinderConf,
      identityFile: paths.identity,
      metricsUrl: `${cinderUrl}${METRICS_PATH}`,
      logFile: paths.log('cinder'),
      ...rt.cinder,
    },
    console: { url: `${controlUrl}${CONSOLE_PATH}` },
    admin: { ...LAB_ADMIN, passwordFile: paths.adminPassword },
    demo: { ...LAB_DEMO, passwordFile: paths.demoPassword },
  };
}

export async function writeDescriptor(path: string, descriptor: LabDescriptor): Promise<void> {
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(descriptor, null, 2)}\n`);
  await rename(partial, path);
}

/** null when no lab was ever started in that directory. */
export async function readDescriptor(path: string): Promise<LabDescriptor | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const descriptor = JSON.parse(text) as LabDescriptor;
  if (descriptor.version !== DESCRIPTOR_VERSION)
    throw new Error(`${path}: descriptor version ${descriptor.version}, expected ${DESCRIPTOR_VERSION}`);
  return descriptor;
}
