// Persistent reservations through a real array daemon over TCP: a cluster node registers with
// APTPL and reserves its volume, the array is killed (SIGKILL) and started again, and the
// registration and reservation are still there; without APTPL they are gone after a restart.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodePdu, encodePduBuffer, Opcode, type Pdu, TargetPduReader } from '../../src/array/iscsi/pdu.js';
import { encodeText } from '../../src/array/iscsi/text.js';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { loginRequest } from '../helpers/iscsi-test-initiator.js';

const NODE_IQN = 'iqn.2026-11.test.tandem:cluster-node-1';
const KEY = 0x1234_5678_9abcn;

let work: { path: string; remove: () => Promise<void> };
let array: ArrayProcess;
let target = { iqn: '', port: 0, lun: 0 };

before(async () => {
  work = await makeTempDir('tandem-iscsi-pr-');
  array = await startArrayProcess({ name: 'pr', dataDir: join(work.path, 'array') });
  const rest = await restSession(array);
  assert.equal(
    (await rest.call('POST', '/volumes?names=shared', { provisioned: 8 * 1024 * 1024 })).status,
    200,
  );
  assert.equal((await rest.call('POST', '/hosts?names=node1', { iqns: [NODE_IQN] })).status, 200);
  const connection = await rest.call('POST', '/connections?host_names=node1&volume_names=shared');
  const port = ((await rest.call('GET', '/ports')).body.items as Array<{ iqn: string | null }>).find(
    (p) => p.iqn,
  );
  target = { iqn: port!.iqn!, port: array.iscsiPort, lun: connection.body.items[0].lun };
});

after(async () => {
  await array?.stop();
  await work?.remove();
});

/** One logged-in session of a raw TCP initiator, one command at a time. */
class RawSession {
  private readonly reader = new TargetPduReader();
  private readonly waiting: Array<(pdu: Pdu) => void> = [];
  private readonly queued: Pdu[] = [];
  private cmdSN = 1;
  private itt = 1;
  private expStatSN = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let raw = this.reader.next(); raw; raw = this.reader.next()) {
        const pdu = decodePdu(raw)!;
        const wake = this.waiting.shift();
        if (wake) wake(pdu);
        else this.queued.push(pdu);
      }
    });
    socket.on('error', () => {});
  }

  static async open(isid: string): Promise<RawSession> {
    const socket = connect({ host: '127.0.0.1', port: target.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const session = new RawSession(socket);
    socket.write(
      encodePduBuffer(
        Opcode.LOGIN,
        loginRequest({ isid }),
        encodeText([
          ['InitiatorName', NODE_IQN],
          ['TargetName', target.iqn],
          ['SessionType', 'Normal'],
        ]),
      ),
    );
    const login = await session.next();
    assert.ok(login.opcode === Opcode.LOGIN_RESPONSE && login.fields.status === 0, 'logged in');
    session.expStatSN = login.fields.statSN + 1;
    return session;
  }

  private next(): Promise<Pdu> {
    const pdu = this.queued.shift();
    if (pdu) return Promise.resolve(pdu);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends one command (data-out as immediate data); resolves with its status and data-in. */
  async command(cdb: number[], dataOut?: Buffer, expectedIn = 0): Promise<{ status: number; data: Buffer }> {
    const cdb16 = Buffer.alloc(16);
    Buffer.from(cdb).copy(cdb16);
    this.socket.write(
      encodePduBuffer(
        Opcode.SCSI_COMMAND,
        {
          immediate: false,
          itt: this.itt++,
          final: true,
          read: expectedIn > 0,
          write: dataOut !== undefined,
          attr: 1,
          lun: target.lun,
          expectedLength: dataOut?.length ?? expectedIn,
          cmdSN: this.cmdSN++,
          expStatSN: this.expStatSN,
          cdb: cdb16,
        },
        dataOut,
      ),
    );
    const parts: Buffer[] = [];
    for (;;) {
      const pdu = await this.next();
      if (pdu.opcode === Opcode.DATA_IN) {
        parts.push(pdu.data);
        if (pdu.fields.statusPresent) {
          this.expStatSN = pdu.fields.statSN + 1;
          return { status: pdu.fields.status, data: Buffer.concat(parts) };
        }
      } else if (pdu.opcode === Opcode.SCSI_RESPONSE) {
        this.expStatSN = pdu.fields.statSN + 1;
        return { status: pdu.fields.status, data: Buffer.concat(parts) };
      }
    }
  }

  /** PERSISTENT RESERVE OUT with the basic 24-byte parameter list. */
  prOut(serviceAction: number, type: number, key: bigint, serviceActionKey: bigint, aptpl: boolean) {
    const parameters = Buffer.alloc(24);
    parameters.writeBigUInt64BE(key, 0);
    parameters.writeBigUInt64BE(serviceActionKey, 8);
    parameters[20] = aptpl ? 0x01 : 0;
    return this.command([0x5f, serviceAction, type, 0, 0, 0, 0, 0, 24, 0], parameters);
  }

  prIn(serviceAction: number) {
    return this.command([0x5e, serviceAction, 0, 0, 0, 0, 0, 0x10, 0, 0], undefined, 4096);
  }

  close(): void {
    this.socket.destroy();
  }
}

async function readReservation(session: RawSession): Promise<{ key: bigint; type: number } | null> {
  // The first command after a restart may meet a unit attention; one retry absorbs it.
  let result = await session.prIn(1);
  if (result.status !== 0) result = await session.prIn(1);
  assert.equal(result.status, 0);
  if (result.data.readUInt32BE(4) === 0) return null;
  return { key: result.data.readBigUInt64BE(8), type: result.data[21]! & 0x0f };
}

/** A session of the cluster node (always the same initiator port), closed after `use`. */
async function withSession(use: (session: RawSession) => Promise<void>): Promise<void> {
  const session = await RawSession.open('400001370001');
  try {
    await use(session);
  } finally {
    session.close();
  }
}

test('iscsi reservations: with APTPL a registration and reservation survive kill -9; without, a restart clears them', async () => {
  await withSession(async (session) => {
    const caps = await session.prIn(2);
    assert.equal(caps.status, 0);
    assert.equal(caps.data[2]! & 0x01, 0x01, 'PTPL_C: the daemon keeps APTPL reservations');
    assert.equal((await session.prOut(6, 0, 0n, KEY, true)).status, 0, 'REGISTER AND IGNORE, APTPL');
    assert.equal((await session.prOut(1, 1, KEY, 0n, false)).status, 0, 'RESERVE, Write Exclusive');
    assert.equal((await session.prIn(2)).data[3]! & 0x01, 0x01, 'PTPL_A');
  });
  await array.kill();
  array = await array.restart();
  await withSession(async (session) => {
    assert.deepEqual(await readReservation(session), { key: KEY, type: 1 });
    // Registering again without APTPL turns persistence off.
    assert.equal((await session.prOut(0, 0, KEY, KEY, false)).status, 0);
  });
  await array.stop();
  array = await array.restart();
  await withSession(async (session) => {
    assert.equal(await readReservation(session), null);
  });
});
