// NOP-In keepalive through the real server and its timers, over TCP on 127.0.0.1: an initiator
// that logs in and then goes silent is pinged; one that answers stays connected, one that does not
// is disconnected once the response timeout passes.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import {
  decodePdu,
  encodePduBuffer,
  Opcode,
  type Pdu,
  RESERVED_TAG,
  TargetPduReader,
} from '../../src/array/iscsi/pdu.js';
import { createScsiDeviceServer } from '../../src/array/iscsi/scsi/device-server.js';
import { type IscsiServer, startIscsiServer } from '../../src/array/iscsi/server.js';
import { encodeText } from '../../src/array/iscsi/text.js';
import { loginRequest } from '../helpers/iscsi-test-initiator.js';
import { MemoryDevice, MemoryIscsiCatalog, TEST_TARGET_IQN } from '../helpers/iscsi-transport-fakes.js';

const HOST_IQN = 'iqn.2026-11.test.tandem:keepalive-host';
const INTERVAL_MS = 200;
const RESPONSE_TIMEOUT_MS = 400;

let server: IscsiServer;

before(async () => {
  const catalog = new MemoryIscsiCatalog();
  catalog.addHost(HOST_IQN, 'host-1', new Map([[0, new MemoryDevice('v1', 1 << 20)]]));
  server = await startIscsiServer({
    host: '127.0.0.1',
    port: 0,
    catalog,
    scsi: createScsiDeviceServer(),
    keepalive: { intervalMs: INTERVAL_MS, responseTimeoutMs: RESPONSE_TIMEOUT_MS },
  });
});

after(async () => {
  await server?.close();
});

/** A raw TCP initiator: logs in (no CHAP), then records every PDU and when the socket closed. */
class RawInitiator {
  readonly pdus: Pdu[] = [];
  closedAt: number | null = null;
  private readonly reader = new TargetPduReader();
  private readonly socket: Socket;
  private readonly opened = performance.now();

  /** `isid`: each initiator its own session (the same ISID would reinstate the other's). */
  constructor(answerPings: boolean, isid: string) {
    this.socket = connect({ host: '127.0.0.1', port: server.address.port });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closedAt = performance.now() - this.opened;
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let raw = this.reader.next(); raw; raw = this.reader.next()) {
        const pdu = decodePdu(raw)!;
        this.pdus.push(pdu);
        if (answerPings && pdu.opcode === Opcode.NOP_IN && pdu.fields.ttt !== RESERVED_TAG) {
          this.socket.write(
            encodePduBuffer(Opcode.NOP_OUT, {
              immediate: true,
              itt: RESERVED_TAG,
              lun: 0,
              ttt: pdu.fields.ttt,
              cmdSN: 2,
              expStatSN: pdu.fields.statSN,
            }),
          );
        }
      }
    });
    this.socket.write(
      encodePduBuffer(
        Opcode.LOGIN,
        loginRequest({ isid }),
        encodeText([
          ['InitiatorName', HOST_IQN],
          ['TargetName', TEST_TARGET_IQN],
          ['SessionType', 'Normal'],
        ]),
      ),
    );
  }

  pings(): Array<Extract<Pdu, { opcode: typeof Opcode.NOP_IN }>> {
    return this.pdus.filter(
      (p): p is Extract<Pdu, { opcode: typeof Opcode.NOP_IN }> =>
        p.opcode === Opcode.NOP_IN && p.fields.ttt !== RESERVED_TAG,
    );
  }

  destroy(): void {
    this.socket.destroy();
  }
}

test('keepalive: a silent initiator is pinged and, not answering, disconnected; one that answers stays', async () => {
  const silent = new RawInitiator(false, '400001370001');
  const answering = new RawInitiator(true, '400001370002');
  try {
    await new Promise((resolve) => setTimeout(resolve, 4 * (INTERVAL_MS + RESPONSE_TIMEOUT_MS)));
    for (const initiator of [silent, answering]) {
      const login = initiator.pdus[0]!;
      assert.equal(login.opcode, Opcode.LOGIN_RESPONSE);
      assert.equal(login.opcode === Opcode.LOGIN_RESPONSE && login.fields.status, 0, 'logged in');
    }
    assert.equal(silent.pings().length, 1, 'one ping, then no more while it is outstanding');
    assert.notEqual(silent.closedAt, null, 'the silent initiator was disconnected');
    // Pinged after INTERVAL_MS of silence, closed RESPONSE_TIMEOUT_MS later (timers check every
    // third of the interval).
    assert.ok(silent.closedAt! >= INTERVAL_MS + RESPONSE_TIMEOUT_MS, `closed at ${silent.closedAt} ms`);
    assert.equal(answering.closedAt, null, 'the answering initiator is still connected');
    assert.ok(answering.pings().length >= 3, `pings answered: ${answering.pings().length}`);
  } finally {
    silent.destroy();
    answering.destroy();
  }
});
