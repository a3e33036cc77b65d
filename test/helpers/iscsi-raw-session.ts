// A raw iSCSI initiator over TCP for tests that need commands no Debian client sends (persistent
// reservations): one logged-in session, one command at a time, immediate data-out.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { decodePdu, encodePduBuffer, Opcode, type Pdu, TargetPduReader } from '../../src/array/iscsi/pdu.js';
import { encodeText } from '../../src/array/iscsi/text.js';
import { loginRequest } from './iscsi-test-initiator.js';

/** The array's iSCSI port, its target name and the LUN the commands go to. */
export interface RawTarget {
  port: number;
  iqn: string;
  lun: number;
}

export interface RawResult {
  status: number;
  data: Buffer;
  /** Fixed-format sense of a CHECK CONDITION. */
  sense?: Buffer;
}

/** One logged-in session of a raw TCP initiator, one command at a time. */
export class RawSession {
  private readonly reader = new TargetPduReader();
  private readonly waiting: Array<(pdu: Pdu) => void> = [];
  private readonly queued: Pdu[] = [];
  private cmdSN = 1;
  private itt = 1;
  private expStatSN = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly target: RawTarget,
  ) {
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

  static async open(target: RawTarget, initiatorName: string, isid: string): Promise<RawSession> {
    const socket = connect({ host: '127.0.0.1', port: target.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const session = new RawSession(socket, target);
    socket.write(
      encodePduBuffer(
        Opcode.LOGIN,
        loginRequest({ isid }),
        encodeText([
          ['InitiatorName', initiatorName],
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
  async command(cdb: number[], dataOut?: Buffer, expectedIn = 0): Promise<RawResult> {
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
          lun: this.target.lun,
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
        // The data segment of a CHECK CONDITION: SenseLength (2 bytes), then fixed-format sense.
        const sense = pdu.data.length > 2 ? pdu.data.subarray(2, 2 + pdu.data.readUInt16BE(0)) : undefined;
        return { status: pdu.fields.status, data: Buffer.concat(parts), sense };
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
