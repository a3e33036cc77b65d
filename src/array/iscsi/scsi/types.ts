// The contract between the iSCSI transport (src/array/iscsi/, PDUs, login, sessions) and the SCSI
// device server (src/array/iscsi/scsi/, CDB decoding and block-command emulation). The transport
// gathers a command's data-out (immediate, unsolicited and R2T-solicited), calls `execute` once per
// task, and turns the answer into Data-In PDUs, a SCSI Response and residual counts.

import type { BlockDevice } from '../../engine/block-device.js';

/** Logical block size every LU reports (READ CAPACITY): 512 bytes, as a FlashArray does. */
export const SCSI_BLOCK_BYTES = 512;

/** SAM status codes. */
export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  TASK_ABORTED: 0x40,
} as const;

/** One logical unit: a volume connected to the initiator's host, at its connection's LUN. */
export interface LogicalUnit {
  lun: number;
  device: BlockDevice;
  /**
   * NAA IEEE Registered Extended designator, 32 hex digits: Pure's '624a9370' followed by the
   * volume's 24-hex-digit serial (Cinder's wwn is '3' + this). VPD 0x83 reports it.
   */
  naa: string;
  /** Unit serial number for VPD 0x80: the volume's serial (24 hex digits, upper case). */
  serial: string;
  /**
   * Why this LU cannot take reservations now, or undefined when it can. A volume of a stretched
   * pod cannot: its other array serves it under the same NAA and would not see them, so a host
   * fenced here could still write there.
   */
  reservationsUnavailable?: () => string | undefined;
}

/** What the device server knows about the target and the I_T nexus a task arrived on. */
export interface ScsiNexus {
  /** Target IQN (VPD 0x83 SCSI name string designator, target port). */
  targetName: string;
  /** Target portal group tag (VPD 0x83 target port group / relative port designators). */
  portalGroupTag: number;
  /** Initiator IQN, for logs. */
  initiatorName: string;
  /**
   * The I_T nexus: stable and unique for the session's lifetime (initiator port name, i.e. IQN
   * and ISID, plus the TSIH). Two sessions of one initiator (multipath) are two nexuses; unit
   * attentions are kept per nexus.
   */
  sessionId: string;
  /**
   * The initiator port, `<iqn>,i,0x<isid>` (sessionId without the TSIH): what persistent
   * reservation registrations belong to, so they outlive a session reinstated with the same ISID.
   */
  initiatorPort: string;
  /** Every LUN this initiator may see, ascending (REPORT LUNS). */
  readonly luns: readonly number[];
  /**
   * The LU with this NAA designator among those this initiator may address (EXTENDED COPY names
   * its copy targets so), or null. Absent: only the addressed LU is reachable.
   */
  unitWithNaa?: (naa: string) => LogicalUnit | null;
}

export interface ScsiTask {
  nexus: ScsiNexus;
  /** The addressed LU, or null when the LUN is not mapped for this initiator. */
  unit: LogicalUnit | null;
  /** The raw LUN number as addressed (REPORT LUNS and INQUIRY answer even for an unmapped LUN). */
  lun: number;
  /** 6 to 16 bytes (the transport passes the CDB from the BHS, extended by an AHS if any). */
  cdb: Buffer;
  /** All data-out the initiator sent for this task (empty Buffer when none). */
  dataOut: Buffer;
  /** Expected Data Transfer Length from the SCSI Command PDU. */
  expectedLength: number;
}

export interface ScsiResult {
  status: number;
  /** Data-In for the initiator; the transport sends at most `expectedLength` of it and reports residuals. */
  dataIn?: Buffer;
  /** Fixed-format (0x70) sense data, with CHECK CONDITION. */
  sense?: Buffer;
  /** Hands dataIn back to the device once it was sent (see BlockDevice.release). */
  release?: () => void;
}

/**
 * How many bytes of data-out a CDB transfers, so the transport can check the initiator's
 * Expected Data Transfer Length and solicit the data (R2T) before `execute`. 0 for commands
 * without data-out and for opcodes it does not know (execute answers those with sense).
 */
export type DataOutLength = (cdb: Buffer) => number;

/** The device server: one instance per array target, shared by every session. */
export interface ScsiDeviceServer {
  dataOutLength: DataOutLength;
  execute(task: ScsiTask): Promise<ScsiResult>;
  /**
   * LOGICAL UNIT RESET (lun) / TARGET WARM or COLD RESET (null) from task management: per-LU
   * state is cleared and a reset unit attention is established for every I_T nexus. `origin` is
   * the nexus that asked for it; `unit` the LU `lun` addresses for it (to reach the sessions of
   * other hosts that see the volume at another LUN), when the transport could resolve it.
   */
  reset(lun: number | null, origin?: ScsiNexus, unit?: LogicalUnit | null): void;
  /** A normal session entered full feature phase (optional: per-nexus state is created lazily). */
  sessionStarted?(sessionId: string): void;
  /** The session ended: per-nexus state (unit attentions) is dropped. */
  sessionEnded?(sessionId: string): void;
}
