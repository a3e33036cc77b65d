// Who may serve a stretched pod (ActiveCluster-style), as a pure state machine: one instance per
// pod per array. Inputs are link events, mediator answers, messages from the peer and clock ticks;
// the output is work as data (commands: I/O mode, mediator claims, messages, resync). No sockets,
// timers or clocks inside, so a seeded simulator drives it through partitions and message loss.
//
// Safety rule: in each split (epoch) at most one array serves the pod alone. It is either the one
// the mediator granted the epoch to (the mediator grants each epoch once), or the pre-elected array
// while the mediator is down, and pre-election takes effect only after the other array has
// committed to stopping on a split (two steps over the link, so a lost message can only stop both).

export type PodIoMode =
  /** Normal: every write goes to both arrays and is acknowledged when both hold it. */
  | 'mirror'
  /** Alone after winning a split: writes are served here only and their regions are tracked. */
  | 'local'
  /** Deciding after a link loss: writes wait (bounded by the decision deadline). */
  | 'hold'
  /** Lost a split, or rejoining: I/O fails until the pod is in sync again. */
  | 'fail';

export type PodPhase = 'synced' | 'deciding' | 'alone' | 'stopped' | 'resync-source' | 'resync-target';

export interface PodMachineConfig {
  self: string;
  peer: string;
  /** The array that stays online when the arrays lose each other (failover preference), if set. */
  preferred: string | null;
  /** Longest time from losing the peer to a decision (serve alone, or stop). */
  decisionTimeoutMs: number;
  /** A non-preferred array claims the mediator this much later, so the preferred one wins a race. */
  nonPreferredClaimDelayMs: number;
}

export type PodMessage =
  | { type: 'status'; phase: PodPhase; epoch: number }
  | { type: 'pre-elect-ack'; epoch: number }
  | { type: 'pre-elect-cancel'; epoch: number }
  | { type: 'resynced'; epoch: number };

export type PodInput =
  | { type: 'tick'; nowMs: number }
  | { type: 'link-down'; nowMs: number }
  | { type: 'link-up'; nowMs: number }
  | { type: 'mediator-health'; reachable: boolean }
  | { type: 'mediator-answer'; epoch: number; granted: boolean }
  | { type: 'mediator-unreachable'; epoch: number }
  | { type: 'message'; message: PodMessage }
  | { type: 'resync-done' };

export type PodCommand =
  | { type: 'io'; mode: PodIoMode }
  | { type: 'claim'; epoch: number }
  | { type: 'send'; message: PodMessage }
  /** Copy the regions written while alone to the peer, then input `resync-done`. */
  | { type: 'start-resync' };

export class PodMachine {
  private phase: PodPhase = 'synced';
  private io: PodIoMode = 'mirror';
  /** Splits seen; mediator claims name the epoch so each split is decided once. */
  private epoch = 0;
  private linkUp = true;
  private mediatorReachable = true;
  /** This array promised the peer to stop on a split (it is not the pre-election candidate). */
  private stopOnSplit = false;
  /** The peer promised to stop: this array may serve alone on a split without the mediator. */
  private preElected = false;
  private deadlineMs = 0;
  private claimAtMs: number | null = null;
  private claimed = false;
  private peerPhase: PodPhase | null = null;
  /** A resync this array is sending is under way (set again after every rejoin). */
  private resyncRunning = false;
  private readonly out: PodCommand[] = [];

  /**
   * `initial`: 'synced' for a pod in sync; 'alone' for the array that stretches a pod (it holds
   * the data, the peer gets a resync); 'stopped' after a restart (it cannot know what it missed).
   */
  constructor(
    private readonly config: PodMachineConfig,
    initial: { phase: 'synced' | 'alone' | 'stopped'; epoch: number } = { phase: 'synced', epoch: 0 },
  ) {
    this.phase = initial.phase;
    this.io = initial.phase === 'synced' ? 'mirror' : initial.phase === 'alone' ? 'local' : 'fail';
    this.epoch = initial.epoch;
    this.linkUp = initial.phase === 'synced';
  }

  get state() {
    return {
      phase: this.phase,
      io: this.io,
      epoch: this.epoch,
      preElected: this.preElected,
      stopOnSplit: this.stopOnSplit,
    };
  }

  /** The array that stays online without a mediator: the preferred one, else the lower name. */
  private get candidate(): string {
    return this.config.preferred ?? [this.config.self, this.config.peer].sort()[0]!;
  }

  /** Feeds one input; returns the commands it produced, in order. */
  step(input: PodInput): PodCommand[] {
    switch (input.type) {
      case 'tick':
        this.onTick(input.nowMs);
        break;
      case 'link-down':
        this.onLinkDown(input.nowMs);
        break;
      case 'link-up':
        this.linkUp = true;
        this.sendStatus();
        break;
      case 'mediator-health':
        this.onMediatorHealth(input.reachable);
        break;
      case 'mediator-answer':
        if (this.phase === 'deciding' && input.epoch === this.epoch) this.decide(input.granted);
        break;
      case 'mediator-unreachable':
        if (this.phase === 'deciding' && input.epoch === this.epoch) this.decide(this.preElected);
        break;
      case 'message':
        this.onMessage(input.message);
        break;
      case 'resync-done':
        if (this.phase === 'resync-source' && this.resyncRunning) {
          this.resyncRunning = false;
          this.become('synced', 'mirror');
          this.send({ type: 'resynced', epoch: this.epoch });
        }
        break;
    }
    return this.out.splice(0);
  }

  private onTick(nowMs: number): void {
    if (this.phase === 'deciding') {
      if (this.claimAtMs !== null && !this.claimed && nowMs >= this.claimAtMs) this.claim();
      if (nowMs >= this.deadlineMs) this.decide(this.preElected);
    }
    // Until both sides agree they are in sync, keep telling the peer where this array stands.
    if (this.linkUp && (this.phase !== 'synced' || this.peerPhase !== 'synced')) this.sendStatus();
  }

  private onLinkDown(nowMs: number): void {
    this.linkUp = false;
    this.peerPhase = null;
    this.resyncRunning = false;
    if (this.phase !== 'synced') return; // already alone, stopped or mid-resync: stays so
    this.epoch++;
    this.become('deciding', 'hold');
    this.deadlineMs = nowMs + this.config.decisionTimeoutMs;
    this.claimed = false;
    this.claimAtMs = null;
    if (this.stopOnSplit || this.preElected) {
      // Decided in advance while connected: no mediator claim for this split (stopping wins).
      this.decide(!this.stopOnSplit && this.preElected);
      return;
    }
    const preferredHere = this.config.preferred === null || this.config.preferred === this.config.self;
    this.claimAtMs = nowMs + (preferredHere ? 0 : this.config.nonPreferredClaimDelayMs);
    if (preferredHere) this.claim();
  }

  private claim(): void {
    this.claimed = true;
    this.out.push({ type: 'claim', epoch: this.epoch });
  }

  private decide(serveAlone: boolean): void {
    if (this.phase !== 'deciding') return;
    this.claimAtMs = null;
    if (serveAlone) this.become('alone', 'local');
    else this.become('stopped', 'fail');
  }

  private onMediatorHealth(reachable: boolean): void {
    this.mediatorReachable = reachable;
    if (this.phase !== 'synced' || !this.linkUp) return;
    const candidateHere = this.candidate === this.config.self;
    if (!reachable && !candidateHere) {
      // Step one of pre-election: promise to stop on a split, then tell the candidate. The promise
      // is repeated at every report: the candidate ignores it until it too finds the mediator down.
      this.stopOnSplit = true;
      this.send({ type: 'pre-elect-ack', epoch: this.epoch });
    } else if (reachable && candidateHere && this.preElected) {
      // Give up the privilege first; the peer resumes claiming only after hearing it.
      this.preElected = false;
      this.send({ type: 'pre-elect-cancel', epoch: this.epoch });
    }
  }

  private onMessage(message: PodMessage): void {
    switch (message.type) {
      case 'pre-elect-ack':
        // Only a promise made in this epoch counts: an old one may have been forgotten since.
        if (
          message.epoch === this.epoch &&
          this.phase === 'synced' &&
          this.linkUp &&
          this.candidate === this.config.self &&
          !this.mediatorReachable
        )
          this.preElected = true;
        break;
      case 'pre-elect-cancel':
        if (message.epoch === this.epoch) this.stopOnSplit = false;
        break;
      case 'resynced':
        if (this.phase === 'resync-target') {
          this.adoptEpoch(message.epoch);
          this.become('synced', 'mirror');
          this.sendStatus();
        }
        break;
      case 'status':
        this.onPeerStatus(message.phase, message.epoch);
        break;
    }
  }

  /** Rejoining after a split: whoever served alone copies its changes to the other. */
  private onPeerStatus(peerPhase: PodPhase, peerEpoch: number): void {
    this.peerPhase = peerPhase;
    const peerServedAlone = peerPhase === 'alone' || peerPhase === 'resync-source';
    const mayResync = this.phase === 'alone' || (this.phase === 'resync-source' && !this.resyncRunning);
    if (mayResync && !peerServedAlone) {
      // (Re)starts the copy; the data plane resumes from the regions still marked changed.
      this.become('resync-source', 'local');
      this.resyncRunning = true;
      this.out.push({ type: 'start-resync' });
      return;
    }
    const idle = (p: PodPhase) => p === 'stopped' || p === 'deciding' || p === 'synced';
    if (this.phase === 'resync-target' && idle(peerPhase) && peerEpoch >= this.epoch) {
      // A source leaves resync only by finishing it (a split leaves it a source), and a target
      // applies the mirror stream throughout: this copy is current; only 'resynced' was lost.
      this.adoptEpoch(peerEpoch);
      this.become('synced', 'mirror');
      return;
    }
    if (
      (this.phase === 'stopped' || this.phase === 'deciding' || this.phase === 'synced') &&
      peerServedAlone
    ) {
      this.adoptEpoch(peerEpoch);
      this.become('resync-target', 'fail');
      return;
    }
    if (idle(this.phase) && idle(peerPhase)) {
      // Nobody served alone in this split: the copies never diverged. Both end on the same epoch.
      const behind = peerEpoch > this.epoch;
      this.adoptEpoch(peerEpoch);
      if (this.phase !== 'synced') this.become('synced', 'mirror');
      else if (behind) this.sendStatus();
    }
  }

  /** Moves to a later epoch; promises made for the earlier one no longer hold. */
  private adoptEpoch(epoch: number): void {
    if (epoch <= this.epoch) return;
    this.epoch = epoch;
    this.stopOnSplit = false;
    this.preElected = false;
  }

  private become(phase: PodPhase, io: PodIoMode): void {
    this.phase = phase;
    if (phase !== 'deciding') this.claimAtMs = null;
    if (this.io !== io) {
      this.io = io;
      this.out.push({ type: 'io', mode: io });
    }
    if (phase === 'synced') {
      this.stopOnSplit = false;
      this.preElected = false;
    }
    this.sendStatus();
  }

  private sendStatus(): void {
    if (this.linkUp) this.send({ type: 'status', phase: this.phase, epoch: this.epoch });
  }

  private send(message: PodMessage): void {
    if (this.linkUp) this.out.push({ type: 'send', message });
  }
}
