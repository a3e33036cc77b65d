// One conformance suite for every BlockDevice implementation (the engine-backed volume device and
// the in-memory device the protocol tests use): what a protocol server may rely on.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { BlockDevice } from '../../src/array/engine/block-device.js';

export interface ConformanceTarget {
  device: BlockDevice;
  /** Closes the device's backing store and opens it again (durability); absent for memory. */
  reopen?: () => Promise<BlockDevice>;
  cleanup: () => Promise<void>;
}

const SECTOR = 512;
const MiB = 1024 * 1024;

async function read(device: BlockDevice, offset: number, length: number): Promise<Buffer> {
  return Buffer.from(await device.read(offset, length));
}

/** Registers the suite's tests for `label`; `open` gives a fresh writable device of at least 8 MiB. */
export function blockDeviceConformance(label: string, open: () => Promise<ConformanceTarget>): void {
  const scenario = (name: string, body: (target: ConformanceTarget) => Promise<void>) =>
    test(`block device conformance (${label}): ${name}`, async () => {
      const target = await open();
      try {
        await body(target);
      } finally {
        await target.cleanup();
      }
    });

  scenario('unwritten ranges read as zeroes, of exactly the length asked', async ({ device }) => {
    assert.ok(device.sizeBytes >= 8 * MiB);
    assert.equal(device.readOnly, false);
    const data = await read(device, device.sizeBytes - 3 * SECTOR, 3 * SECTOR);
    assert.deepEqual(data, Buffer.alloc(3 * SECTOR));
  });

  scenario('writes at any sector alignment read back, neighbours untouched', async ({ device }) => {
    const model = Buffer.alloc(MiB);
    const writes = [
      [0, 4096],
      [SECTOR, SECTOR],
      [4096 - SECTOR, 3 * SECTOR],
      [7 * SECTOR, 20 * 4096 + SECTOR],
      [MiB - 4096, 4096],
    ] as const;
    for (const [offset, length] of writes) {
      const data = randomBytes(length);
      await device.write(offset, data);
      data.copy(model, offset);
    }
    assert.deepEqual(await read(device, 0, MiB), model);
    assert.deepEqual(await read(device, 3 * SECTOR, 5 * SECTOR), model.subarray(3 * SECTOR, 8 * SECTOR));
  });

  scenario('a written buffer the device lets go of may be refilled at once', async (target) => {
    const { device } = target;
    if (!device.mayReuse) return; // such a device keeps what it was given: callers never refill
    const data = randomBytes(MiB);
    const expected = Buffer.from(data);
    await device.write(2 * MiB, data);
    assert.equal(device.mayReuse(data), true, 'a plain write lets go of its buffer');
    data.fill(0xee); // the caller fills it for its next request
    assert.deepEqual(await read(device, 2 * MiB, MiB), expected);
    await device.flush();
    const reopened = target.reopen ? await target.reopen() : device;
    assert.deepEqual(await read(reopened, 2 * MiB, MiB), expected, 'and the stored copy is intact');
  });

  scenario('concurrent writes to separate ranges all land', async ({ device }) => {
    const pieces = Array.from({ length: 64 }, (_, i) => ({
      offset: i * 12 * SECTOR,
      data: randomBytes(9 * SECTOR),
    }));
    await Promise.all(pieces.map((p) => device.write(p.offset, p.data)));
    await device.flush();
    for (const p of pieces) assert.deepEqual(await read(device, p.offset, p.data.length), p.data);
  });

  scenario(
    'write-zeroes and trim make a range read as zeroes and keep its neighbours',
    async ({ device }) => {
      const data = randomBytes(64 * 4096);
      await device.write(0, data);
      await device.writeZeroes(4096 + SECTOR, 3 * SECTOR);
      await device.trim(16 * 4096, 8 * 4096);
      const expected = Buffer.from(data);
      expected.fill(0, 4096 + SECTOR, 4096 + 4 * SECTOR);
      expected.fill(0, 16 * 4096, 24 * 4096);
      assert.deepEqual(await read(device, 0, 64 * 4096), expected);
    },
  );

  scenario('a later write to the same range wins', async ({ device }) => {
    const first = randomBytes(8 * 4096);
    const second = randomBytes(4096);
    await device.write(0, first);
    await device.write(2 * 4096, second);
    const expected = Buffer.from(first);
    second.copy(expected, 2 * 4096);
    assert.deepEqual(await read(device, 0, 8 * 4096), expected);
  });

  scenario('acknowledged writes survive closing and reopening the store', async (target) => {
    if (!target.reopen) return; // nothing durable behind an in-memory device
    const data = randomBytes(256 * 1024 + SECTOR);
    await target.device.write(5 * SECTOR, data);
    await target.device.writeZeroes(5 * SECTOR, SECTOR);
    const device = await target.reopen();
    const expected = Buffer.from(data);
    expected.fill(0, 0, SECTOR);
    assert.deepEqual(await read(device, 5 * SECTOR, data.length), expected);
  });
}
