// EXTENDED COPY (LID1) and RECEIVE COPY RESULTS in the device server: copies within one LU and
// between two LUs of the same initiator (named by their NAA designators), a copy that overlaps
// itself, what is refused and how, and the results held per session and list identifier.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import { COPY_LIMITS } from '../../src/array/iscsi/scsi/extended-copy.js';
import type { LogicalUnit, ScsiNexus, ScsiResult } from '../../src/array/iscsi/scsi/types.js';
import { ScsiStatus } from '../../src/array/iscsi/scsi/types.js';
import { assertGood, assertSense, BS, be, MiB, NEXUS, NEXUS_2 } from '../helpers/iscsi-scsi-fixture.js';
import { MemoryDevice } from '../helpers/memory-device.js';

const NAA_1 = '624a9370c8f5dc8c4e1b4a3f000113a5';
const NAA_2 = '624a9370c8f5dc8c4e1b4a3f000113a6';
const NAA_ELSEWHERE = '624a9370c8f5dc8c4e1b4a3f000199ff';

interface Segment {
  source: number;
  destination: number;
  blocks: number;
  sourceLba: number;
  destinationLba: number;
}

/** An identification target descriptor naming the LU with `naa` (as libiscsi builds one). */
function target(naa: string, blockBytes = BS): Buffer {
  const descriptor = Buffer.alloc(32);
  descriptor[0] = 0xe4;
  descriptor[4] = 0x01; // binary code set
  descriptor[5] = 0x03; // LU association, NAA
  descriptor[7] = 16;
  Buffer.from(naa, 'hex').copy(descriptor, 8);
  descriptor.writeUIntBE(blockBytes, 29, 3);
  return descriptor;
}

function segment(s: Segment): Buffer {
  const descriptor = Buffer.alloc(28);
  descriptor[0] = 0x02;
  descriptor.writeUInt16BE(0x18, 2);
  descriptor.writeUInt16BE(s.source, 4);
  descriptor.writeUInt16BE(s.destination, 6);
  descriptor.writeUInt16BE(s.blocks, 10);
  descriptor.writeBigUInt64BE(BigInt(s.sourceLba), 12);
  descriptor.writeBigUInt64BE(BigInt(s.destinationLba), 20);
  return descriptor;
}

function parameterList(listId: number, listIdUsage: number, targets: Buffer[], segments: Buffer[]): Buffer {
  const header = Buffer.alloc(16);
  header[0] = listId;
  header[1] = listIdUsage << 3;
  const targetBytes = Buffer.concat(targets);
  const segmentBytes = Buffer.concat(segments);
  header.writeUInt16BE(targetBytes.length, 2);
  header.writeUInt32BE(segmentBytes.length, 8);
  return Buffer.concat([header, targetBytes, segmentBytes]);
}

class CopyRig {
  readonly server = createScsiDeviceServer();
  readonly one = new MemoryDevice('vol1', 4 * MiB);
  readonly two = new MemoryDevice('vol2', 4 * MiB);
  readonly units: LogicalUnit[] = [
    { lun: 1, device: this.one, naa: NAA_1, serial: 'C8F5DC8C4E1B4A3F000113A5' },
    { lun: 2, device: this.two, naa: NAA_2, serial: 'C8F5DC8C4E1B4A3F000113A6' },
  ];

  nexus(base: ScsiNexus = NEXUS): ScsiNexus {
    return { ...base, unitWithNaa: (naa) => this.units.find((u) => u.naa === naa) ?? null };
  }

  extendedCopy(list: Buffer, nexus = this.nexus()): Promise<ScsiResult> {
    return this.server.execute({
      nexus,
      unit: this.units[0]!,
      lun: 1,
      cdb: Buffer.from([0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...be(list.length, 4), 0, 0]),
      dataOut: list,
      expectedLength: list.length,
    });
  }

  receiveCopyResults(serviceAction: number, listId: number, nexus = this.nexus()): Promise<ScsiResult> {
    return this.server.execute({
      nexus,
      unit: this.units[0]!,
      lun: 1,
      cdb: Buffer.from([0x84, serviceAction, listId, 0, 0, 0, 0, 0, 0, 0, ...be(1024, 4), 0, 0]),
      dataOut: Buffer.alloc(0),
      expectedLength: 1024,
    });
  }
}

const COPY_ABORTED = 0x0a;
const ILLEGAL_REQUEST = 0x05;

test('EXTENDED COPY copies blocks within one LU and from one LU of the initiator to another', async () => {
  const rig = new CopyRig();
  const data = randomBytes(3000 * BS);
  await rig.one.write(0, data);
  assertGood(
    await rig.extendedCopy(
      parameterList(
        1,
        0,
        [target(NAA_1), target(NAA_2)],
        [
          segment({ source: 0, destination: 0, blocks: 3000, sourceLba: 0, destinationLba: 5000 }),
          segment({ source: 0, destination: 1, blocks: 3000, sourceLba: 0, destinationLba: 17 }),
        ],
      ),
    ),
  );
  assert.ok((await rig.one.read(5000 * BS, 3000 * BS)).equals(data), 'copied within the LU');
  assert.ok((await rig.two.read(17 * BS, 3000 * BS)).equals(data), 'copied to the other LU');
  assert.ok((await rig.one.read(0, 3000 * BS)).equals(data), 'the source is unchanged');

  const held = assertGood(await rig.receiveCopyResults(0x00, 1));
  assert.equal(held.readUInt32BE(0), 8, 'AVAILABLE DATA');
  assert.equal(held[4], 0x00, 'completed without errors');
  assert.equal(held.readUInt16BE(5), 2, 'segments processed');
  assert.equal(held.readUInt32BE(8), 2 * 3000 * BS, 'bytes copied');
});

test('a copy that overlaps itself forwards on one LU reads every block before it is overwritten', async () => {
  const rig = new CopyRig();
  // 4 000 blocks: more than one 1 MiB chunk, shifted by 8 blocks over itself.
  const data = randomBytes(4000 * BS);
  await rig.one.write(0, data);
  assertGood(
    await rig.extendedCopy(
      parameterList(
        2,
        2,
        [target(NAA_1)],
        [segment({ source: 0, destination: 0, blocks: 4000, sourceLba: 0, destinationLba: 8 })],
      ),
    ),
  );
  assert.ok((await rig.one.read(8 * BS, 4000 * BS)).equals(data));
  assert.ok((await rig.one.read(0, 8 * BS)).equals(data.subarray(0, 8 * BS)), 'blocks before stay');
});

test('EXTENDED COPY refuses bad lists as SPC-4 and libiscsi expect, and copies nothing', async () => {
  const rig = new CopyRig();
  const ok = segment({ source: 0, destination: 1, blocks: 8, sourceLba: 0, destinationLba: 0 });
  await rig.one.write(0, randomBytes(8 * BS));
  const cases: Array<[string, Buffer, number, number, number]> = [
    [
      'too many target descriptors',
      parameterList(1, 0, Array(COPY_LIMITS.targetDescriptors + 1).fill(target(NAA_1)), [ok]),
      ILLEGAL_REQUEST,
      0x26,
      0x06,
    ],
    [
      'too many segment descriptors',
      parameterList(1, 0, [target(NAA_1), target(NAA_2)], Array(COPY_LIMITS.segmentDescriptors + 1).fill(ok)),
      ILLEGAL_REQUEST,
      0x26,
      0x08,
    ],
    [
      'unsupported target descriptor type',
      parameterList(1, 0, [Buffer.from([0xe0, ...Buffer.alloc(31)])], [ok]),
      ILLEGAL_REQUEST,
      0x26,
      0x07,
    ],
    [
      'unsupported segment descriptor type',
      parameterList(1, 0, [target(NAA_1)], [Buffer.from([0x09, 0, 0, 0x10, ...Buffer.alloc(16)])]),
      ILLEGAL_REQUEST,
      0x26,
      0x09,
    ],
    [
      'an LU the initiator cannot reach',
      parameterList(1, 0, [target(NAA_1), target(NAA_ELSEWHERE)], [ok]),
      COPY_ABORTED,
      0x08,
      0x04,
    ],
    [
      'a segment naming a missing target descriptor',
      parameterList(1, 0, [target(NAA_1)], [ok]),
      COPY_ABORTED,
      0x08,
      0x04,
    ],
    [
      'a segment past the end of the destination',
      parameterList(
        1,
        0,
        [target(NAA_1), target(NAA_2)],
        [segment({ source: 0, destination: 1, blocks: 8, sourceLba: 0, destinationLba: (4 * MiB) / BS - 4 })],
      ),
      COPY_ABORTED,
      0x00,
      0x00,
    ],
    [
      'a block length other than 512',
      parameterList(1, 0, [target(NAA_1), target(NAA_2, 4096)], [ok]),
      COPY_ABORTED,
      0x0d,
      0x03,
    ],
  ];
  for (const [name, list, key, asc, ascq] of cases) {
    const result = await rig.extendedCopy(list);
    assert.equal(result.status, ScsiStatus.CHECK_CONDITION, name);
    assertSense(result, key, asc, ascq);
  }
  // A list cut short: PARAMETER LIST LENGTH ERROR.
  const full = parameterList(1, 0, [target(NAA_1), target(NAA_2)], [ok]);
  assertSense(await rig.extendedCopy(full.subarray(0, full.length - 1)), ILLEGAL_REQUEST, 0x1a, 0x00);
  assert.ok((await rig.two.read(0, 8 * BS)).equals(Buffer.alloc(8 * BS)), 'nothing was copied');
  // An empty parameter list copies nothing and succeeds.
  assertGood(await rig.extendedCopy(Buffer.alloc(0)));
  // Nothing refused was held for RECEIVE COPY RESULTS.
  assertSense(await rig.receiveCopyResults(0x00, 1), ILLEGAL_REQUEST, 0x24, 0x00);
});

test('RECEIVE COPY RESULTS: results are held per session and only when LIST ID USAGE asks', async () => {
  const rig = new CopyRig();
  const list = (listId: number, usage: number) =>
    parameterList(
      listId,
      usage,
      [target(NAA_1), target(NAA_2)],
      [segment({ source: 0, destination: 1, blocks: 1, sourceLba: 0, destinationLba: 0 })],
    );
  assertGood(await rig.extendedCopy(list(5, 0)));
  assertGood(await rig.extendedCopy(list(6, 2)));
  assertGood(await rig.receiveCopyResults(0x00, 5));
  assertSense(await rig.receiveCopyResults(0x00, 6), ILLEGAL_REQUEST, 0x24, 0x00);
  assertSense(await rig.receiveCopyResults(0x00, 5, rig.nexus(NEXUS_2)), ILLEGAL_REQUEST, 0x24, 0x00);
  rig.server.sessionEnded?.(NEXUS.sessionId);
  assertSense(await rig.receiveCopyResults(0x00, 5), ILLEGAL_REQUEST, 0x24, 0x00);

  const parameters = assertGood(await rig.receiveCopyResults(0x03, 0));
  assert.equal(parameters.readUInt16BE(8), COPY_LIMITS.targetDescriptors);
  assert.equal(parameters.readUInt16BE(10), COPY_LIMITS.segmentDescriptors);
  assert.equal(parameters.readUInt32BE(12), COPY_LIMITS.descriptorListBytes);
  assert.deepEqual([...parameters.subarray(44, 44 + parameters[43]!)], [0x02, 0xe4]);
});

test('EXTENDED COPY meets reservations on its copy targets and read-only destinations', async () => {
  const rig = new CopyRig();
  await rig.one.write(0, randomBytes(8 * BS));
  const list = parameterList(
    1,
    0,
    [target(NAA_1), target(NAA_2)],
    [segment({ source: 0, destination: 1, blocks: 8, sourceLba: 0, destinationLba: 0 })],
  );
  // Another nexus holds Write Exclusive on the destination LU (LUN 2).
  const prOut = (serviceAction: number, type: number, key: bigint) => {
    const body = Buffer.alloc(24);
    body.writeBigUInt64BE(key, 0);
    if (serviceAction === 0) body.writeBigUInt64BE(0x77n, 8);
    return rig.server.execute({
      nexus: NEXUS_2,
      unit: rig.units[1]!,
      lun: 2,
      cdb: Buffer.from([0x5f, serviceAction, type, 0, 0, 0, 0, 0, 24, 0]),
      dataOut: body,
      expectedLength: 24,
    });
  };
  assertGood(await prOut(0, 0, 0n));
  assertGood(await prOut(1, 1, 0x77n));
  assert.equal((await rig.extendedCopy(list)).status, ScsiStatus.RESERVATION_CONFLICT);
  assert.ok((await rig.two.read(0, 8 * BS)).equals(Buffer.alloc(8 * BS)), 'nothing was copied');

  const readOnly = new CopyRig();
  readOnly.units[1] = {
    ...readOnly.units[1]!,
    device: new MemoryDevice('snap', 4 * MiB, { readOnly: true }),
  };
  assertSense(await readOnly.extendedCopy(list), 0x07, 0x27, 0x00);
});

test('INQUIRY reports third-party copy: 3PC in standard data, the commands in VPD page 0x8F', async () => {
  const rig = new CopyRig();
  const inquiry = (cdb: number[]) =>
    rig.server.execute({
      nexus: rig.nexus(),
      unit: rig.units[0]!,
      lun: 1,
      cdb: Buffer.from(cdb),
      dataOut: Buffer.alloc(0),
      expectedLength: 1024,
    });
  assert.equal(assertGood(await inquiry([0x12, 0, 0, 0, 96, 0]))[5]! & 0x08, 0x08, '3PC');
  const page = assertGood(await inquiry([0x12, 1, 0x8f, 0x04, 0x00, 0]));
  assert.equal(page[1], 0x8f);
  assert.equal(page.readUInt16BE(2), page.length - 4);
  assert.equal(page.readUInt16BE(4), 0x0001, 'SUPPORTED COMMANDS descriptor');
  const descriptorBytes = page.readUInt16BE(6);
  assert.equal(descriptorBytes % 4, 0);
  const list = page.subarray(9, 9 + page[8]!);
  assert.deepEqual([...list], [0x83, 1, 0x00, 0x84, 2, 0x00, 0x03]);
});

test('a PREEMPT of the copying initiator waits for its EXTENDED COPY to end (fencing)', async () => {
  const rig = new CopyRig();
  await rig.one.write(0, randomBytes(4000 * BS));
  const prOut = (nexus: ScsiNexus, serviceAction: number, type: number, key: bigint, serviceKey: bigint) => {
    const body = Buffer.alloc(24);
    body.writeBigUInt64BE(key, 0);
    body.writeBigUInt64BE(serviceKey, 8);
    return rig.server.execute({
      nexus,
      unit: rig.units[1]!,
      lun: 2,
      cdb: Buffer.from([0x5f, serviceAction, type, 0, 0, 0, 0, 0, 24, 0]),
      dataOut: body,
      expectedLength: 24,
    });
  };
  // B holds Write Exclusive - Registrants Only on the destination; A is registered, so may write.
  assertGood(await prOut(NEXUS_2, 0, 0, 0n, 0xbn));
  assertGood(await prOut(NEXUS_2, 1, 5, 0xbn, 0n));
  assertGood(await prOut(NEXUS, 0, 0, 0n, 0xan));
  rig.two.holdNext(1);
  let copyEnded = false;
  const copy = rig
    .extendedCopy(
      parameterList(
        1,
        0,
        [target(NAA_1), target(NAA_2)],
        [segment({ source: 0, destination: 1, blocks: 4000, sourceLba: 0, destinationLba: 0 })],
      ),
    )
    .finally(() => {
      copyEnded = true;
    });
  while (rig.two.heldCount === 0) await new Promise((resolve) => setImmediate(resolve));
  let preemptAnswered = false;
  const preempt = prOut(NEXUS_2, 5, 5, 0xbn, 0xan).then((result) => {
    preemptAnswered = true;
    assert.equal(copyEnded, true, 'the copy ended before the PREEMPT AND ABORT was answered');
    return result;
  });
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(preemptAnswered, false, 'the PREEMPT AND ABORT waits while the copy runs');
  rig.two.releaseHeld();
  assertGood(await copy);
  assertGood(await preempt);
});

test('EXTENDED COPY hands its read buffers back only when the destination keeps no reference', async () => {
  for (const reuse of [false, true]) {
    const rig = new CopyRig();
    const released: Buffer[] = [];
    Object.assign(rig.one, { release: (data: Buffer) => released.push(data) });
    rig.units[1] = { ...rig.units[1]!, device: new MemoryDevice('vol2', 4 * MiB, { reuseWrites: reuse }) };
    assertGood(
      await rig.extendedCopy(
        parameterList(
          1,
          0,
          [target(NAA_1), target(NAA_2)],
          [segment({ source: 0, destination: 1, blocks: 4000, sourceLba: 0, destinationLba: 0 })],
        ),
      ),
    );
    assert.equal(released.length, reuse ? 2 : 0, `mayReuse ${reuse}`);
  }
});
