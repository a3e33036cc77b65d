// What a drill measures, on hand-made acknowledgements: RTO, RPO, stalls, write rate, snapshots,
// the numbered block format, the verifier's counting and the resync bytes read from array logs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlock, encodeBlock } from '../../src/drill/block-format.js';
import {
  firstAck,
  longestAckGapMs,
  newestBefore,
  rtoSeconds,
  syncRpoSeconds,
  writeRateSeries,
} from '../../src/drill/measurements.js';
import { parseResyncLines, resyncBytesSince } from '../../src/drill/resync-log.js';
import { classifyReadback, readRanges } from '../../src/drill/verifier.js';
import type { AckedWrite } from '../../src/drill/writer.js';

const ack = (
  seq: number,
  array: string,
  ackedMs: number,
  submittedMs = ackedMs - 1,
  slot = seq,
): AckedWrite => ({
  seq,
  slot,
  array,
  submittedMs,
  ackedMs,
});

test('drill block: a numbered block decodes to its run, sequence and slot; a torn or zero block does not', () => {
  const block = encodeBlock(42, 1234, 99);
  assert.deepEqual(decodeBlock(block), { kind: 'valid', runId: 42, seq: 1234, slot: 99 });
  assert.notDeepEqual(encodeBlock(42, 1235, 99).subarray(32, 64), block.subarray(32, 64), 'contents differ');
  const torn = Buffer.from(block);
  torn.fill(0, 2048);
  assert.deepEqual(decodeBlock(torn), { kind: 'invalid', reason: 'checksum' });
  assert.deepEqual(decodeBlock(Buffer.alloc(4096)), { kind: 'zero' });
  assert.equal(decodeBlock(Buffer.alloc(4096, 1)).kind, 'invalid');
});

test('drill RTO: fault to the first acknowledgement by the survivor, or of a write sent after the fault', () => {
  const acks = [ack(0, 'a', 1000), ack(1, 'a', 1900), ack(2, 'b', 2600, 1950), ack(3, 'b', 2500, 2100)];
  assert.equal(firstAck(acks, { array: 'b' })?.seq, 3);
  assert.equal(rtoSeconds(2000, firstAck(acks, { array: 'b' })), 0.5);
  assert.equal(
    firstAck(acks, { submittedAfterMs: 2000 })?.seq,
    3,
    'a write sent before the cut does not count',
  );
  assert.equal(rtoSeconds(2000, firstAck(acks, { array: 'c' })), null, 'never resumed');
  assert.equal(longestAckGapMs(acks, 2000, 3000), 500);
});

test('drill RPO: 0 with nothing lost, else how far before the fault the oldest lost write was acknowledged', () => {
  assert.equal(syncRpoSeconds(10_000, null), 0);
  assert.equal(syncRpoSeconds(10_000, 7_500), 2.5);
  const snapshots = [{ created: 100 }, { created: 300 }, { created: 200 }];
  assert.deepEqual(newestBefore(snapshots, 250), { created: 200 });
  assert.equal(newestBefore(snapshots, 50), null);
});

test('drill write rate: acknowledgements per second in buckets, one series per array, on the drill clock', () => {
  const acks = [ack(0, 'a', 1100), ack(1, 'a', 1200), ack(2, 'b', 1600), ack(3, 'a', 5000)];
  const series = writeRateSeries(acks, 1000, 2000, 500, 0);
  assert.deepEqual(
    series.map((s) => [s.name, s.points]),
    [
      [
        'acknowledged by a',
        [
          { tS: 1.25, value: 4 },
          { tS: 1.75, value: 0 },
        ],
      ],
      [
        'acknowledged by b',
        [
          { tS: 1.25, value: 0 },
          { tS: 1.75, value: 2 },
        ],
      ],
    ],
  );
});

test('drill verifier: a slot holding a later write of the run covers the earlier ones; older, zero or foreign content loses them', () => {
  const record = {
    name: 'host',
    runId: 5,
    firstSlot: 0,
    slotCount: 4,
    acked: [
      ack(0, 'a', 10, 9, 0),
      ack(4, 'a', 50, 49, 0),
      ack(1, 'a', 20, 19, 1),
      ack(2, 'a', 30, 29, 2),
      ack(3, 'a', 40, 39, 3),
    ],
    unacknowledged: [],
  };
  const readback = new Map([
    [0, decodeBlock(encodeBlock(5, 4, 0))],
    [1, decodeBlock(encodeBlock(5, 5, 1))],
    [2, decodeBlock(Buffer.alloc(4096))],
    [3, decodeBlock(encodeBlock(6, 3, 3))],
  ]);
  const result = classifyReadback(record, readback, 35);
  assert.equal(result.present, 3, 'seq 0 and 4 in slot 0, seq 1 covered by an unacknowledged later write');
  assert.equal(result.lost, 2);
  assert.deepEqual(result.lostSamples, [2, 3]);
  assert.equal(result.oldestLostAckedMs, 30);
  assert.equal(result.corruptSlots, 1, 'a block of another run');
  assert.equal(result.lostBeforeCutoff, 1, 'only seq 2 was acknowledged before the cutoff');
  assert.deepEqual(readRanges([5, 3, 4, 9, 4]), [
    { first: 3, count: 3 },
    { first: 9, count: 1 },
  ]);
});

test('drill resync bytes: the growth of each array process counter after the fault, from its log lines', () => {
  const line = (time: number, pid: number, bytes: number, pod = 'cinder-pod') =>
    JSON.stringify({ level: 30, time, pid, pod, resyncBytes: bytes, msg: 'pod resync finished' });
  const log = [
    line(100, 1, 4096),
    'not json: tandem: array site-a is up',
    line(200, 1, 12_288),
    line(300, 2, 8192),
    line(300, 3, 99, 'other-pod'),
    JSON.stringify({ time: 250, pid: 1, msg: 'pod resync interrupted' }),
  ].join('\n');
  const lines = parseResyncLines(log);
  assert.equal(lines.length, 4);
  assert.equal(resyncBytesSince(lines, 'cinder-pod', 150), 8192 + 8192, 'pid 1 grew by 8192, pid 2 is new');
  assert.equal(resyncBytesSince(lines, 'cinder-pod', 400), null, 'no resync finished after it');
});
