// The SCSI sense catalogue: every CHECK CONDITION the device server answers, named once, and the
// fixed-format (response code 0x70) sense data built from it. D_SENSE is 0 in our CONTROL mode
// page, so commands get fixed-format sense; REQUEST SENSE with DESC=1 gets descriptor format.
// The iSCSI transport prefixes the 2-byte SenseLength itself: the buffers here do not carry it.

import { IoError, type IoErrorCode } from '../../engine/block-device.js';
import { type ScsiResult, ScsiStatus } from './types.js';

export const SenseKey = {
  NO_SENSE: 0x00,
  NOT_READY: 0x02,
  MEDIUM_ERROR: 0x03,
  HARDWARE_ERROR: 0x04,
  ILLEGAL_REQUEST: 0x05,
  UNIT_ATTENTION: 0x06,
  DATA_PROTECT: 0x07,
  COPY_ABORTED: 0x0a,
  ABORTED_COMMAND: 0x0b,
  MISCOMPARE: 0x0e,
} as const;

export interface SenseCode {
  key: number;
  asc: number;
  ascq: number;
  text: string;
}

/** Every sense the server reports. Names are stable (tests and logs use them). */
export const SENSE = {
  'no-sense': { key: SenseKey.NO_SENSE, asc: 0x00, ascq: 0x00, text: 'NO ADDITIONAL SENSE INFORMATION' },
  'invalid-opcode': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x20,
    ascq: 0x00,
    text: 'INVALID COMMAND OPERATION CODE',
  },
  'invalid-field-in-cdb': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x24,
    ascq: 0x00,
    text: 'INVALID FIELD IN CDB',
  },
  'lba-out-of-range': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x21,
    ascq: 0x00,
    text: 'LOGICAL BLOCK ADDRESS OUT OF RANGE',
  },
  'lu-not-supported': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x25,
    ascq: 0x00,
    text: 'LOGICAL UNIT NOT SUPPORTED',
  },
  'parameter-list-length-error': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x1a,
    ascq: 0x00,
    text: 'PARAMETER LIST LENGTH ERROR',
  },
  'invalid-field-in-parameter-list': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x00,
    text: 'INVALID FIELD IN PARAMETER LIST',
  },
  'too-many-target-descriptors': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x06,
    text: 'TOO MANY TARGET DESCRIPTORS',
  },
  'unsupported-target-descriptor-type': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x07,
    text: 'UNSUPPORTED TARGET DESCRIPTOR TYPE CODE',
  },
  'too-many-segment-descriptors': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x08,
    text: 'TOO MANY SEGMENT DESCRIPTORS',
  },
  'unsupported-segment-descriptor-type': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x09,
    text: 'UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE',
  },
  'copy-aborted': {
    key: SenseKey.COPY_ABORTED,
    asc: 0x00,
    ascq: 0x00,
    text: 'NO ADDITIONAL SENSE INFORMATION',
  },
  'unreachable-copy-target': {
    key: SenseKey.COPY_ABORTED,
    asc: 0x08,
    ascq: 0x04,
    text: 'UNREACHABLE COPY TARGET',
  },
  'incorrect-copy-target-device-type': {
    key: SenseKey.COPY_ABORTED,
    asc: 0x0d,
    ascq: 0x03,
    text: 'INCORRECT COPY TARGET DEVICE TYPE',
  },
  'saving-parameters-not-supported': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x39,
    ascq: 0x00,
    text: 'SAVING PARAMETERS NOT SUPPORTED',
  },
  'write-protected': { key: SenseKey.DATA_PROTECT, asc: 0x27, ascq: 0x00, text: 'WRITE PROTECTED' },
  'space-allocation-failed': {
    key: SenseKey.DATA_PROTECT,
    asc: 0x27,
    ascq: 0x07,
    text: 'SPACE ALLOCATION FAILED WRITE PROTECT',
  },
  miscompare: { key: SenseKey.MISCOMPARE, asc: 0x1d, ascq: 0x00, text: 'MISCOMPARE DURING VERIFY OPERATION' },
  'unrecovered-read-error': {
    key: SenseKey.MEDIUM_ERROR,
    asc: 0x11,
    ascq: 0x00,
    text: 'UNRECOVERED READ ERROR',
  },
  'write-error': { key: SenseKey.MEDIUM_ERROR, asc: 0x0c, ascq: 0x00, text: 'WRITE ERROR' },
  'lu-not-accessible': {
    key: SenseKey.NOT_READY,
    asc: 0x04,
    ascq: 0x0c,
    text: 'LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE',
  },
  'internal-target-failure': {
    key: SenseKey.HARDWARE_ERROR,
    asc: 0x44,
    ascq: 0x00,
    text: 'INTERNAL TARGET FAILURE',
  },
  'data-phase-error': { key: SenseKey.ABORTED_COMMAND, asc: 0x4b, ascq: 0x00, text: 'DATA PHASE ERROR' },
  'protocol-service-crc-error': {
    key: SenseKey.ABORTED_COMMAND,
    asc: 0x47,
    ascq: 0x05,
    text: 'PROTOCOL SERVICE CRC ERROR',
  },
  'bus-device-reset': {
    key: SenseKey.UNIT_ATTENTION,
    asc: 0x29,
    ascq: 0x03,
    text: 'BUS DEVICE RESET FUNCTION OCCURRED',
  },
  'capacity-data-changed': {
    key: SenseKey.UNIT_ATTENTION,
    asc: 0x2a,
    ascq: 0x09,
    text: 'CAPACITY DATA HAS CHANGED',
  },
  'reservations-preempted': {
    key: SenseKey.UNIT_ATTENTION,
    asc: 0x2a,
    ascq: 0x03,
    text: 'RESERVATIONS PREEMPTED',
  },
  'reservations-released': {
    key: SenseKey.UNIT_ATTENTION,
    asc: 0x2a,
    ascq: 0x04,
    text: 'RESERVATIONS RELEASED',
  },
  'registrations-preempted': {
    key: SenseKey.UNIT_ATTENTION,
    asc: 0x2a,
    ascq: 0x05,
    text: 'REGISTRATIONS PREEMPTED',
  },
  'invalid-release-of-persistent-reservation': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x26,
    ascq: 0x04,
    text: 'INVALID RELEASE OF PERSISTENT RESERVATION',
  },
  'insufficient-registration-resources': {
    key: SenseKey.ILLEGAL_REQUEST,
    asc: 0x55,
    ascq: 0x04,
    text: 'INSUFFICIENT REGISTRATION RESOURCES',
  },
} as const satisfies Record<string, SenseCode>;
export type SenseName = keyof typeof SENSE;

/** Where an ILLEGAL REQUEST points (sense-key specific FIELD POINTER). */
export interface FieldPointer {
  /** true: the byte is in the CDB (C/D=1); false: in the parameter list (C/D=0). */
  inCdb: boolean;
  byte: number;
  /** The most significant bit of the field within the byte, when known (BPV=1). */
  bit?: number;
}

export interface SenseDetail {
  /** INFORMATION (VALID=1): e.g. the offset of the first miscompared byte. */
  information?: number;
  field?: FieldPointer;
}

/** Fixed-format sense: 18 bytes, response code 0x70 (current error). */
export const FIXED_SENSE_BYTES = 18;
const FIXED_ADDITIONAL_LENGTH = FIXED_SENSE_BYTES - 8;
const RESPONSE_CODE_FIXED = 0x70;
const RESPONSE_CODE_DESCRIPTOR = 0x72;
const VALID_BIT = 0x80;
const SKSV_BIT = 0x80;
const CD_BIT = 0x40;
const BPV_BIT = 0x08;

function senseKeySpecific(field: FieldPointer): Buffer {
  const bytes = Buffer.alloc(3);
  bytes[0] =
    SKSV_BIT | (field.inCdb ? CD_BIT : 0) | (field.bit === undefined ? 0 : BPV_BIT | (field.bit & 0x07));
  bytes.writeUInt16BE(field.byte & 0xffff, 1);
  return bytes;
}

export function fixedSense(name: SenseName, detail: SenseDetail = {}): Buffer {
  const code: SenseCode = SENSE[name];
  const sense = Buffer.alloc(FIXED_SENSE_BYTES);
  sense[0] = RESPONSE_CODE_FIXED | (detail.information === undefined ? 0 : VALID_BIT);
  sense[2] = code.key;
  if (detail.information !== undefined) sense.writeUInt32BE(detail.information >>> 0, 3);
  sense[7] = FIXED_ADDITIONAL_LENGTH;
  sense[12] = code.asc;
  sense[13] = code.ascq;
  if (detail.field !== undefined) senseKeySpecific(detail.field).copy(sense, 15);
  return sense;
}

/** Descriptor-format sense (0x72), for REQUEST SENSE with DESC=1. */
export function descriptorSense(name: SenseName, detail: SenseDetail = {}): Buffer {
  const code: SenseCode = SENSE[name];
  const descriptors: Buffer[] = [];
  if (detail.information !== undefined) {
    const information = Buffer.alloc(12);
    information[0] = 0x00; // information descriptor
    information[1] = 0x0a;
    information[2] = VALID_BIT;
    information.writeBigUInt64BE(BigInt(detail.information >>> 0), 4);
    descriptors.push(information);
  }
  if (detail.field !== undefined) {
    const specific = Buffer.alloc(8);
    specific[0] = 0x02; // sense key specific descriptor
    specific[1] = 0x06;
    senseKeySpecific(detail.field).copy(specific, 4);
    descriptors.push(specific);
  }
  const body = Buffer.concat(descriptors);
  const header = Buffer.alloc(8);
  header[0] = RESPONSE_CODE_DESCRIPTOR;
  header[1] = code.key;
  header[2] = code.asc;
  header[3] = code.ascq;
  header[7] = body.length;
  return Buffer.concat([header, body]);
}

/**
 * A command refused with CHECK CONDITION. Validators throw it; the device server catches it and
 * answers with its sense. `reason` says why, for logs and tests.
 */
export class CheckCondition extends Error {
  constructor(
    readonly senseName: SenseName,
    readonly reason: string,
    readonly detail: SenseDetail = {},
  ) {
    super(`${SENSE[senseName].text}: ${reason}`);
    this.name = 'CheckCondition';
  }

  result(): ScsiResult {
    return { status: ScsiStatus.CHECK_CONDITION, sense: fixedSense(this.senseName, this.detail) };
  }
}

/** INVALID FIELD IN CDB pointing at `byte` (and `bit`) of the CDB. */
export function invalidCdbField(reason: string, byte: number, bit?: number): CheckCondition {
  return new CheckCondition('invalid-field-in-cdb', reason, {
    field: bit === undefined ? { inCdb: true, byte } : { inCdb: true, byte, bit },
  });
}

/** INVALID FIELD IN PARAMETER LIST pointing at `byte` of the data-out. */
export function invalidParameterField(reason: string, byte: number): CheckCondition {
  return new CheckCondition('invalid-field-in-parameter-list', reason, { field: { inCdb: false, byte } });
}

/**
 * Engine failures as sense. 'offline' (the volume cannot be served by this array right now, e.g.
 * a pod whose other side won the mediator race) is the ALUA "unavailable" state: NOT READY says
 * "not through this path", so dm-multipath fails the path and retries on another one (possibly
 * the other array). 'gone' (volume destroyed while connected) is LOGICAL UNIT NOT SUPPORTED: no
 * path will ever serve it again, so the host fails the I/O at once instead of retrying.
 */
const IO_ERROR_SENSE: Readonly<Record<IoErrorCode, { read: SenseName; write: SenseName }>> = {
  io: { read: 'unrecovered-read-error', write: 'write-error' },
  'read-only': { read: 'write-protected', write: 'write-protected' },
  'out-of-range': { read: 'lba-out-of-range', write: 'lba-out-of-range' },
  'no-space': { read: 'space-allocation-failed', write: 'space-allocation-failed' },
  offline: { read: 'lu-not-accessible', write: 'lu-not-accessible' },
  gone: { read: 'lu-not-supported', write: 'lu-not-supported' },
};

/** The sense for a failure thrown by the device; anything but an IoError is our bug. */
export function senseForFailure(error: unknown, direction: 'read' | 'write'): SenseName {
  if (error instanceof IoError) return IO_ERROR_SENSE[error.code]?.[direction] ?? 'internal-target-failure';
  return 'internal-target-failure';
}
