// The array REST calls drills make, through the typed Purity client (API-token login, re-login
// after an array restart). The client is made on first use and dropped when the array cannot be
// reached, so a drill can keep asking an array it killed and restarted.

import { readFile } from 'node:fs/promises';
import {
  errorMessages,
  type HttpMethod,
  PurityClient,
  type QueryParams,
} from '../cinder/purity-client/index.js';
import { REST_REQUEST_TIMEOUT_MS } from './constants.js';

export interface PodArrayView {
  name: string;
  status: string;
  progress: number | null;
}

export interface PgSnapshotView {
  name: string;
  created: number;
}

export interface TransferView {
  name: string;
  started: number | null;
  completed: number | null;
  progress: number | null;
  data_transferred: number;
}

/** A Purity error answer, with the array's messages. */
export class ArrayRefused extends Error {
  constructor(
    readonly array: string,
    what: string,
    readonly messages: string[],
  ) {
    super(`${array}: ${what}: ${messages.join('; ') || 'refused'}`);
    this.name = 'ArrayRefused';
  }
}

export class ArrayApi {
  private client: Promise<PurityClient> | null = null;

  constructor(
    readonly name: string,
    private readonly target: string,
    private readonly apiTokenFile: string,
  ) {}

  private async connect(): Promise<PurityClient> {
    const apiToken = (await readFile(this.apiTokenFile, 'utf8')).trim();
    // No retries: a drill wants to see an array that is down as down, at once.
    return PurityClient.connect({
      target: this.target,
      apiToken,
      retries: 0,
      timeoutMs: REST_REQUEST_TIMEOUT_MS,
    });
  }

  /** The items of a 200 answer; throws ArrayRefused for a Purity error, PurityClientError if unreachable. */
  async call<T>(method: HttpMethod, path: string, query?: QueryParams, body?: unknown): Promise<T[]> {
    this.client ??= this.connect();
    let client: PurityClient;
    try {
      client = await this.client;
    } catch (error) {
      this.client = null;
      throw error;
    }
    let res: Awaited<ReturnType<PurityClient['request']>>;
    try {
      res = await client.request<T>(method, path, {
        ...(query ? { query } : {}),
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      this.client = null;
      void client.close().catch(() => {});
      throw error;
    }
    if (!res.ok) throw new ArrayRefused(this.name, `${method} ${path}`, errorMessages(res));
    return res.items as T[];
  }

  /** Like call, but a refusal whose message contains one of `tolerated` counts as done. */
  async callTolerating(
    method: HttpMethod,
    path: string,
    query: QueryParams,
    tolerated: string[],
    body?: unknown,
  ) {
    try {
      await this.call(method, path, query, body);
    } catch (error) {
      if (
        !(error instanceof ArrayRefused && error.messages.some((m) => tolerated.some((t) => m.includes(t))))
      )
        throw error;
    }
  }

  /** How this array sees each member of `pod` (its own status is the one under its own name). */
  async podArrays(pod: string): Promise<PodArrayView[]> {
    const [view] = await this.call<{ arrays: PodArrayView[] }>('GET', '/pods', { names: [pod] });
    return view?.arrays ?? [];
  }

  async ensureHost(host: string, iqn: string): Promise<void> {
    await this.callTolerating('POST', '/hosts', { names: [host] }, ['already exists'], { iqns: [iqn] });
  }

  async connectVolume(host: string, volume: string): Promise<void> {
    await this.callTolerating('POST', '/connections', { host_names: [host], volume_names: [volume] }, [
      'already',
    ]);
  }

  /** Disconnects and deletes the drill's host; what is already gone is fine. */
  async removeHost(host: string, volumes: string[]): Promise<void> {
    for (const volume of volumes)
      await this.callTolerating('DELETE', '/connections', { host_names: [host], volume_names: [volume] }, [
        'does not exist',
        'not connected',
        'could not be found',
      ]);
    await this.callTolerating('DELETE', '/hosts', { names: [host] }, [
      'does not exist',
      'could not be found',
    ]);
  }

  /** A protection group snapshot sent to the targets at once (stands in for the schedule). */
  async snapshotAndReplicate(pgroup: string): Promise<PgSnapshotView> {
    const [snapshot] = await this.call<PgSnapshotView>(
      'POST',
      '/protection-group-snapshots',
      { source_names: [pgroup], replicate_now: true },
      {},
    );
    if (!snapshot) throw new ArrayRefused(this.name, `snapshot of ${pgroup}`, ['no snapshot in the answer']);
    return snapshot;
  }

  /** How often the group replicates on its own (ms), or null when its schedule is off. */
  async replicationEveryMs(pgroup: string): Promise<number | null> {
    type Schedule = { replication_schedule: { enabled: boolean; frequency: number } };
    const [group] = await this.call<Schedule>('GET', '/protection-groups', { names: [pgroup] });
    return group?.replication_schedule.enabled ? group.replication_schedule.frequency : null;
  }

  /** Snapshots of a (replica) group; on a target only whole, transferred snapshots are listed. */
  pgSnapshots(pgroup: string): Promise<PgSnapshotView[]> {
    return this.call<PgSnapshotView>('GET', '/protection-group-snapshots', { source_names: [pgroup] });
  }

  transfers(pgroup: string): Promise<TransferView[]> {
    return this.call<TransferView>('GET', '/protection-group-snapshots/transfer', { names: [pgroup] });
  }

  /** Destroys and eradicates protection group snapshots (they are kept until destroyed otherwise). */
  async eradicatePgSnapshots(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const gone = ['does not exist', 'could not be found', 'No such'];
    await this.callTolerating('PATCH', '/protection-group-snapshots', { names }, [...gone, 'destroyed'], {
      destroyed: true,
    });
    await this.callTolerating('DELETE', '/protection-group-snapshots', { names }, gone);
  }

  async eradicateVolume(name: string): Promise<void> {
    const gone = ['does not exist', 'could not be found', 'No such'];
    await this.callTolerating('PATCH', '/volumes', { names: [name] }, [...gone, 'destroyed'], {
      destroyed: true,
    });
    await this.callTolerating('DELETE', '/volumes', { names: [name] }, gone);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.then((c) => c.close()).catch(() => {});
  }
}
