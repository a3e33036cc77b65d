// What the iSCSI transport asks the array: its target name, who an initiator is (the host whose
// `iqns` hold its name, with that host's CHAP settings) and which LUNs it may address (the
// host's connections). The array implements it over its state (src/array/objects/iscsi-access.ts);
// tests can implement it over memory devices.

import type { LogicalUnit } from './scsi/types.js';

/** A host's CHAP settings as Purity stores them (PATCH /hosts {chap: {...}}). */
export interface IscsiChapSettings {
  /** The initiator must authenticate with these when both are set (one-way CHAP). */
  hostUser: string | null;
  hostPassword: string | null;
  /** The target authenticates itself with these when the initiator asks (mutual CHAP). */
  targetUser: string | null;
  targetPassword: string | null;
}

export interface IscsiInitiator {
  /** The Purity host this initiator name belongs to. */
  host: string;
  chap: IscsiChapSettings;
}

export interface IscsiTargetCatalog {
  /** The array's target IQN, e.g. iqn.2010-06.com.purestorage:flasharray.<hex>. */
  readonly targetName: string;
  /** TargetAlias: the array name. */
  readonly targetAlias: string;
  /** The host whose iqns contain `initiatorName`, or null for an unknown initiator (it sees no LUN). */
  initiator(initiatorName: string): IscsiInitiator | null;
  /** LUNs the initiator may address now, ascending; connections can change during a session. */
  luns(initiatorName: string): readonly number[];
  /**
   * The LU at `lun` for this initiator, or null when that LUN is not (or no longer) mapped. The
   * transport calls `unit.device.close()` when the task is done; the array hands out one device
   * per LU for many tasks and sessions, so there close must do nothing.
   */
  open(initiatorName: string, lun: number): LogicalUnit | null;
}
