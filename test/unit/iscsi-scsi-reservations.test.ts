// Persistent reservations (PERSISTENT RESERVE IN/OUT) and RESERVE(6)/RELEASE(6) in the device
// server, from three I_T nexuses: A and B are two sessions of one host (two ISIDs), C is another
// host. What each nexus may do under each reservation type, who is told what, and what ends a
// reservation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import type { ReservationStore, SavedReservations } from '../../src/array/iscsi/scsi/reservations.js';
import { type ScsiNexus, type ScsiResult, ScsiStatus } from '../../src/array/iscsi/scsi/types.js';
import {
  assertGood,
  assertSense,
  BS,
  be,
  cdb10,
  MiB,
  NEXUS,
  NEXUS_2,
  Rig,
} from '../helpers/iscsi-scsi-fixture.js';

const A = NEXUS;
const B = NEXUS_2;
const C: ScsiNexus = {
  ...NEXUS,
  initiatorName: 'iqn.1994-05.com.redhat:host2',
  sessionId: 'iqn.1994-05.com.redhat:host2,i,0x400001370000,tsih 3',
  initiatorPort: 'iqn.1994-05.com.redhat:host2,i,0x400001370000',
};

const KEY: Record<string, bigint> = { A: 0xaaaan, B: 0xbbbbn, C: 0xccccn };

const SA = { REGISTER: 0, RESERVE: 1, RELEASE: 2, CLEAR: 3, PREEMPT: 4, REGISTER_IGNORE: 6 } as const;
const TYPES = { WE: 1, EA: 3, WERO: 5, EARO: 6, WEAR: 7, EAAR: 8 } as const;

function prOut(
  rig: Rig,
  nexus: ScsiNexus,
  serviceAction: number,
  key: bigint,
  serviceActionKey: bigint,
  type = 0,
  flags = 0,
  listBytes = 24,
): Promise<ScsiResult> {
  const parameters = Buffer.alloc(24);
  parameters.writeBigUInt64BE(key, 0);
  parameters.writeBigUInt64BE(serviceActionKey, 8);
  parameters[20] = flags;
  const cdb = Buffer.from([0x5f, serviceAction, type, 0, 0, ...be(listBytes, 4), 0]);
  return rig.server.execute({
    nexus,
    unit: rig.unit,
    lun: 1,
    cdb,
    dataOut: parameters.subarray(0, Math.min(24, listBytes)),
    expectedLength: listBytes,
  });
}

function prIn(rig: Rig, nexus: ScsiNexus, serviceAction: number, allocation = 4096): Promise<ScsiResult> {
  return rig.runOn(nexus, [0x5e, serviceAction, 0, 0, 0, 0, 0, ...be(allocation, 2), 0]);
}

async function keys(rig: Rig, nexus = A): Promise<{ generation: number; keys: bigint[] }> {
  const data = assertGood(await prIn(rig, nexus, 0));
  const count = data.readUInt32BE(4) / 8;
  return {
    generation: data.readUInt32BE(0),
    keys: Array.from({ length: count }, (_, i) => data.readBigUInt64BE(8 + i * 8)),
  };
}

async function reservation(rig: Rig, nexus = A): Promise<{ key: bigint; type: number } | null> {
  const data = assertGood(await prIn(rig, nexus, 1));
  if (data.readUInt32BE(4) === 0) return null;
  return { key: data.readBigUInt64BE(8), type: (data[21] ?? 0) & 0x0f };
}

async function register(rig: Rig, name: 'A' | 'B' | 'C'): Promise<void> {
  const nexus = { A, B, C }[name];
  assertGood(await prOut(rig, nexus, SA.REGISTER_IGNORE, 0n, KEY[name]!));
}

const read1 = (rig: Rig, nexus: ScsiNexus) => rig.runOn(nexus, cdb10(0x28, 1, 1));
function write1(rig: Rig, nexus: ScsiNexus): Promise<ScsiResult> {
  return rig.server.execute({
    nexus,
    unit: rig.unit,
    lun: 1,
    cdb: Buffer.from(cdb10(0x2a, 1, 1)),
    dataOut: Buffer.alloc(BS, 1),
    expectedLength: BS,
  });
}

const ok = (result: ScsiResult) => result.status === ScsiStatus.GOOD;
const conflict = (result: ScsiResult) => result.status === ScsiStatus.RESERVATION_CONFLICT;
const TUR = [0, 0, 0, 0, 0, 0];

test('reservations: REGISTER adds, changes and drops keys; wrong keys conflict; PRgeneration counts changes', async () => {
  const rig = new Rig();
  assert.deepEqual(await keys(rig), { generation: 0, keys: [] });
  assert.ok(conflict(await prOut(rig, A, SA.REGISTER, 5n, KEY.A!)), 'unregistered with a non-zero key');
  assertGood(await prOut(rig, A, SA.REGISTER, 0n, KEY.A!));
  assert.ok(conflict(await prOut(rig, A, SA.REGISTER, 0n, 7n)), 'registered, wrong key');
  assertGood(await prOut(rig, A, SA.REGISTER, KEY.A!, 0x1234n));
  await register(rig, 'B');
  assert.deepEqual(await keys(rig, C), { generation: 3, keys: [0x1234n, KEY.B!] });
  // Truncated to the allocation length, the ADDITIONAL LENGTH still counts every key.
  const header = assertGood(await prIn(rig, A, 0, 8));
  assert.equal(header.length, 8);
  assert.equal(header.readUInt32BE(4), 16);
  assertGood(await prOut(rig, A, SA.REGISTER, 0x1234n, 0n));
  assertGood(await prOut(rig, C, SA.REGISTER, 0n, 0n)); // unregistering nobody: a no-op
  assert.deepEqual(await keys(rig), { generation: 4, keys: [KEY.B!] });
});

test('reservations: who may read and write under each type (holder A, registered B, unregistered C)', async () => {
  // [B read, B write, C read, C write]: what SPC-4 allows; the holder may always do both.
  const expected: Record<keyof typeof TYPES, boolean[]> = {
    WE: [true, false, true, false],
    EA: [false, false, false, false],
    WERO: [true, true, true, false],
    EARO: [true, true, false, false],
    WEAR: [true, true, true, false],
    EAAR: [true, true, false, false],
  };
  for (const [name, type] of Object.entries(TYPES) as Array<[keyof typeof TYPES, number]>) {
    const rig = new Rig();
    await register(rig, 'A');
    await register(rig, 'B');
    assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, type));
    const held = await reservation(rig, C);
    assert.deepEqual(held, { key: type >= TYPES.WEAR ? 0n : KEY.A!, type }, name);
    assert.ok(ok(await read1(rig, A)) && ok(await write1(rig, A)), `${name}: the holder reads and writes`);
    const outcomes = [await read1(rig, B), await write1(rig, B), await read1(rig, C), await write1(rig, C)];
    for (const outcome of outcomes) assert.ok(ok(outcome) || conflict(outcome), name);
    assert.deepEqual(outcomes.map(ok), expected[name], name);
    // Commands that do not touch the medium are never refused.
    for (const nexus of [B, C]) {
      assertGood(await rig.runOn(nexus, TUR));
      assertGood(await rig.runOn(nexus, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
    assert.ok(conflict(await prOut(rig, B, SA.RESERVE, KEY.B!, 0n, TYPES.WE === type ? TYPES.EA : TYPES.WE)));
    assert.ok(conflict(await prOut(rig, C, SA.RESERVE, KEY.C!, 0n, type)), 'unregistered');
  }
});

test('reservations: the holder unregistering ends its reservation, except an all-registrants one', async () => {
  for (const type of [TYPES.EA, TYPES.WERO]) {
    const rig = new Rig();
    await register(rig, 'A');
    await register(rig, 'B');
    assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, type));
    assertGood(await prOut(rig, A, SA.REGISTER, KEY.A!, 0n));
    assert.equal(await reservation(rig, A), null);
    // Registrants-only types tell the other registrants, once.
    if (type === TYPES.WERO) assertSense(await rig.runOn(B, TUR), 6, 0x2a, 0x04);
    assertGood(await rig.runOn(B, TUR));
  }
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'B');
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.EAAR));
  assertGood(await prOut(rig, A, SA.REGISTER, KEY.A!, 0n));
  assert.deepEqual(await reservation(rig), { key: 0n, type: TYPES.EAAR });
  assert.ok(conflict(await read1(rig, A)), 'A is no registrant any more');
  assertGood(await prOut(rig, B, SA.REGISTER, KEY.B!, 0n));
  assert.equal(await reservation(rig), null, 'the last registrant took it along');
});

test('reservations: RELEASE needs the same type; CLEAR drops everything and tells the others', async () => {
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'B');
  const { generation } = await keys(rig);
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.EA));
  assertGood(await prOut(rig, B, SA.RELEASE, KEY.B!, 0n, TYPES.EA)); // not the holder: a no-op
  assert.deepEqual(await reservation(rig), { key: KEY.A!, type: TYPES.EA });
  assertSense(await prOut(rig, A, SA.RELEASE, KEY.A!, 0n, TYPES.WE), 5, 0x26, 0x04);
  assertGood(await prOut(rig, A, SA.RELEASE, KEY.A!, 0n, TYPES.EA));
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.EA));
  assert.equal((await keys(rig)).generation, generation, 'RESERVE and RELEASE leave PRgeneration');
  assert.ok(conflict(await prOut(rig, C, SA.CLEAR, KEY.C!, 0n)), 'CLEAR needs a registration');
  assertGood(await prOut(rig, A, SA.CLEAR, KEY.A!, 0n));
  assert.deepEqual(await keys(rig), { generation: generation + 1, keys: [] });
  assert.equal(await reservation(rig), null);
  assertSense(await rig.runOn(B, TUR), 6, 0x2a, 0x03);
  assertGood(await rig.runOn(A, TUR));
});

test('reservations: PREEMPT removes registrations and takes over the reservation; the preempted hear of it', async () => {
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'B');
  // No reservation: B's registration goes.
  assertGood(await prOut(rig, A, SA.PREEMPT, KEY.A!, KEY.B!, TYPES.EA));
  assert.deepEqual((await keys(rig)).keys, [KEY.A!]);
  assertSense(await rig.runOn(B, TUR), 6, 0x2a, 0x05);
  assert.ok(conflict(await prOut(rig, A, SA.PREEMPT, KEY.A!, 0x999n, TYPES.EA)), 'no such key');
  assertSense(await prOut(rig, A, SA.PREEMPT, KEY.A!, 0n, TYPES.EA), 5, 0x26, 0x00);
  // B holds Exclusive Access; C preempts it and holds Write Exclusive.
  await register(rig, 'B');
  await register(rig, 'C');
  assertGood(await prOut(rig, B, SA.RESERVE, KEY.B!, 0n, TYPES.EA));
  assertGood(await prOut(rig, C, SA.PREEMPT, KEY.C!, KEY.B!, TYPES.WE));
  // A is still registered: the type it lives under changed, and it is told so.
  assertSense(await rig.runOn(A, TUR), 6, 0x2a, 0x04);
  assert.deepEqual(await reservation(rig), { key: KEY.C!, type: TYPES.WE });
  assert.deepEqual((await keys(rig)).keys, [KEY.A!, KEY.C!]);
  assert.ok(conflict(await write1(rig, B)), 'B lost its registration: it may not write');
  // A conflicting command leaves the unit attention in place; the next allowed one reports it.
  assertSense(await read1(rig, B), 6, 0x2a, 0x05);
  assert.ok(ok(await read1(rig, B)));
});

test("reservations: PREEMPT AND ABORT answers only once the preempted host's running writes have ended", async () => {
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'C');
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.WE));
  rig.device.holdNext(1);
  const fencedWrite = write1(rig, A); // let through, then held by the device
  await new Promise((resolve) => setImmediate(resolve));
  let preempted = false;
  const preempt = prOut(rig, C, 5, KEY.C!, KEY.A!, TYPES.WE).then((result) => {
    preempted = true;
    return result;
  });
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(preempted, false, 'no GOOD while the fenced host still writes');
  assert.ok(conflict(await write1(rig, A)), 'a new write of the fenced host is refused at once');
  rig.device.releaseHeld();
  assertGood(await fencedWrite);
  assertGood(await preempt);
  assert.deepEqual(await reservation(rig, C), { key: KEY.C!, type: TYPES.WE });
});

test('reservations: RESERVE(6) and RELEASE(6) under a persistent reservation change nothing', async () => {
  const reserve6 = [0x16, 0, 0, 0, 0, 0];
  const release6 = [0x17, 0, 0, 0, 0, 0];
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'B');
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.WERO, 0x01)); // APTPL ignored here
  for (const cdb of [reserve6, release6]) {
    assertGood(await rig.runOn(A, cdb)); // the holder
    assertGood(await rig.runOn(B, cdb)); // a registrant a registrants-only type lets in
    assert.ok(conflict(await rig.runOn(C, cdb)));
  }
  assert.deepEqual(await reservation(rig), { key: KEY.A!, type: TYPES.WERO });
  assertGood(await prOut(rig, A, SA.CLEAR, KEY.A!, 0n));
  assertSense(await rig.runOn(B, TUR), 6, 0x2a, 0x03);
  // A RESERVE(6) reservation shuts persistent reservation commands out, its holder's too.
  assertGood(await rig.runOn(C, reserve6));
  assert.ok(conflict(await prOut(rig, C, SA.REGISTER_IGNORE, 0n, KEY.C!)));
  assert.ok(conflict(await prIn(rig, C, 0)));
  assertGood(await rig.runOn(C, release6));
  assertGood(await prIn(rig, C, 0));
});

test('reservations: a registrant preempted while logged out hears of it in its next session', async () => {
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'C');
  rig.server.sessionStarted?.(C.sessionId);
  rig.server.sessionEnded?.(C.sessionId); // C logs out; its registration stays
  assertGood(await prOut(rig, A, SA.PREEMPT, KEY.A!, KEY.C!, TYPES.WE));
  const again: ScsiNexus = { ...C, sessionId: `${C.initiatorPort},tsih 9` }; // same port, new session
  assertSense(await rig.runOn(again, TUR), 6, 0x2a, 0x05);
  assertGood(await rig.runOn(again, TUR));
  assertGood(await rig.runOn(B, TUR)); // another port is not concerned
});

test('reservations: parameter list checks (length, APTPL, SPEC_I_PT, ALL_TG_PT), scope and type', async () => {
  const rig = new Rig();
  assertSense(await prOut(rig, A, SA.REGISTER_IGNORE, 0n, 1n, 0, 0, 16), 5, 0x1a, 0x00);
  for (const flags of [0x01, 0x04, 0x08])
    assertSense(await prOut(rig, A, SA.REGISTER_IGNORE, 0n, 1n, 0, flags), 5, 0x26, 0x00);
  await register(rig, 'A');
  assertSense(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, 2), 5, 0x24, 0x00);
  assertSense(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, 0x10 | TYPES.WE), 5, 0x24, 0x00);
  assertSense(await prOut(rig, A, 7, KEY.A!, 0n, TYPES.WE), 5, 0x24, 0x00);
  const caps = assertGood(await prIn(rig, A, 2));
  assert.deepEqual([...caps], [0, 8, 0x10, 0x80, 0xea, 0x01, 0, 0]);
  assertSense(await prIn(rig, A, 4), 5, 0x24, 0x00);
});

test('reservations: READ FULL STATUS names each registration by its iSCSI TransportID', async () => {
  const rig = new Rig();
  await register(rig, 'A');
  await register(rig, 'C');
  assertGood(await prOut(rig, C, SA.RESERVE, KEY.C!, 0n, TYPES.WERO));
  const data = assertGood(await prIn(rig, A, 3));
  assert.equal(data.readUInt32BE(4), data.length - 8);
  const found: Array<{ key: bigint; holder: boolean; type: number; port: string }> = [];
  for (let at = 8; at < data.length; ) {
    const idBytes = data.readUInt32BE(at + 20);
    const id = data.subarray(at + 24, at + 24 + idBytes);
    assert.equal(id[0], 0x45, 'iSCSI, format 01b');
    const name = id
      .subarray(4, 4 + id.readUInt16BE(2))
      .toString('utf8')
      .replace(/\0+$/, '');
    found.push({
      key: data.readBigUInt64BE(at),
      holder: (data[at + 12]! & 1) === 1,
      type: data[at + 13]!,
      port: name,
    });
    at += 24 + idBytes;
  }
  assert.deepEqual(found, [
    { key: KEY.A!, holder: false, type: 0, port: A.initiatorPort },
    { key: KEY.C!, holder: true, type: TYPES.WERO, port: C.initiatorPort },
  ]);
});

test('reservations: RESERVE(6) shuts out other nexuses until released, the session ends or a reset', async () => {
  const reserve6 = [0x16, 0, 0, 0, 0, 0];
  const release6 = [0x17, 0, 0, 0, 0, 0];
  const rig = new Rig();
  assertGood(await rig.runOn(A, reserve6));
  assertGood(await rig.runOn(A, reserve6)); // again, by the holder
  assert.ok(ok(await read1(rig, A)) && ok(await write1(rig, A)));
  for (const cdb of [reserve6, TUR, cdb10(0x28, 1, 1), [0x1a, 0, 0x3f, 0, 255, 0]])
    assert.ok(conflict(await rig.runOn(B, cdb)), `B: ${cdb[0]}`);
  assert.ok(conflict(await prIn(rig, B, 0)), 'persistent reservation commands too');
  assertGood(await rig.runOn(B, [0x12, 0, 0, 0, 36, 0])); // INQUIRY is answered
  assertGood(await rig.runOn(B, release6)); // a release by another nexus changes nothing
  assert.ok(conflict(await read1(rig, B)));
  assertGood(await rig.runOn(A, release6));
  assertGood(await rig.runOn(B, reserve6));
  // What ends it without a RELEASE: the holder's session ending, a LOGICAL UNIT RESET, a target reset.
  rig.server.sessionEnded?.(B.sessionId);
  assertGood(await rig.runOn(C, reserve6));
  rig.server.reset(1, A, rig.unit);
  assertSense(await rig.runOn(A, TUR), 6, 0x29, 0x03); // the reset's unit attention
  assertGood(await rig.runOn(A, reserve6));
  rig.server.reset(null, C);
  for (const nexus of [A, C]) assertSense(await rig.runOn(nexus, TUR), 6, 0x29, 0x03);
  assertGood(await rig.runOn(C, reserve6));
  assertGood(await rig.runOn(C, release6));
  // With a registration in place, RESERVE(6) conflicts; persistent reservations survive resets.
  await register(rig, 'A');
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.EA));
  assert.ok(conflict(await rig.runOn(C, reserve6)));
  rig.server.reset(null, A);
  assertSense(await rig.runOn(A, TUR), 6, 0x29, 0x03);
  assert.deepEqual(await reservation(rig), { key: KEY.A!, type: TYPES.EA });
});

test('reservations: with APTPL they are saved before GOOD and come back in a new device server', async () => {
  const saved = new Map<string, SavedReservations>();
  const store: ReservationStore = {
    load: () => [...saved.values()],
    save: async (naa, state) => {
      if (state) saved.set(naa, structuredClone(state));
      else saved.delete(naa);
    },
  };
  // Each Rig is the array's device server after a start: the same LU, the same store.
  const started = () => new Rig(MiB, {}, createScsiDeviceServer({ reservationStore: store }));
  const first = started();
  assert.equal(assertGood(await prIn(first, A, 2))[2]! & 0x01, 0x01, 'PTPL_C');
  assertGood(await prOut(first, A, SA.REGISTER_IGNORE, 0n, KEY.A!, 0, 0x01));
  await register(first, 'B'); // APTPL 0 now: the last REGISTER decides, and nothing is kept
  assert.equal(saved.size, 0);
  assertGood(await prOut(first, B, SA.REGISTER, KEY.B!, KEY.B!, 0, 0x01));
  assertGood(await prOut(first, A, SA.RESERVE, KEY.A!, 0n, TYPES.WE));
  assert.equal(assertGood(await prIn(first, A, 2))[3]! & 0x01, 0x01, 'PTPL_A');
  const generation = (await keys(first)).generation;

  const second = started(); // the array restarted
  assert.deepEqual(await keys(second), { generation, keys: [KEY.A!, KEY.B!] });
  assert.deepEqual(await reservation(second), { key: KEY.A!, type: TYPES.WE });
  assert.ok(ok(await write1(second, A)));
  assert.ok(conflict(await write1(second, C)));
  // A REGISTER without APTPL turns it off: the saved state goes.
  assertGood(await prOut(second, B, SA.REGISTER, KEY.B!, KEY.B!));
  assert.equal(saved.size, 0);
  assert.deepEqual(await keys(started()), { generation: 0, keys: [] });
});

test('an LU that cannot keep reservations (a stretched pod volume) refuses what would add one, before conflicts', async () => {
  const rig = new Rig();
  let reason: string | undefined;
  rig.unit.reservationsUnavailable = () => reason;
  const INVALID_OPCODE = [0x05, 0x20, 0x00] as const;
  // State from before the pod was stretched: A registered and holds Write Exclusive.
  assertGood(await prOut(rig, A, SA.REGISTER, 0n, KEY.A!));
  assertGood(await prOut(rig, A, SA.RESERVE, KEY.A!, 0n, TYPES.WE));
  reason = 'the volume is in a stretched pod';

  // Refused as unsupported, even for C, whom the reservation would otherwise answer with a conflict.
  assertSense(await prOut(rig, C, SA.REGISTER, 0n, KEY.C!), ...INVALID_OPCODE);
  assertSense(await prOut(rig, C, SA.REGISTER_IGNORE, 0n, KEY.C!), ...INVALID_OPCODE);
  assertSense(await prOut(rig, A, SA.PREEMPT, KEY.A!, KEY.A!, TYPES.EA), ...INVALID_OPCODE);
  assertSense(await rig.runOn(C, [0x16, 0, 0, 0, 0, 0]), ...INVALID_OPCODE);
  assert.deepEqual((await keys(rig)).keys, [KEY.A], 'nothing was added');

  // What only removes state still works, so a reservation from before can be undone.
  assertGood(await prOut(rig, A, SA.RELEASE, KEY.A!, 0n, TYPES.WE));
  assert.equal(await reservation(rig), null);
  assertGood(await prOut(rig, A, SA.REGISTER, KEY.A!, 0n));
  assert.deepEqual((await keys(rig)).keys, [], 'unregistered');
  assertGood(await rig.runOn(A, [0x17, 0, 0, 0, 0, 0]));

  // The pod unstretched: reservations work again.
  reason = undefined;
  assertGood(await prOut(rig, C, SA.REGISTER, 0n, KEY.C!));
  assert.deepEqual((await keys(rig)).keys, [KEY.C]);
  assertGood(await prOut(rig, C, SA.CLEAR, KEY.C!, 0n));
});
