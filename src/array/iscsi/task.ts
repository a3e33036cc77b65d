// One SCSI command's transport state: the data-out it still needs (immediate, unsolicited, then
// solicited by R2Ts in offset order) and the checks every Data-Out must pass. Pure bookkeeping:
// the session sends the R2Ts this returns and executes the command when `dataComplete`.

import { copyBytes } from '../../platform/copy-bytes.js';
import type { DataOutInvalidReason } from './errors.js';
import type { SessionParams } from './negotiation.js';

export interface R2tPlan {
  ttt: number;
  r2tSN: number;
  bufferOffset: number;
  desiredLength: number;
}

interface OutstandingR2t {
  offset: number;
  length: number;
  received: number;
  nextDataSN: number;
}

export interface TaskInit {
  itt: number;
  cmdSN: number;
  lun: number;
  cdb: Buffer;
  expectedLength: number;
  /** Bytes the CDB would transfer out (0 for non-writes). */
  dataOutWant: number;
  /** The W bit: data-out will flow. */
  write: boolean;
  /** The command PDU's F bit: no unsolicited Data-Out follows. */
  final: boolean;
  immediate: boolean;
}

export class Task {
  readonly itt: number;
  readonly cmdSN: number;
  readonly lun: number;
  readonly cdb: Buffer;
  readonly expectedLength: number;
  readonly dataOutWant: number;
  readonly immediate: boolean;
  /** Data-out bytes kept for the SCSI layer: min(CDB length, EDTL); never more. */
  readonly acceptBytes: number;
  readonly dataOut: Buffer;
  /** Data-out bytes received in order (may exceed acceptBytes when EDTL > what the CDB needs). */
  received = 0;
  /** CmdSN order reached this task (immediate tasks are delivered at once). */
  delivered = false;
  executing = false;
  aborted = false;
  /** Some of its data failed a data digest: it ends in CHECK CONDITION once all data is in. */
  dataCorrupt = false;
  /** R2Ts sent: ExpDataSN of a write's SCSI Response. */
  r2tCount = 0;
  private unsolicitedOpen: boolean;
  private readonly unsolicitedLimit: number;
  private unsolicitedDataSN = 0;
  private nextR2tOffset = 0;
  private readonly r2ts = new Map<number, OutstandingR2t>();

  constructor(
    init: TaskInit,
    private readonly params: SessionParams,
    /** Where the data-out buffer comes from (the target's pool of write buffers). */
    allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
  ) {
    this.itt = init.itt;
    this.cmdSN = init.cmdSN;
    this.lun = init.lun;
    this.cdb = init.cdb;
    this.expectedLength = init.expectedLength;
    this.dataOutWant = init.dataOutWant;
    this.immediate = init.immediate;
    const expected = init.write ? init.expectedLength : 0;
    this.acceptBytes = Math.min(init.dataOutWant, expected);
    this.dataOut = this.acceptBytes > 0 ? allocate(this.acceptBytes) : Buffer.alloc(0);
    this.unsolicitedLimit = Math.min(params.firstBurstLength, expected);
    this.unsolicitedOpen = init.write && !init.final && !params.initialR2T && expected > 0;
  }

  /** Immediate data from the SCSI Command PDU. */
  immediateData(data: Buffer): DataOutInvalidReason | null {
    if (data.length === 0) return null;
    if (!this.params.immediateData) return 'unsolicited-not-allowed';
    if (data.length > this.unsolicitedLimit) return 'unsolicited-too-long';
    this.store(data);
    return null;
  }

  get dataComplete(): boolean {
    return !this.unsolicitedOpen && this.received >= this.acceptBytes;
  }

  /** A Data-Out for this task; returns why it is invalid, or null. */
  dataOutPdu(
    ttt: number,
    dataSN: number,
    bufferOffset: number,
    final: boolean,
    data: Buffer,
  ): DataOutInvalidReason | null {
    if (bufferOffset !== this.received) return 'offset-unexpected';
    if (ttt === 0xffffffff) {
      if (!this.unsolicitedOpen) return 'unsolicited-not-allowed';
      if (dataSN !== this.unsolicitedDataSN) return 'datasn-unexpected';
      if (this.received + data.length > this.unsolicitedLimit) return 'unsolicited-too-long';
      this.unsolicitedDataSN++;
      this.store(data);
      if (final) this.unsolicitedOpen = false;
      return null;
    }
    const r2t = this.r2ts.get(ttt);
    if (!r2t) return 'ttt-unknown';
    if (dataSN !== r2t.nextDataSN) return 'datasn-unexpected';
    if (bufferOffset !== r2t.offset + r2t.received) return 'offset-unexpected';
    if (r2t.received + data.length > r2t.length) return 'burst-overrun';
    r2t.nextDataSN++;
    r2t.received += data.length;
    this.store(data);
    if (r2t.received === r2t.length) this.r2ts.delete(ttt);
    else if (final) return 'final-early';
    return null;
  }

  /** The R2Ts to send now (none while unsolicited data may still come). */
  solicit(newTtt: () => number): R2tPlan[] {
    if (this.unsolicitedOpen || this.aborted) return [];
    if (this.nextR2tOffset < this.received) this.nextR2tOffset = this.received;
    const plans: R2tPlan[] = [];
    while (this.r2ts.size < this.params.maxOutstandingR2T && this.nextR2tOffset < this.acceptBytes) {
      const length = Math.min(this.params.maxBurstLength, this.acceptBytes - this.nextR2tOffset);
      const plan = {
        ttt: newTtt(),
        r2tSN: this.r2tCount++,
        bufferOffset: this.nextR2tOffset,
        desiredLength: length,
      };
      this.r2ts.set(plan.ttt, { offset: plan.bufferOffset, length, received: 0, nextDataSN: 0 });
      this.nextR2tOffset += length;
      plans.push(plan);
    }
    return plans;
  }

  /**
   * Where the data of a Data-Out at `bufferOffset` may be read straight into: the next bytes of
   * this command's buffer, when they fit. The PDU is checked after (`dataOutPdu`); bytes placed
   * for a PDU found invalid are never counted as received.
   */
  placement(bufferOffset: number, dataBytes: number): Buffer | null {
    if (this.aborted || bufferOffset !== this.received || bufferOffset + dataBytes > this.acceptBytes)
      return null;
    return this.dataOut.subarray(bufferOffset, bufferOffset + dataBytes);
  }

  private store(data: Buffer): void {
    const room = this.acceptBytes - this.received;
    const inPlace =
      data.buffer === this.dataOut.buffer && data.byteOffset === this.dataOut.byteOffset + this.received;
    if (room > 0 && !inPlace)
      copyBytes(data.subarray(0, Math.min(room, data.length)), this.dataOut, this.received);
    this.received += data.length;
  }
}
