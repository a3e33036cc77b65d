// The operator's setup steps, run at every start and idempotent on a reused lab: the array
// connections (replication through the lab's proxies, management straight to the peer's REST
// port, so a cut link shows as `partially_connected`) and the three volume types, made through
// the Cinder API.

import type { Logger } from 'pino';
import { type ArraySession, arraySession } from './array-client.js';
import { CinderClient } from './cinder-client.js';
import type { LabDescriptor } from './descriptor.js';
import { type ArrayName, hostPort, LAB_LINKS, type LabLink, type LabPaths, type LabPorts } from './layout.js';

/** A fresh link connects within a second; a redial backs off up to 5 s (REPLICATION_REDIAL_MAX_MS). */
const CONNECTED_TIMEOUT_MS = 30_000;
const CONNECTED_POLL_MS = 200;

export const LAB_VOLUME_TYPES: ReadonlyArray<{ name: string; extraSpecs: Record<string, string> }> = [
  { name: 'SyncReplicated', extraSpecs: { replication_enabled: '<is> True', replication_type: '<in> sync' } },
  {
    name: 'AsyncReplicated',
    extraSpecs: { replication_enabled: '<is> True', replication_type: '<in> async' },
  },
  { name: 'TriSync', extraSpecs: { replication_enabled: '<is> True', replication_type: '<in> trisync' } },
];

interface ConnectionView {
  name: string;
  type: string;
  status: string;
  replication_addresses: string[];
  management_address: string | null;
}

type Sessions = Record<ArrayName, ArraySession>;

async function sessions(paths: LabPaths, ports: LabPorts): Promise<Sessions> {
  const open = (name: ArrayName) => arraySession(ports.arrays[name].rest, paths.apiToken(name));
  const [a, b, c] = await Promise.all([open('site-a'), open('site-b'), open('site-c')]);
  return { 'site-a': a, 'site-b': b, 'site-c': c };
}

async function connectionTo(session: ArraySession, peer: string): Promise<ConnectionView | undefined> {
  const all = await session.items<ConnectionView>('GET', '/array-connections');
  return all.find((c) => c.name === peer);
}

/** Makes one link's connection, or brings an existing one to the lab's addresses. */
async function ensureConnection(s: Sessions, link: LabLink, via: string, management: string, log: Logger) {
  const existing = await connectionTo(s[link.from], link.to);
  if (!existing) {
    const [key] = await s[link.to].items<{ connection_key: string }>(
      'GET',
      '/array-connections/connection-key',
    );
    await s[link.from].items('POST', '/array-connections', {
      connection_key: key!.connection_key,
      type: link.type,
      replication_addresses: [via],
      management_address: management,
    });
    log.info({ from: link.from, to: link.to, type: link.type, via }, 'array connection made');
    return;
  }
  if (existing.type !== link.type)
    throw new Error(
      `${link.from} is connected to ${link.to} as ${existing.type}, the lab needs ${link.type}: tandem lab reset`,
    );
  if (existing.replication_addresses[0] !== via || existing.management_address !== management) {
    await s[link.from].items('PATCH', `/array-connections?names=${link.to}`, {
      replication_addresses: [via],
      management_address: management,
    });
    log.info({ from: link.from, to: link.to, via }, 'array connection readdressed');
  }
}

async function waitConnected(s: Sessions, link: LabLink): Promise<void> {
  const deadline = Date.now() + CONNECTED_TIMEOUT_MS;
  let status = 'absent';
  while (Date.now() < deadline) {
    status = (await connectionTo(s[link.from], link.to))?.status ?? 'absent';
    if (status === 'connected') return;
    await new Promise((r) => setTimeout(r, CONNECTED_POLL_MS));
  }
  throw new Error(
    `${link.from} -> ${link.to} is still ${status} after ${CONNECTED_TIMEOUT_MS} ms (see the arrays' logs)`,
  );
}

/** a->b sync, a->c and b->c async, each through its proxy; waits until every one is connected. */
export async function ensureArrayConnections(paths: LabPaths, ports: LabPorts, log: Logger): Promise<void> {
  const s = await sessions(paths, ports);
  for (const [i, link] of LAB_LINKS.entries()) {
    const via = hostPort(ports.proxies[i]!);
    await ensureConnection(s, link, via, hostPort(ports.arrays[link.to].rest), log);
  }
  await Promise.all(LAB_LINKS.map((link) => waitConnected(s, link)));
}

/** Creates the lab's volume types that are missing; existing ones are left as the operator has them. */
export async function ensureVolumeTypes(lab: LabDescriptor, log: Logger): Promise<void> {
  const client = await CinderClient.login({
    cinderUrl: lab.cinder.url,
    authUrl: lab.cinder.authUrl,
    user: lab.admin.user,
    project: lab.admin.project,
    passwordFile: lab.admin.passwordFile,
  });
  const existing = new Set((await client.volumeTypes()).map((t) => t.name));
  for (const type of LAB_VOLUME_TYPES) {
    if (existing.has(type.name)) continue;
    await client.createVolumeType(type.name, type.extraSpecs);
    log.info({ type: type.name, extraSpecs: type.extraSpecs }, 'volume type created');
  }
}
