// The iSCSI PDU codec (RFC 7143 section 11): every opcode's Basic Header Segment as a table of
// fields at byte offsets, decoded to and encoded from plain objects, and a frame reader that cuts
// a byte stream into whole PDUs (BHS, AHS, data segment, padding, and the CRC32C header and data
// digests once negotiated) or says why it cannot. Nothing here throws on bad input.

import { crc32c } from '@node-rs/crc32';
import { ByteQueue } from '../nbd/byte-queue.js';
import type { FrameInvalidReason } from './errors.js';
import { BHS_BYTES, ISCSI_DEFAULT_MRDSL_BYTES } from './limits.js';

export const Opcode = {
  NOP_OUT: 0x00,
  SCSI_COMMAND: 0x01,
  TASK_MGMT: 0x02,
  LOGIN: 0x03,
  TEXT: 0x04,
  DATA_OUT: 0x05,
  LOGOUT: 0x06,
  SNACK: 0x10,
  NOP_IN: 0x20,
  SCSI_RESPONSE: 0x21,
  TASK_MGMT_RESPONSE: 0x22,
  LOGIN_RESPONSE: 0x23,
  TEXT_RESPONSE: 0x24,
  DATA_IN: 0x25,
  LOGOUT_RESPONSE: 0x26,
  R2T: 0x31,
  ASYNC: 0x32,
  REJECT: 0x3f,
} as const;

/** The reserved tag: "no task" in ITT, "no transfer" in TTT. */
export const RESERVED_TAG = 0xffffffff;

/** A LUN we cannot decode (not single-level peripheral or flat addressing): addresses nothing. */
export const LUN_UNADDRESSABLE = 0xffffffff;

/** Stage codes of CSG/NSG in login PDUs. */
export const Stage = { SECURITY: 0, OPERATIONAL: 1, FULL_FEATURE: 3 } as const;

/** AHS types (RFC 7143 section 11.2.2). */
export const AhsType = { EXTENDED_CDB: 1, BIDI_READ_LENGTH: 2 } as const;

/** One PDU as framed: the 48-byte BHS, the AHS bytes (usually none) and the data segment without padding. */
const EMPTY: Buffer = Buffer.alloc(0);

export interface RawPdu {
  bhs: Buffer;
  ahs: Buffer;
  data: Buffer;
  /** The data segment failed its CRC32C data digest (the header's was good): do not trust it. */
  dataDigestError?: boolean;
}

/** Bytes of a header or data digest (CRC32C). */
export const DIGEST_BYTES = 4;

/**
 * The CRC32C of `chunks`, as the 4 bytes that follow them on the wire: least significant byte
 * first, as libiscsi and the Linux initiator write it.
 */
export function digestOf(chunks: readonly Buffer[]): Buffer {
  let crc = 0;
  for (const chunk of chunks) crc = crc32c(chunk, crc);
  const digest = Buffer.allocUnsafe(DIGEST_BYTES);
  digest.writeUInt32LE(crc >>> 0, 0);
  return digest;
}

/**
 * A PDU's chunks as encodePdu made them (BHS, optional AHS, optional data and padding), with the
 * negotiated digests inserted: after the header, and after the padded data segment.
 */
export function withDigests(chunks: Buffer[], header: boolean, data: boolean): Buffer[] {
  const bhs = chunks[0]!;
  const headerEnd = 1 + (bhs[4]! > 0 ? 1 : 0);
  const out = chunks.slice(0, headerEnd);
  if (header) out.push(digestOf(out));
  const segment = chunks.slice(headerEnd);
  out.push(...segment);
  if (data && segment.length > 0) out.push(digestOf(segment));
  return out;
}

type FieldSpec =
  | readonly ['u8' | 'u16' | 'u32', number]
  | readonly ['flag', number, number]
  | readonly ['bits', number, number, number]
  | readonly ['lun' | 'isid' | 'cdb'];

type Layout<T> = { readonly [K in keyof T]: FieldSpec };

interface Common {
  immediate: boolean;
  itt: number;
}

export interface NopOutFields extends Common {
  lun: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}
export interface NopInFields {
  itt: number;
  lun: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}
export interface ScsiCommandFields extends Common {
  final: boolean;
  read: boolean;
  write: boolean;
  attr: number;
  lun: number;
  expectedLength: number;
  cmdSN: number;
  expStatSN: number;
  cdb: Buffer;
}
export interface ScsiResponseFields {
  itt: number;
  bidiOverflow: boolean;
  bidiUnderflow: boolean;
  overflow: boolean;
  underflow: boolean;
  response: number;
  status: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  expDataSN: number;
  bidiResidual: number;
  residual: number;
}
export interface TaskMgmtFields extends Common {
  func: number;
  lun: number;
  referencedTag: number;
  cmdSN: number;
  expStatSN: number;
  refCmdSN: number;
  expDataSN: number;
}
export interface TaskMgmtResponseFields {
  itt: number;
  response: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}
export interface LoginFields extends Common {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionMin: number;
  isid: string;
  tsih: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}
export interface LoginResponseFields {
  itt: number;
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionActive: number;
  isid: string;
  tsih: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  status: number;
}
export interface TextFields extends Common {
  final: boolean;
  cont: boolean;
  lun: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}
export interface TextResponseFields {
  itt: number;
  final: boolean;
  cont: boolean;
  lun: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}
export interface DataOutFields {
  itt: number;
  final: boolean;
  lun: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}
export interface DataInFields {
  itt: number;
  final: boolean;
  ack: boolean;
  overflow: boolean;
  underflow: boolean;
  statusPresent: boolean;
  status: number;
  lun: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  dataSN: number;
  bufferOffset: number;
  residual: number;
}
export interface LogoutFields extends Common {
  reason: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}
export interface LogoutResponseFields {
  itt: number;
  response: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  time2Wait: number;
  time2Retain: number;
}
export interface SnackFields {
  itt: number;
  type: number;
  lun: number;
  ttt: number;
  expStatSN: number;
  begRun: number;
  runLength: number;
}
export interface R2tFields {
  itt: number;
  lun: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  r2tSN: number;
  bufferOffset: number;
  desiredLength: number;
}
export interface AsyncFields {
  lun: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  asyncEvent: number;
  asyncVCode: number;
  parameter1: number;
  parameter2: number;
  parameter3: number;
}
export interface RejectFields {
  reason: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  dataSN: number;
}

const IMMEDIATE: FieldSpec = ['flag', 0, 0x40];
const ITT: FieldSpec = ['u32', 16];
const LUN: FieldSpec = ['lun'];
const F: FieldSpec = ['flag', 1, 0x80];
const SN_OUT = { statSN: ['u32', 24], expCmdSN: ['u32', 28], maxCmdSN: ['u32', 32] } as const;
const SN_IN = { cmdSN: ['u32', 24], expStatSN: ['u32', 28] } as const;

const LAYOUTS = {
  [Opcode.NOP_OUT]: { immediate: IMMEDIATE, itt: ITT, lun: LUN, ttt: ['u32', 20], ...SN_IN },
  [Opcode.NOP_IN]: { itt: ITT, lun: LUN, ttt: ['u32', 20], ...SN_OUT },
  [Opcode.SCSI_COMMAND]: {
    immediate: IMMEDIATE,
    itt: ITT,
    final: F,
    read: ['flag', 1, 0x40],
    write: ['flag', 1, 0x20],
    attr: ['bits', 1, 0, 3],
    lun: LUN,
    expectedLength: ['u32', 20],
    ...SN_IN,
    cdb: ['cdb'],
  },
  [Opcode.SCSI_RESPONSE]: {
    itt: ITT,
    bidiOverflow: ['flag', 1, 0x10],
    bidiUnderflow: ['flag', 1, 0x08],
    overflow: ['flag', 1, 0x04],
    underflow: ['flag', 1, 0x02],
    response: ['u8', 2],
    status: ['u8', 3],
    ...SN_OUT,
    expDataSN: ['u32', 36],
    bidiResidual: ['u32', 40],
    residual: ['u32', 44],
  },
  [Opcode.TASK_MGMT]: {
    immediate: IMMEDIATE,
    itt: ITT,
    func: ['bits', 1, 0, 7],
    lun: LUN,
    referencedTag: ['u32', 20],
    ...SN_IN,
    refCmdSN: ['u32', 32],
    expDataSN: ['u32', 36],
  },
  [Opcode.TASK_MGMT_RESPONSE]: { itt: ITT, response: ['u8', 2], ...SN_OUT },
  [Opcode.LOGIN]: {
    immediate: IMMEDIATE,
    itt: ITT,
    transit: F,
    cont: ['flag', 1, 0x40],
    csg: ['bits', 1, 2, 2],
    nsg: ['bits', 1, 0, 2],
    versionMax: ['u8', 2],
    versionMin: ['u8', 3],
    isid: ['isid'],
    tsih: ['u16', 14],
    cid: ['u16', 20],
    ...SN_IN,
  },
  [Opcode.LOGIN_RESPONSE]: {
    itt: ITT,
    transit: F,
    cont: ['flag', 1, 0x40],
    csg: ['bits', 1, 2, 2],
    nsg: ['bits', 1, 0, 2],
    versionMax: ['u8', 2],
    versionActive: ['u8', 3],
    isid: ['isid'],
    tsih: ['u16', 14],
    ...SN_OUT,
    status: ['u16', 36],
  },
  [Opcode.TEXT]: {
    immediate: IMMEDIATE,
    itt: ITT,
    final: F,
    cont: ['flag', 1, 0x40],
    lun: LUN,
    ttt: ['u32', 20],
    ...SN_IN,
  },
  [Opcode.TEXT_RESPONSE]: {
    itt: ITT,
    final: F,
    cont: ['flag', 1, 0x40],
    lun: LUN,
    ttt: ['u32', 20],
    ...SN_OUT,
  },
  [Opcode.DATA_OUT]: {
    itt: ITT,
    final: F,
    lun: LUN,
    ttt: ['u32', 20],
    expStatSN: ['u32', 28],
    dataSN: ['u32', 36],
    bufferOffset: ['u32', 40],
  },
  [Opcode.DATA_IN]: {
    itt: ITT,
    final: F,
    ack: ['flag', 1, 0x40],
    overflow: ['flag', 1, 0x04],
    underflow: ['flag', 1, 0x02],
    statusPresent: ['flag', 1, 0x01],
    status: ['u8', 3],
    lun: LUN,
    ttt: ['u32', 20],
    ...SN_OUT,
    dataSN: ['u32', 36],
    bufferOffset: ['u32', 40],
    residual: ['u32', 44],
  },
  [Opcode.LOGOUT]: { immediate: IMMEDIATE, itt: ITT, reason: ['bits', 1, 0, 7], cid: ['u16', 20], ...SN_IN },
  [Opcode.LOGOUT_RESPONSE]: {
    itt: ITT,
    response: ['u8', 2],
    ...SN_OUT,
    time2Wait: ['u16', 40],
    time2Retain: ['u16', 42],
  },
  [Opcode.SNACK]: {
    itt: ITT,
    type: ['bits', 1, 0, 4],
    lun: LUN,
    ttt: ['u32', 20],
    expStatSN: ['u32', 28],
    begRun: ['u32', 40],
    runLength: ['u32', 44],
  },
  [Opcode.R2T]: {
    itt: ITT,
    lun: LUN,
    ttt: ['u32', 20],
    ...SN_OUT,
    r2tSN: ['u32', 36],
    bufferOffset: ['u32', 40],
    desiredLength: ['u32', 44],
  },
  [Opcode.ASYNC]: {
    lun: LUN,
    ...SN_OUT,
    asyncEvent: ['u8', 36],
    asyncVCode: ['u8', 37],
    parameter1: ['u16', 38],
    parameter2: ['u16', 40],
    parameter3: ['u16', 42],
  },
  [Opcode.REJECT]: { reason: ['u8', 2], ...SN_OUT, dataSN: ['u32', 36] },
} as const;

export interface FieldsOf {
  [Opcode.NOP_OUT]: NopOutFields;
  [Opcode.NOP_IN]: NopInFields;
  [Opcode.SCSI_COMMAND]: ScsiCommandFields;
  [Opcode.SCSI_RESPONSE]: ScsiResponseFields;
  [Opcode.TASK_MGMT]: TaskMgmtFields;
  [Opcode.TASK_MGMT_RESPONSE]: TaskMgmtResponseFields;
  [Opcode.LOGIN]: LoginFields;
  [Opcode.LOGIN_RESPONSE]: LoginResponseFields;
  [Opcode.TEXT]: TextFields;
  [Opcode.TEXT_RESPONSE]: TextResponseFields;
  [Opcode.DATA_OUT]: DataOutFields;
  [Opcode.DATA_IN]: DataInFields;
  [Opcode.LOGOUT]: LogoutFields;
  [Opcode.LOGOUT_RESPONSE]: LogoutResponseFields;
  [Opcode.SNACK]: SnackFields;
  [Opcode.R2T]: R2tFields;
  [Opcode.ASYNC]: AsyncFields;
  [Opcode.REJECT]: RejectFields;
}
export type KnownOpcode = keyof FieldsOf;

// The table must describe every field of every interface (and nothing else).
const CHECKED_LAYOUTS: { [O in KnownOpcode]: Layout<FieldsOf[O]> } = LAYOUTS;

/** Byte 1 bits the RFC fixes at 1 for these opcodes (F is always set on single-PDU messages). */
const FIXED_BYTE1: Partial<Record<KnownOpcode, number>> = {
  [Opcode.NOP_OUT]: 0x80,
  [Opcode.NOP_IN]: 0x80,
  [Opcode.SCSI_RESPONSE]: 0x80,
  [Opcode.TASK_MGMT]: 0x80,
  [Opcode.TASK_MGMT_RESPONSE]: 0x80,
  [Opcode.LOGOUT]: 0x80,
  [Opcode.LOGOUT_RESPONSE]: 0x80,
  [Opcode.SNACK]: 0x80,
  [Opcode.R2T]: 0x80,
  [Opcode.ASYNC]: 0x80,
  [Opcode.REJECT]: 0x80,
};

/** Tags fixed at 0xffffffff in these target PDUs. */
const FIXED_ITT_RESERVED = new Set<number>([Opcode.ASYNC, Opcode.REJECT]);

export function isKnownOpcode(opcode: number): opcode is KnownOpcode {
  return Object.hasOwn(CHECKED_LAYOUTS, opcode);
}

export function opcodeOf(bhs: Buffer): number {
  return bhs[0]! & 0x3f;
}

/** A LUN field (single level): peripheral (00b, bus 0) or flat (01b) addressing; else unaddressable. */
export function decodeLun(bhs: Buffer, at = 8): number {
  for (let i = at + 2; i < at + 8; i++) if (bhs[i] !== 0) return LUN_UNADDRESSABLE;
  const first = bhs[at]!;
  const method = first >> 6;
  if (method === 0) return (first & 0x3f) === 0 ? bhs[at + 1]! : LUN_UNADDRESSABLE;
  if (method === 1) return ((first & 0x3f) << 8) | bhs[at + 1]!;
  return LUN_UNADDRESSABLE;
}

export function encodeLun(target: Buffer, lun: number, at = 8): void {
  target.fill(0, at, at + 8);
  if (lun === LUN_UNADDRESSABLE) return;
  if (lun < 256) target[at + 1] = lun;
  else {
    target[at] = 0x40 | ((lun >> 8) & 0x3f);
    target[at + 1] = lun & 0xff;
  }
}

/** Each layout's [name, spec] pairs, listed once: PDUs are coded per I/O, layouts never change. */
const LAYOUT_ENTRIES = new WeakMap<object, Array<[string, FieldSpec]>>();

function entriesOf(layout: Readonly<Record<string, FieldSpec>>): Array<[string, FieldSpec]> {
  let entries = LAYOUT_ENTRIES.get(layout);
  if (!entries) {
    entries = Object.entries(layout);
    LAYOUT_ENTRIES.set(layout, entries);
  }
  return entries;
}

function decodeFields(bhs: Buffer, layout: Readonly<Record<string, FieldSpec>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of entriesOf(layout)) {
    switch (spec[0]) {
      case 'u8':
        out[name] = bhs[spec[1]]!;
        break;
      case 'u16':
        out[name] = bhs.readUInt16BE(spec[1]);
        break;
      case 'u32':
        out[name] = bhs.readUInt32BE(spec[1]);
        break;
      case 'flag':
        out[name] = (bhs[spec[1]]! & spec[2]) !== 0;
        break;
      case 'bits':
        out[name] = (bhs[spec[1]]! >> spec[2]) & ((1 << spec[3]) - 1);
        break;
      case 'lun':
        out[name] = decodeLun(bhs);
        break;
      case 'isid':
        out[name] = bhs.toString('hex', 8, 14);
        break;
      case 'cdb':
        out[name] = Buffer.from(bhs.subarray(32, 48));
        break;
    }
  }
  return out;
}

function encodeFields(bhs: Buffer, layout: Readonly<Record<string, FieldSpec>>, values: object): void {
  const record = values as Record<string, unknown>;
  for (const [name, spec] of entriesOf(layout)) {
    const value = record[name];
    if (value === undefined) continue;
    switch (spec[0]) {
      case 'u8':
        bhs[spec[1]] = (value as number) & 0xff;
        break;
      case 'u16':
        bhs.writeUInt16BE((value as number) & 0xffff, spec[1]);
        break;
      case 'u32':
        bhs.writeUInt32BE((value as number) >>> 0, spec[1]);
        break;
      case 'flag':
        if (value) bhs[spec[1]]! |= spec[2];
        break;
      case 'bits':
        bhs[spec[1]]! |= ((value as number) & ((1 << spec[3]) - 1)) << spec[2];
        break;
      case 'lun':
        encodeLun(bhs, value as number);
        break;
      case 'isid':
        Buffer.from((value as string).padStart(12, '0').slice(0, 12), 'hex').copy(bhs, 8);
        break;
      case 'cdb':
        (value as Buffer).copy(bhs, 32, 0, Math.min(16, (value as Buffer).length));
        break;
    }
  }
}

/** A decoded PDU: its opcode, its header fields, its AHS and data segment. */
export type Pdu = {
  [O in KnownOpcode]: { opcode: O; fields: FieldsOf[O]; ahs: Buffer; data: Buffer };
}[KnownOpcode];

/** Decodes the BHS fields of a framed PDU; null for an opcode the RFC does not define. */
export function decodePdu(raw: RawPdu): Pdu | null {
  const opcode = opcodeOf(raw.bhs);
  if (!isKnownOpcode(opcode)) return null;
  const fields = decodeFields(raw.bhs, CHECKED_LAYOUTS[opcode]);
  return { opcode, fields, ahs: raw.ahs, data: raw.data } as unknown as Pdu;
}

/** Zero bytes that pad a data segment to a multiple of 4. */
const PADDING = Buffer.alloc(4);

export function paddingBytes(length: number): number {
  return (4 - (length & 3)) & 3;
}

/**
 * Encodes one PDU as the chunks to write: the BHS, then (if any) the data segment and its padding.
 * The data is not copied, so a Data-In can point into the SCSI layer's buffer.
 */
export function encodePdu<O extends KnownOpcode>(
  opcode: O,
  fields: FieldsOf[O],
  data?: Buffer,
  ahs?: Buffer,
): Buffer[] {
  const bhs = headerBuffer();
  encodeFields(bhs, CHECKED_LAYOUTS[opcode], fields);
  bhs[0] = (bhs[0]! & 0x40) | opcode;
  bhs[1]! |= FIXED_BYTE1[opcode] ?? 0;
  if (FIXED_ITT_RESERVED.has(opcode)) bhs.writeUInt32BE(RESERVED_TAG, 16);
  const chunks: Buffer[] = [bhs];
  if (ahs && ahs.length > 0) {
    bhs[4] = ahs.length >> 2;
    chunks.push(ahs);
  }
  const length = data?.length ?? 0;
  if (data && length > 0) {
    bhs.writeUIntBE(length, 5, 3);
    chunks.push(data);
    const pad = paddingBytes(length);
    if (pad > 0) chunks.push(PADDING.subarray(0, pad));
  }
  return chunks;
}

/**
 * Headers are cut from a shared arena instead of one allocation each (a read answered with one
 * Data-In PDU needs one header per I/O). A header is written once and handed to the socket,
 * which never hands it back, so slices of a retired arena stay valid for as long as they are
 * referenced.
 */
const HEADER_ARENA_BYTES = 64 * 1024;
let headerArena = Buffer.allocUnsafeSlow(HEADER_ARENA_BYTES);
let headerArenaUsed = HEADER_ARENA_BYTES;

function headerBuffer(): Buffer {
  if (headerArenaUsed + BHS_BYTES > HEADER_ARENA_BYTES) {
    headerArena = Buffer.allocUnsafeSlow(HEADER_ARENA_BYTES);
    headerArenaUsed = 0;
  }
  const bhs = headerArena.subarray(headerArenaUsed, headerArenaUsed + BHS_BYTES);
  headerArenaUsed += BHS_BYTES;
  return bhs.fill(0);
}

/** Encodes a PDU into one contiguous Buffer (tests, small PDUs). */
export function encodePduBuffer<O extends KnownOpcode>(
  opcode: O,
  fields: FieldsOf[O],
  data?: Buffer,
  ahs?: Buffer,
): Buffer {
  return Buffer.concat(encodePdu(opcode, fields, data, ahs));
}

export interface AdditionalHeaders {
  /** CDB bytes beyond the 16 in the BHS (AHS type 1). */
  extendedCdb: Buffer | null;
  /** Expected bidirectional read data length (AHS type 2). */
  bidiReadLength: number | null;
}

/** Splits the AHS of a SCSI Command; returns a reason when its segments do not add up. */
export function parseAhs(ahs: Buffer): AdditionalHeaders | { invalid: string } {
  const result: AdditionalHeaders = { extendedCdb: null, bidiReadLength: null };
  let at = 0;
  while (at < ahs.length) {
    if (at + 4 > ahs.length) return { invalid: 'AHS segment header truncated' };
    const length = ahs.readUInt16BE(at);
    const type = ahs[at + 2]!;
    // AHSLength counts the bytes after the type-specific byte; the segment is padded to 4.
    const end = at + 3 + length;
    if (end > ahs.length) return { invalid: 'AHS segment overruns TotalAHSLength' };
    if (type === AhsType.EXTENDED_CDB) {
      if (length < 1) return { invalid: 'extended CDB AHS is empty' };
      result.extendedCdb = Buffer.from(ahs.subarray(at + 4, end));
    } else if (type === AhsType.BIDI_READ_LENGTH) {
      if (length !== 5) return { invalid: 'bidirectional read length AHS must have AHSLength 5' };
      result.bidiReadLength = ahs.readUInt32BE(at + 4);
    } else {
      return { invalid: `AHS type ${type} is not known` };
    }
    at = end + paddingBytes(end);
  }
  return result;
}

export type FrameResult = RawPdu | { invalid: FrameInvalidReason; opcode: number } | null;

/**
 * Cuts whole PDUs out of a byte stream. `maxDataSegmentBytes` is what we declared (8192 until
 * login ends); a larger DataSegmentLength cannot be trusted or skipped, so the connection ends.
 */
/** Bytes of a whole PDU on the wire, digests included. */
function frameBytes(ahsBytes: number, dataBytes: number, headerDigest: boolean, dataDigest: boolean): number {
  const digests = (headerDigest ? DIGEST_BYTES : 0) + (dataDigest ? DIGEST_BYTES : 0);
  return BHS_BYTES + ahsBytes + dataBytes + paddingBytes(dataBytes) + digests;
}

/** Takes the header digest that follows `bhs` and `ahs`; true when it matches them. */
function takeHeaderDigest(queue: ByteQueue, bhs: Buffer, ahs: Buffer): boolean {
  return digestOf([bhs, ahs]).equals(queue.take(DIGEST_BYTES));
}

/** Takes the padding and the data digest that follow `data`; true when the digest matches. */
function takeDataDigest(queue: ByteQueue, data: Buffer, padBytes: number): boolean {
  const padding = queue.take(padBytes);
  return digestOf([data, padding]).equals(queue.take(DIGEST_BYTES));
}

export class PduReader {
  maxDataSegmentBytes = ISCSI_DEFAULT_MRDSL_BYTES;
  /** Digests expected after each header and each data segment (set once login has ended). */
  headerDigest = false;
  dataDigest = false;
  private readonly queue = new ByteQueue();

  push(chunk: Buffer): void {
    this.queue.push(chunk);
  }

  get bufferedBytes(): number {
    return this.queue.length;
  }

  /**
   * The next PDU. `placement`, when given, may name where a Data-Out's data segment goes (the
   * command's buffer, at its offset): the bytes are then copied there straight from the socket
   * chunks, once, instead of into a PDU buffer first and the command's buffer after.
   */
  next(placement?: DataPlacement): FrameResult {
    const queue = this.queue;
    if (!queue.gather(BHS_BYTES)) return null;
    const head = queue.front;
    const at = queue.frontAt;
    const first = head[at]!;
    const opcode = first & 0x3f;
    if (first & 0x80) return { invalid: 'reserved-bit-set', opcode };
    if (opcode >= 0x20) return { invalid: 'target-opcode', opcode };
    const ahsBytes = head[at + 4]! * 4;
    const dataBytes = head.readUIntBE(at + 5, 3);
    if (dataBytes > this.maxDataSegmentBytes) return { invalid: 'data-segment-too-long', opcode };
    const padBytes = paddingBytes(dataBytes);
    const dataDigested = this.dataDigest && dataBytes > 0;
    if (queue.length < frameBytes(ahsBytes, dataBytes, this.headerDigest, dataDigested)) return null;
    const bhs = Buffer.from(queue.take(BHS_BYTES));
    const ahs = ahsBytes > 0 ? Buffer.from(queue.take(ahsBytes)) : EMPTY;
    // A bad header digest means the lengths cannot be trusted: there is no finding the next PDU.
    if (this.headerDigest && !takeHeaderDigest(queue, bhs, ahs)) return { invalid: 'header-digest', opcode };
    let data = EMPTY;
    if (dataBytes > 0) {
      // The data is placed before its digest is checked; a failed check tells the session not to use it.
      const target = placement && opcode === Opcode.DATA_OUT ? placement(bhs, dataBytes) : null;
      data = target && target.length === dataBytes ? queue.takeInto(target) : queue.take(dataBytes);
    }
    if (!dataDigested) queue.skip(padBytes);
    else if (!takeDataDigest(queue, data, padBytes)) return { bhs, ahs, data, dataDigestError: true };
    return { bhs, ahs, data };
  }

  clear(): void {
    this.queue.clear();
  }
}

/** Where a Data-Out's data segment should land (exactly `dataBytes` long), or null for a PDU buffer. */
export type DataPlacement = (bhs: Buffer, dataBytes: number) => Buffer | null;

/** Reads target PDUs from a stream (the test initiator's side): no opcode or length policy. */
export class TargetPduReader {
  private readonly queue = new ByteQueue();
  /** Digests expected after each header and each data segment. */
  headerDigest = false;
  dataDigest = false;
  /** Digests that did not match what they follow. */
  digestErrors = 0;

  push(chunk: Buffer): void {
    this.queue.push(chunk);
  }

  next(): RawPdu | null {
    const queue = this.queue;
    if (!queue.gather(BHS_BYTES)) return null;
    const ahsBytes = queue.front[queue.frontAt + 4]! * 4;
    const dataBytes = queue.front.readUIntBE(queue.frontAt + 5, 3);
    const padBytes = paddingBytes(dataBytes);
    const dataDigested = this.dataDigest && dataBytes > 0;
    if (queue.length < frameBytes(ahsBytes, dataBytes, this.headerDigest, dataDigested)) return null;
    const bhs = Buffer.from(queue.take(BHS_BYTES));
    const ahs = ahsBytes > 0 ? Buffer.from(queue.take(ahsBytes)) : EMPTY;
    if (this.headerDigest && !takeHeaderDigest(queue, bhs, ahs)) this.digestErrors++;
    const data = dataBytes > 0 ? Buffer.from(queue.take(dataBytes)) : EMPTY;
    if (!dataDigested) queue.skip(padBytes);
    else if (!takeDataDigest(queue, data, padBytes)) this.digestErrors++;
    return { bhs, ahs, data };
  }
}
