// What the console's tests do to a running lab besides looking at it: make a volume through the
// Cinder API (as the lab's admin, whose password is in its file), find the array volume Cinder
// made for it, replicate to the DR site now, and send a request with a Host header of the test's
// choosing (fetch cannot).

import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { cinderCall, keystoneLogin } from '../../src/console/openstack.js';
import type { ConsoleState, PgroupView } from '../../src/console/state-types.js';
import type { LabDescriptor } from '../../src/lab/descriptor.js';
import { waitFor } from './array-process.js';
import { type LabArrayEntry, labArraySession } from './lab-process.js';

/** A replicated volume is made in a second or two; the bound allows a slow CI. */
const VOLUME_TIMEOUT_MS = 30_000;
/** A snapshot reaches the DR array in well under a second on loopback; the bound allows a slow CI. */
const TRANSFER_TIMEOUT_MS = 30_000;

/** Creates a 1 GiB volume of `type` and waits until it is available; returns its id. */
export async function createLabVolume(lab: LabDescriptor, name: string, type: string): Promise<string> {
  const session = await keystoneLogin(lab.cinder.authUrl, {
    user: lab.admin.user,
    project: lab.admin.project,
    password: (await readFile(lab.admin.passwordFile, 'utf8')).trim(),
  });
  const body = { volume: { name, size: 1, volume_type: type } };
  const created = await cinderCall<{ volume: { id: string } }>(
    lab.cinder.url,
    session,
    'POST',
    '/volumes',
    body,
  );
  const path = `/volumes/${created.volume.id}`;
  let status = '';
  await waitFor(
    async () => {
      status = (await cinderCall<{ volume: { status: string } }>(lab.cinder.url, session, 'GET', path)).volume
        .status;
      return status === 'available' || status === 'error';
    },
    VOLUME_TIMEOUT_MS,
    () => `volume ${name} stayed ${status}`,
  );
  if (status !== 'available') throw new Error(`volume ${name} went to ${status}`);
  return created.volume.id;
}

/** The array volume the driver made for Cinder volume `volumeId` (its name holds the id). */
export async function arrayVolumeName(array: LabArrayEntry, volumeId: string): Promise<string> {
  const session = await labArraySession(array);
  const volumes = (await session.call('GET', '/volumes?destroyed=false')).body.items as Array<{
    name: string;
  }>;
  const found = volumes.find((v) => v.name.includes(volumeId));
  if (!found) throw new Error(`no volume for ${volumeId} on ${array.name}`);
  return found.name;
}

/** GET `path` on `baseUrl` with the Host header `host`; resolves with the status. */
export function getWithHost(baseUrl: string, path: string, host: string): Promise<number> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, headers: { host } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Failover to the async target copies each volume from the newest snapshot the DR array holds
 * completely (of the replication group, and of the tri-sync group for a TriSync volume), and the
 * lab replicates every 5 minutes: replicate every group of the primary that targets site-c now and
 * wait until the console's `state` shows their lag. Returns the name of the group holding volumes.
 */
export async function replicateToDrNow(
  primary: LabArrayEntry,
  state: () => Promise<ConsoleState>,
): Promise<string> {
  const toDr = (g: PgroupView) => g.targets.some((t) => t.name === 'site-c');
  const groupsOfPrimary = async () =>
    (await state()).arrays.find((a) => a.name === primary.name)?.pgroups ?? [];
  let groups: PgroupView[] = [];
  await waitFor(
    async () => {
      groups = (await groupsOfPrimary()).filter(toDr);
      return groups.some((g) => g.volumeCount > 0);
    },
    VOLUME_TIMEOUT_MS,
    () => `no group on ${primary.name} that holds a volume replicates to site-c`,
  );
  const session = await labArraySession(primary);
  for (const { name } of groups) {
    const query = `source_names=${encodeURIComponent(name)}&replicate_now=true`;
    const snapshot = await session.call('POST', `/protection-group-snapshots?${query}`, {});
    if (snapshot.status !== 200) throw new Error(`snapshot of ${name}: ${JSON.stringify(snapshot.body)}`);
  }
  const names = groups.map((g) => g.name);
  await waitFor(
    async () =>
      (await groupsOfPrimary()).filter((g) => names.includes(g.name)).every((g) => g.lagSeconds !== null),
    TRANSFER_TIMEOUT_MS,
    () => `no completed transfer to site-c of ${names.join(', ')}`,
  );
  return groups.find((g) => g.volumeCount > 0)!.name;
}
