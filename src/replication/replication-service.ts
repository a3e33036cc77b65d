// Replication for one array: its replication port (listener), links to connected arrays (the side
// that created a connection keeps redialling it), protection group targets, transfers out and in,
// and the protection group schedules. Implements the ReplicationPort the REST API calls.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { StorageArray } from '../array/array.js';
import { objectErrors } from '../array/objects/errors.js';
import type {
  ArrayConnectionRecord,
  PgroupSnapshotRecord,
  PgroupTransferRecord,
  PodRecord,
  ProtectionGroupRecord,
} from '../array/objects/model.js';
import type {
  ArrayConnectionChanges,
  ArrayConnectionStatus,
  PodArrayStatus,
  ReplicationPort,
} from '../array/objects/replication-port.js';
import { REPLICATION_SCHEDULER_TICK_MS } from '../constants.js';
import { parseHostPort } from '../platform/address.js';
import { inBlackout, scheduleDue } from './async/schedule.js';
import { type SourceGroupRef, TransferMessage } from './async/transfer-protocol.js';
import { TransferReceiver } from './async/transfer-receiver.js';
import { sendSnapshot, sourceRefOf } from './async/transfer-sender.js';
import { ManagementProbe } from './connections/management-probe.js';
import { Pacer, throttledLink, throttleLimitAt } from './connections/throttle.js';
import {
  dialPeer,
  type Hello,
  PeerConnector,
  type ReplicationLink,
  ReplicationListener,
} from './link/index.js';
import { remote } from './remote.js';
import { PodReplication } from './sync/pod-replication.js';

export interface ReplicationLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export class ReplicationService implements ReplicationPort {
  readonly pods: PodReplication;
  private listener: ReplicationListener | null = null;
  private boundAddress = '';
  private readonly links = new Map<string, ReplicationLink>();
  private readonly connectors = new Map<string, PeerConnector>();
  private readonly receiver: TransferReceiver;
  private readonly sending = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly pacers = new Map<string, Pacer>();
  private readonly probe: ManagementProbe;

  constructor(
    private readonly array: StorageArray,
    private readonly listen: { host: string; port: number },
    private readonly logger: ReplicationLogger,
    options: { defaultMediatorUrl?: string | null } = {},
  ) {
    this.receiver = new TransferReceiver(array);
    this.pods = new PodReplication(array, logger, this.links, options.defaultMediatorUrl ?? null);
    this.probe = new ManagementProbe(() => array.state.arrayConnections.values());
  }

  /** host:port the replication port listens on. */
  get address(): string {
    return this.boundAddress;
  }

  async start(): Promise<void> {
    this.listener = new ReplicationListener({
      host: this.listen.host,
      port: this.listen.port,
      authorize: (hello) => this.authorize(hello),
      onLink: (link, hello) => this.accepted(link, hello),
    });
    const bound = await this.listener.listen();
    this.boundAddress = `${bound.host}:${bound.port}`;
    for (const connection of this.array.state.arrayConnections.values()) {
      if (connection.replicationAddress && connection.remoteConnectionKey) this.keepConnected(connection);
    }
    this.pods.startAll();
    this.probe.start();
    this.array.state.podIo = this.pods;
    this.timer = setInterval(() => void this.tick(Date.now()), REPLICATION_SCHEDULER_TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.pods.stopAll();
    this.probe.stop();
    for (const connector of this.connectors.values()) connector.stop();
    for (const link of this.links.values()) link.close();
    await this.listener?.close();
    await Promise.allSettled([...this.sending.values()]);
  }

  // ---- array connections ----

  async connect(request: {
    managementAddress: string | null;
    replicationAddress: string;
    connectionKey: string;
    type: ArrayConnectionRecord['type'];
  }): Promise<ArrayConnectionRecord> {
    const { host, port } = parseHostPort(request.replicationAddress, 'replication_addresses');
    const { link, peer } = await dialPeer({
      host,
      port,
      hello: this.hello(request.connectionKey, request.type),
    }).catch((error: Error) => {
      throw objectErrors.invalid(
        request.replicationAddress,
        `Could not connect to the array: ${error.message}`,
      );
    });
    if (peer.id === this.array.state.identity.id) {
      link.close();
      throw objectErrors.invalid(null, 'An array cannot connect to itself.');
    }
    if ([...this.array.state.arrayConnections.values()].some((c) => c.remote.id === peer.id)) {
      link.close();
      throw objectErrors.exists('Array connection', peer.name);
    }
    const connection: ArrayConnectionRecord = {
      kind: 'array-connection',
      id: randomUUID(),
      remote: peer,
      type: request.type,
      managementAddress: request.managementAddress,
      replicationAddress: request.replicationAddress,
      remoteConnectionKey: request.connectionKey,
      createdMs: Date.now(),
    };
    this.array.state.arrayConnections.set(connection.id, connection);
    await this.array.state.persist([connection]);
    this.attach(link, peer);
    this.keepConnected(connection);
    this.logger.info({ peer: peer.name }, 'array connection created');
    return connection;
  }

  async disconnect(connection: ArrayConnectionRecord): Promise<void> {
    const link = this.links.get(connection.remote.id);
    if (link) {
      await link
        .request('connection-remove', { arrayId: this.array.state.identity.id })
        .catch(() => undefined);
    }
    this.connectors.get(connection.id)?.stop();
    this.connectors.delete(connection.id);
    link?.close();
    await this.forgetConnection(connection);
  }

  status(connection: ArrayConnectionRecord): ArrayConnectionStatus {
    const management = this.probe.isReachable(connection);
    if (this.links.has(connection.remote.id))
      return management === false ? 'partially_connected' : 'connected';
    // The link is down but the array answers: the replication path alone is cut.
    return management === true ? 'partially_connected' : 'connecting';
  }

  async update(
    connection: ArrayConnectionRecord,
    changes: ArrayConnectionChanges,
  ): Promise<ArrayConnectionRecord> {
    if (changes.type !== undefined && changes.type !== connection.type) {
      const inUse =
        changes.type === 'async-replication'
          ? [...this.array.state.pods.values()].some((p) =>
              p.arrays.some((a) => a.id === connection.remote.id),
            )
          : [...this.array.state.pgroups.values()].some((g) =>
              g.targets.some((t) => t.arrayId === connection.remote.id),
            );
      if (inUse)
        throw objectErrors.invalid(
          connection.remote.name,
          `The connection type cannot change while ${changes.type === 'async-replication' ? 'a pod is stretched' : 'a protection group targets'} over it.`,
        );
      connection.type = changes.type;
      // Both arrays keep a record of the connection: the peer's follows.
      void this.links
        .get(connection.remote.id)
        ?.send('connection-type', { type: changes.type })
        .catch(() => {});
    }
    if (changes.replicationAddress !== undefined) {
      parseHostPort(changes.replicationAddress, 'replication_addresses');
      connection.replicationAddress = changes.replicationAddress;
    }
    if (changes.connectionKey !== undefined) connection.remoteConnectionKey = changes.connectionKey;
    if (changes.managementAddress !== undefined) connection.managementAddress = changes.managementAddress;
    if (changes.throttle !== undefined) connection.throttle = changes.throttle;
    await this.array.state.persist([connection]);
    const redial =
      changes.refresh === true ||
      changes.replicationAddress !== undefined ||
      changes.connectionKey !== undefined;
    if (redial) {
      this.connectors.get(connection.id)?.stop();
      this.connectors.delete(connection.id);
      this.links.get(connection.remote.id)?.close();
      if (connection.replicationAddress && connection.remoteConnectionKey) this.keepConnected(connection);
    }
    if (changes.managementAddress !== undefined) await this.probe.probe(connection);
    this.logger.info({ peer: connection.remote.name, redial }, 'array connection updated');
    return connection;
  }

  // ---- protection group targets ----

  async addTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void> {
    const connection = this.array.state.arrayConnectionByName(arrayName);
    if (!connection)
      throw objectErrors.invalid(arrayName, `Array ${arrayName} is not connected to this array.`);
    const link = this.linkTo(connection.remote.id, arrayName);
    await remote(link.request('pgroup-target-add', { source: sourceRefOf(this.array, pgroup) }), arrayName);
    pgroup.targets.push({ arrayId: connection.remote.id, arrayName, allowed: false });
    await this.array.state.persist([pgroup]);
  }

  async removeTarget(pgroup: ProtectionGroupRecord, arrayName: string): Promise<void> {
    const target = pgroup.targets.find((t) => t.arrayName === arrayName);
    if (!target) return;
    await this.links
      .get(target.arrayId)
      ?.request('pgroup-target-remove', { source: sourceRefOf(this.array, pgroup) })
      .catch(() => undefined);
    pgroup.targets = pgroup.targets.filter((t) => t !== target);
    await this.array.state.persist([pgroup]);
  }

  async setAllowed(replica: ProtectionGroupRecord, allowed: boolean): Promise<void> {
    const source = replica.replicaOf!;
    const direct = this.links.get(source.arrayId);
    if (direct) {
      await remote(
        direct.request('pgroup-allowed', { pgroupId: source.pgroupId, allowed }),
        source.arrayName,
      );
    } else {
      // A pod's group (POD:PG) is sent by whichever pod array leads: tell every connected array.
      if (this.links.size === 0)
        throw objectErrors.invalid(source.arrayName, `No array of ${source.arrayName} is reachable.`);
      for (const link of this.links.values())
        void link.send('pgroup-allowed-notice', { pgroupId: source.pgroupId, allowed }).catch(() => {});
    }
    replica.allowed = allowed;
    await this.array.state.persist([replica]);
  }

  // ---- transfers out ----

  replicate(pgroup: ProtectionGroupRecord, snapshot: PgroupSnapshotRecord): void {
    for (const target of pgroup.targets.filter((t) => t.allowed)) {
      const key = `${pgroup.id}:${target.arrayId}`;
      const previous = this.sending.get(key) ?? Promise.resolve();
      const next = previous.then(() => this.sendOne(pgroup, snapshot, target.arrayId, target.arrayName));
      this.sending.set(key, next);
      void next.finally(() => {
        if (this.sending.get(key) === next) this.sending.delete(key);
      });
    }
  }

  private async sendOne(
    pgroup: ProtectionGroupRecord,
    snapshot: PgroupSnapshotRecord,
    arrayId: string,
    arrayName: string,
  ): Promise<void> {
    if (this.stopped || !this.array.state.pgroupSnapshots.has(snapshot.id)) return;
    const link = this.links.get(arrayId);
    if (!link) return; // retried by the scheduler once the link is back
    let record = snapshot.transfers.find((t) => t.arrayId === arrayId);
    if (record?.completedMs) return;
    if (!record) {
      record = newTransfer(arrayId);
      snapshot.transfers.push(record);
    }
    try {
      await sendSnapshot(this.array, throttledLink(link, this.pacerFor(arrayId)), pgroup, snapshot, record);
      this.logger.info(
        {
          pgroup: pgroup.name,
          snapshot: snapshot.name,
          target: arrayName,
          bytes: record.dataTransferredBytes,
        },
        'snapshot replicated',
      );
    } catch (error) {
      Object.assign(record, newTransfer(arrayId));
      await link.request(TransferMessage.abort, {}).catch(() => undefined);
      this.logger.warn(
        { pgroup: pgroup.name, snapshot: snapshot.name, target: arrayName, err: (error as Error).message },
        'snapshot transfer failed; it will be retried',
      );
    }
    if (this.array.state.pgroupSnapshots.has(snapshot.id)) await this.array.state.persist([snapshot]);
    if (record.completedMs) await this.applySourceRetention(pgroup, Math.max(Date.now(), snapshot.createdMs));
  }

  /** One pacer per peer: transfers of several groups to one array share its throttle. */
  private pacerFor(arrayId: string): Pacer {
    let pacer = this.pacers.get(arrayId);
    if (!pacer) {
      pacer = new Pacer(() => {
        const connection = [...this.array.state.arrayConnections.values()].find(
          (c) => c.remote.id === arrayId,
        );
        return throttleLimitAt(connection?.throttle, Date.now());
      });
      this.pacers.set(arrayId, pacer);
    }
    return pacer;
  }

  /** Resolves when no transfer is being sent (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending.values()]);
  }

  // ---- schedules ----

  /** One scheduler pass: scheduled snapshots and replications, and retries of unsent snapshots. */
  async tick(nowMs: number): Promise<void> {
    if (this.stopped) return;
    try {
      for (const pgroup of [...this.array.state.pgroups.values()]) {
        if (pgroup.replicaOf || pgroup.destroyed) continue;
        if (!this.pods.leads(pgroup)) continue;
        const snap = pgroup.snapshotSchedule;
        if (scheduleDue(snap, pgroup.lastSnapshotMs, nowMs)) {
          pgroup.lastSnapshotMs = nowMs;
          await this.array.pgroups.snapshot(pgroup.name, undefined, nowMs);
          await this.applySourceRetention(pgroup, nowMs);
        }
        const repl = pgroup.replicationSchedule;
        const allowedTargets = pgroup.targets.some((t) => t.allowed);
        if (
          allowedTargets &&
          scheduleDue(repl, pgroup.lastReplicationMs, nowMs) &&
          !inBlackout(repl.blackout, nowMs)
        ) {
          pgroup.lastReplicationMs = nowMs;
          const snapshot = await this.array.pgroups.snapshot(pgroup.name, undefined, nowMs);
          this.replicate(pgroup, snapshot);
          await this.applySourceRetention(pgroup, nowMs);
          continue;
        }
        this.retryNewest(pgroup);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'protection group schedule pass failed');
    }
  }

  /** The newest snapshot goes to every allowed, reachable target that does not have it yet. */
  private retryNewest(pgroup: ProtectionGroupRecord): void {
    const newest = this.array.pgroups
      .snapshotsOf(pgroup)
      .filter((s) => !s.destroyed)
      .at(-1);
    if (!newest) return;
    const missing = pgroup.targets.filter(
      (t) =>
        t.allowed &&
        this.links.has(t.arrayId) &&
        !this.sending.has(`${pgroup.id}:${t.arrayId}`) &&
        newest.transfers.some((r) => r.arrayId === t.arrayId && !r.completedMs),
    );
    if (missing.length > 0) this.replicate(pgroup, newest);
  }

  async retain(pgroup: ProtectionGroupRecord): Promise<void> {
    await this.applySourceRetention(pgroup, Date.now());
  }

  /** Source retention, never dropping the newest snapshot a target completed (the next base). */
  private async applySourceRetention(pgroup: ProtectionGroupRecord, nowMs: number): Promise<void> {
    const snapshots = this.array.pgroups.snapshotsOf(pgroup);
    const pinned = new Set<string>();
    for (const target of pgroup.targets) {
      const newest = snapshots
        .filter((s) => s.transfers.some((t) => t.arrayId === target.arrayId && t.completedMs))
        .at(-1);
      if (newest) pinned.add(newest.id);
    }
    // A snapshot still being sent is kept too.
    for (const s of snapshots) if (s.transfers.some((t) => !t.completedMs)) pinned.add(s.id);
    await this.array.pgroups.applyRetention(pgroup, pgroup.sourceRetention, nowMs, pinned);
  }

  // ---- links ----

  private hello(connectionKey: string, type: ArrayConnectionRecord['type']): Hello {
    return {
      connectionKey,
      array: { id: this.array.state.identity.id, name: this.array.name },
      replicationAddress: this.boundAddress,
      type,
    };
  }

  private authorize(hello: Hello) {
    const own = this.array.state.identity.connectionKey ?? '';
    const presented = hello.connectionKey;
    const ownBytes = Buffer.from(own);
    const presentedBytes = Buffer.from(typeof presented === 'string' ? presented : '');
    const same =
      ownBytes.length > 0 &&
      presentedBytes.length === ownBytes.length &&
      timingSafeEqual(presentedBytes, ownBytes);
    if (!same) return { ok: false as const, reason: 'The connection key is not valid.' };
    return { ok: true as const, array: { id: this.array.state.identity.id, name: this.array.name } };
  }

  /** A peer dialled in (new connection or a redial): use the link at once, record the peer if new. */
  private accepted(link: ReplicationLink, hello: Hello): void {
    // Handlers go on before anything else: a request arriving without one is refused.
    this.attach(link, hello.array);
    const known = [...this.array.state.arrayConnections.values()].some((c) => c.remote.id === hello.array.id);
    if (known) return;
    const connection: ArrayConnectionRecord = {
      kind: 'array-connection',
      id: randomUUID(),
      remote: { id: hello.array.id, name: hello.array.name },
      type: hello.type,
      managementAddress: null,
      replicationAddress: null,
      remoteConnectionKey: null,
      createdMs: Date.now(),
    };
    this.array.state.arrayConnections.set(connection.id, connection);
    this.array.state
      .persist([connection])
      .then(() => this.logger.info({ peer: hello.array.name }, 'array connection created by peer'))
      .catch((error: Error) => {
        this.logger.warn({ err: error.message }, 'could not record an incoming array connection');
        void link.close();
      });
  }

  private keepConnected(connection: ArrayConnectionRecord): void {
    if (this.connectors.has(connection.id)) return;
    const { host, port } = parseHostPort(connection.replicationAddress!, 'replication address');
    const connector = new PeerConnector({
      host,
      port,
      hello: () => this.hello(connection.remoteConnectionKey!, connection.type),
    });
    connector.on('up', (link: ReplicationLink, peer: { id: string; name: string }) =>
      this.attach(link, peer),
    );
    connector.on('refused', (reason: string) =>
      this.logger.warn({ peer: connection.remote.name, reason }, 'peer refused the replication link'),
    );
    this.connectors.set(connection.id, connector);
    connector.start();
  }

  private attach(link: ReplicationLink, peer: { id: string; name: string }): void {
    const existing = this.links.get(peer.id);
    if (existing === link) return;
    this.links.set(peer.id, link);
    link.on('close', () => {
      if (this.links.get(peer.id) === link) this.links.delete(peer.id);
      this.receiver.abortFrom(peer.id);
      this.pods.linkDown(peer.id);
    });
    this.pods.attach(link, peer);
    link.handle('pgroup-target-add', async (header) => {
      await this.array.pgroups.ensureReplica((header as { source: SourceGroupRef }).source);
      return { header: {} };
    });
    link.handle('pgroup-target-remove', async () => ({ header: {} }));
    link.handle('pgroup-allowed', async (header) => {
      const { pgroupId, allowed } = header as { pgroupId: string; allowed: boolean };
      const pgroup = this.array.state.pgroups.get(pgroupId);
      const target = pgroup?.targets.find((t) => t.arrayId === peer.id);
      if (!pgroup || !target) throw new Error('This array is not a target of that protection group.');
      target.allowed = allowed;
      await this.array.state.persist([pgroup]);
      if (allowed) this.retryNewest(pgroup);
      return { header: {} };
    });
    link.onMessage('pgroup-allowed-notice', (header) => {
      const { pgroupId, allowed } = header as { pgroupId: string; allowed: boolean };
      const pgroup = this.array.state.pgroups.get(String(pgroupId));
      const target = pgroup?.targets.find((t) => t.arrayId === peer.id);
      if (!pgroup || !target) return; // not ours: the other array of the pod handles it
      target.allowed = Boolean(allowed);
      void this.array.state.persist([pgroup]).catch(() => {});
      if (target.allowed) this.retryNewest(pgroup);
    });
    link.onMessage('connection-type', (header) => {
      const type = (header as { type: unknown }).type;
      if (type !== 'async-replication' && type !== 'sync-replication') return;
      const connection = [...this.array.state.arrayConnections.values()].find((c) => c.remote.id === peer.id);
      if (!connection) return;
      connection.type = type;
      void this.array.state.persist([connection]).catch(() => {});
    });
    link.handle('connection-remove', async () => {
      const connection = [...this.array.state.arrayConnections.values()].find((c) => c.remote.id === peer.id);
      if (connection) {
        this.connectors.get(connection.id)?.stop();
        this.connectors.delete(connection.id);
        await this.forgetConnection(connection);
      }
      return { header: {} };
    });
    link.handle(TransferMessage.begin, async (header) => ({
      header: await this.receiver.begin(header as never),
    }));
    link.handle(TransferMessage.blocks, async (header) => ({
      header: await this.receiver.blocks(header as never),
    }));
    link.handle(TransferMessage.data, async (header, payload) => ({
      header: await this.receiver.data(header as never, payload),
    }));
    link.handle(TransferMessage.commit, async (header) => ({
      header: await this.receiver.commit((header as { transferId: string }).transferId),
    }));
    link.handle(TransferMessage.abort, async () => {
      this.receiver.abortFrom(peer.id);
      return { header: {} };
    });
    this.logger.info({ peer: peer.name }, 'replication link up');
  }

  // ---- stretched pods (sync/pod-replication.ts) ----

  stretch(pod: PodRecord, arrayName: string): Promise<void> {
    return this.pods.stretch(pod, arrayName);
  }

  unstretch(pod: PodRecord, arrayName: string, withUnknown: boolean): Promise<void> {
    return this.pods.unstretch(pod, arrayName, withUnknown);
  }

  podChanged(pod: PodRecord, eradicatedSnapshotIds: string[] = []): Promise<void> {
    return this.pods.podChanged(pod, eradicatedSnapshotIds);
  }

  podResyncBytes(pod: PodRecord): number {
    return this.pods.resyncBytes(pod);
  }

  podStatus(pod: PodRecord): PodArrayStatus[] {
    return this.pods.podStatus(pod);
  }

  private async forgetConnection(connection: ArrayConnectionRecord): Promise<void> {
    this.array.state.arrayConnections.delete(connection.id);
    const changed: ProtectionGroupRecord[] = [];
    for (const pgroup of this.array.state.pgroups.values()) {
      const before = pgroup.targets.length;
      pgroup.targets = pgroup.targets.filter((t) => t.arrayId !== connection.remote.id);
      if (pgroup.targets.length !== before) changed.push(pgroup);
    }
    await this.array.state.persist(changed, [connection]);
  }

  private linkTo(arrayId: string, arrayName: string): ReplicationLink {
    const link = this.links.get(arrayId);
    if (!link)
      throw objectErrors.invalid(arrayName, `Array ${arrayName} is not reachable over its replication link.`);
    return link;
  }
}

function newTransfer(arrayId: string): PgroupTransferRecord {
  return {
    arrayId,
    startedMs: null,
    completedMs: null,
    progress: 0,
    dataTransferredBytes: 0,
    physicalBytesWritten: 0,
  };
}
