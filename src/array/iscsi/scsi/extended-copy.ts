// EXTENDED COPY (LID1) and RECEIVE COPY RESULTS: copy offload, as VMware's VAAI "full copy" uses
// it to clone and move virtual disks without the data crossing the network. The parameter list
// names copy targets by identification descriptor (the NAA designator of VPD page 0x83) and
// block-to-block segments between them; the array copies inside, a chunk at a time, through the
// same devices and range locks as WRITE. Only LUs the initiator itself may address are reachable.
// The copy runs to its end before the status: RECEIVE COPY RESULTS reports it as completed.

import { assertControlByte, capacityBlocksOf } from './cdb.js';
import { type CommandContext, deviceCall } from './command.js';
import { writeBlocks } from './read-write.js';
import { CheckCondition, invalidCdbField, invalidParameterField } from './sense.js';
import { type LogicalUnit, SCSI_BLOCK_BYTES, type ScsiNexus, type ScsiResult, ScsiStatus } from './types.js';

/** What RECEIVE COPY RESULTS (OPERATING PARAMETERS) reports and EXTENDED COPY enforces. */
export const COPY_LIMITS = {
  targetDescriptors: 4,
  segmentDescriptors: 16,
  /** Target and segment descriptors together, in bytes. */
  descriptorListBytes: 1024,
  /** A block-to-block segment counts blocks in 16 bits. */
  segmentBytes: 0xffff * SCSI_BLOCK_BYTES,
  concurrentCopies: 1,
} as const;

export const CopyServiceAction = { EXTENDED_COPY_LID1: 0x00, COPY_STATUS: 0x00, OPERATING_PARAMETERS: 0x03 };

const HEADER_BYTES = 16;
const IDENTIFICATION_TARGET = 0xe4;
const TARGET_DESCRIPTOR_BYTES = 32;
const BLOCK_TO_BLOCK_SEGMENT = 0x02;
/** Type, flags and the 2-byte descriptor length precede what that length counts. */
const SEGMENT_HEADER_BYTES = 4;
const BLOCK_TO_BLOCK_LENGTH = 0x18;
const PERIPHERAL_DISK = 0x00;
const DESIGNATOR_NAA = 0x03;
/** LIST ID USAGE 00b and 01b: the copy manager holds the results for RECEIVE COPY RESULTS. */
const LIST_ID_USAGE_HOLD_MAX = 0x01;
/** Bytes read and written at a time: a segment may be 32 MiB. */
const COPY_CHUNK_BYTES = 1024 * 1024;
/** Finished copies whose results one session may keep; the oldest go first. */
const HELD_RESULTS_MAX = 64;
/** COPY MANAGER STATUS: operation completed without errors. */
const COPY_COMPLETED = 0x00;
/** TRANSFER COUNT UNITS 0x00: the TRANSFER COUNT is in bytes. */
const UNITS_BYTES = 0x00;

export function extendedCopyListBytes(cdb: Buffer): number {
  return cdb.readUInt32BE(10);
}

interface HeldResult {
  segmentsProcessed: number;
  bytesCopied: number;
}

/** Results of finished copies, per I_T nexus (session) and list identifier. */
export class CopyResults {
  private readonly bySession = new Map<string, Map<number, HeldResult>>();

  hold(sessionId: string, listId: number, result: HeldResult): void {
    let held = this.bySession.get(sessionId);
    if (!held) {
      held = new Map();
      this.bySession.set(sessionId, held);
    }
    held.delete(listId);
    held.set(listId, result);
    if (held.size > HELD_RESULTS_MAX) held.delete(held.keys().next().value!);
  }

  take(sessionId: string, listId: number): HeldResult | undefined {
    return this.bySession.get(sessionId)?.get(listId);
  }

  sessionEnded(sessionId: string): void {
    this.bySession.delete(sessionId);
  }
}

interface Segment {
  source: number;
  destination: number;
  blocks: number;
  sourceLba: bigint;
  destinationLba: bigint;
}

/** The parameter list, checked in the order libiscsi's ExtendedCopy tests expect. */
function parseList(list: Buffer) {
  if (list.length < HEADER_BYTES) throw new CheckCondition('parameter-list-length-error', 'no full header');
  const listId = list[0]!;
  const listIdUsage = (list[1]! >> 3) & 0x03;
  const targetBytes = list.readUInt16BE(2);
  const segmentBytes = list.readUInt32BE(8);
  const inlineBytes = list.readUInt32BE(12);
  if (targetBytes + segmentBytes > COPY_LIMITS.descriptorListBytes)
    throw new CheckCondition(
      'parameter-list-length-error',
      `descriptor lists of ${targetBytes + segmentBytes} bytes exceed ${COPY_LIMITS.descriptorListBytes}`,
    );
  if (inlineBytes !== 0) throw invalidParameterField('inline data is not supported', 12);
  if (HEADER_BYTES + targetBytes + segmentBytes > list.length)
    throw new CheckCondition('parameter-list-length-error', 'the descriptors run past the parameter list');
  if (targetBytes % TARGET_DESCRIPTOR_BYTES !== 0)
    throw invalidParameterField('target descriptor list length is not a multiple of 32', 2);
  if (targetBytes / TARGET_DESCRIPTOR_BYTES > COPY_LIMITS.targetDescriptors)
    throw new CheckCondition('too-many-target-descriptors', `at most ${COPY_LIMITS.targetDescriptors}`);
  const targets: Buffer[] = [];
  for (let at = HEADER_BYTES; at < HEADER_BYTES + targetBytes; at += TARGET_DESCRIPTOR_BYTES) {
    const descriptor = list.subarray(at, at + TARGET_DESCRIPTOR_BYTES);
    if (descriptor[0] !== IDENTIFICATION_TARGET)
      throw new CheckCondition(
        'unsupported-target-descriptor-type',
        `target descriptor type 0x${descriptor[0]!.toString(16)}`,
      );
    targets.push(descriptor);
  }
  const segments: Segment[] = [];
  const end = HEADER_BYTES + targetBytes + segmentBytes;
  for (let at = HEADER_BYTES + targetBytes; at < end; ) {
    if (at + SEGMENT_HEADER_BYTES > end)
      throw new CheckCondition('parameter-list-length-error', 'a segment descriptor is cut short');
    const length = SEGMENT_HEADER_BYTES + list.readUInt16BE(at + 2);
    if (segments.length === COPY_LIMITS.segmentDescriptors)
      throw new CheckCondition('too-many-segment-descriptors', `at most ${COPY_LIMITS.segmentDescriptors}`);
    if (list[at] !== BLOCK_TO_BLOCK_SEGMENT)
      throw new CheckCondition(
        'unsupported-segment-descriptor-type',
        `segment descriptor type 0x${list[at]!.toString(16)}`,
      );
    if (length !== SEGMENT_HEADER_BYTES + BLOCK_TO_BLOCK_LENGTH || at + length > end)
      throw invalidParameterField('block-to-block segment descriptor length must be 0x18', at + 2);
    segments.push({
      source: list.readUInt16BE(at + 4),
      destination: list.readUInt16BE(at + 6),
      blocks: list.readUInt16BE(at + 10),
      sourceLba: list.readBigUInt64BE(at + 12),
      destinationLba: list.readBigUInt64BE(at + 20),
    });
    at += length;
  }
  return { listId, listIdUsage, targets, segments };
}

/** The LU an identification target descriptor names, among those this nexus may address. */
function resolveTarget(descriptor: Buffer, context: CommandContext): LogicalUnit {
  if ((descriptor[1]! & 0x1f) !== PERIPHERAL_DISK)
    throw new CheckCondition('incorrect-copy-target-device-type', 'only block devices are copy targets');
  // Bytes 4-23 hold a designation descriptor; LU ID TYPE and NUL (byte 1) are ignored (SPC-4).
  const type = descriptor[5]! & 0x0f;
  const length = descriptor[7]!;
  const blockBytes = descriptor.readUIntBE(29, 3);
  if (blockBytes !== SCSI_BLOCK_BYTES)
    throw new CheckCondition('incorrect-copy-target-device-type', `block length ${blockBytes}`);
  if (type === DESIGNATOR_NAA && length <= 16) {
    const naa = descriptor.subarray(8, 8 + length).toString('hex');
    const unit = naa === context.unit.naa ? context.unit : context.task.nexus.unitWithNaa?.(naa);
    if (unit) return unit;
  }
  throw new CheckCondition('unreachable-copy-target', 'no LU of this initiator has that identifier');
}

function conflicts(context: CommandContext, unit: LogicalUnit, nexus: ScsiNexus, write: boolean): boolean {
  return context.reservations.conflicts(unit.naa, nexus, write ? 'write' : 'read');
}

/** Copies one segment in chunks; backwards when it overlaps itself forwards on one LU. */
async function copySegment(context: CommandContext, from: LogicalUnit, to: LogicalUnit, segment: Segment) {
  const total = segment.blocks * SCSI_BLOCK_BYTES;
  const sourceStart = Number(segment.sourceLba) * SCSI_BLOCK_BYTES;
  const destinationStart = Number(segment.destinationLba) * SCSI_BLOCK_BYTES;
  const backwards =
    from.naa === to.naa && destinationStart > sourceStart && destinationStart < sourceStart + total;
  const chunks: number[] = [];
  for (let done = 0; done < total; done += COPY_CHUNK_BYTES) chunks.push(done);
  if (backwards) chunks.reverse();
  for (const done of chunks) {
    const bytes = Math.min(COPY_CHUNK_BYTES, total - done);
    const data = await deviceCall('read', () => from.device.read(sourceStart + done, bytes));
    const lba = segment.destinationLba + BigInt(done / SCSI_BLOCK_BYTES);
    await writeBlocks({ ...context, unit: to }, lba, data);
    // The read buffer goes back to its pool only if the destination keeps no reference to it (a
    // stretched pod's replication link may still hold a frame of it: BlockDevice.mayReuse).
    if (to.device.mayReuse?.(data) === true) from.device.release?.(data);
  }
}

/** EXTENDED COPY (LID1). */
export async function extendedCopy(context: CommandContext): Promise<ScsiResult> {
  assertControlByte(context.cdb, 16);
  const listBytes = extendedCopyListBytes(context.cdb);
  if (listBytes === 0) return { status: ScsiStatus.GOOD };
  const list = context.task.dataOut.subarray(0, listBytes);
  const { listId, listIdUsage, targets, segments } = parseList(list);
  const units = targets.map((descriptor) => resolveTarget(descriptor, context));
  const nexus = context.task.nexus;
  const plan = segments.map((segment) => {
    const from = units[segment.source];
    const to = units[segment.destination];
    if (!from || !to)
      throw new CheckCondition(
        'unreachable-copy-target',
        'a segment names a target descriptor the list lacks',
      );
    const blocks = BigInt(segment.blocks);
    if (
      segment.sourceLba + blocks > capacityBlocksOf(from.device.sizeBytes) ||
      segment.destinationLba + blocks > capacityBlocksOf(to.device.sizeBytes)
    )
      throw new CheckCondition('copy-aborted', 'a segment runs past the end of its LU');
    if (to.device.readOnly) throw new CheckCondition('write-protected', `${to.device.name} is read-only`);
    return { from, to, segment };
  });
  for (const { from, to } of plan)
    if (conflicts(context, from, nexus, false) || conflicts(context, to, nexus, true))
      return { status: ScsiStatus.RESERVATION_CONFLICT };
  // Counted as running on every copy target, as a READ or WRITE is on its LU: a PREEMPT of this
  // initiator port then waits for the copy to end before it answers (fencing, see Reservations).
  const targetNaas = [...new Set(plan.flatMap(({ from, to }) => [from.naa, to.naa]))];
  for (const naa of targetNaas) context.reservations.taskStarted(naa, nexus.initiatorPort);
  let bytesCopied = 0;
  try {
    for (const { from, to, segment } of plan) {
      await copySegment(context, from, to, segment);
      bytesCopied += segment.blocks * SCSI_BLOCK_BYTES;
    }
  } finally {
    for (const naa of targetNaas) context.reservations.taskEnded(naa, nexus.initiatorPort);
  }
  if (listIdUsage <= LIST_ID_USAGE_HOLD_MAX)
    context.copies.hold(nexus.sessionId, listId, { segmentsProcessed: segments.length, bytesCopied });
  return { status: ScsiStatus.GOOD };
}

/** RECEIVE COPY RESULTS: COPY STATUS of a held list identifier, or the OPERATING PARAMETERS. */
export function receiveCopyResults(context: CommandContext): ScsiResult {
  assertControlByte(context.cdb, 16);
  const serviceAction = context.cdb[1]! & 0x1f;
  const allocation = context.cdb.readUInt32BE(10);
  let data: Buffer;
  if (serviceAction === CopyServiceAction.OPERATING_PARAMETERS) {
    data = operatingParameters();
  } else {
    const listId = context.cdb[2]!;
    const held = context.copies.take(context.task.nexus.sessionId, listId);
    if (!held) throw invalidCdbField(`no copy with list identifier ${listId} is held`, 2);
    data = Buffer.alloc(12);
    data.writeUInt32BE(8, 0);
    data[4] = COPY_COMPLETED;
    data.writeUInt16BE(held.segmentsProcessed, 5);
    data[7] = UNITS_BYTES;
    data.writeUInt32BE(Math.min(held.bytesCopied, 0xffffffff), 8);
  }
  return { status: ScsiStatus.GOOD, dataIn: data.subarray(0, Math.min(data.length, allocation)) };
}

/** SPC-4 table "RECEIVE COPY RESULTS OPERATING PARAMETERS": what this copy manager takes. */
function operatingParameters(): Buffer {
  const implemented = [BLOCK_TO_BLOCK_SEGMENT, IDENTIFICATION_TARGET];
  const data = Buffer.alloc(44 + implemented.length);
  data.writeUInt32BE(data.length - 4, 0);
  data[4] = 0x00; // SNLID 0: every copy has a list identifier
  data.writeUInt16BE(COPY_LIMITS.targetDescriptors, 8);
  data.writeUInt16BE(COPY_LIMITS.segmentDescriptors, 10);
  data.writeUInt32BE(COPY_LIMITS.descriptorListBytes, 12);
  data.writeUInt32BE(COPY_LIMITS.segmentBytes, 16);
  data.writeUInt32BE(0, 20); // no inline data
  data.writeUInt32BE(0, 24); // no held data
  data.writeUInt32BE(0, 28); // no stream devices
  data.writeUInt16BE(COPY_LIMITS.concurrentCopies, 34);
  data[36] = COPY_LIMITS.concurrentCopies;
  data[37] = Math.log2(SCSI_BLOCK_BYTES); // data segment granularity
  data[38] = Math.log2(SCSI_BLOCK_BYTES); // inline data granularity
  data[39] = Math.log2(SCSI_BLOCK_BYTES); // held data granularity
  data[43] = implemented.length;
  Buffer.from(implemented).copy(data, 44);
  return data;
}

/** VPD page 0x8F (Third-party Copy): one Supported Commands descriptor. */
export function thirdPartyCopyPage(): Buffer {
  const commands = Buffer.from([
    0x83,
    1,
    CopyServiceAction.EXTENDED_COPY_LID1,
    0x84,
    2,
    CopyServiceAction.COPY_STATUS,
    CopyServiceAction.OPERATING_PARAMETERS,
  ]);
  // The descriptor's body (list length byte and list) is padded to a multiple of 4.
  const bodyBytes = Math.ceil((1 + commands.length) / 4) * 4;
  const descriptor = Buffer.alloc(4 + bodyBytes);
  descriptor.writeUInt16BE(0x0001, 0); // SUPPORTED COMMANDS
  descriptor.writeUInt16BE(bodyBytes, 2);
  descriptor[4] = commands.length;
  commands.copy(descriptor, 5);
  return descriptor;
}
