// Stretched pods on this array: one PodController per pod shared with another array, the
// requests pod controllers exchange over replication links, the pod records and volumes a peer
// sends (stretch, changes), and host I/O to pod volumes (the array's PodIo).

import type { StorageArray } from '../../array/array.js';
import { IoError } from '../../array/engine/block-device.js';
import type { PodIo } from '../../array/objects/array-state.js';
import { objectErrors } from '../../array/objects/errors.js';
import type {
  PodRecord,
  ProtectionGroupRecord,
  SnapshotRecord,
  VolumeRecord,
} from '../../array/objects/model.js';
import { applyPodOp, type PodOp } from '../../array/objects/pod-ops.js';
import { DEFAULT_MEDIATOR } from '../../array/objects/pods.js';
import type { PodArrayStatus } from '../../array/objects/replication-port.js';
import { POD_ACTIVITY_LOG_BLOCKS } from '../../constants.js';
import { MediatorClient } from '../../mediator/client.js';
import type { ReplicationLink } from '../link/index.js';
import { remote } from '../remote.js';
import { decodeActivity } from './activity-log.js';
import { type MediatorPort, PodController, type PodLogger, PodRequest } from './pod-controller.js';
import type { PodMessage } from './pod-machine.js';
import { PodResyncRequest, podMeta } from './pod-resync.js';

/** No mediator configured ('purestorage' on a real array means Pure1; here it means none). */
const NO_MEDIATOR: MediatorPort = {
  health: async () => false,
  claim: async () => ({ unreachable: true }),
};

/** A pod's records as a peer sends them (see podMeta). */
type PodMeta = ReturnType<typeof podMeta> & {
  stretch?: boolean;
  snapshotsComplete?: boolean;
  eradicatedSnapshotIds?: string[];
};

export class PodReplication implements PodIo {
  private readonly controllers = new Map<string, PodController>();

  constructor(
    private readonly array: StorageArray,
    private readonly logger: PodLogger,
    /** The replication service's live links, by peer array id. */
    private readonly links: Map<string, ReplicationLink>,
    /** The mediator behind Purity's default name 'purestorage' (the array's --mediator), if any. */
    private readonly defaultMediatorUrl: string | null = null,
  ) {}

  /** After a restart: an array that served alone still must resync the other; any other one
   * cannot know what it missed and starts offline for the pod. */
  startAll(): void {
    for (const pod of this.array.state.pods.values())
      if (pod.arrays.length > 1) this.startPod(pod, pod.servingAlone ? 'alone' : 'stopped');
  }

  stopAll(): void {
    for (const controller of this.controllers.values()) controller.stop();
  }

  private linkTo(arrayId: string, arrayName: string): ReplicationLink {
    const link = this.links.get(arrayId);
    if (!link)
      throw objectErrors.invalid(arrayName, `Array ${arrayName} is not reachable over its replication link.`);
    return link;
  }

  /** A pod's group is snapshotted and sent by the pod's leader only (either array, after a failover). */
  leads(pgroup: ProtectionGroupRecord): boolean {
    if (!pgroup.podId) return true;
    const controller = this.controllers.get(pgroup.podId);
    if (!controller) return true;
    return controller.isLeader && (controller.ioMode === 'mirror' || controller.ioMode === 'local');
  }

  private mediatorFor(pod: PodRecord): MediatorPort {
    const url = pod.mediator === DEFAULT_MEDIATOR ? this.defaultMediatorUrl : pod.mediator;
    if (!url || !/^https?:\/\//.test(url)) return NO_MEDIATOR;
    return new MediatorClient(url);
  }

  private startPod(pod: PodRecord, start: 'alone' | 'stopped'): PodController {
    const peer = pod.arrays.find((a) => a.id !== this.array.state.identity.id);
    if (!peer) throw new Error('pod is not stretched');
    this.controllers.get(pod.id)?.stop();
    const controller = new PodController(this.array, pod, peer.id, this.mediatorFor(pod), this.logger, start);
    this.controllers.set(pod.id, controller);
    controller.start();
    const link = this.links.get(peer.id);
    if (link) controller.linkUp(link);
    return controller;
  }

  async stretch(pod: PodRecord, arrayName: string): Promise<void> {
    const connection = this.array.state.arrayConnectionByName(arrayName);
    if (!connection)
      throw objectErrors.invalid(arrayName, `Array ${arrayName} is not connected to this array.`);
    if (connection.type !== 'sync-replication')
      throw objectErrors.invalid(arrayName, 'Pods stretch only over a sync-replication array connection.');
    if (pod.arrays.some((a) => a.id === connection.remote.id))
      throw objectErrors.exists('Pod member', arrayName);
    if (pod.arrays.length > 1)
      throw objectErrors.invalid(pod.name, 'Pod member limit reached: a pod spans two arrays.');
    const link = this.linkTo(connection.remote.id, arrayName);
    pod.arrays.push({ id: connection.remote.id, name: connection.remote.name });
    pod.leaderArrayId = this.array.state.identity.id;
    // Until the baseline is done this array alone holds the data, also across a restart.
    pod.servingAlone = true;
    try {
      await remote(link.request(PodRequest.meta, { ...podMeta(this.array, pod), stretch: true }), arrayName);
    } catch (error) {
      pod.arrays = pod.arrays.filter((a) => a.id !== connection.remote.id);
      throw error;
    }
    await this.array.state.persist([pod]);
    // This array holds the data: it serves alone until the peer has a full copy (the baseline).
    this.startPod(pod, 'alone');
    this.logger.info({ pod: pod.name, peer: arrayName }, 'pod stretched');
  }

  async unstretch(pod: PodRecord, arrayName: string, withUnknown: boolean): Promise<void> {
    const member = pod.arrays.find((a) => a.name === arrayName);
    if (!member) throw objectErrors.invalid(arrayName, `Pod ${pod.name} does not include ${arrayName}.`);
    if (member.id === this.array.state.identity.id)
      throw objectErrors.invalid(arrayName, 'Unstretch from the other array.');
    const link = this.links.get(member.id);
    if (link) await remote(link.request('pod-unstretch', { podId: pod.id }), arrayName);
    else if (!withUnknown)
      throw objectErrors.invalid(arrayName, `Array ${arrayName} is not reachable; use with_unknown.`);
    this.controllers.get(pod.id)?.stop();
    this.controllers.delete(pod.id);
    pod.arrays = pod.arrays.filter((a) => a.id !== member.id);
    pod.leaderArrayId = this.array.state.identity.id;
    await this.array.state.persist([pod]);
  }

  /** Sends the pod's records (volumes created, resized or destroyed) to the peer. */
  async podChanged(pod: PodRecord, eradicatedSnapshotIds: string[]): Promise<void> {
    const controller = this.controllers.get(pod.id);
    if (!controller) return;
    const link = this.links.get(controller.peer);
    const meta = { ...podMeta(this.array, pod), eradicatedSnapshotIds };
    if (link) await remote(link.request(PodRequest.meta, meta), pod.name);
  }

  resyncBytes(pod: PodRecord): number {
    return this.controllers.get(pod.id)?.resyncBytes ?? 0;
  }

  podStatus(pod: PodRecord): PodArrayStatus[] {
    const controller = this.controllers.get(pod.id);
    if (!controller)
      return pod.arrays.map((a) => ({
        id: a.id,
        name: a.name,
        status: 'online',
        mediatorStatus: 'online',
        preElected: false,
        progress: null,
      }));
    const state = controller.machine.state;
    const selfStatus = (
      {
        synced: 'online',
        alone: 'online',
        'resync-source': 'online',
        deciding: 'unknown',
        stopped: 'offline',
        'resync-target': 'resyncing',
      } as const
    )[state.phase];
    const peerStatus =
      state.phase === 'synced' && controller.linked
        ? controller.reconciling
          ? 'resyncing'
          : 'online'
        : state.phase === 'resync-source'
          ? 'resyncing'
          : state.phase === 'resync-target'
            ? 'online'
            : 'offline';
    return pod.arrays.map((a) => ({
      id: a.id,
      name: a.name,
      status: a.id === this.array.state.identity.id ? selfStatus : peerStatus,
      mediatorStatus: controller.mediatorReachable ? 'online' : 'unreachable',
      preElected: a.id === this.array.state.identity.id ? state.preElected : false,
      // Purity reports progress on the member being brought up to date.
      progress:
        (a.id === this.array.state.identity.id ? selfStatus : peerStatus) === 'resyncing'
          ? controller.progressRatio()
          : null,
    }));
  }

  // ---- PodIo: host I/O to pod volumes ----

  private controllerOf(volume: VolumeRecord): PodController | undefined {
    return volume.podId ? this.controllers.get(volume.podId) : undefined;
  }

  /** A demoted pod's volumes take no writes on this array. */
  private checkPromoted(volume: VolumeRecord): void {
    const pod = volume.podId ? this.array.state.pods.get(volume.podId) : undefined;
    if (pod?.promotionStatus === 'demoted')
      throw new IoError('read-only', `pod ${pod.name} is demoted on this array`);
  }

  async write(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<void> {
    this.checkPromoted(volume);
    const controller = this.controllerOf(volume);
    if (!controller) return this.array.engine.write(volume, offsetBytes, data);
    return controller.write(volume, offsetBytes, data);
  }

  async writeZeroes(volume: VolumeRecord, offsetBytes: number, lengthBytes: number): Promise<void> {
    this.checkPromoted(volume);
    const controller = this.controllerOf(volume);
    if (!controller) return this.array.engine.writeZeroes(volume, offsetBytes, lengthBytes);
    // Mirrored as data: a stretched pod's zeroes travel as whole blocks of zeroes, 1 MiB at a time.
    const chunk = 1024 * 1024;
    for (let at = offsetBytes; at < offsetBytes + lengthBytes; at += chunk)
      await controller.write(volume, at, Buffer.alloc(Math.min(chunk, offsetBytes + lengthBytes - at)));
  }

  stretched(podId: string): boolean {
    return this.controllers.has(podId);
  }

  async ordered(op: PodOp): Promise<void> {
    const controller = this.controllers.get(op.podId);
    if (!controller) {
      await applyPodOp(this.array.state, op, false).persisted;
      return;
    }
    try {
      await controller.ordered(op);
    } catch (error) {
      // Purity refuses changes to a pod that is offline on this array.
      if (error instanceof IoError) throw objectErrors.invalid(controller.pod.name, `${error.message}.`);
      throw error;
    }
  }

  checkRead(volume: VolumeRecord): void {
    const controller = this.controllerOf(volume);
    if (controller && controller.ioMode === 'fail')
      throw new IoError('offline', `pod of ${volume.name} is offline here`);
  }

  /** A link to `peer` is up: pod handlers on it, and every pod shared with it hears of the link. */
  attach(link: ReplicationLink, peer: { id: string; name: string }): void {
    this.handlers(link, peer);
    for (const controller of this.controllers.values())
      if (controller.peer === peer.id) controller.linkUp(link);
  }

  linkDown(peerId: string): void {
    for (const controller of this.controllers.values()) if (controller.peer === peerId) controller.linkDown();
  }

  private handlers(link: ReplicationLink, peer: { id: string; name: string }): void {
    const controllerFor = (podId: unknown) => {
      const controller = this.controllers.get(String(podId));
      if (!controller || controller.peer !== peer.id) throw new Error('pod is not stretched to this array');
      return controller;
    };
    link.onMessage(PodRequest.message, (header) => {
      const { podId, message } = header as { podId: string; message: PodMessage };
      this.controllers.get(podId)?.onMessage(message);
    });
    link.onMessage(PodRequest.rejoin, (header, payload) => {
      const { podId, full, volumes } = header as { podId: string; full: boolean; volumes: unknown };
      this.controllers
        .get(podId)
        ?.onRejoin(Boolean(full), decodeActivity(volumes, payload, POD_ACTIVITY_LOG_BLOCKS));
    });
    link.handle(PodRequest.write, async (header, payload) => {
      const h = header as {
        podId: string;
        stream: string;
        seq: number;
        volumeId?: string;
        blockIndex?: number;
        op?: PodOp;
      };
      return { header: await controllerFor(h.podId).onWrite(h, payload) };
    });
    link.handle(PodRequest.forwardOp, async (header) => {
      const h = header as { podId: string; op: PodOp };
      return { header: await controllerFor(h.podId).onForwardOp(h.op) };
    });
    link.handle(PodRequest.forward, async (header, payload) => {
      const h = header as { podId: string; volumeId: string; offsetBytes: number };
      await controllerFor(h.podId).onForward(h.volumeId, h.offsetBytes, payload);
      return { header: {} };
    });
    link.handle(PodRequest.resyncHashes, async (header) => {
      const h = header as {
        podId: string;
        volumeId: string;
        snapshotId?: string;
        blocks: Array<[number, string | null]>;
        progress?: number;
      };
      return {
        header: await controllerFor(h.podId).onResyncHashes(h.volumeId, h.blocks, h.snapshotId, h.progress),
      };
    });
    link.handle(PodRequest.resyncData, async (header, payload) => {
      const h = header as {
        podId: string;
        volumeId: string;
        snapshotId?: string;
        blocks: Array<[number, number, boolean]>;
      };
      await controllerFor(h.podId).onResyncData(h.volumeId, h.blocks, payload, h.snapshotId);
      return { header: {} };
    });
    link.handle(PodResyncRequest.snapshotsMissing, async (header) => {
      const h = header as { podId: string; ids: string[] };
      return { header: controllerFor(h.podId).staging.missing(h.ids) };
    });
    link.handle(PodResyncRequest.snapshotBegin, async (header) => {
      const h = header as { podId: string; snapshot: never; baseId: string | null };
      return { header: await controllerFor(h.podId).staging.begin(h.snapshot, h.baseId) };
    });
    link.handle(PodResyncRequest.snapshotCommit, async (header) => {
      const h = header as { podId: string; snapshotId: string };
      return { header: await controllerFor(h.podId).staging.commit(h.snapshotId) };
    });
    link.handle(PodRequest.meta, async (header) => {
      await this.adoptPod(header as PodMeta, peer);
      return { header: {} };
    });
    link.handle('pod-unstretch', async (header) => {
      const pod = this.array.state.pods.get(String((header as { podId: string }).podId));
      if (pod) {
        this.controllers.get(pod.id)?.stop();
        this.controllers.delete(pod.id);
        await this.array.pods.forget(pod);
      }
      return { header: {} };
    });
  }

  /**
   * Snapshots both arrays hold follow the peer's renames and destroys, and go when the peer
   * eradicated them. A resync source's list is complete (no op can race it): a shared snapshot it
   * lacks was eradicated there while this array was away. Snapshots taken here alone stay.
   */
  private adoptSnapshots(pod: PodRecord, meta: PodMeta) {
    const changed: SnapshotRecord[] = [];
    const byId = new Map((meta.snapshots ?? []).map((s) => [s.id, s]));
    const eradicated = new Set(meta.eradicatedSnapshotIds ?? []);
    const removed: SnapshotRecord[] = [];
    for (const snapshot of [...this.array.state.snapshots.values()]) {
      if (!snapshot.podShared || this.array.state.volumes.get(snapshot.sourceVolumeId)?.podId !== pod.id)
        continue;
      const peer = byId.get(snapshot.id);
      if (eradicated.has(snapshot.id) || (!peer && meta.snapshotsComplete)) {
        this.array.state.snapshots.delete(snapshot.id);
        removed.push(snapshot);
        continue;
      }
      if (!peer) continue;
      Object.assign(snapshot, {
        name: peer.name,
        suffix: peer.suffix,
        destroyed: peer.destroyed,
        destroyedAtMs: peer.destroyedAtMs,
      });
      changed.push(snapshot);
    }
    return { changed, removed };
  }

  /** The peer's view of a pod it shares with this array: records and volumes (same ids). */
  private async adoptPod(meta: PodMeta, peer: { id: string; name: string }) {
    const known = this.array.state.pods.get(meta.pod.id);
    if (!known && !meta.stretch) throw new Error('pod is not stretched to this array');
    const pod = await this.array.pods.adopt({ ...meta.pod, leaderArrayId: meta.pod.leaderArrayId });
    const changed: VolumeRecord[] = [];
    for (const v of meta.volumes) {
      let volume = this.array.state.volumes.get(v.id);
      if (!volume) {
        if (this.array.state.volumeByName(v.name))
          throw new Error(`a volume named ${v.name} already exists here`);
        volume = {
          kind: 'volume',
          id: v.id,
          name: v.name,
          serial: v.serial,
          createdMs: v.createdMs,
          provisionedBytes: v.provisionedBytes,
          destroyed: v.destroyed,
          destroyedAtMs: v.destroyedAtMs,
          headLayerId: this.array.engine.newLayer(null),
          source: null,
          qos: v.qos,
          nextSnapshotNumber: 1,
          podId: pod.id,
        };
        this.array.state.volumes.set(volume.id, volume);
      } else {
        Object.assign(volume, {
          name: v.name,
          // A volume moved between two pods stretched over the same arrays changes pod here too.
          podId: pod.id,
          provisionedBytes: v.provisionedBytes,
          destroyed: v.destroyed,
          destroyedAtMs: v.destroyedAtMs,
          qos: v.qos,
        });
      }
      changed.push(volume);
    }
    for (const pgroup of meta.pgroups ?? []) await this.array.pgroups.adoptFromPod(pgroup);
    const snapshotChanges = this.adoptSnapshots(pod, meta);
    // Volumes the peer no longer lists were eradicated there.
    const listed = new Set(meta.volumes.map((v) => v.id));
    const gone = this.array.pods.volumesOf(pod).filter((v) => !listed.has(v.id));
    for (const volume of gone) await this.array.volumes.eradicateNow(volume);
    await this.array.state.persist([pod, ...changed, ...snapshotChanges.changed], snapshotChanges.removed);
    if (!this.controllers.has(pod.id) && pod.arrays.some((a) => a.id === peer.id))
      this.startPod(pod, 'stopped');
  }
}
