// The session-wide CmdSN window: non-immediate PDUs act in CmdSN order, out-of-window ones are
// dropped silently (the connection stays), and the window handed out narrows while tasks pile up.

import { ISCSI_CMDSN_WINDOW } from './limits.js';
import type { IscsiLogger } from './logger.js';
import type { LogoutFields, NopOutFields, ScsiCommandFields, TaskMgmtFields, TextFields } from './pdu.js';
import { snAdd, snDistance, snLess } from './sequence.js';
import type { CmdSnWindow } from './session-context.js';

/** The PDUs that carry a CmdSN. */
export type Ordered = NopOutFields | ScsiCommandFields | TaskMgmtFields | TextFields | LogoutFields;

export class CmdSnOrder {
  expCmdSN: number;
  maxCmdSN: number;
  /** Acts whose CmdSN is in the window but not yet up, by CmdSN. */
  private readonly held = new Map<number, () => void>();

  constructor(
    firstCmdSN: number,
    private readonly logger: IscsiLogger,
    private readonly initiatorName: string,
  ) {
    this.expCmdSN = firstCmdSN;
    this.maxCmdSN = snAdd(firstCmdSN, ISCSI_CMDSN_WINDOW - 1);
  }

  /**
   * Immediate PDUs act at once. A non-immediate one outside [ExpCmdSN, MaxCmdSN] is dropped;
   * inside, it acts when every earlier CmdSN has. A SCSI command starts gathering its data on
   * arrival (`arrive`), its execution waits.
   */
  admit(fields: Ordered, act: () => void, arrive?: () => void): void {
    if (fields.immediate) {
      arrive?.();
      act();
      return;
    }
    const windowSize = snDistance(this.expCmdSN, snAdd(this.maxCmdSN, 1));
    const offset = snDistance(this.expCmdSN, fields.cmdSN);
    if (offset >= windowSize || this.held.has(fields.cmdSN)) {
      this.logger.debug(
        {
          initiator: this.initiatorName,
          cmdSN: fields.cmdSN,
          expCmdSN: this.expCmdSN,
          maxCmdSN: this.maxCmdSN,
        },
        'iscsi: CmdSN outside the window, PDU dropped',
      );
      return;
    }
    arrive?.();
    if (offset > 0) {
      this.held.set(fields.cmdSN, act);
      return;
    }
    this.expCmdSN = snAdd(this.expCmdSN, 1);
    act();
    for (let next = this.held.get(this.expCmdSN); next; next = this.held.get(this.expCmdSN)) {
      this.held.delete(this.expCmdSN);
      this.expCmdSN = snAdd(this.expCmdSN, 1);
      next();
    }
  }

  /** ExpCmdSN and MaxCmdSN for an outgoing PDU, with `taskCount` tasks open. */
  window(taskCount: number): CmdSnWindow {
    const room = Math.max(1, ISCSI_CMDSN_WINDOW - taskCount);
    const candidate = snAdd(this.expCmdSN, room - 1);
    if (snLess(this.maxCmdSN, candidate)) this.maxCmdSN = candidate;
    return { expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN };
  }

  /** Forgets the held PDUs (the session ended). */
  clear(): void {
    this.held.clear();
  }
}
