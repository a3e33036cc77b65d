// The array part of the console's state: for each lab array, its space, performance, array
// connections, pods and protection groups, read over REST 2.x with the PurityClient the Cinder
// driver uses, logged in with the array's API token from its file. Tokens stay in the clients,
// inside this process. An array that cannot be read is reported with the reason, never retried
// behind the page's back: the next refresh tries again with a new client.

import { readFile } from 'node:fs/promises';
import {
  type PageQuery,
  PurityClient,
  PurityClientError,
  type PurityResponse,
} from '../cinder/purity-client/index.js';
import type { ArrayEntry } from '../lab/descriptor.js';
import { ARRAY_READ_TIMEOUT_MS, ERROR_TEXT_MAX_CHARS } from './limits.js';
import { pgroupViews } from './pgroup-view.js';
import type { ArrayPerfView, ArraySpaceView, ArrayView, PodView } from './state-types.js';

type ArrayInfo = Pick<ArrayEntry, 'name' | 'role' | 'state' | 'restUrl' | 'apiTokenFile'>;

/** A Purity error answer (not a transport failure) as an exception, so one catch reports both. */
class ArrayAnswerError extends Error {}

function itemsOf<T>(what: string, response: PurityResponse<T>): T[] {
  if (!response.ok)
    throw new ArrayAnswerError(`${what}: ${response.errors.map((e) => e.message).join('; ')}`);
  return response.items;
}

function errorText(error: unknown): string {
  const text =
    error instanceof PurityClientError
      ? error.reason
      : error instanceof Error
        ? error.message
        : String(error);
  return text.length > ERROR_TEXT_MAX_CHARS ? `${text.slice(0, ERROR_TEXT_MAX_CHARS)}...` : text;
}

function emptyView(info: ArrayInfo, error: string | null): ArrayView {
  return {
    name: info.name,
    role: info.role,
    daemonState: info.state,
    restUrl: info.restUrl,
    error,
    version: null,
    space: null,
    perf: null,
    connections: [],
    pods: [],
    pgroups: [],
  };
}

async function readSystem(client: PurityClient) {
  const [arrays, space, perf, connections] = await Promise.all([
    client.arrays.get(),
    client.arrays.getSpace(),
    client.arrays.getPerformance(),
    client.arrayConnections.get(),
  ]);
  const s = itemsOf('arrays/space', space)[0];
  const p = itemsOf('arrays/performance', perf)[0];
  const spaceView: ArraySpaceView | null = s
    ? {
        capacityBytes: s.capacity,
        usedBytes: s.space.total_physical ?? 0,
        provisionedBytes: s.space.total_provisioned ?? 0,
        dataReduction: s.space.data_reduction ?? null,
      }
    : null;
  const perfView: ArrayPerfView | null = p
    ? {
        readIops: p.reads_per_sec,
        writeIops: p.writes_per_sec,
        readLatencyUsec: p.usec_per_read_op,
        writeLatencyUsec: p.usec_per_write_op,
        readBytesPerSec: p.read_bytes_per_sec,
        writeBytesPerSec: p.write_bytes_per_sec,
      }
    : null;
  return {
    version: itemsOf('arrays', arrays)[0]?.version ?? null,
    space: spaceView,
    perf: perfView,
    connections: itemsOf('array-connections', connections).map((c) => ({
      remote: c.name,
      type: c.type,
      status: c.status,
    })),
  };
}

async function readReplication(client: PurityClient, nowMs: number) {
  const all = <T>(get: (page: PageQuery) => Promise<PurityResponse<T>>) => client.listAll(get);
  const [pods, pgroups, targets, snapshots, transfers] = await Promise.all([
    all((page) => client.pods.get({ ...page, destroyed: false })),
    all((page) => client.protectionGroups.get({ ...page, destroyed: false })),
    all((page) => client.protectionGroupsTargets.get(page)),
    all((page) => client.protectionGroupSnapshots.get({ ...page, destroyed: false })),
    all((page) => client.protectionGroupSnapshots.getTransfer({ ...page, destroyed: false })),
  ]);
  const podViews: PodView[] = itemsOf('pods', pods).map((pod) => ({
    name: pod.name,
    mediator: pod.mediator,
    promotionStatus: pod.promotion_status,
    members: pod.arrays.map((m) => ({
      name: m.name,
      status: m.status,
      mediatorStatus: m.mediator_status,
      preElected: m.pre_elected,
      progress: m.progress,
    })),
  }));
  const listing = {
    pgroups: itemsOf('protection-groups', pgroups),
    targets: itemsOf('protection-groups/targets', targets),
    snapshots: itemsOf('protection-group-snapshots', snapshots),
    transfers: itemsOf('protection-group-snapshots/transfer', transfers),
  };
  return { pods: podViews, pgroups: pgroupViews(listing, nowMs) };
}

export class ArrayReader {
  /** One logged-in client per array, kept across refreshes: a login per refresh would be wasteful. */
  private readonly clients = new Map<string, Promise<PurityClient>>();

  private client(info: ArrayInfo): Promise<PurityClient> {
    const key = `${info.name} ${info.restUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      client = readFile(info.apiTokenFile, 'utf8').then((token) =>
        PurityClient.connect({
          target: new URL(info.restUrl).host,
          apiToken: token.trim(),
          timeoutMs: ARRAY_READ_TIMEOUT_MS,
          // A refresh comes every 2 s anyway; retrying inside one would only delay the answer.
          retries: 0,
        }),
      );
      this.clients.set(key, client);
    }
    return client;
  }

  private async drop(info: ArrayInfo): Promise<void> {
    const key = `${info.name} ${info.restUrl}`;
    const client = this.clients.get(key);
    this.clients.delete(key);
    await client?.then((c) => c.close()).catch(() => {});
  }

  async read(info: ArrayInfo, nowMs: number): Promise<ArrayView> {
    if (info.state !== 'running') {
      await this.drop(info);
      return emptyView(info, `the array daemon is ${info.state}`);
    }
    try {
      const client = await this.client(info);
      const [system, replication] = await Promise.all([readSystem(client), readReplication(client, nowMs)]);
      return { ...emptyView(info, null), ...system, ...replication };
    } catch (error) {
      // A stale session or a restarted daemon: start from a fresh login next time.
      if (!(error instanceof ArrayAnswerError)) await this.drop(info);
      return emptyView(info, errorText(error));
    }
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.then((client) => client.close()).catch(() => {})));
  }
}
