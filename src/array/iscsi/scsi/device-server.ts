// The SCSI device server: one per array target, shared by every session. It decodes the CDB,
// finds the command in the table, answers what needs no LU (INQUIRY, REPORT LUNS, REQUEST
// SENSE), reports unit attentions, and runs the block commands against the LU's BlockDevice.
// execute never throws: refusals and device failures become CHECK CONDITION with sense.

import { Opcode, SERVICE_ACTION_MASK } from './cdb.js';
import type { CommandContext } from './command.js';
import { COMMANDS, type CommandSpec, SERVICE_ACTION_OPCODES, UNIMPLEMENTED_DATA_OUT } from './commands.js';
import { CopyResults } from './extended-copy.js';
import { inquiry } from './inquiry.js';
import { RangeLocks } from './range-lock.js';
import { reportLuns, requestSense } from './report.js';
import { type ReservationStore, Reservations } from './reservations.js';
import { CheckCondition, fixedSense, invalidCdbField, type SenseName } from './sense.js';
import {
  type LogicalUnit,
  type ScsiDeviceServer,
  type ScsiNexus,
  type ScsiResult,
  ScsiStatus,
  type ScsiTask,
} from './types.js';
import { UnitAttentions } from './unit-attention.js';

export interface ScsiDeviceServerOptions {
  /** Told about exceptions that are not IoErrors (our bugs); the task still gets sense. */
  onUnexpectedError?: (error: unknown, cdb: Buffer) => void;
  /** Told about every CHECK CONDITION with its reason (for debug logs). */
  onCheckCondition?: (condition: CheckCondition, cdb: Buffer) => void;
  /** Where persistent reservations with APTPL set are kept across restarts (PTPL_C=1 with one). */
  reservationStore?: ReservationStore;
}

function commandKey(opcode: number, serviceAction: number | undefined): number {
  return (opcode << 8) | (serviceAction ?? 0);
}

export class TandemScsiDeviceServer implements ScsiDeviceServer {
  private readonly commands = new Map<number, CommandSpec>();
  private readonly locks = new RangeLocks();
  private readonly attentions = new UnitAttentions();
  private readonly reservations: Reservations;
  private readonly copies = new CopyResults();

  constructor(private readonly options: ScsiDeviceServerOptions = {}) {
    this.reservations = new Reservations(
      (port, naa, name) => this.attentions.establishForPort(port, naa, name),
      options.reservationStore ?? null,
    );
    for (const command of COMMANDS)
      this.commands.set(commandKey(command.opcode, command.serviceAction), command);
  }

  private lookup(cdb: Buffer): CommandSpec | undefined {
    const opcode = cdb[0] ?? 0;
    const serviceAction = SERVICE_ACTION_OPCODES.has(opcode)
      ? (cdb[1] ?? 0) & SERVICE_ACTION_MASK
      : undefined;
    return this.commands.get(commandKey(opcode, serviceAction));
  }

  /** Data-out bytes the CDB asks for; 0 without data-out, for unknown opcodes and malformed CDBs. */
  readonly dataOutLength = (cdb: Buffer): number => {
    try {
      const command = this.lookup(cdb);
      const size = command?.dataOutBytes ?? UNIMPLEMENTED_DATA_OUT.get(cdb[0] ?? -1);
      if (size === undefined || (command !== undefined && cdb.length < command.usage.length)) return 0;
      return size(cdb);
    } catch {
      return 0;
    }
  };

  async execute(task: ScsiTask): Promise<ScsiResult> {
    try {
      return await this.dispatch(task);
    } catch (error) {
      if (error instanceof CheckCondition) {
        this.options.onCheckCondition?.(error, task.cdb);
        return error.result();
      }
      this.options.onUnexpectedError?.(error, task.cdb);
      return { status: ScsiStatus.CHECK_CONDITION, sense: fixedSense('internal-target-failure') };
    }
  }

  reset(lun: number | null, origin?: ScsiNexus, unit?: LogicalUnit | null): void {
    this.attentions.reset(lun, origin?.sessionId, unit);
    // A LOGICAL UNIT RESET whose LU the transport could not resolve leaves reservations alone.
    if (lun === null) this.reservations.reset(null);
    else if (unit) this.reservations.reset(unit.naa);
  }

  sessionStarted(sessionId: string): void {
    this.attentions.sessionStarted(sessionId);
  }

  sessionEnded(sessionId: string): void {
    this.attentions.sessionEnded(sessionId);
    this.reservations.sessionEnded(sessionId);
    this.copies.sessionEnded(sessionId);
  }

  private async dispatch(task: ScsiTask): Promise<ScsiResult> {
    const { cdb } = task;
    const opcode = cdb[0];
    if (opcode === undefined) throw new CheckCondition('invalid-opcode', 'empty CDB');
    const command = this.lookup(cdb);
    if (command === undefined) {
      if (SERVICE_ACTION_OPCODES.has(opcode)) {
        // libiscsi reads 05/24/00 with FIELD POINTER 1 on these opcodes as "not implemented".
        throw invalidCdbField(
          `service action 0x${((cdb[1] ?? 0) & SERVICE_ACTION_MASK).toString(16)} is not supported`,
          1,
          4,
        );
      }
      throw new CheckCondition('invalid-opcode', `operation code 0x${opcode.toString(16)} is not supported`);
    }
    if (cdb.length < command.usage.length) {
      throw invalidCdbField(`${command.name} needs a ${command.usage.length}-byte CDB, got ${cdb.length}`, 0);
    }
    if (command.anyLun === true) return this.anyLun(task, command);
    const unit = task.unit;
    if (unit === null) throw new CheckCondition('lu-not-supported', `no LU at LUN ${task.lun}`);
    const refused = command.addsReservation?.(cdb, task.dataOut)
      ? unit.reservationsUnavailable?.()
      : undefined;
    if (refused !== undefined) throw new CheckCondition('invalid-opcode', `reservations refused: ${refused}`);
    // A conflicting command is refused before any unit attention is reported (and kept).
    if (
      this.reservations.conflicts(unit.naa, task.nexus, command.access, command.opcode === Opcode.RELEASE_6)
    )
      return { status: ScsiStatus.RESERVATION_CONFLICT };
    const attention = this.attentions.take(task);
    if (attention !== undefined)
      throw new CheckCondition(attention, `unit attention for ${task.nexus.sessionId} on LUN ${task.lun}`);
    const run = command.run;
    if (run === undefined) throw new Error(`command ${command.name} has no handler`);
    const context: CommandContext = {
      task,
      cdb,
      unit,
      locks: this.locks,
      reservations: this.reservations,
      copies: this.copies,
    };
    if (command.access === undefined) return await run(context);
    // Counted while it runs: a PREEMPT of this initiator port waits for it (see Reservations).
    this.reservations.taskStarted(unit.naa, task.nexus.initiatorPort);
    try {
      return await run(context);
    } finally {
      this.reservations.taskEnded(unit.naa, task.nexus.initiatorPort);
    }
  }

  /** INQUIRY, REPORT LUNS and REQUEST SENSE: answered on any LUN and exempt from unit attention. */
  private anyLun(task: ScsiTask, command: CommandSpec): ScsiResult {
    switch (command.opcode) {
      case Opcode.INQUIRY:
        return inquiry(task.cdb, task.unit, task.nexus);
      case Opcode.REPORT_LUNS:
        return reportLuns(task.cdb, task.nexus);
      default: {
        let pending: SenseName = 'no-sense';
        if (task.unit === null) pending = 'lu-not-supported';
        else pending = this.attentions.take(task) ?? 'no-sense';
        return requestSense(task.cdb, pending);
      }
    }
  }
}

export function createScsiDeviceServer(options?: ScsiDeviceServerOptions): ScsiDeviceServer {
  return new TandemScsiDeviceServer(options);
}
