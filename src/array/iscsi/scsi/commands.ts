// The command table: every operation code the device server implements, with its CDB usage map
// (REPORT SUPPORTED OPERATION CODES), its data-out length and its handler. Anything not listed
// is answered with INVALID COMMAND OPERATION CODE (or INVALID FIELD IN CDB for an unknown
// service action of SERVICE ACTION IN(16) / MAINTENANCE IN), which libiscsi reads as "skip".

import { getLbaStatus, readCapacity10, readCapacity16 } from './capacity.js';
import {
  assertControlByte,
  assertTransferLimit,
  cdbLengthOf,
  decodeBlockCdb,
  Opcode,
  ServiceAction,
} from './cdb.js';
import type { CommandContext } from './command.js';
import { compareAndWrite, compareAndWriteDataOutBytes } from './compare-and-write.js';
import { readDefectData10, readDefectData12 } from './defects.js';
import {
  CopyServiceAction,
  extendedCopy,
  extendedCopyListBytes,
  receiveCopyResults,
} from './extended-copy.js';
import { MAX_TRANSFER_BLOCKS } from './limits.js';
import { modeSelect, modeSelectListBytes, modeSense6, modeSense10 } from './mode.js';
import { type CommandDescription, reportSupportedOperationCodes } from './opcodes.js';
import { unmap, unmapListBytes, writeSame, writeSameDataOutBytes } from './provisioning.js';
import {
  Bytchk,
  bytchkOf,
  orWrite,
  preFetch,
  read,
  synchronizeCache,
  verify,
  write,
  writeAndVerify,
} from './read-write.js';
import { PrIn, PrOut, type ReservationAccess } from './reservations.js';
import { SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

export interface CommandSpec extends CommandDescription {
  /** Handled by the device server itself because it answers on a LUN without an LU. */
  anyLun?: true;
  /** How the command uses the medium, for reservation conflicts; absent: neither (always allowed). */
  access?: ReservationAccess;
  /** Bytes of data-out the CDB asks for; absent: none. */
  dataOutBytes?: (cdb: Buffer) => number;
  /**
   * True when the command would add a reservation or registration. On an LU that cannot keep
   * them (LogicalUnit.reservationsUnavailable) it is refused as unsupported, before reservation
   * conflicts and unit attentions, as an opcode the server lacks is. What only removes state
   * (RELEASE, CLEAR, unregistering) still runs, so state from before stays removable.
   */
  addsReservation?: (cdb: Buffer, dataOut: Buffer) => boolean;
  run?: (context: CommandContext) => ScsiResult | Promise<ScsiResult>;
}

const L4 = [0xff, 0xff, 0xff, 0xff];
const L8 = [...L4, ...L4];
/** CONTROL byte: only NACA is examined (and must be 0). */
const C = 0x04;
/** Byte 1 of READ/WRITE: RDPROTECT/WRPROTECT, DPO, FUA. */
const RW = 0xf8;
/** Byte 1 of VERIFY / WRITE AND VERIFY: VRPROTECT/WRPROTECT, DPO, BYTCHK. */
const VF = 0xf6;

/** Data-out of READ-style CDBs that carry blocks: 0 when the CDB will be refused over the limit. */
function blockDataOutBytes(cdb: Buffer): number {
  const { blocks, lengthByte } = decodeBlockCdb(cdb);
  try {
    assertTransferLimit(blocks, MAX_TRANSFER_BLOCKS, lengthByte);
  } catch {
    return 0;
  }
  return blocks * SCSI_BLOCK_BYTES;
}

function verifyDataOutBytes(cdb: Buffer): number {
  const bytchk = bytchkOf(cdb);
  if (bytchk === Bytchk.COMPARE) return blockDataOutBytes(cdb);
  return bytchk === Bytchk.COMPARE_ONE_BLOCK ? SCSI_BLOCK_BYTES : 0;
}

function good(context: CommandContext): ScsiResult {
  assertControlByte(context.cdb, cdbLengthOf(context.cdb[0] ?? 0));
  return { status: ScsiStatus.GOOD };
}

/** PERSISTENT RESERVE OUT: the parameter list length in the CDB. */
export function persistentReserveOutListBytes(cdb: Buffer): number {
  return cdb.readUInt32BE(5);
}

const PR_IN_SERVICE_ACTIONS: Array<[number, string]> = [
  [PrIn.READ_KEYS, 'READ KEYS'],
  [PrIn.READ_RESERVATION, 'READ RESERVATION'],
  [PrIn.REPORT_CAPABILITIES, 'REPORT CAPABILITIES'],
  [PrIn.READ_FULL_STATUS, 'READ FULL STATUS'],
];
const PR_OUT_SERVICE_ACTIONS: Array<[number, string]> = [
  [PrOut.REGISTER, 'REGISTER'],
  [PrOut.RESERVE, 'RESERVE'],
  [PrOut.RELEASE, 'RELEASE'],
  [PrOut.CLEAR, 'CLEAR'],
  [PrOut.PREEMPT, 'PREEMPT'],
  [PrOut.PREEMPT_AND_ABORT, 'PREEMPT AND ABORT'],
  [PrOut.REGISTER_AND_IGNORE_EXISTING_KEY, 'REGISTER AND IGNORE EXISTING KEY'],
];

/**
 * PERSISTENT RESERVE OUT actions that add state: all but RELEASE, CLEAR and unregistering
 * (REGISTER with a zero service action key). See CommandSpec.addsReservation.
 */
function prOutAddsReservation(cdb: Buffer, dataOut: Buffer): boolean {
  const serviceAction = (cdb[1] ?? 0) & 0x1f;
  if (serviceAction === PrOut.RELEASE || serviceAction === PrOut.CLEAR) return false;
  const unregisters =
    (serviceAction === PrOut.REGISTER || serviceAction === PrOut.REGISTER_AND_IGNORE_EXISTING_KEY) &&
    dataOut.length >= 16 &&
    dataOut.readBigUInt64BE(8) === 0n;
  return !unregisters;
}

/** RESERVE(6), RELEASE(6) and PERSISTENT RESERVE IN/OUT, one entry per service action. */
const RESERVATION_COMMANDS: CommandSpec[] = [
  {
    opcode: Opcode.RESERVE_6,
    name: 'RESERVE(6)',
    usage: [0x16, 0, 0, 0, 0, C],
    addsReservation: () => true,
    run: (context) => {
      assertControlByte(context.cdb, 6);
      return context.reservations.reserve6(context.unit.naa, context.task.nexus);
    },
  },
  {
    opcode: Opcode.RELEASE_6,
    name: 'RELEASE(6)',
    usage: [0x17, 0, 0, 0, 0, C],
    run: (context) => {
      assertControlByte(context.cdb, 6);
      return context.reservations.release6(context.unit.naa, context.task.nexus);
    },
  },
  ...PR_IN_SERVICE_ACTIONS.map(
    ([serviceAction, action]): CommandSpec => ({
      opcode: Opcode.PERSISTENT_RESERVE_IN,
      serviceAction,
      name: `PERSISTENT RESERVE IN (${action})`,
      usage: [0x5e, serviceAction, 0, 0, 0, 0, 0, 0xff, 0xff, C],
      run: (context) => {
        assertControlByte(context.cdb, 10);
        return context.reservations.persistentReserveIn(context.unit.naa, context.cdb);
      },
    }),
  ),
  ...PR_OUT_SERVICE_ACTIONS.map(
    ([serviceAction, action]): CommandSpec => ({
      opcode: Opcode.PERSISTENT_RESERVE_OUT,
      serviceAction,
      name: `PERSISTENT RESERVE OUT (${action})`,
      usage: [0x5f, serviceAction, 0xff, 0, 0, ...L4, C],
      dataOutBytes: persistentReserveOutListBytes,
      addsReservation: prOutAddsReservation,
      run: (context) => {
        assertControlByte(context.cdb, 10);
        return context.reservations.persistentReserveOut(
          context.unit.naa,
          context.task.nexus,
          context.cdb,
          context.task.dataOut,
        );
      },
    }),
  ),
];

/** EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (extended-copy.ts). */
const COPY_COMMANDS: CommandSpec[] = [
  {
    opcode: Opcode.EXTENDED_COPY,
    serviceAction: CopyServiceAction.EXTENDED_COPY_LID1,
    name: 'EXTENDED COPY (LID1)',
    usage: [0x83, CopyServiceAction.EXTENDED_COPY_LID1, 0, 0, 0, 0, 0, 0, 0, 0, ...L4, 0, C],
    dataOutBytes: extendedCopyListBytes,
    run: extendedCopy,
  },
  ...[
    [CopyServiceAction.COPY_STATUS, 'COPY STATUS'] as const,
    [CopyServiceAction.OPERATING_PARAMETERS, 'OPERATING PARAMETERS'] as const,
  ].map(
    ([serviceAction, action]): CommandSpec => ({
      opcode: Opcode.RECEIVE_COPY_RESULTS,
      serviceAction,
      name: `RECEIVE COPY RESULTS (${action})`,
      usage: [0x84, serviceAction, 0xff, 0, 0, 0, 0, 0, 0, 0, ...L4, 0, C],
      run: receiveCopyResults,
    }),
  ),
];

export const COMMANDS: readonly CommandSpec[] = [
  { opcode: Opcode.TEST_UNIT_READY, name: 'TEST UNIT READY', usage: [0x00, 0, 0, 0, 0, C], run: good },
  { opcode: Opcode.REQUEST_SENSE, name: 'REQUEST SENSE', usage: [0x03, 0x01, 0, 0, 0xff, C], anyLun: true },
  {
    opcode: Opcode.READ_6,
    name: 'READ(6)',
    access: 'read',
    usage: [0x08, 0x1f, 0xff, 0xff, 0xff, C],
    run: read,
  },
  {
    opcode: Opcode.WRITE_6,
    name: 'WRITE(6)',
    access: 'write',
    usage: [0x0a, 0x1f, 0xff, 0xff, 0xff, C],
    dataOutBytes: blockDataOutBytes,
    run: write,
  },
  { opcode: Opcode.INQUIRY, name: 'INQUIRY', usage: [0x12, 0x03, 0xff, 0xff, 0xff, C], anyLun: true },
  {
    opcode: Opcode.MODE_SELECT_6,
    name: 'MODE SELECT(6)',
    access: 'write',
    usage: [0x15, 0x11, 0, 0, 0xff, C],
    dataOutBytes: modeSelectListBytes,
    run: (context) => modeSelect(context.cdb, context.task.dataOut),
  },
  {
    opcode: Opcode.MODE_SENSE_6,
    name: 'MODE SENSE(6)',
    access: 'read',
    usage: [0x1a, 0x08, 0xff, 0xff, 0xff, C],
    run: (context) => modeSense6(context.cdb, context.unit),
  },
  {
    opcode: Opcode.START_STOP_UNIT,
    name: 'START STOP UNIT',
    access: 'write',
    usage: [0x1b, 0, 0, 0, 0, C],
    run: good,
  },
  {
    opcode: Opcode.READ_CAPACITY_10,
    name: 'READ CAPACITY(10)',
    usage: [0x25, 0, 0, 0, 0, 0, 0, 0, 0, C],
    run: (context) => readCapacity10(context.cdb, context.unit),
  },
  {
    opcode: Opcode.READ_10,
    name: 'READ(10)',
    access: 'read',
    usage: [0x28, RW, ...L4, 0, 0xff, 0xff, C],
    run: read,
  },
  {
    opcode: Opcode.WRITE_10,
    name: 'WRITE(10)',
    access: 'write',
    usage: [0x2a, RW, ...L4, 0, 0xff, 0xff, C],
    dataOutBytes: blockDataOutBytes,
    run: write,
  },
  {
    opcode: Opcode.WRITE_AND_VERIFY_10,
    name: 'WRITE AND VERIFY(10)',
    access: 'write',
    usage: [0x2e, VF, ...L4, 0, 0xff, 0xff, C],
    dataOutBytes: blockDataOutBytes,
    run: writeAndVerify,
  },
  {
    opcode: Opcode.VERIFY_10,
    name: 'VERIFY(10)',
    access: 'read',
    usage: [0x2f, VF, ...L4, 0, 0xff, 0xff, C],
    dataOutBytes: verifyDataOutBytes,
    run: verify,
  },
  {
    opcode: Opcode.PRE_FETCH_10,
    name: 'PRE-FETCH(10)',
    access: 'read',
    usage: [0x34, 0, ...L4, 0, 0xff, 0xff, C],
    run: preFetch,
  },
  {
    opcode: Opcode.SYNCHRONIZE_CACHE_10,
    name: 'SYNCHRONIZE CACHE(10)',
    access: 'write',
    usage: [0x35, 0, ...L4, 0, 0xff, 0xff, C],
    run: synchronizeCache,
  },
  {
    opcode: Opcode.WRITE_SAME_10,
    name: 'WRITE SAME(10)',
    access: 'write',
    usage: [0x41, 0xfe, ...L4, 0, 0xff, 0xff, C],
    dataOutBytes: writeSameDataOutBytes,
    run: writeSame,
  },
  {
    opcode: Opcode.UNMAP,
    name: 'UNMAP',
    access: 'write',
    usage: [0x42, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, C],
    dataOutBytes: unmapListBytes,
    run: unmap,
  },
  {
    opcode: Opcode.MODE_SELECT_10,
    name: 'MODE SELECT(10)',
    access: 'write',
    usage: [0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, C],
    dataOutBytes: modeSelectListBytes,
    run: (context) => modeSelect(context.cdb, context.task.dataOut),
  },
  {
    opcode: Opcode.MODE_SENSE_10,
    name: 'MODE SENSE(10)',
    access: 'read',
    usage: [0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, C],
    run: (context) => modeSense10(context.cdb, context.unit),
  },
  {
    opcode: Opcode.READ_16,
    name: 'READ(16)',
    access: 'read',
    usage: [0x88, RW, ...L8, ...L4, 0, C],
    run: read,
  },
  {
    opcode: Opcode.COMPARE_AND_WRITE,
    name: 'COMPARE AND WRITE',
    access: 'write',
    usage: [0x89, RW, ...L8, 0, 0, 0, 0xff, 0, C],
    dataOutBytes: compareAndWriteDataOutBytes,
    run: compareAndWrite,
  },
  {
    opcode: Opcode.ORWRITE_16,
    name: 'ORWRITE(16)',
    access: 'write',
    usage: [0x8b, RW, ...L8, ...L4, 0, C],
    dataOutBytes: blockDataOutBytes,
    run: orWrite,
  },
  {
    opcode: Opcode.READ_DEFECT_DATA_10,
    name: 'READ DEFECT DATA(10)',
    access: 'read',
    usage: [0x37, 0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, C],
    run: readDefectData10,
  },
  {
    opcode: Opcode.READ_DEFECT_DATA_12,
    name: 'READ DEFECT DATA(12)',
    access: 'read',
    usage: [0xb7, 0x1f, ...L4, ...L4, 0, C],
    run: readDefectData12,
  },
  {
    opcode: Opcode.WRITE_16,
    name: 'WRITE(16)',
    access: 'write',
    usage: [0x8a, RW, ...L8, ...L4, 0, C],
    dataOutBytes: blockDataOutBytes,
    run: write,
  },
  {
    opcode: Opcode.WRITE_AND_VERIFY_16,
    name: 'WRITE AND VERIFY(16)',
    access: 'write',
    usage: [0x8e, VF, ...L8, ...L4, 0, C],
    dataOutBytes: blockDataOutBytes,
    run: writeAndVerify,
  },
  {
    opcode: Opcode.VERIFY_16,
    name: 'VERIFY(16)',
    access: 'read',
    usage: [0x8f, VF, ...L8, ...L4, 0, C],
    dataOutBytes: verifyDataOutBytes,
    run: verify,
  },
  {
    opcode: Opcode.PRE_FETCH_16,
    name: 'PRE-FETCH(16)',
    access: 'read',
    usage: [0x90, 0, ...L8, ...L4, 0, C],
    run: preFetch,
  },
  {
    opcode: Opcode.SYNCHRONIZE_CACHE_16,
    name: 'SYNCHRONIZE CACHE(16)',
    access: 'write',
    usage: [0x91, 0, ...L8, ...L4, 0, C],
    run: synchronizeCache,
  },
  {
    opcode: Opcode.WRITE_SAME_16,
    name: 'WRITE SAME(16)',
    access: 'write',
    usage: [0x93, 0xff, ...L8, ...L4, 0, C],
    dataOutBytes: writeSameDataOutBytes,
    run: writeSame,
  },
  {
    opcode: Opcode.SERVICE_ACTION_IN_16,
    serviceAction: ServiceAction.READ_CAPACITY_16,
    name: 'READ CAPACITY(16)',
    usage: [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...L4, 0, C],
    run: (context) => readCapacity16(context.cdb, context.unit),
  },
  {
    opcode: Opcode.SERVICE_ACTION_IN_16,
    serviceAction: ServiceAction.GET_LBA_STATUS,
    name: 'GET LBA STATUS',
    access: 'read',
    usage: [0x9e, 0x12, ...L8, ...L4, 0, C],
    run: (context) => getLbaStatus(context.cdb, context.unit),
  },
  {
    opcode: Opcode.REPORT_LUNS,
    name: 'REPORT LUNS',
    usage: [0xa0, 0, 0xff, 0, 0, 0, ...L4, 0, C],
    anyLun: true,
  },
  {
    opcode: Opcode.MAINTENANCE_IN,
    serviceAction: ServiceAction.REPORT_SUPPORTED_OPERATION_CODES,
    name: 'REPORT SUPPORTED OPERATION CODES',
    access: 'read', // SPC-4: conflicts with exclusive-access reservations, as reads do
    usage: [0xa3, 0x0c, 0x87, 0xff, 0xff, 0xff, ...L4, 0, C],
    run: (context) => reportSupportedOperationCodes(context.cdb, COMMANDS),
  },
  {
    opcode: Opcode.READ_12,
    name: 'READ(12)',
    access: 'read',
    usage: [0xa8, RW, ...L4, ...L4, 0, C],
    run: read,
  },
  {
    opcode: Opcode.WRITE_12,
    name: 'WRITE(12)',
    access: 'write',
    usage: [0xaa, RW, ...L4, ...L4, 0, C],
    dataOutBytes: blockDataOutBytes,
    run: write,
  },
  {
    opcode: Opcode.WRITE_AND_VERIFY_12,
    name: 'WRITE AND VERIFY(12)',
    access: 'write',
    usage: [0xae, VF, ...L4, ...L4, 0, C],
    dataOutBytes: blockDataOutBytes,
    run: writeAndVerify,
  },
  {
    opcode: Opcode.VERIFY_12,
    name: 'VERIFY(12)',
    access: 'read',
    usage: [0xaf, VF, ...L4, ...L4, 0, C],
    dataOutBytes: verifyDataOutBytes,
    run: verify,
  },
  ...RESERVATION_COMMANDS,
  ...COPY_COMMANDS,
];

/** Opcodes whose byte 1 bits 4-0 select a service action (looked up together with it). */
export const SERVICE_ACTION_OPCODES: ReadonlySet<number> = new Set([
  Opcode.EXTENDED_COPY,
  Opcode.RECEIVE_COPY_RESULTS,
  Opcode.SERVICE_ACTION_IN_16,
  Opcode.MAINTENANCE_IN,
  Opcode.PERSISTENT_RESERVE_IN,
  Opcode.PERSISTENT_RESERVE_OUT,
]);

/**
 * Opcodes with a data-out phase that the server can size whatever their service action: an
 * unsupported PERSISTENT RESERVE OUT service action still brings its parameter list.
 */
export const UNIMPLEMENTED_DATA_OUT: ReadonlyMap<number, (cdb: Buffer) => number> = new Map([
  [Opcode.PERSISTENT_RESERVE_OUT, persistentReserveOutListBytes],
]);
