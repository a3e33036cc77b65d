// Reads back what a writer wrote and counts the acknowledged writes that are not there. A slot
// holds the newest write to it; an acknowledged write is present when its slot holds it or a
// later write of the same writer (a slot is reused only when the writer wraps around).

import { type DecodedBlock, decodeBlock } from './block-format.js';
import { DRILL_BLOCK_BYTES, VERIFY_READ_BYTES } from './constants.js';
import { NbdClient } from './nbd-client.js';
import type { AckedWrite, WriterRecord } from './writer.js';

export interface VerifyResult {
  writer: string;
  array: string;
  acknowledged: number;
  present: number;
  lost: number;
  /** The first few lost sequence numbers, for the report. */
  lostSamples: number[];
  /** The oldest acknowledgement time among the lost writes (ms), or null. */
  oldestLostAckedMs: number | null;
  /** Slots holding something that is neither zero nor a valid block of this writer. */
  corruptSlots: number;
  /** The newest sequence number found on the array, or -1. */
  newestSeqPresent: number;
  /** Lost writes acknowledged before the cutoff asked for (a snapshot's time), or null. */
  lostBeforeCutoff: number | null;
}

/** Sequence numbers present on the array per slot, from the decoded blocks (pure). */
export function classifyReadback(
  record: WriterRecord,
  readback: Map<number, DecodedBlock>,
  cutoffMs: number | null = null,
): VerifyResult {
  const newestAcked = new Map<number, AckedWrite[]>();
  for (const write of record.acked) {
    const list = newestAcked.get(write.slot);
    if (list) list.push(write);
    else newestAcked.set(write.slot, [write]);
  }
  let present = 0;
  let corruptSlots = 0;
  let newestSeqPresent = -1;
  const lost: AckedWrite[] = [];
  for (const [slot, writes] of newestAcked) {
    const block = readback.get(slot);
    let seqThere = -1;
    if (block?.kind === 'valid' && block.runId === record.runId && block.slot === slot) seqThere = block.seq;
    else if (block?.kind !== 'zero') corruptSlots++;
    newestSeqPresent = Math.max(newestSeqPresent, seqThere);
    for (const write of writes) {
      if (write.seq <= seqThere) present++;
      else lost.push(write);
    }
  }
  lost.sort((a, b) => a.seq - b.seq);
  return {
    writer: record.name,
    array: '',
    acknowledged: record.acked.length,
    present,
    lost: lost.length,
    lostSamples: lost.slice(0, 10).map((w) => w.seq),
    oldestLostAckedMs: lost.length === 0 ? null : lost.reduce((m, w) => Math.min(m, w.ackedMs), Infinity),
    corruptSlots,
    newestSeqPresent,
    lostBeforeCutoff: cutoffMs === null ? null : lost.filter((w) => w.ackedMs < cutoffMs).length,
  };
}

/** Contiguous runs of slots, each at most VERIFY_READ_BYTES long. */
export function readRanges(slots: number[]): Array<{ first: number; count: number }> {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const maxBlocks = VERIFY_READ_BYTES / DRILL_BLOCK_BYTES;
  const ranges: Array<{ first: number; count: number }> = [];
  for (const slot of sorted) {
    const last = ranges.at(-1);
    if (last && slot === last.first + last.count && last.count < maxBlocks) last.count++;
    else ranges.push({ first: slot, count: 1 });
  }
  return ranges;
}

/** Reads every slot the writer acknowledged from `address` and classifies it. */
export async function verifyOnArray(
  array: string,
  address: string,
  exportName: string,
  record: WriterRecord,
  cutoffMs: number | null = null,
): Promise<VerifyResult> {
  const client = await NbdClient.open(address, exportName);
  try {
    const readback = new Map<number, DecodedBlock>();
    for (const range of readRanges(record.acked.map((w) => w.slot))) {
      const data = await client.read(range.first * DRILL_BLOCK_BYTES, range.count * DRILL_BLOCK_BYTES);
      for (let i = 0; i < range.count; i++)
        readback.set(
          range.first + i,
          decodeBlock(data.subarray(i * DRILL_BLOCK_BYTES, (i + 1) * DRILL_BLOCK_BYTES)),
        );
    }
    return { ...classifyReadback(record, readback, cutoffMs), array };
  } finally {
    client.close();
  }
}
