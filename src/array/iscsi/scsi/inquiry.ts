// INQUIRY: standard data (what a FlashArray volume looks like) and the VPD pages hosts read to
// identify and tune the device: 0x00 supported pages, 0x80 serial, 0x83 identification (the NAA
// WWN Cinder and multipath key on), 0xB0 block limits, 0xB1 characteristics, 0xB2 provisioning.

import { assertControlByte, truncateTo } from './cdb.js';
import { thirdPartyCopyPage } from './extended-copy.js';
import {
  MAX_COMPARE_AND_WRITE_BLOCKS,
  MAX_TRANSFER_BLOCKS,
  MAX_UNMAP_BLOCKS,
  MAX_UNMAP_DESCRIPTORS,
  MAX_WRITE_SAME_BLOCKS,
  OPTIMAL_GRANULARITY_BLOCKS,
  OPTIMAL_TRANSFER_BLOCKS,
} from './limits.js';
import { CheckCondition, invalidCdbField } from './sense.js';
import { type LogicalUnit, type ScsiNexus, type ScsiResult, ScsiStatus } from './types.js';

export const INQUIRY_VENDOR = 'PURE';
export const INQUIRY_PRODUCT = 'FlashArray';
export const INQUIRY_REVISION = '8888';

/** Byte 0: peripheral qualifier 0, direct-access block device. */
const PERIPHERAL_DISK = 0x00;
/** Byte 0 for a LUN with no logical unit: qualifier 3 (not capable), type 0x1F (unknown). */
export const PERIPHERAL_NO_UNIT = 0x7f;
const VERSION_SPC4 = 0x06;
const HISUP_RDF2 = 0x12;
const CMDQUE_BIT = 0x02;
/** Byte 5: 3PC, third-party copy (EXTENDED COPY) is supported. */
const THIRD_PARTY_COPY_BIT = 0x08;
export const STANDARD_INQUIRY_BYTES = 96;
/** SAM-5, SPC-4, SBC-3 (libiscsi keys "SBC-3 support" on exactly 0x04C0), iSCSI. */
const VERSION_DESCRIPTORS = [0x00a0, 0x0460, 0x04c0, 0x0960];
const VERSION_DESCRIPTORS_OFFSET = 58;

export const VpdPage = {
  SUPPORTED_PAGES: 0x00,
  UNIT_SERIAL_NUMBER: 0x80,
  DEVICE_IDENTIFICATION: 0x83,
  THIRD_PARTY_COPY: 0x8f,
  BLOCK_LIMITS: 0xb0,
  BLOCK_DEVICE_CHARACTERISTICS: 0xb1,
  LOGICAL_BLOCK_PROVISIONING: 0xb2,
} as const;
const SUPPORTED_VPD_PAGES = Object.values(VpdPage);

function ascii(text: string, widthBytes: number): Buffer {
  return Buffer.from(text.padEnd(widthBytes, ' ').slice(0, widthBytes), 'ascii');
}

export function standardInquiry(unitPresent: boolean): Buffer {
  const data = Buffer.alloc(STANDARD_INQUIRY_BYTES);
  data[0] = unitPresent ? PERIPHERAL_DISK : PERIPHERAL_NO_UNIT;
  data[2] = VERSION_SPC4;
  data[3] = HISUP_RDF2;
  data[4] = STANDARD_INQUIRY_BYTES - 5;
  data[5] = THIRD_PARTY_COPY_BIT;
  data[7] = CMDQUE_BIT;
  ascii(INQUIRY_VENDOR, 8).copy(data, 8);
  ascii(INQUIRY_PRODUCT, 16).copy(data, 16);
  ascii(INQUIRY_REVISION, 4).copy(data, 32);
  VERSION_DESCRIPTORS.forEach((descriptor, index) => {
    data.writeUInt16BE(descriptor, VERSION_DESCRIPTORS_OFFSET + 2 * index);
  });
  return data;
}

function vpdPage(pageCode: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = PERIPHERAL_DISK;
  header[1] = pageCode;
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const PROTOCOL_ISCSI = 0x5;
const CODE_SET_BINARY = 0x1;
const CODE_SET_UTF8 = 0x3;
const PIV_BIT = 0x80;
const Association = { LOGICAL_UNIT: 0, TARGET_PORT: 1, TARGET_DEVICE: 2 } as const;
const DesignatorType = { NAA: 0x3, RELATIVE_TARGET_PORT: 0x4, SCSI_NAME_STRING: 0x8 } as const;
const NAA_DESIGNATOR_BYTES = 16;

function designator(codeSet: number, association: number, type: number, value: Buffer, piv: boolean): Buffer {
  const header = Buffer.alloc(4);
  header[0] = (piv ? PROTOCOL_ISCSI << 4 : 0) | codeSet;
  header[1] = (piv ? PIV_BIT : 0) | (association << 4) | type;
  header[3] = value.length;
  return Buffer.concat([header, value]);
}

/** SCSI name strings are NUL-terminated and NUL-padded to a multiple of 4 bytes (SPC-4 7.8.6.11). */
function scsiNameString(name: string): Buffer {
  const text = Buffer.from(name, 'utf8');
  const paddedBytes = Math.ceil((text.length + 1) / 4) * 4;
  const value = Buffer.alloc(paddedBytes);
  text.copy(value);
  return value;
}

/** Relative target port identifier 0 is reserved; the portal group tag names the port otherwise. */
export function relativeTargetPortOf(portalGroupTag: number): number {
  return portalGroupTag >= 1 && portalGroupTag <= 0xffff ? portalGroupTag : 1;
}

/** iSCSI target port name (RFC 7143 section 4.2.7.1): `<iqn>,t,0x<TPGT as 4 hex digits>`. */
export function targetPortName(nexus: ScsiNexus): string {
  return `${nexus.targetName},t,0x${nexus.portalGroupTag.toString(16).padStart(4, '0')}`;
}

function deviceIdentification(unit: LogicalUnit, nexus: ScsiNexus): Buffer {
  const naa = Buffer.from(unit.naa, 'hex');
  if (naa.length !== NAA_DESIGNATOR_BYTES) {
    throw new CheckCondition(
      'internal-target-failure',
      `LU ${unit.lun} NAA '${unit.naa}' is not 32 hex digits`,
    );
  }
  const relativePort = Buffer.alloc(4);
  relativePort.writeUInt16BE(relativeTargetPortOf(nexus.portalGroupTag), 2);
  return Buffer.concat([
    designator(CODE_SET_BINARY, Association.LOGICAL_UNIT, DesignatorType.NAA, naa, false),
    designator(
      CODE_SET_BINARY,
      Association.TARGET_PORT,
      DesignatorType.RELATIVE_TARGET_PORT,
      relativePort,
      true,
    ),
    designator(
      CODE_SET_UTF8,
      Association.TARGET_PORT,
      DesignatorType.SCSI_NAME_STRING,
      scsiNameString(targetPortName(nexus)),
      true,
    ),
    designator(
      CODE_SET_UTF8,
      Association.TARGET_DEVICE,
      DesignatorType.SCSI_NAME_STRING,
      scsiNameString(nexus.targetName),
      true,
    ),
  ]);
}

/** VPD 0xB0 page length: 0x3C (SBC-3), exactly; libiscsi checks it when SBC-3 is claimed. */
export const BLOCK_LIMITS_PAGE_LENGTH = 0x3c;

function blockLimits(): Buffer {
  const body = Buffer.alloc(BLOCK_LIMITS_PAGE_LENGTH);
  // Offsets below are page offsets minus the 4-byte header. WSNZ (byte 4) = 0: NLB 0 means "to the end".
  body[5 - 4] = MAX_COMPARE_AND_WRITE_BLOCKS;
  body.writeUInt16BE(OPTIMAL_GRANULARITY_BLOCKS, 6 - 4);
  body.writeUInt32BE(MAX_TRANSFER_BLOCKS, 8 - 4);
  body.writeUInt32BE(OPTIMAL_TRANSFER_BLOCKS, 12 - 4);
  body.writeUInt32BE(MAX_UNMAP_BLOCKS, 20 - 4);
  body.writeUInt32BE(MAX_UNMAP_DESCRIPTORS, 24 - 4);
  body.writeUInt32BE(OPTIMAL_GRANULARITY_BLOCKS, 28 - 4);
  body.writeBigUInt64BE(BigInt(MAX_WRITE_SAME_BLOCKS), 36 - 4);
  return body;
}

const NON_ROTATING_MEDIUM = 0x0001;

function blockDeviceCharacteristics(): Buffer {
  const body = Buffer.alloc(0x3c);
  body.writeUInt16BE(NON_ROTATING_MEDIUM, 0);
  return body;
}

/** LBPU (UNMAP), LBPWS (WRITE SAME(16) UNMAP), LBPWS10, LBPRZ=1 (unmapped blocks read zero). */
export const LBP_FLAGS = 0x80 | 0x40 | 0x20 | 0x04;
export const PROVISIONING_TYPE_THIN = 0x02;

function logicalBlockProvisioning(): Buffer {
  const body = Buffer.alloc(4);
  body[1] = LBP_FLAGS;
  body[2] = PROVISIONING_TYPE_THIN;
  return body;
}

export function vpdPageData(pageCode: number, unit: LogicalUnit, nexus: ScsiNexus): Buffer | undefined {
  switch (pageCode) {
    case VpdPage.SUPPORTED_PAGES:
      return vpdPage(pageCode, Buffer.from(SUPPORTED_VPD_PAGES));
    case VpdPage.UNIT_SERIAL_NUMBER:
      return vpdPage(pageCode, Buffer.from(unit.serial, 'ascii'));
    case VpdPage.DEVICE_IDENTIFICATION:
      return vpdPage(pageCode, deviceIdentification(unit, nexus));
    case VpdPage.THIRD_PARTY_COPY:
      return vpdPage(pageCode, thirdPartyCopyPage());
    case VpdPage.BLOCK_LIMITS:
      return vpdPage(pageCode, blockLimits());
    case VpdPage.BLOCK_DEVICE_CHARACTERISTICS:
      return vpdPage(pageCode, blockDeviceCharacteristics());
    case VpdPage.LOGICAL_BLOCK_PROVISIONING:
      return vpdPage(pageCode, logicalBlockProvisioning());
    default:
      return undefined;
  }
}

const EVPD_BIT = 0x01;
const CMDDT_BIT = 0x02;

/** INQUIRY (0x12). Answers for any LUN: a missing one gets qualifier 3 standard data. */
export function inquiry(cdb: Buffer, unit: LogicalUnit | null, nexus: ScsiNexus): ScsiResult {
  assertControlByte(cdb, 6);
  const flags = cdb[1] ?? 0;
  const pageCode = cdb[2] ?? 0;
  const allocationLength = cdb.readUInt16BE(3);
  if ((flags & CMDDT_BIT) !== 0) throw invalidCdbField('CMDDT is obsolete', 1, 1);
  if ((flags & EVPD_BIT) === 0) {
    if (pageCode !== 0) throw invalidCdbField('PAGE CODE must be 0 when EVPD is 0', 2);
    return { status: ScsiStatus.GOOD, dataIn: truncateTo(standardInquiry(unit !== null), allocationLength) };
  }
  if (unit === null) throw new CheckCondition('lu-not-supported', 'VPD page requested from a LUN with no LU');
  const page = vpdPageData(pageCode, unit, nexus);
  if (page === undefined) throw invalidCdbField(`VPD page 0x${pageCode.toString(16)} is not supported`, 2);
  return { status: ScsiStatus.GOOD, dataIn: truncateTo(page, allocationLength) };
}
