// Claims one at a time, each answered only after any change it made is on disk. Serializing makes
// concurrent claims for one epoch meet a single table in order (the first wins); saving before
// answering means no array is ever told "granted" for a grant a restart could forget.

import type { Logger } from 'pino';
import { MEDIATOR_CLAIMS_PENDING_MAX } from '../constants.js';
import { busy, notSaved, PodLimitError, podsFull } from './errors.js';
import type { ClaimResult, Grant, GrantTable } from './grants.js';

export type SaveGrants = (table: GrantTable) => Promise<void>;

export class ClaimService {
  /** The end of the queue of claims: each starts when the one before it has been answered. */
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private savedRevision: number;

  constructor(
    private readonly table: GrantTable,
    private readonly save: SaveGrants,
    private readonly logger?: Logger,
    private readonly pendingMax = MEDIATOR_CLAIMS_PENDING_MAX,
  ) {
    this.savedRevision = table.revision;
  }

  /**
   * Ids and epoch must be valid (the HTTP layer checks them). Rejects with a MediatorHttpError when
   * too many claims wait, the pod limit is reached, or the change could not be saved.
   */
  async claim(podId: string, epoch: number, arrayId: string): Promise<ClaimResult> {
    if (this.pending >= this.pendingMax) throw busy(this.pendingMax);
    this.pending++;
    const turn = this.tail.then(() => this.decide(podId, epoch, arrayId));
    this.tail = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.pending--;
    }
  }

  grantsOf(podId: string): Grant[] {
    return this.table.grantsOf(podId);
  }

  /** Resolves when every claim received so far has been answered. */
  async idle(): Promise<void> {
    await this.tail;
  }

  private async decide(podId: string, epoch: number, arrayId: string): Promise<ClaimResult> {
    const before = this.table.revision;
    let result: ClaimResult;
    try {
      result = this.table.claim(podId, epoch, arrayId);
    } catch (error) {
      if (error instanceof PodLimitError) throw podsFull(error.podsMax);
      throw error;
    }
    // Also true when an earlier save failed: whatever this answer rests on must be durable first.
    if (this.table.revision !== this.savedRevision) {
      const revision = this.table.revision;
      try {
        await this.save(this.table);
      } catch (error) {
        this.logger?.error({ err: error }, 'mediator: saving the grants failed; the claim was not answered');
        throw notSaved();
      }
      this.savedRevision = revision;
    }
    const fields = { pod: podId, epoch, array: arrayId, holder: result.holder };
    if (!result.granted) this.logger?.info(fields, 'mediator: claim denied');
    else if (this.table.revision !== before) this.logger?.info(fields, 'mediator: epoch granted');
    else this.logger?.debug(fields, 'mediator: grant repeated');
    return result;
  }
}
