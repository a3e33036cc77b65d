// REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN 0xA3 / 0x0C) over the command table. libiscsi
// reads the list to pick tests and checks each entry with the one-command forms, and Linux asks
// it about WRITE SAME, so every entry must match what the dispatcher really does.

import { assertControlByte, truncateTo } from './cdb.js';
import { COMMAND_NOMINAL_TIMEOUT_SECONDS, COMMAND_RECOMMENDED_TIMEOUT_SECONDS } from './limits.js';
import { invalidCdbField } from './sense.js';
import { type ScsiResult, ScsiStatus } from './types.js';

/** What RSOC reports about one command: opcode, service action, CDB usage map (its length is the CDB length). */
export interface CommandDescription {
  opcode: number;
  serviceAction?: number;
  name: string;
  /** CDB USAGE DATA (SPC-4 6.35.3): the opcode, then per byte the bits the server examines. */
  usage: readonly number[];
}

const RCTD_BIT = 0x80;
const REPORTING_OPTIONS_MASK = 0x07;
const ReportingOptions = {
  ALL: 0,
  OPCODE: 1,
  OPCODE_AND_SERVICE_ACTION: 2,
  OPCODE_SERVICE_ACTION_OPTIONAL: 3,
} as const;
const Support = { NOT_SUPPORTED: 0x1, SUPPORTED: 0x3 } as const;
const CTDP_BIT_ALL = 0x02;
const SERVACTV_BIT = 0x01;
const CTDP_BIT_ONE = 0x80;
const COMMAND_DESCRIPTOR_BYTES = 8;
const TIMEOUTS_DESCRIPTOR_BYTES = 12;

function timeoutsDescriptor(): Buffer {
  const descriptor = Buffer.alloc(TIMEOUTS_DESCRIPTOR_BYTES);
  descriptor.writeUInt16BE(TIMEOUTS_DESCRIPTOR_BYTES - 2, 0);
  descriptor.writeUInt32BE(COMMAND_NOMINAL_TIMEOUT_SECONDS, 4);
  descriptor.writeUInt32BE(COMMAND_RECOMMENDED_TIMEOUT_SECONDS, 8);
  return descriptor;
}

function allCommands(commands: readonly CommandDescription[], withTimeouts: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const command of commands) {
    const descriptor = Buffer.alloc(COMMAND_DESCRIPTOR_BYTES);
    descriptor[0] = command.opcode;
    descriptor.writeUInt16BE(command.serviceAction ?? 0, 2);
    descriptor[5] =
      (withTimeouts ? CTDP_BIT_ALL : 0) | (command.serviceAction === undefined ? 0 : SERVACTV_BIT);
    descriptor.writeUInt16BE(command.usage.length, 6);
    parts.push(descriptor);
    if (withTimeouts) parts.push(timeoutsDescriptor());
  }
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

function oneCommand(command: CommandDescription | undefined, withTimeouts: boolean): Buffer {
  const header = Buffer.alloc(4);
  if (command === undefined) {
    header[1] = Support.NOT_SUPPORTED;
    return header;
  }
  header[1] = (withTimeouts ? CTDP_BIT_ONE : 0) | Support.SUPPORTED;
  header.writeUInt16BE(command.usage.length, 2);
  const parts: Buffer[] = [header, Buffer.from(command.usage)];
  if (withTimeouts) parts.push(timeoutsDescriptor());
  return Buffer.concat(parts);
}

export function reportSupportedOperationCodes(
  cdb: Buffer,
  commands: readonly CommandDescription[],
): ScsiResult {
  assertControlByte(cdb, 12);
  const withTimeouts = ((cdb[2] ?? 0) & RCTD_BIT) !== 0;
  const options = (cdb[2] ?? 0) & REPORTING_OPTIONS_MASK;
  const opcode = cdb[3] ?? 0;
  const serviceAction = cdb.readUInt16BE(4);
  const allocationLength = cdb.readUInt32BE(6);
  const forOpcode = commands.filter((command) => command.opcode === opcode);
  const hasServiceActions = forOpcode.some((command) => command.serviceAction !== undefined);
  let data: Buffer;
  switch (options) {
    case ReportingOptions.ALL:
      data = allCommands(commands, withTimeouts);
      break;
    case ReportingOptions.OPCODE:
      if (hasServiceActions) throw invalidCdbField(`opcode 0x${opcode.toString(16)} has service actions`, 3);
      data = oneCommand(forOpcode[0], withTimeouts);
      break;
    case ReportingOptions.OPCODE_AND_SERVICE_ACTION:
      if (forOpcode.length > 0 && !hasServiceActions) {
        throw invalidCdbField(`opcode 0x${opcode.toString(16)} has no service actions`, 3);
      }
      data = oneCommand(
        forOpcode.find((command) => command.serviceAction === serviceAction),
        withTimeouts,
      );
      break;
    case ReportingOptions.OPCODE_SERVICE_ACTION_OPTIONAL:
      data = oneCommand(
        hasServiceActions
          ? forOpcode.find((command) => command.serviceAction === serviceAction)
          : serviceAction === 0
            ? forOpcode[0]
            : undefined,
        withTimeouts,
      );
      break;
    default:
      throw invalidCdbField(`REPORTING OPTIONS ${options} is not supported`, 2);
  }
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(data, allocationLength) };
}
