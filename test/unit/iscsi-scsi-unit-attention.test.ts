// Unit attentions per I_T nexus: reset conditions for every session (the resetting one too),
// reported once per I_T_L nexus, not consumed by INQUIRY / REPORT LUNS, returned and cleared by
// REQUEST SENSE; CAPACITY DATA HAS CHANGED per nexus; per-session state ends with the session.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogicalUnit, ScsiNexus } from '../../src/array/iscsi/scsi/types.js';
import { assertGood, assertSense, MiB, NEXUS, NEXUS_2, Rig } from '../helpers/iscsi-scsi-fixture.js';
import { MemoryDevice } from '../helpers/memory-device.js';

const TUR = [0x00, 0, 0, 0, 0, 0];
const INQUIRY = [0x12, 0, 0, 0, 36, 0];
const REPORT_LUNS = [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0];
const REQUEST_SENSE = [0x03, 0, 0, 0, 18, 0];

const OTHER_HOST: ScsiNexus = {
  ...NEXUS,
  initiatorName: 'iqn.1994-05.com.redhat:host2',
  sessionId: 'iqn.1994-05.com.redhat:host2,i,0x400001370000,tsih 3',
  initiatorPort: 'iqn.1994-05.com.redhat:host2,i,0x400001370000',
  luns: [5],
};

function secondUnit(lun = 2): LogicalUnit {
  const serial = 'C8F5DC8C4E1B4A3F000113A6';
  return { lun, device: new MemoryDevice('vol2', 1 * MiB), naa: `624a9370${serial.toLowerCase()}`, serial };
}

async function assertResetOnce(rig: Rig, nexus: ScsiNexus, unit: LogicalUnit = rig.unit): Promise<void> {
  assertSense(await rig.runOn(nexus, TUR, unit), 6, 0x29, 0x03);
  assertGood(await rig.runOn(nexus, TUR, unit));
}

test('scsi unit attention: LU reset from one session -> 06/29/03 once on every session of the initiator', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(NEXUS.sessionId);
  rig.server.sessionStarted?.(NEXUS_2.sessionId);
  assertGood(await rig.runOn(NEXUS, TUR));
  rig.server.reset(1, NEXUS, rig.unit);
  // INQUIRY and REPORT LUNS are answered and leave the condition pending.
  assertGood(await rig.runOn(NEXUS_2, INQUIRY));
  assertGood(await rig.runOn(NEXUS_2, REPORT_LUNS));
  await assertResetOnce(rig, NEXUS_2);
  // The session that asked for the reset gets it too (SAM-5; libiscsi MultipathIO.Reset).
  assertGood(await rig.runOn(NEXUS, INQUIRY));
  await assertResetOnce(rig, NEXUS);
});

test('scsi unit attention: REQUEST SENSE returns the pending condition and clears it', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(NEXUS_2.sessionId);
  rig.server.reset(1, NEXUS, rig.unit);
  const sense = assertGood(await rig.runOn(NEXUS_2, REQUEST_SENSE));
  assert.deepEqual([sense[2]! & 0x0f, sense[12], sense[13]], [6, 0x29, 0x03]);
  const none = assertGood(await rig.runOn(NEXUS_2, REQUEST_SENSE));
  assert.deepEqual([none[2]! & 0x0f, none[12], none[13]], [0, 0, 0]);
  assertGood(await rig.runOn(NEXUS_2, TUR));
  await assertResetOnce(rig, NEXUS);
});

test('scsi unit attention: a LU reset leaves other LUs alone; a target reset covers every LU once', async () => {
  const rig = new Rig();
  const other = secondUnit();
  assertGood(await rig.runOn(NEXUS, TUR));
  assertGood(await rig.runOn(NEXUS_2, TUR, other));
  rig.server.reset(1, NEXUS, rig.unit);
  assertGood(await rig.runOn(NEXUS, TUR, other));
  await assertResetOnce(rig, NEXUS);
  rig.server.reset(null, NEXUS_2);
  for (const nexus of [NEXUS, NEXUS_2])
    for (const unit of [rig.unit, other]) await assertResetOnce(rig, nexus, unit);
});

test('scsi unit attention: repeated resets before the next command are reported once', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(NEXUS_2.sessionId);
  rig.server.reset(1, NEXUS, rig.unit);
  rig.server.reset(1, NEXUS, rig.unit);
  rig.server.reset(null, NEXUS);
  rig.server.reset(1, NEXUS, rig.unit);
  await assertResetOnce(rig, NEXUS_2);
  await assertResetOnce(rig, NEXUS);
});

test('scsi unit attention: the reset reaches another host that maps the volume at another LUN', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(OTHER_HOST.sessionId);
  const sameVolumeAtLun5: LogicalUnit = { ...rig.unit, lun: 5 };
  rig.server.reset(1, NEXUS, rig.unit);
  await assertResetOnce(rig, OTHER_HOST, sameVolumeAtLun5);
});

test('scsi unit attention: no POWER ON condition for a new session; ended sessions are forgotten', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(NEXUS.sessionId);
  assertGood(await rig.runOn(NEXUS, TUR));
  rig.server.sessionEnded?.(NEXUS_2.sessionId);
  rig.server.reset(1, NEXUS, rig.unit);
  // A session that logs in after the reset starts clean.
  rig.server.sessionStarted?.(NEXUS_2.sessionId);
  assertGood(await rig.runOn(NEXUS_2, TUR));
  // An ended session's pending condition goes with it.
  rig.server.sessionEnded?.(NEXUS.sessionId);
  rig.server.sessionStarted?.(NEXUS.sessionId);
  assertGood(await rig.runOn(NEXUS, TUR));
});

test('scsi unit attention: CAPACITY DATA HAS CHANGED once per nexus of the same initiator', async () => {
  const rig = new Rig(1 * MiB);
  assertGood(await rig.runOn(NEXUS, TUR));
  assertGood(await rig.runOn(NEXUS_2, TUR));
  Object.defineProperty(rig.device, 'sizeBytes', { value: 2 * MiB });
  for (const nexus of [NEXUS, NEXUS_2]) {
    assertSense(await rig.runOn(nexus, TUR), 6, 0x2a, 0x09);
    assertGood(await rig.runOn(nexus, TUR));
  }
});

test('scsi unit attention: a LU reset whose LU the transport could not resolve falls back to the LUN', async () => {
  const rig = new Rig();
  rig.server.sessionStarted?.(NEXUS_2.sessionId);
  rig.server.reset(1, NEXUS);
  await assertResetOnce(rig, NEXUS_2);
  await assertResetOnce(rig, NEXUS);
});
