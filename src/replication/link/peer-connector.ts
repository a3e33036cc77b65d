// Keeps one link to one peer up: dials, and after a failed dial, a refusal or the link's death dials
// again after a capped exponential backoff. The backoff only starts over once a link has stayed up
// for backoffMaxMs, so a peer that accepts and then drops at once is not redialed in a tight loop.

import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  REPLICATION_HANDSHAKE_TIMEOUT_MS,
  REPLICATION_REDIAL_INITIAL_MS,
  REPLICATION_REDIAL_MAX_MS,
} from '../../constants.js';
import { dialPeer } from './dialer.js';
import { type LinkCloseReason, LinkConnectError, LinkRefusedError } from './errors.js';
import type { ArrayIdentity, Hello } from './handshake.js';
import type { ReplicationLink, ReplicationLinkOptions } from './link.js';
import { type LinkLogger, silentLinkLogger } from './logger.js';

export interface PeerConnectorOptions {
  host: string;
  port: number;
  /** A function is called before every dial, so a changed key is picked up at the next redial. */
  hello: Hello | (() => Hello);
  dialTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  linkOptions?: Omit<ReplicationLinkOptions, 'decoder' | 'logContext'>;
  logger?: LinkLogger;
}

export type PeerConnectorState = 'connecting' | 'connected' | 'stopped';

interface PeerConnectorEvents {
  up: [link: ReplicationLink, peer: ArrayIdentity];
  down: [reason: LinkCloseReason];
  /** The peer answered the hello with a refusal (a wrong key, say); retried after the backoff. */
  refused: [reason: string];
  /** No answer to the hello (peer down, unreachable, timeout, garbage); retried after the backoff. */
  'dial-failed': [error: LinkConnectError];
}

/** Caps the exponent; 2^20 times any sensible initial delay is past any sensible cap. */
const BACKOFF_DOUBLINGS_MAX = 20;

export class PeerConnector extends EventEmitter<PeerConnectorEvents> {
  private connectorState: PeerConnectorState = 'connecting';
  private started = false;
  private link: ReplicationLink | undefined;
  private peerArray: ArrayIdentity | undefined;
  private consecutiveFailures = 0;
  private upSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private dialAbort: AbortController | undefined;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly logger: LinkLogger;

  constructor(private readonly options: PeerConnectorOptions) {
    super();
    this.backoffInitialMs = options.backoffInitialMs ?? REPLICATION_REDIAL_INITIAL_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? REPLICATION_REDIAL_MAX_MS;
    this.logger = options.logger ?? silentLinkLogger;
  }

  get state(): PeerConnectorState {
    return this.connectorState;
  }

  /** The link while connected. */
  current(): ReplicationLink | undefined {
    return this.link;
  }

  /** The peer array as it named itself in its last accepted answer. */
  get peer(): ArrayIdentity | undefined {
    return this.peerArray;
  }

  /** Starts dialing; attach event listeners first. */
  start(): void {
    if (this.started || this.connectorState === 'stopped') return;
    this.started = true;
    void this.dial();
  }

  /** Stops redialing, abandons a dial in progress and closes the link. */
  async stop(): Promise<void> {
    this.connectorState = 'stopped';
    clearTimeout(this.retryTimer);
    this.dialAbort?.abort();
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  private async dial(): Promise<void> {
    const abort = new AbortController();
    this.dialAbort = abort;
    const where = `${this.options.host}:${this.options.port}`;
    try {
      const { link, peer } = await dialPeer({
        host: this.options.host,
        port: this.options.port,
        hello: typeof this.options.hello === 'function' ? this.options.hello() : this.options.hello,
        timeoutMs: this.options.dialTimeoutMs ?? REPLICATION_HANDSHAKE_TIMEOUT_MS,
        signal: abort.signal,
        linkOptions: { logger: this.logger, ...this.options.linkOptions },
      });
      if (this.connectorState === 'stopped') {
        link.destroy();
        return;
      }
      this.linkUp(link, peer);
    } catch (error) {
      if (this.connectorState === 'stopped') return;
      if (error instanceof LinkRefusedError) {
        this.logger.warn({ peer: where, reason: error.reason }, 'replication: peer refused the hello');
        this.emit('refused', error.reason);
      } else if (error instanceof LinkConnectError) {
        this.logger.info({ peer: where, code: error.code }, 'replication: dial failed');
        this.emit('dial-failed', error);
      } else {
        this.logger.error({ peer: where, message: (error as Error).message }, 'replication: dial threw');
      }
      this.redialLater();
    } finally {
      if (this.dialAbort === abort) this.dialAbort = undefined;
    }
  }

  private linkUp(link: ReplicationLink, peer: ArrayIdentity): void {
    this.link = link;
    this.peerArray = peer;
    this.connectorState = 'connected';
    this.upSince = performance.now();
    link.once('close', (reason) => this.linkDown(link, reason));
    this.logger.info(
      { peer: `${this.options.host}:${this.options.port}`, peerArray: peer.id },
      'replication: up',
    );
    this.emit('up', link, peer);
  }

  private linkDown(link: ReplicationLink, reason: LinkCloseReason): void {
    if (this.link !== link || this.connectorState === 'stopped') return;
    this.link = undefined;
    this.connectorState = 'connecting';
    if (performance.now() - this.upSince >= this.backoffMaxMs) this.consecutiveFailures = 0;
    this.logger.warn({ peer: `${this.options.host}:${this.options.port}`, reason }, 'replication: down');
    this.emit('down', reason);
    this.redialLater();
  }

  private redialLater(): void {
    const doublings = Math.min(this.consecutiveFailures, BACKOFF_DOUBLINGS_MAX);
    const delayMs = Math.min(this.backoffInitialMs * 2 ** doublings, this.backoffMaxMs);
    this.consecutiveFailures++;
    this.retryTimer = setTimeout(() => void this.dial(), delayMs);
  }
}
