// Unit attentions, per I_T nexus. In iSCSI an I_T nexus is a session (initiator port = IQN plus
// ISID), so two sessions of one initiator (multipath with one IQN) are two nexuses with separate
// conditions; the transport names each in ScsiNexus.sessionId. A condition is kept per I_T_L
// nexus and reported once, as CHECK CONDITION on the next command to that LU, except INQUIRY and
// REPORT LUNS (which neither report nor clear it) and REQUEST SENSE (which returns it as its sense
// data and clears it), per SPC-4.
//
// Conditions:
// - BUS DEVICE RESET FUNCTION OCCURRED (06/29/03) after a LOGICAL UNIT RESET or TARGET WARM RESET,
//   for every nexus, including the one that asked for the reset. SAM-5 has a logical unit reset
//   establish the unit attention for the initiator port of every I_T nexus, without exempting
//   the requester, and libiscsi's MultipathIO.Reset checks exactly that: after a LUN reset on one
//   path, each path (the resetting one too) must see a UA before TEST UNIT READY is GOOD. 29/03
//   is the code SPC-4 and SAM-5 give for a reset requested by a task management function (SCSI
//   BUS RESET OCCURRED, 29/02, means a physical bus reset, which iSCSI has none of). A TARGET
//   COLD RESET ends every session, and with them their conditions.
// - CAPACITY DATA HAS CHANGED (06/2A/09) when the LU's size differs from the one this nexus last
//   saw; a nexus's first command to an LU only records the size.
// - RESERVATIONS PREEMPTED, RESERVATIONS RELEASED and REGISTRATIONS PREEMPTED (06/2A/03-05) for
//   the initiator ports a persistent reservation change concerns (see reservations.ts). A port
//   with no session at the time gets them in its next session: registrations outlive sessions.
// A new session gets no POWER ON condition: the first command of a fresh login just works.
//
// LUs are identified by their NAA designator rather than the LUN, so a reset reaches every host
// that sees the volume, whatever LUN each maps it at.

import {
  UNIT_ATTENTION_LUS_PER_NEXUS_MAX,
  UNIT_ATTENTION_NEXUSES_MAX,
  UNIT_ATTENTION_QUEUE_MAX,
} from './limits.js';
import type { SenseName } from './sense.js';
import type { LogicalUnit, ScsiTask } from './types.js';

export type UnitAttentionName = Extract<
  SenseName,
  | 'bus-device-reset'
  | 'capacity-data-changed'
  | 'reservations-preempted'
  | 'reservations-released'
  | 'registrations-preempted'
>;

/** The initiator port (`<iqn>,i,0x<isid>`) of a session id (see ScsiNexus.sessionId). */
function initiatorPortOf(sessionId: string): string {
  const at = sessionId.lastIndexOf(',tsih ');
  return at < 0 ? sessionId : sessionId.slice(0, at);
}

/** Key of an LU reset whose LU the transport could not resolve: matched by LUN number. */
function lunKey(lun: number): string {
  return `lun:${lun}`;
}

class NexusAttentions {
  /** Pending conditions per LU (NAA, or lunKey), oldest first. */
  readonly pending = new Map<string, UnitAttentionName[]>();
  /** After a target reset: the LUs that have reported it so far (null: none pending). */
  targetResetReported: Set<string> | null = null;
  /** The size in bytes this nexus last saw per LU. */
  readonly sizes = new Map<string, number>();

  targetResetPending(key: string): boolean {
    return this.targetResetReported !== null && !this.targetResetReported.has(key);
  }

  establish(key: string, name: UnitAttentionName): void {
    if (name === 'bus-device-reset' && this.targetResetPending(key)) return;
    const queue = this.pending.get(key);
    if (queue === undefined) {
      if (this.pending.size >= UNIT_ATTENTION_LUS_PER_NEXUS_MAX) return;
      this.pending.set(key, [name]);
      return;
    }
    if (!queue.includes(name) && queue.length < UNIT_ATTENTION_QUEUE_MAX) queue.push(name);
  }

  take(key: string): UnitAttentionName | undefined {
    const queue = this.pending.get(key);
    if (queue === undefined) return undefined;
    const first = queue.shift();
    if (queue.length === 0) this.pending.delete(key);
    return first;
  }

  takeTargetReset(key: string): boolean {
    const reported = this.targetResetReported;
    if (reported === null || reported.has(key)) return false;
    if (reported.size >= UNIT_ATTENTION_LUS_PER_NEXUS_MAX) this.targetResetReported = null;
    else reported.add(key);
    return true;
  }

  /** True (once) when the LU's size differs from what this nexus last saw. */
  capacityChanged(key: string, sizeBytes: number): boolean {
    const last = this.sizes.get(key);
    if (last === sizeBytes) return false;
    if (last === undefined && this.sizes.size >= UNIT_ATTENTION_LUS_PER_NEXUS_MAX) this.sizes.clear();
    this.sizes.set(key, sizeBytes);
    return last !== undefined;
  }
}

export class UnitAttentions {
  private readonly nexuses = new Map<string, NexusAttentions>();
  /**
   * Conditions for initiator ports with no session at the time (a registrant preempted while
   * logged out): the port's next session gets them.
   */
  private readonly waitingPorts = new Map<string, NexusAttentions>();

  private nexus(sessionId: string): NexusAttentions {
    let state = this.nexuses.get(sessionId);
    if (state === undefined) {
      // Bounded: evicting the oldest nexus only loses conditions it has not been told about.
      if (this.nexuses.size >= UNIT_ATTENTION_NEXUSES_MAX) {
        const oldest = this.nexuses.keys().next().value;
        if (oldest !== undefined) this.nexuses.delete(oldest);
      }
      const port = initiatorPortOf(sessionId);
      state = this.waitingPorts.get(port) ?? new NexusAttentions();
      this.waitingPorts.delete(port);
      this.nexuses.set(sessionId, state);
    }
    return state;
  }

  /** How many nexuses have state (tests). */
  get nexusCount(): number {
    return this.nexuses.size;
  }

  /** A session reached full feature phase: it will get the conditions established from now on. */
  sessionStarted(sessionId: string): void {
    this.nexus(sessionId);
  }

  /** The session ended: its conditions go with it. */
  sessionEnded(sessionId: string): void {
    this.nexuses.delete(sessionId);
  }

  /**
   * LOGICAL UNIT RESET (lun, with the LU it addresses for `origin` when the transport resolved
   * it) or TARGET RESET (null): a reset condition for every nexus, `origin`'s too.
   */
  reset(lun: number | null, originSessionId?: string, unit?: LogicalUnit | null): void {
    if (originSessionId !== undefined) this.nexus(originSessionId);
    if (lun === null) {
      for (const state of this.nexuses.values()) {
        state.pending.clear();
        state.sizes.clear();
        state.targetResetReported = new Set();
      }
      return;
    }
    const key = unit ? unit.naa : lunKey(lun);
    for (const state of this.nexuses.values()) {
      state.sizes.delete(key);
      state.establish(key, 'bus-device-reset');
    }
  }

  /**
   * A condition on the LU `naa` for every session of the initiator port `initiatorPort` (IQN and
   * ISID): persistent reservations belong to initiator ports, which outlive their sessions.
   */
  establishForPort(initiatorPort: string, naa: string, name: UnitAttentionName): void {
    let reached = false;
    for (const [sessionId, state] of this.nexuses) {
      if (initiatorPortOf(sessionId) !== initiatorPort) continue;
      state.establish(naa, name);
      reached = true;
    }
    if (reached) return;
    let waiting = this.waitingPorts.get(initiatorPort);
    if (waiting === undefined) {
      if (this.waitingPorts.size >= UNIT_ATTENTION_NEXUSES_MAX) {
        const oldest = this.waitingPorts.keys().next().value;
        if (oldest !== undefined) this.waitingPorts.delete(oldest);
      }
      waiting = new NexusAttentions();
      this.waitingPorts.set(initiatorPort, waiting);
    }
    waiting.establish(naa, name);
  }

  /** The next condition for the task's I_T_L nexus, which is then considered reported. */
  take(task: ScsiTask): UnitAttentionName | undefined {
    const unit = task.unit;
    if (unit === null) return undefined;
    const state = this.nexus(task.nexus.sessionId);
    const key = unit.naa;
    const pending = state.take(key) ?? state.take(lunKey(task.lun));
    if (pending !== undefined) return pending;
    if (state.takeTargetReset(key)) return 'bus-device-reset';
    if (state.capacityChanged(key, unit.device.sizeBytes)) return 'capacity-data-changed';
    return undefined;
  }
}
