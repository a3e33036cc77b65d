// MODE SENSE (6)/(10) and MODE SELECT (6)/(10). Pages: Caching (0x08: WCE=0, every write is
// durable when acknowledged), Control (0x0A: libiscsi dereferences it unconditionally, so it is
// always returned, for every page control), Informational Exceptions (0x1C). Nothing is
// changeable: MODE SELECT accepts a page only when it equals the current one.

import { assertControlByte, capacityBlocksOf, truncateTo } from './cdb.js';
import { CheckCondition, invalidCdbField, invalidParameterField } from './sense.js';
import { type LogicalUnit, SCSI_BLOCK_BYTES, type ScsiResult, ScsiStatus } from './types.js';

export const ModePage = { CACHING: 0x08, CONTROL: 0x0a, INFORMATIONAL_EXCEPTIONS: 0x1c, ALL: 0x3f } as const;
const ALL_SUBPAGES = 0xff;

/** Current (= default) page contents, headers included. */
function currentPage(pageCode: number): Buffer | undefined {
  switch (pageCode) {
    case ModePage.CACHING:
      // WCE=0 (byte 2 bit 2): writes are durable before they are acknowledged; RCD=0.
      return Buffer.concat([Buffer.from([ModePage.CACHING, 0x12]), Buffer.alloc(0x12)]);
    case ModePage.CONTROL: {
      const page = Buffer.alloc(12);
      page[0] = ModePage.CONTROL;
      page[1] = 0x0a;
      // TST=0 (one task set), D_SENSE=0 (fixed-format sense), QERR=0.
      page[3] = 0x10; // QUEUE ALGORITHM MODIFIER 1: unrestricted reordering of simple tasks
      // SWP=0, TAS=0: aborted tasks of other nexuses are not reported with TASK ABORTED.
      page.writeUInt16BE(0xffff, 8); // BUSY TIMEOUT PERIOD: unlimited
      return page;
    }
    case ModePage.INFORMATIONAL_EXCEPTIONS:
      // MRIE=0: no informational exception reporting.
      return Buffer.concat([Buffer.from([ModePage.INFORMATIONAL_EXCEPTIONS, 0x0a]), Buffer.alloc(0x0a)]);
    default:
      return undefined;
  }
}

const PAGES_IN_ORDER = [ModePage.CACHING, ModePage.CONTROL, ModePage.INFORMATIONAL_EXCEPTIONS];

/** Changeable values: the same page with every field 0 (nothing can be changed). */
function changeablePage(pageCode: number): Buffer | undefined {
  const page = currentPage(pageCode);
  if (page === undefined) return undefined;
  const mask = Buffer.alloc(page.length);
  mask[0] = page[0] ?? 0;
  mask[1] = page[1] ?? 0;
  return mask;
}

const PageControl = { CURRENT: 0, CHANGEABLE: 1, DEFAULT: 2, SAVED: 3 } as const;

function selectPages(cdb: Buffer): Buffer[] {
  const pageControl = (cdb[2] ?? 0) >> 6;
  const pageCode = (cdb[2] ?? 0) & 0x3f;
  const subpage = cdb[3] ?? 0;
  if (pageControl === PageControl.SAVED) {
    throw new CheckCondition('saving-parameters-not-supported', 'saved mode pages are not supported');
  }
  const build = pageControl === PageControl.CHANGEABLE ? changeablePage : currentPage;
  if (pageCode === ModePage.ALL) {
    if (subpage !== 0 && subpage !== ALL_SUBPAGES) throw invalidCdbField('no mode subpages are supported', 3);
    return PAGES_IN_ORDER.map((code) => build(code) ?? Buffer.alloc(0));
  }
  if (subpage !== 0) throw invalidCdbField('no mode subpages are supported', 3);
  const page = build(pageCode);
  if (page === undefined)
    throw invalidCdbField(`mode page 0x${pageCode.toString(16)} is not supported`, 2, 5);
  return [page];
}

const WP_BIT = 0x80;
const DPOFUA_BIT = 0x10;
const SHORT_BLOCK_DESCRIPTOR_BYTES = 8;
const LONG_BLOCK_DESCRIPTOR_BYTES = 16;
const DBD_BIT = 0x08;
const LLBAA_BIT = 0x10;

/** DEVICE-SPECIFIC PARAMETER: WP for read-only LUs; DPOFUA (we accept DPO and FUA). */
export function deviceSpecificParameter(unit: LogicalUnit): number {
  return (unit.device.readOnly ? WP_BIT : 0) | DPOFUA_BIT;
}

function blockDescriptor(unit: LogicalUnit, long: boolean): Buffer {
  const blocks = capacityBlocksOf(unit.device.sizeBytes);
  if (long) {
    const descriptor = Buffer.alloc(LONG_BLOCK_DESCRIPTOR_BYTES);
    descriptor.writeBigUInt64BE(blocks, 0);
    descriptor.writeUInt32BE(SCSI_BLOCK_BYTES, 12);
    return descriptor;
  }
  const descriptor = Buffer.alloc(SHORT_BLOCK_DESCRIPTOR_BYTES);
  descriptor.writeUInt32BE(blocks > 0xffffffffn ? 0xffffffff : Number(blocks), 0);
  descriptor.writeUIntBE(SCSI_BLOCK_BYTES, 5, 3);
  return descriptor;
}

export function modeSense6(cdb: Buffer, unit: LogicalUnit): ScsiResult {
  assertControlByte(cdb, 6);
  const pages = Buffer.concat(selectPages(cdb));
  const descriptor = ((cdb[1] ?? 0) & DBD_BIT) !== 0 ? Buffer.alloc(0) : blockDescriptor(unit, false);
  const header = Buffer.alloc(4);
  header[0] = header.length + descriptor.length + pages.length - 1;
  header[2] = deviceSpecificParameter(unit);
  header[3] = descriptor.length;
  return {
    status: ScsiStatus.GOOD,
    dataIn: truncateTo(Buffer.concat([header, descriptor, pages]), cdb[4] ?? 0),
  };
}

const LONGLBA_BIT = 0x01;

export function modeSense10(cdb: Buffer, unit: LogicalUnit): ScsiResult {
  assertControlByte(cdb, 10);
  const pages = Buffer.concat(selectPages(cdb));
  const flags = cdb[1] ?? 0;
  const long = (flags & LLBAA_BIT) !== 0;
  const descriptor = (flags & DBD_BIT) !== 0 ? Buffer.alloc(0) : blockDescriptor(unit, long);
  const header = Buffer.alloc(8);
  header.writeUInt16BE(header.length + descriptor.length + pages.length - 2, 0);
  header[3] = deviceSpecificParameter(unit);
  if (long && descriptor.length > 0) header[4] = LONGLBA_BIT;
  header.writeUInt16BE(descriptor.length, 6);
  return {
    status: ScsiStatus.GOOD,
    dataIn: truncateTo(Buffer.concat([header, descriptor, pages]), cdb.readUInt16BE(7)),
  };
}

const PF_BIT = 0x10;
const SP_BIT = 0x01;
const SPF_BIT = 0x40;

/** MODE SELECT (6)/(10) data-out length: the PARAMETER LIST LENGTH. */
export function modeSelectListBytes(cdb: Buffer): number {
  return cdb[0] === 0x15 ? (cdb[4] ?? 0) : cdb.readUInt16BE(7);
}

/** MODE SELECT: accept a parameter list that changes nothing; refuse anything else with a reason. */
export function modeSelect(cdb: Buffer, dataOut: Buffer): ScsiResult {
  const six = cdb[0] === 0x15;
  assertControlByte(cdb, six ? 6 : 10);
  const flags = cdb[1] ?? 0;
  if ((flags & SP_BIT) !== 0) throw invalidCdbField('saving mode pages is not supported', 1, 0);
  const listBytes = modeSelectListBytes(cdb);
  if (listBytes === 0) return { status: ScsiStatus.GOOD };
  if ((flags & PF_BIT) === 0) throw invalidCdbField('only SPC page format (PF=1) is supported', 1, 4);
  if (dataOut.length < listBytes) {
    throw new CheckCondition(
      'parameter-list-length-error',
      `received ${dataOut.length} of ${listBytes} bytes`,
    );
  }
  const list = dataOut.subarray(0, listBytes);
  const headerBytes = six ? 4 : 8;
  if (list.length < headerBytes) {
    throw new CheckCondition('parameter-list-length-error', 'parameter list is shorter than its header');
  }
  const descriptorBytes = six ? (list[3] ?? 0) : list.readUInt16BE(6);
  let offset = headerBytes;
  if (offset + descriptorBytes > list.length) {
    throw new CheckCondition('parameter-list-length-error', 'block descriptors run past the parameter list');
  }
  checkBlockDescriptors(list, offset, descriptorBytes, !six && ((list[4] ?? 0) & LONGLBA_BIT) !== 0);
  offset += descriptorBytes;
  while (offset < list.length) offset = checkPage(list, offset);
  return { status: ScsiStatus.GOOD };
}

function checkBlockDescriptors(list: Buffer, offset: number, lengthBytes: number, long: boolean): void {
  const descriptorBytes = long ? LONG_BLOCK_DESCRIPTOR_BYTES : SHORT_BLOCK_DESCRIPTOR_BYTES;
  if (lengthBytes % descriptorBytes !== 0) {
    throw invalidParameterField('block descriptor length is not a multiple of a descriptor', offset);
  }
  for (let at = offset; at < offset + lengthBytes; at += descriptorBytes) {
    const blockLengthAt = long ? at + 12 : at + 5;
    const blockLength = long ? list.readUInt32BE(blockLengthAt) : list.readUIntBE(blockLengthAt, 3);
    if (blockLength !== SCSI_BLOCK_BYTES) {
      throw invalidParameterField(
        `logical block length ${blockLength} is not ${SCSI_BLOCK_BYTES}`,
        blockLengthAt,
      );
    }
  }
}

/** Checks one mode page against the current values; returns the offset of the next page. */
function checkPage(list: Buffer, offset: number): number {
  const pageCode = (list[offset] ?? 0) & 0x3f;
  if (((list[offset] ?? 0) & SPF_BIT) !== 0)
    throw invalidParameterField('mode subpages are not supported', offset);
  if (offset + 2 > list.length)
    throw new CheckCondition('parameter-list-length-error', 'truncated page header');
  const current = currentPage(pageCode);
  if (current === undefined)
    throw invalidParameterField(`mode page 0x${pageCode.toString(16)} is unknown`, offset);
  const pageBytes = (list[offset + 1] ?? 0) + 2;
  if (pageBytes !== current.length)
    throw invalidParameterField('PAGE LENGTH does not match the page', offset + 1);
  if (offset + pageBytes > list.length) {
    throw new CheckCondition('parameter-list-length-error', 'mode page runs past the parameter list');
  }
  for (let index = 2; index < pageBytes; index++) {
    if (list[offset + index] !== current[index]) {
      throw invalidParameterField(
        `byte ${index} of mode page 0x${pageCode.toString(16)} is not changeable`,
        offset + index,
      );
    }
  }
  return offset + pageBytes;
}
