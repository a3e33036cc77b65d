// What every part of the FlashArray driver shares: the backend's settings, the arrays it is
// connected to, the replication state (which array is current after a failover), the logger,
// and the ways time passes (injected so that tests and simulations control them).

import type { CinderBackendConfig, PureSettings } from '../config/index.js';
import { type PurityClient, PurityClientError } from '../purity-client/index.js';
import { PROPAGATION_POLL_FIRST_MS, PROPAGATION_POLL_MAX_MS, PROPAGATION_WAIT_MAX_MS } from './constants.js';
import { PureDriverException } from './errors.js';
import type { ReplicationState } from './replication-state.js';

/** pino's logger fits this, as does the volume service's. Fields never hold a token. */
export interface DriverLogger {
  debug?(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Cinder's driver initiator data (the iSCSI CHAP secret per initiator, kept across restarts). */
export interface InitiatorDataStore {
  get(initiator: string, key: string): Promise<string | null>;
  /** False when another writer stored a value first. */
  insert(initiator: string, key: string, value: string): Promise<boolean>;
}

export interface FlashArrayDriverOptions {
  logger: DriverLogger;
  /** The cinder-volume service's host (`host@backend`), for logs and the user agent. */
  hostName?: string;
  /** Waits between polls and retries; tests may pass a faster one. */
  sleep?: (ms: number) => Promise<void>;
  /** 32 lower-case hex digits, for host names when the connector has no system uuid. */
  randomHex?: () => string;
  /** Milliseconds since the epoch, for the stats' performance window. */
  now?: () => number;
  initiatorData?: InitiatorDataStore;
}

/** One array the driver talks to, and what the driver knows of it. */
export interface FlashArray {
  readonly client: PurityClient;
  readonly name: string;
  readonly id: string;
  readonly version: string;
  /** volume_backend_name for the primary, the replication_device's backend_id otherwise. */
  readonly backendId: string;
  /** null for the primary (until it becomes a sync peer after a failover to one). */
  readonly replicationType: 'sync' | 'async' | null;
  readonly uniform: boolean;
  /** Purity >= 6.3.4: volume creates carry `with_default_protection`. */
  readonly safemode: boolean;
}

export class DriverContext {
  /** The configured primary; null while failed over and it cannot be reached. */
  primary: FlashArray | null = null;
  /** The replication_device arrays that could be reached, in configuration order. */
  devices: FlashArray[] = [];
  /** `<pod>::<pure_trisync_pg_name>` when trisync is enabled and usable, with its async target. */
  trisync: { pgroup: string; target: FlashArray } | null = null;
  eradicateOnDelete: boolean;
  readonly logger: DriverLogger;
  readonly sleep: (ms: number) => Promise<void>;
  readonly randomHex: () => string;
  readonly now: () => number;
  readonly initiatorData: InitiatorDataStore | null;
  readonly hostName: string | null;
  #state: ReplicationState | null = null;

  constructor(
    readonly backend: CinderBackendConfig,
    options: FlashArrayDriverOptions,
    defaults: { sleep: (ms: number) => Promise<void>; randomHex: () => string },
  ) {
    this.logger = options.logger;
    this.sleep = options.sleep ?? defaults.sleep;
    this.randomHex = options.randomHex ?? defaults.randomHex;
    this.now = options.now ?? Date.now;
    this.initiatorData = options.initiatorData ?? null;
    this.hostName = options.hostName ?? null;
    this.eradicateOnDelete = backend.pure.eradicateOnDelete;
  }

  get pure(): PureSettings {
    return this.backend.pure;
  }

  get podName(): string {
    return this.backend.pure.replicationPodName;
  }

  get state(): ReplicationState {
    if (this.#state === null)
      throw new PureDriverException('the driver is not set up (do_setup has not run)');
    return this.#state;
  }

  set state(state: ReplicationState) {
    this.#state = state;
  }

  get isSetUp(): boolean {
    return this.#state !== null;
  }

  /**
   * `_get_current_array`: the array volumes live on now. With ActiveCluster (and not failed over)
   * it first reads the pod, as Cinder does on every operation: an unreadable pod means no array
   * can be trusted, a peer that is not online is worth a warning.
   */
  async currentArray(): Promise<FlashArray> {
    const state = this.state;
    if (!state.activeClusterEnabled || state.failedOver) return state.current;
    const noArray = () => new PureDriverException('No functional arrays available');
    let res: Awaited<ReturnType<PurityClient['pods']['get']>>;
    try {
      res = await state.current.client.pods.get({ names: [this.podName] });
    } catch (error) {
      if (!(error instanceof PurityClientError)) throw error;
      this.logger.warn({ array: state.current.name, err: error.message }, 'pod check failed');
      throw noArray();
    }
    if (!res.ok || res.items[0] === undefined) {
      this.logger.warn({ array: state.current.name, pod: this.podName }, 'pod check failed');
      throw noArray();
    }
    const members = res.items[0].arrays;
    for (const target of state.activeClusterTargets) {
      const member = members.find((m) => m.id === target.id);
      if (member?.status !== 'online')
        this.logger.warn(
          { array: target.name, status: member?.status ?? 'absent' },
          'Target array is offline. Volume replication in unknown state. Check replication links and array state.',
        );
    }
    return state.current;
  }

  /**
   * Polls `check` until it holds: from 100 ms doubling to 5 s, at most 180 s of waiting in all.
   * The budget counts the waits themselves, not wall time, so an injected sleep keeps it exact.
   */
  async pollUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    let waitedMs = 0;
    let delayMs = PROPAGATION_POLL_FIRST_MS;
    while (!(await check())) {
      if (waitedMs >= PROPAGATION_WAIT_MAX_MS) throw new PureDriverException(what);
      await this.sleep(delayMs);
      waitedMs += delayMs;
      delayMs = Math.min(delayMs * 2, PROPAGATION_POLL_MAX_MS);
    }
  }
}
