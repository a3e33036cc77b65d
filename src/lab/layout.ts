// What the lab is made of and where it lives: the three arrays and their roles, the replication
// links between them, every TCP port (fixed defaults, or a contiguous range from --base-port) and
// every file under the state directory. Pure data: nothing here touches the network or the disk.

import { join, resolve } from 'node:path';

/** Every daemon and proxy of the lab listens on loopback only: the lab is for one machine. */
export const LAB_HOST = '127.0.0.1';
export const LAB_DIR_DEFAULT = 'var/lab';
/** Cinder's backend section and the service host the CLIs see (`cinder service-list`). */
export const LAB_BACKEND = 'puredriver-1';
export const LAB_CINDER_HOST = 'tandem';
export const LAB_ADMIN = { user: 'admin', project: 'admin' } as const;
export const LAB_DEMO = { user: 'demo', project: 'demo' } as const;

export type ArrayRole = 'primary' | 'sync' | 'async';
export const LAB_ARRAYS = [
  { name: 'site-a', role: 'primary' },
  { name: 'site-b', role: 'sync' },
  { name: 'site-c', role: 'async' },
] as const satisfies ReadonlyArray<{ name: string; role: ArrayRole }>;
export type ArrayName = (typeof LAB_ARRAYS)[number]['name'];

export type ConnectionType = 'sync-replication' | 'async-replication';
export interface LabLink {
  /** The array that creates the connection, and so dials the link (through the proxy). */
  from: ArrayName;
  to: ArrayName;
  type: ConnectionType;
}
/** b -> c too, so that tri-sync keeps replicating to the DR site after site-a is lost. */
export const LAB_LINKS: readonly LabLink[] = [
  { from: 'site-a', to: 'site-b', type: 'sync-replication' },
  { from: 'site-a', to: 'site-c', type: 'async-replication' },
  { from: 'site-b', to: 'site-c', type: 'async-replication' },
];

export function isArrayName(name: string): name is ArrayName {
  return LAB_ARRAYS.some((a) => a.name === name);
}

/** The link between two arrays, whichever way round they are named (a link carries both ways). */
export function findLink(a: string, b: string): LabLink | undefined {
  return LAB_LINKS.find((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a));
}

export interface ArrayPorts {
  rest: number;
  nbd: number;
  replication: number;
  iscsi: number;
}

export interface LabPorts {
  control: number;
  mediator: number;
  cinder: number;
  arrays: Record<ArrayName, ArrayPorts>;
  /** One replication proxy per link, in LAB_LINKS order. */
  proxies: number[];
}

/** The well-known ports of README's single-array example and Cinder's own 8776, kept apart. */
export const DEFAULT_PORTS: LabPorts = {
  control: 8700,
  mediator: 8555,
  cinder: 8776,
  arrays: {
    'site-a': { rest: 8443, nbd: 10809, replication: 8444, iscsi: 3260 },
    'site-b': { rest: 9443, nbd: 10810, replication: 9444, iscsi: 3261 },
    'site-c': { rest: 10443, nbd: 10811, replication: 10444, iscsi: 3262 },
  },
  proxies: [8701, 8702, 8703],
};

const FIXED_PORT_COUNT = 3; // control, mediator, cinder
const PORTS_PER_ARRAY = 3; // REST, NBD, replication
/** Ports before the iSCSI ones, which came later and so follow everything else. */
const PRE_ISCSI_SPAN = FIXED_PORT_COUNT + LAB_LINKS.length + PORTS_PER_ARRAY * LAB_ARRAYS.length;
/** How many consecutive ports --base-port N takes: N .. N + BASE_PORT_SPAN - 1. */
export const BASE_PORT_SPAN = PRE_ISCSI_SPAN + LAB_ARRAYS.length;
/** Below 1024 needs root; the lab runs unprivileged. */
export const BASE_PORT_MIN = 1024;
export const BASE_PORT_MAX = 65535 - BASE_PORT_SPAN + 1;

/**
 * --base-port N: control N, mediator N+1, cinder N+2, the proxies, then REST/NBD/replication per
 * array, then iSCSI per array.
 */
export function portsFromBase(base: number): LabPorts {
  if (!Number.isInteger(base) || base < BASE_PORT_MIN || base > BASE_PORT_MAX)
    throw new Error(`--base-port must be a whole number from ${BASE_PORT_MIN} to ${BASE_PORT_MAX}`);
  const proxyBase = base + FIXED_PORT_COUNT;
  const arrayBase = proxyBase + LAB_LINKS.length;
  const arrayPorts = (index: number): ArrayPorts => {
    const first = arrayBase + index * PORTS_PER_ARRAY;
    return { rest: first, nbd: first + 1, replication: first + 2, iscsi: base + PRE_ISCSI_SPAN + index };
  };
  return {
    control: base,
    mediator: base + 1,
    cinder: base + 2,
    arrays: { 'site-a': arrayPorts(0), 'site-b': arrayPorts(1), 'site-c': arrayPorts(2) },
    proxies: LAB_LINKS.map((_, i) => proxyBase + i),
  };
}

/** Every port with what listens there, for the "port taken" message. */
export function describePorts(ports: LabPorts): Array<{ port: number; purpose: string }> {
  const list = [
    { port: ports.control, purpose: 'lab control API' },
    { port: ports.mediator, purpose: 'mediator' },
    { port: ports.cinder, purpose: 'cinder API' },
  ];
  for (const [i, link] of LAB_LINKS.entries())
    list.push({ port: ports.proxies[i]!, purpose: `replication proxy ${link.from} -> ${link.to}` });
  for (const { name } of LAB_ARRAYS) {
    const p = ports.arrays[name];
    list.push(
      { port: p.rest, purpose: `${name} REST` },
      { port: p.nbd, purpose: `${name} NBD` },
      { port: p.replication, purpose: `${name} replication` },
      { port: p.iscsi, purpose: `${name} iSCSI` },
    );
  }
  return list;
}

export const hostPort = (port: number) => `${LAB_HOST}:${port}`;

/**
 * A layout.json written before the arrays served iSCSI has no iSCSI ports: they are the ones a
 * new layout would have (after the rest of the range, or the defaults), so both agree.
 */
export function withIscsiPorts(ports: LabPorts, basePort: number | null): LabPorts {
  const fresh = basePort === null ? DEFAULT_PORTS : portsFromBase(basePort);
  const arrays = { ...ports.arrays };
  for (const { name } of LAB_ARRAYS)
    if (arrays[name].iscsi === undefined) arrays[name] = { ...arrays[name], iscsi: fresh.arrays[name].iscsi };
  return { ...ports, arrays };
}

export interface LabPaths {
  dir: string;
  layout: string;
  descriptor: string;
  pidMarker: string;
  logs: string;
  cinderConf: string;
  cinderState: string;
  identity: string;
  adminPassword: string;
  demoPassword: string;
  mediator: string;
  arrayDir(name: ArrayName): string;
  apiToken(name: ArrayName): string;
  log(name: string): string;
}

/** Absolute paths, so the descriptor's files work from any working directory. */
export function labPaths(dir: string): LabPaths {
  const root = resolve(dir);
  return {
    dir: root,
    layout: join(root, 'layout.json'),
    descriptor: join(root, 'lab.json'),
    pidMarker: join(root, 'supervisor.pid'),
    logs: join(root, 'logs'),
    cinderConf: join(root, 'cinder.conf'),
    cinderState: join(root, 'cinder'),
    identity: join(root, 'identity.json'),
    adminPassword: join(root, 'admin-password'),
    demoPassword: join(root, 'demo-password'),
    mediator: join(root, 'mediator'),
    arrayDir: (name) => join(root, 'arrays', name),
    apiToken: (name) => join(root, 'arrays', name, 'api-token'),
    log: (name) => join(root, 'logs', `${name}.log`),
  };
}
