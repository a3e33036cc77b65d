// One stretched pod on this array: drives its PodMachine (ticks, link events, mediator claims) and
// carries out its decisions on the data path.
// - mirror: one array (the pod's leader) orders all writes. A write made on the leader is turned
//   into whole blocks (read-modify-write at the edges), numbered, written locally and sent to the
//   peer in the same step; it is acknowledged when both have it durable. A write made on the other
//   array is forwarded to the leader, which does the same. The peer applies numbered writes in
//   order, so both arrays see one order even for concurrent writes to the same block.
// - local: this array won a split; writes are served here and their blocks remembered.
// - hold: writes wait for the decision; fail: I/O errors.
// - resync: the survivor copies the blocks it remembered (all mapped blocks when it cannot know,
//   e.g. at the first stretch or after a restart), sending only contents the peer lacks.

import { randomUUID } from 'node:crypto';
import type { StorageArray } from '../../array/array.js';
import { IoError } from '../../array/engine/block-device.js';
import type { PodRecord, VolumeRecord } from '../../array/objects/model.js';
import { applyPodOp, type CopyOp, type PodOp } from '../../array/objects/pod-ops.js';
import {
  BLOCK_BYTES,
  POD_ACTIVITY_LOG_BLOCKS,
  POD_COPY_RUN_BLOCKS,
  POD_DECISION_TIMEOUT_MS,
  POD_MEDIATOR_HEALTH_MS,
  POD_NON_PREFERRED_CLAIM_DELAY_MS,
  POD_RESYNC_FREEZE_BLOCKS,
  POD_RESYNC_ROUNDS_MAX,
  POD_TICK_MS,
} from '../../constants.js';
import type { ReplicationLink } from '../link/index.js';
import { ActivityLog } from './activity-log.js';
import {
  type PodCommand,
  type PodInput,
  type PodIoMode,
  PodMachine,
  type PodMessage,
} from './pod-machine.js';
import {
  applyData,
  applyHashes,
  PodResyncRequest,
  podMeta,
  progressRatio,
  type ResyncProgress,
  sendBlocks,
} from './pod-resync.js';
import { SnapshotStaging, sendSnapshotsTakenAlone } from './pod-snapshot-sync.js';

export interface MediatorPort {
  health(): Promise<boolean>;
  claim(podId: string, epoch: number, arrayId: string): Promise<{ granted: boolean } | { unreachable: true }>;
}

export interface PodLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export const PodRequest = {
  message: 'pod-msg',
  write: 'pod-write',
  forward: 'pod-forward',
  forwardOp: 'pod-forward-op',
  meta: 'pod-meta',
  resyncHashes: PodResyncRequest.hashes,
  resyncData: PodResyncRequest.data,
  /** Sent on every new link before anything else: what the sender may hold that the other lacks. */
  rejoin: 'pod-rejoin',
} as const;

/** A numbered write or pod op from the leader, waiting for its turn. */
interface PendingEntry {
  /** Issues the write or applies the op (synchronously, so the local order is the number order). */
  apply: () => Promise<object>;
  done: (error: Error | null, answer?: object) => void;
}

export class PodController {
  readonly machine: PodMachine;
  private io: PodIoMode;
  private link: ReplicationLink | null = null;
  private readonly ioWaiters: Array<() => void> = [];
  /** Blocks written while serving alone, per volume id: what a resync must copy. */
  private changed = new Map<string, Set<number>>();
  /** Volumes copied into while serving alone: a resync compares every block of them. */
  private readonly wholeVolumes = new Set<string>();
  /** True when this array cannot know what changed (first stretch, restart): resync compares all. */
  private fullResync: boolean;
  private stream = randomUUID();
  private nextSeq = 0;
  private peerStream = '';
  private expectedSeq = 0;
  private readonly pending = new Map<number, PendingEntry>();
  private timers: NodeJS.Timeout[] = [];
  private resyncing = false;
  private closed = false;
  /** Recently mirrored blocks (volume id, block index): writes in flight at a split may differ. */
  private readonly activity = new ActivityLog(POD_ACTIVITY_LOG_BLOCKS);
  /** Blocks the peer said it may hold differently (its activity log), to compare at the next sync. */
  private peerActivity: Array<[string, number]> = [];
  /** The peer restarted and cannot know what it holds: compare every block. */
  private peerNeedsFull = false;
  /** The last resync round is running: writes served alone wait for it (then go mirrored). */
  private frozen = false;
  private readonly frozenWaiters: Array<() => void> = [];

  private unfreeze(): void {
    this.frozen = false;
    for (const wake of this.frozenWaiters.splice(0)) wake();
  }

  /** Writes served alone that are not durable yet. */
  private readonly aloneInFlight = new Set<Promise<void>>();
  /** Resolves once the record saying this array serves alone is durable. */
  private alonePersisted: Promise<void> = Promise.resolve();

  constructor(
    private readonly array: StorageArray,
    readonly pod: PodRecord,
    readonly peer: string,
    private readonly mediator: MediatorPort,
    private readonly logger: PodLogger,
    start: 'alone' | 'stopped',
  ) {
    const preferredName = pod.failoverPreferences[0];
    const preferred = preferredName ? (pod.arrays.find((a) => a.name === preferredName)?.id ?? null) : null;
    this.machine = new PodMachine(
      {
        self: array.state.identity.id,
        peer,
        preferred,
        decisionTimeoutMs: POD_DECISION_TIMEOUT_MS,
        nonPreferredClaimDelayMs: POD_NON_PREFERRED_CLAIM_DELAY_MS,
      },
      { phase: start, epoch: pod.epoch },
    );
    this.io = this.machine.state.io;
    this.fullResync = true;
    this.staging = new SnapshotStaging(array);
  }

  /** Last answer to the mediator health check. */
  mediatorReachable = false;

  get linked(): boolean {
    return this.link !== null;
  }

  get ioMode(): PodIoMode {
    return this.io;
  }

  get isLeader(): boolean {
    return this.pod.leaderArrayId === this.array.state.identity.id;
  }

  start(): void {
    this.timers.push(setInterval(() => this.input({ type: 'tick', nowMs: performance.now() }), POD_TICK_MS));
    this.timers.push(
      setInterval(() => {
        void this.mediator.health().then((reachable) => {
          this.mediatorReachable = reachable;
          this.input({ type: 'mediator-health', reachable });
        });
      }, POD_MEDIATOR_HEALTH_MS),
    );
    for (const timer of this.timers) timer.unref();
  }

  stop(): void {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.setIo('fail');
  }

  linkUp(link: ReplicationLink): void {
    this.link = link;
    // Before the machine speaks: what this array may hold that the peer lacks.
    const report = this.activity.encode();
    void link
      .send(
        PodRequest.rejoin,
        { podId: this.pod.id, full: this.fullResync, volumes: report.volumes },
        report.payload,
      )
      .catch(() => {});
    this.input({ type: 'link-up', nowMs: performance.now() });
  }

  /** The peer's rejoin report: its recent blocks, or that it restarted and needs a full compare. */
  onRejoin(full: boolean, blocks: Array<[string, number]>): void {
    if (full) this.peerNeedsFull = true;
    else this.peerActivity = blocks.slice(0, POD_ACTIVITY_LOG_BLOCKS);
  }

  private noteActivity(volumeId: string, firstBlock: number, blockCount: number): void {
    this.activity.note(volumeId, firstBlock, blockCount);
  }

  linkDown(): void {
    this.link = null;
    this.staging.dropAll();
    for (const [, entry] of this.pending) entry.done(new Error('link lost'));
    this.pending.clear();
    this.input({ type: 'link-down', nowMs: performance.now() });
  }

  /** A machine message from the peer. */
  onMessage(message: PodMessage): void {
    this.input({ type: 'message', message });
  }

  private input(input: PodInput): void {
    if (this.closed) return;
    const before = this.machine.state.epoch;
    for (const command of this.machine.step(input)) this.perform(command);
    if (this.machine.state.epoch !== before) {
      this.pod.epoch = this.machine.state.epoch;
      void this.array.state.persist([this.pod]).catch(() => {});
    }
  }

  private perform(command: PodCommand): void {
    switch (command.type) {
      case 'io':
        this.setIo(command.mode);
        break;
      case 'claim':
        void this.mediator
          .claim(this.pod.id, command.epoch, this.array.state.identity.id)
          .then((answer) =>
            this.input(
              'unreachable' in answer
                ? { type: 'mediator-unreachable', epoch: command.epoch }
                : { type: 'mediator-answer', epoch: command.epoch, granted: answer.granted },
            ),
          );
        break;
      case 'send':
        void this.link
          ?.send(PodRequest.message, { podId: this.pod.id, message: command.message })
          .catch(() => {});
        break;
      case 'start-resync':
        void this.resync();
        break;
    }
  }

  private setIo(mode: PodIoMode): void {
    const previous = this.io;
    this.io = mode;
    if (mode === 'local' && previous !== 'local') {
      // Serving alone: this array orders writes from now on and will be the resync source. Its
      // first write waits until that is durable, so a restart cannot forget it.
      this.pod.leaderArrayId = this.array.state.identity.id;
      this.pod.servingAlone = true;
      this.alonePersisted = this.array.state.persist([this.pod]).catch(() => {});
      this.logger.warn(
        { pod: this.pod.name, epoch: this.machine.state.epoch },
        'pod serving alone on this array',
      );
    }
    if (mode === 'mirror') {
      this.stream = randomUUID();
      this.nextSeq = 0;
      this.changed.clear();
      this.wholeVolumes.clear();
      this.fullResync = false;
      if (this.pod.servingAlone) {
        this.pod.servingAlone = false;
        void this.array.state.persist([this.pod]).catch(() => {});
      }
      // Back in sync without a resync (nobody served alone): blocks in flight at the split may be
      // on one array only; the leader sends its copy of them again.
      if (previous !== 'local' && this.isLeader) void this.reconcile();
      this.peerNeedsFull = false;
    }
    if (mode === 'fail' && previous !== 'fail')
      this.logger.warn({ pod: this.pod.name, epoch: this.machine.state.epoch }, 'pod offline on this array');
    for (const wake of this.ioWaiters.splice(0)) wake();
  }

  // ---- host I/O ----

  checkRead(): void {
    if (this.io === 'fail') throw new IoError('offline', `pod ${this.pod.name} is offline on this array`);
  }

  async write(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<void> {
    for (;;) {
      if (this.io === 'fail') throw new IoError('offline', `pod ${this.pod.name} is offline on this array`);
      if (this.io === 'hold') {
        await new Promise<void>((resolve) => this.ioWaiters.push(resolve));
        continue;
      }
      if (this.io === 'local') {
        if (await this.writeAlone(volume, offsetBytes, data)) return;
        continue;
      }
      try {
        if (this.isLeader) await this.leaderWrite(volume, offsetBytes, data);
        else await this.forward(volume, offsetBytes, data);
        return;
      } catch (error) {
        if (error instanceof IoError) throw error;
        // The peer did not confirm: wait for the split to be decided. If this array serves alone
        // now, its local copy (written or not) is made complete and remembered; else the write fails.
        await this.waitForDecision();
        const decided = this.io as PodIoMode;
        if (decided === 'local') {
          if (await this.writeAlone(volume, offsetBytes, data)) return;
          continue;
        }
        if (decided === 'fail') throw new IoError('offline', `pod ${this.pod.name} is offline on this array`);
      }
    }
  }

  /**
   * A write served by this array alone. Its blocks are remembered before it is issued and it is
   * tracked until durable, so a resync that ends can never miss it (see resync()).
   */
  private async writeAlone(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<boolean> {
    await this.alonePersisted;
    while (this.frozen) await new Promise<void>((resolve) => this.frozenWaiters.push(resolve));
    if (this.io !== 'local') return false; // the pod changed state meanwhile: the caller starts over
    this.remember(volume, offsetBytes, data.length);
    const write = this.array.engine.write(volume, offsetBytes, data);
    this.aloneInFlight.add(write);
    try {
      await write;
    } finally {
      this.aloneInFlight.delete(write);
    }
    return true;
  }

  private async waitForDecision(): Promise<void> {
    while (this.io === 'mirror' || this.io === 'hold') {
      await new Promise<void>((resolve) => {
        this.ioWaiters.push(resolve);
        setTimeout(resolve, POD_TICK_MS).unref();
      });
      if (this.io === 'mirror' && this.link) return;
    }
  }

  private rememberBlock(volumeId: string, block: number): void {
    let blocks = this.changed.get(volumeId);
    if (!blocks) {
      blocks = new Set();
      this.changed.set(volumeId, blocks);
    }
    blocks.add(block);
  }

  /** The leader is sending recently mirrored blocks again after a rejoin (the peer is not current yet). */
  reconciling = false;

  /** Leader, after a rejoin without resync: sends its copy of recently mirrored blocks again. */
  private async reconcile(): Promise<void> {
    this.reconciling = true;
    this.progress = { doneBlocks: 0, totalBlocks: 0 };
    try {
      await this.reconcileBlocks(this.progress);
    } finally {
      this.reconciling = false;
      this.progress = null;
    }
  }

  private async reconcileBlocks(progress: ResyncProgress): Promise<void> {
    const blocks = [...this.activity.entries(), ...this.peerActivity];
    this.peerActivity = [];
    const full = this.peerNeedsFull;
    const byVolume = new Map<string, Set<number>>();
    const add = (volumeId: string, block: number) => {
      let set = byVolume.get(volumeId);
      if (!set) {
        set = new Set();
        byVolume.set(volumeId, set);
      }
      set.add(block);
    };
    for (const [volumeId, block] of blocks) add(volumeId, block);
    if (full) {
      for (const volume of this.array.pods.volumesOf(this.pod))
        for (let block = 0; block < Math.ceil(volume.provisionedBytes / BLOCK_BYTES); block++)
          add(volume.id, block);
    }
    for (const set of byVolume.values()) progress.totalBlocks += set.size;
    try {
      for (const [volumeId, set] of byVolume) {
        const volume = this.array.state.volumes.get(volumeId);
        if (!volume) continue;
        // Runs of adjacent blocks go as one mirrored write each: read and issued in one
        // synchronous step, so no host write can fall between the read and its place in the order.
        const sorted = [...set].sort((x, y) => x - y);
        for (let i = 0; i < sorted.length; ) {
          if (this.io !== 'mirror') return;
          let end = i + 1;
          while (end < sorted.length && end - i < POD_COPY_RUN_BLOCKS && sorted[end] === sorted[end - 1]! + 1)
            end++;
          const first = sorted[i]!;
          const current = this.array.engine.read(
            volume.headLayerId,
            first * BLOCK_BYTES,
            (end - i) * BLOCK_BYTES,
          );
          await this.leaderWrite(volume, first * BLOCK_BYTES, current);
          progress.doneBlocks += end - i;
          i = end;
        }
      }
    } catch (error) {
      this.logger.warn({ pod: this.pod.name, err: (error as Error).message }, 'pod reconcile interrupted');
    }
  }

  private remember(volume: VolumeRecord, offsetBytes: number, lengthBytes: number): void {
    let blocks = this.changed.get(volume.id);
    if (!blocks) {
      blocks = new Set();
      this.changed.set(volume.id, blocks);
    }
    const first = Math.floor(offsetBytes / BLOCK_BYTES);
    const end = Math.ceil((offsetBytes + lengthBytes) / BLOCK_BYTES);
    for (let block = first; block < end; block++) blocks.add(block);
  }

  /** Leader: whole blocks, numbered, written here and on the peer in one step. */
  async leaderWrite(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<void> {
    const link = this.link;
    if (!link || this.io !== 'mirror') throw new Error('pod is not mirroring');
    const firstBlock = Math.floor(offsetBytes / BLOCK_BYTES);
    const endBlock = Math.ceil((offsetBytes + data.length) / BLOCK_BYTES);
    const whole =
      offsetBytes % BLOCK_BYTES === 0 && data.length % BLOCK_BYTES === 0
        ? data
        : this.merged(volume, firstBlock, endBlock, offsetBytes, data);
    const seq = this.nextSeq++;
    this.noteActivity(volume.id, firstBlock, endBlock - firstBlock);
    // The peer's copy goes out first (its round trip is the longer leg); both are issued in this
    // same synchronous step, so the local journal order is the number order.
    const remote = link.request(
      PodRequest.write,
      { podId: this.pod.id, stream: this.stream, seq, volumeId: volume.id, blockIndex: firstBlock },
      whole,
    );
    const local = this.array.engine.write(volume, firstBlock * BLOCK_BYTES, whole);
    await Promise.all([local, remote]);
  }

  // ---- snapshots and copies (pod ops) ----

  /** A snapshot or copy in the pod, at one point of its write order on both arrays. */
  async ordered(op: PodOp): Promise<void> {
    for (;;) {
      if (this.io === 'fail') throw new IoError('offline', `pod ${this.pod.name} is offline on this array`);
      if (this.io === 'hold') {
        await new Promise<void>((resolve) => this.ioWaiters.push(resolve));
        continue;
      }
      if (this.io === 'local') {
        if (await this.opAlone(op)) return;
        continue;
      }
      let needsData: boolean;
      try {
        needsData = this.isLeader ? (await this.leaderOp(op)).remoteNeedsData : await this.forwardOp(op);
      } catch (error) {
        await this.waitForDecision();
        const decided = this.io as PodIoMode;
        // Still mirroring: the peer refused the op itself (not a lost link).
        if (decided === 'mirror') throw error;
        continue;
      }
      // The other array lacked the copy's source: it has the target now, without its data.
      if (needsData && op.kind === 'copy') await this.sendCopyData(op);
      return;
    }
  }

  /** Leader: numbers the op, applies it here and sends it in the same synchronous step. */
  private async leaderOp(op: PodOp): Promise<{ localNeedsData: boolean; remoteNeedsData: boolean }> {
    const link = this.link;
    if (!link || this.io !== 'mirror') throw new Error('pod is not mirroring');
    const seq = this.nextSeq++;
    const remote = link.request(PodRequest.write, { podId: this.pod.id, stream: this.stream, seq, op });
    const local = applyPodOp(this.array.state, op, true);
    const [answer] = await Promise.all([remote, local.persisted]);
    return {
      localNeedsData: local.needsData,
      remoteNeedsData: Boolean((answer.header as { needsData?: boolean }).needsData),
    };
  }

  /** Not the leader: the leader orders the op; returns whether the leader lacked the source. */
  private async forwardOp(op: PodOp): Promise<boolean> {
    const link = this.link;
    if (!link) throw new Error('no link to the pod leader');
    const answer = await link.request(PodRequest.forwardOp, { podId: this.pod.id, op });
    return Boolean((answer.header as { needsData?: boolean }).needsData);
  }

  /** Leader side of a forwarded op. */
  async onForwardOp(op: PodOp): Promise<{ needsData: boolean }> {
    if (this.io !== 'mirror' || !this.isLeader)
      throw new Error('this array is not ordering writes for the pod');
    return { needsData: (await this.leaderOp(op)).localNeedsData };
  }

  /** Serving alone: the op happens here only; a copy's target is compared whole at the resync. */
  private async opAlone(op: PodOp): Promise<boolean> {
    await this.alonePersisted;
    while (this.frozen) await new Promise<void>((resolve) => this.frozenWaiters.push(resolve));
    if (this.io !== 'local') return false;
    if (op.kind === 'copy') this.wholeVolumes.add(op.targetId);
    await applyPodOp(this.array.state, op, false).persisted;
    return true;
  }

  /**
   * The initiating array holds the copy's source, the other does not: a new volume gets its blocks
   * by content (no host can write to it yet); an overwritten one, which hosts may be writing,
   * gets them as ordered writes.
   */
  private async sendCopyData(op: CopyOp): Promise<void> {
    const volume = this.volume(op.targetId);
    const blocks: number[] = [];
    const blockCount = Math.ceil(volume.provisionedBytes / BLOCK_BYTES);
    for (let block = 0; block < blockCount; block++)
      if (this.array.engine.blockHashAt(volume.headLayerId, block) !== null) blocks.push(block);
    if (!op.overwrite) {
      const link = this.link;
      if (!link) throw new Error('pod link lost while copying');
      await sendBlocks(this.array, link, this.pod.id, volume, blocks);
      return;
    }
    for (let i = 0; i < blocks.length; ) {
      let end = i + 1;
      while (end < blocks.length && end - i < POD_COPY_RUN_BLOCKS && blocks[end] === blocks[end - 1]! + 1)
        end++;
      const first = blocks[i]!;
      const data = this.array.engine.read(volume.headLayerId, first * BLOCK_BYTES, (end - i) * BLOCK_BYTES);
      await this.write(volume, first * BLOCK_BYTES, data);
      i = end;
    }
  }

  private merged(
    volume: VolumeRecord,
    firstBlock: number,
    endBlock: number,
    offsetBytes: number,
    data: Buffer,
  ) {
    const whole = this.array.engine.read(
      volume.headLayerId,
      firstBlock * BLOCK_BYTES,
      (endBlock - firstBlock) * BLOCK_BYTES,
    );
    data.copy(whole, offsetBytes - firstBlock * BLOCK_BYTES);
    return whole;
  }

  private async forward(volume: VolumeRecord, offsetBytes: number, data: Buffer): Promise<void> {
    const link = this.link;
    if (!link) throw new Error('no link to the pod leader');
    await link.request(PodRequest.forward, { podId: this.pod.id, volumeId: volume.id, offsetBytes }, data);
  }

  /** Leader side of a forwarded write. */
  async onForward(volumeId: string, offsetBytes: number, data: Buffer): Promise<void> {
    const volume = this.volume(volumeId);
    if (this.io !== 'mirror' || !this.isLeader)
      throw new Error('this array is not ordering writes for the pod');
    await this.leaderWrite(volume, offsetBytes, data);
  }

  /** Peer side of a numbered write or pod op: applied strictly in number order. */
  onWrite(
    header: { stream: string; seq: number; volumeId?: string; blockIndex?: number; op?: PodOp },
    payload: Buffer,
  ): Promise<object> {
    if (this.machine.state.phase !== 'synced') return Promise.reject(new Error('pod is not in sync here'));
    if (header.stream !== this.peerStream) {
      this.peerStream = header.stream;
      this.expectedSeq = 0;
      this.pending.clear();
    }
    const op = header.op;
    let apply: () => Promise<object>;
    if (op) {
      apply = () => {
        const applied = applyPodOp(this.array.state, op, true);
        return applied.persisted.then(() => ({ needsData: applied.needsData }));
      };
    } else {
      const volume = this.volume(String(header.volumeId));
      const blockIndex = Number(header.blockIndex);
      apply = () => {
        this.noteActivity(volume.id, blockIndex, payload.length / BLOCK_BYTES);
        // The journal append happens inside this call, so the local order is the number order.
        return this.array.engine.write(volume, blockIndex * BLOCK_BYTES, payload).then(() => ({}));
      };
    }
    return new Promise<object>((resolve, reject) => {
      this.pending.set(header.seq, {
        apply,
        done: (error, answer) => (error ? reject(error) : resolve(answer ?? {})),
      });
      this.applyInOrder();
    });
  }

  private applyInOrder(): void {
    for (let next = this.pending.get(this.expectedSeq); next; next = this.pending.get(this.expectedSeq)) {
      this.pending.delete(this.expectedSeq);
      this.expectedSeq++;
      const entry = next;
      let applying: Promise<object>;
      try {
        applying = entry.apply();
      } catch (error) {
        applying = Promise.reject(error);
      }
      applying.then(
        (answer) => entry.done(null, answer),
        (error: Error) => entry.done(error),
      );
    }
  }

  private volume(volumeId: string): VolumeRecord {
    const volume = this.array.state.volumes.get(volumeId);
    // A volume that moved to another pod stretched to the same peer still takes writes ordered
    // before the move.
    const pod = volume?.podId ? this.array.state.pods.get(volume.podId) : undefined;
    if (!volume || !pod?.arrays.some((a) => a.id === this.peer)) throw new Error('no such volume in the pod');
    return volume;
  }

  // ---- resync ----

  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    let inRound = new Map<string, number[]>();
    let roundWasFull = false;
    const progress: ResyncProgress = { doneBlocks: 0, totalBlocks: 0 };
    this.progress = progress;
    try {
      const link = this.link;
      if (!link) return;
      await link.request(PodRequest.meta, { ...podMeta(this.array, this.pod), snapshotsComplete: true });
      // Snapshots taken alone are immutable: they go first, while writes continue.
      this.resyncBytes += await sendSnapshotsTakenAlone(this.array, link, this.pod);
      let full = this.fullResync || this.peerNeedsFull;
      // Writes in flight when the arrays lost each other may be on either side only.
      for (const [volumeId, block] of [...this.activity.entries(), ...this.peerActivity])
        this.rememberBlock(volumeId, block);
      this.peerActivity = [];
      let rounds = 0;
      try {
        for (;;) {
          rounds++;
          const work = new Map<string, number[]>();
          inRound = work;
          roundWasFull = full;
          if (full) {
            // Every block of the volume: the peer may hold blocks this array never mapped.
            for (const volume of this.array.pods.volumesOf(this.pod)) {
              const count = Math.ceil(volume.provisionedBytes / BLOCK_BYTES);
              work.set(
                volume.id,
                Array.from({ length: count }, (_, i) => i),
              );
            }
            full = false;
            this.changed.clear();
          } else {
            for (const [volumeId, blocks] of this.changed)
              work.set(
                volumeId,
                [...blocks].sort((a, b) => a - b),
              );
            this.changed.clear();
            for (const volumeId of this.wholeVolumes) {
              const volume = this.array.state.volumes.get(volumeId);
              const count = volume ? Math.ceil(volume.provisionedBytes / BLOCK_BYTES) : 0;
              work.set(
                volumeId,
                Array.from({ length: count }, (_, i) => i),
              );
            }
            this.wholeVolumes.clear();
          }
          const backlog = [...work.values()].reduce((n, blocks) => n + blocks.length, 0);
          progress.totalBlocks += backlog;
          if (backlog === 0) {
            // Done only when no write served alone is still on its way to disk: its blocks are
            // remembered already, so wait for them and copy them in one more round.
            if (this.aloneInFlight.size === 0) break;
            await Promise.allSettled([...this.aloneInFlight]);
            continue;
          }
          // Writes keep coming while the copy runs; once the backlog is small (or after a few
          // rounds), new writes wait so the last round catches up for certain.
          if (!this.frozen && (backlog <= POD_RESYNC_FREEZE_BLOCKS || rounds >= POD_RESYNC_ROUNDS_MAX)) {
            this.frozen = true;
            await Promise.allSettled([...this.aloneInFlight]);
          }
          await this.array.engine.destageNow();
          for (const [volumeId, blocks] of work) await this.copyBlocks(link, volumeId, blocks);
        }
        // Any snapshot taken during the rounds (new ones wait while frozen).
        this.resyncBytes += await sendSnapshotsTakenAlone(this.array, link, this.pod);
        if (this.link !== link || this.io !== 'local') return; // the link broke: a rejoin restarts it
        this.fullResync = false;
        this.logger.info(
          { pod: this.pod.name, resyncBytes: this.resyncBytes, rounds },
          'pod resync finished',
        );
        this.input({ type: 'resync-done' });
      } finally {
        this.unfreeze();
      }
    } catch (error) {
      // What this round had taken is not known to have arrived: keep it for the next resync.
      for (const [volumeId, blocks] of inRound)
        for (const block of blocks) this.rememberBlock(volumeId, block);
      if (roundWasFull) this.fullResync = true;
      this.logger.warn({ pod: this.pod.name, err: (error as Error).message }, 'pod resync interrupted');
    } finally {
      this.resyncing = false;
      this.progress = null;
    }
  }

  private async copyBlocks(link: ReplicationLink, volumeId: string, blocks: number[]): Promise<void> {
    const volume = this.array.state.volumes.get(volumeId);
    const progress = this.progress ?? undefined;
    if (volume)
      this.resyncBytes += await sendBlocks(this.array, link, this.pod.id, volume, blocks, null, progress);
    else if (progress) progress.doneBlocks += blocks.length;
  }

  /**
   * The resync, baseline or rejoin reconcile this array is sending now (null when none); the
   * receiving array learns the ratio with every batch (`peerProgress`).
   */
  progress: ResyncProgress | null = null;
  /** The ratio the sending array reported with its last batch, while this array is resync target. */
  peerProgress: number | null = null;

  /** 0..1 of the copy this array sends or receives; null when neither is under way. */
  progressRatio(): number | null {
    if (this.progress) return progressRatio(this.progress);
    return this.machine.state.phase === 'resync-target' ? this.peerProgress : null;
  }

  /** Bytes of block data this array sent in resyncs (for tests and metrics). */
  resyncBytes = 0;

  /** Snapshots the peer took alone, being rebuilt here during its resync. */
  readonly staging: SnapshotStaging;

  private blockTarget(volumeId: string, snapshotId: string | undefined) {
    return snapshotId === undefined ? this.volume(volumeId) : this.staging.target(snapshotId);
  }

  onResyncHashes(
    volumeId: string,
    blocks: Array<[number, string | null]>,
    snapshotId?: string,
    progress?: number,
  ): Promise<{ need: number[] }> {
    if (typeof progress === 'number' && progress >= 0 && progress <= 1) this.peerProgress = progress;
    return applyHashes(this.array, this.blockTarget(volumeId, snapshotId), blocks);
  }

  onResyncData(
    volumeId: string,
    blocks: Array<[number, number, boolean]>,
    payload: Buffer,
    snapshotId?: string,
  ): Promise<void> {
    return applyData(this.array, this.blockTarget(volumeId, snapshotId), blocks, payload);
  }
}
