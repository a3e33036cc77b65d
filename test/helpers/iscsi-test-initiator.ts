// An in-process iSCSI initiator for the transport's tests: it drives IscsiConnection objects (no
// sockets) against one IscsiTarget, builds initiator PDUs and decodes what the target sends.

import { IscsiConnection, type IscsiConnectionOptions } from '../../src/array/iscsi/connection.js';
import type { CloseReason } from '../../src/array/iscsi/errors.js';
import { BHS_BYTES } from '../../src/array/iscsi/limits.js';
import { silentLogger } from '../../src/array/iscsi/logger.js';
import {
  decodePdu,
  encodePdu,
  type FieldsOf,
  type KnownOpcode,
  type LoginFields,
  Opcode,
  type Pdu,
  RESERVED_TAG,
  TargetPduReader,
  withDigests,
} from '../../src/array/iscsi/pdu.js';
import type { ScsiDeviceServer } from '../../src/array/iscsi/scsi/types.js';
import { IscsiTarget } from '../../src/array/iscsi/target.js';
import { decodeText, encodeText, type TextPairs } from '../../src/array/iscsi/text.js';
import { FakeScsi, MemoryIscsiCatalog, TEST_TARGET_IQN } from './iscsi-transport-fakes.js';

export const INITIATOR_IQN = 'iqn.2026-11.test.tandem:initiator';
export const PORTAL = '127.0.0.1:3260';

/** Deterministic "random" bytes: 0x11, 0x12, ... */
export function countingRandom(bytes: number): Buffer {
  return Buffer.from(Array.from({ length: bytes }, (_, i) => (0x11 + i) & 0xff));
}

/** A Login Request's fields: operational stage straight to full feature phase, unless overridden. */
export function loginRequest(overrides: Partial<LoginFields> = {}): LoginFields {
  return {
    immediate: true,
    itt: 1,
    transit: true,
    cont: false,
    csg: 1,
    nsg: 3,
    versionMax: 0,
    versionMin: 0,
    isid: '400001370000',
    tsih: 0,
    cid: 0,
    cmdSN: 1,
    expStatSN: 0,
    ...overrides,
  };
}

export class TestTarget {
  readonly catalog = new MemoryIscsiCatalog();
  readonly scsi: FakeScsi | ScsiDeviceServer;
  readonly target: IscsiTarget;

  constructor(scsi: ScsiDeviceServer = new FakeScsi()) {
    this.scsi = scsi;
    this.target = new IscsiTarget({ catalog: this.catalog, scsi, portal: PORTAL, logger: silentLogger });
  }

  get fake(): FakeScsi {
    return this.scsi as FakeScsi;
  }

  connect(options: Pick<IscsiConnectionOptions, 'keepalive' | 'clock'> = {}): TestConnection {
    return new TestConnection(this.target, options);
  }
}

export class TestConnection {
  readonly connection: IscsiConnection;
  closedReason: CloseReason | null = null;
  paused = false;
  private readonly reader = new TargetPduReader();
  private digests: { header: boolean; data: boolean } | null = null;
  private readonly received: Pdu[] = [];
  itt = 1;
  cmdSN = 1;
  expStatSN = 0;

  constructor(target: IscsiTarget, options: Pick<IscsiConnectionOptions, 'keepalive' | 'clock'> = {}) {
    this.connection = new IscsiConnection({
      ...options,
      target,
      logger: silentLogger,
      random: countingRandom,
      host: {
        outputReady: () => {},
        pauseInput: () => {
          this.paused = true;
        },
        resumeInput: () => {
          this.paused = false;
        },
        closeConnection: (reason) => {
          this.closedReason = reason;
        },
      },
    });
  }

  feed(bytes: Buffer): void {
    this.connection.feed(bytes);
  }

  send<O extends KnownOpcode>(opcode: O, fields: FieldsOf[O], data?: Buffer, ahs?: Buffer): void {
    const pdu = encodePdu(opcode, fields, data, ahs);
    const bytes = Buffer.concat(
      this.digests ? withDigests(pdu, this.digests.header, this.digests.data) : pdu,
    );
    // A one-shot fault: flip a bit of the header digest (right after the BHS) or of the data digest (last).
    if (this.corruptNext === 'header') bytes[BHS_BYTES]! ^= 1;
    if (this.corruptNext === 'data') bytes[bytes.length - 1]! ^= 1;
    this.corruptNext = null;
    this.feed(bytes);
  }

  /** The next PDU sent gets a wrong header or data digest. */
  corruptNext: 'header' | 'data' | null = null;

  /** From now on (login has ended), PDUs both ways carry the digests negotiated. */
  useDigests(header: boolean, data: boolean): void {
    this.digests = { header, data };
    this.reader.headerDigest = header;
    this.reader.dataDigest = data;
  }

  /** Digests of the target's PDUs that did not match. */
  get digestErrors(): number {
    return this.reader.digestErrors;
  }

  /** Every PDU the target sent since the last call, decoded. */
  take(): Pdu[] {
    for (const chunk of this.connection.takeOutput()) this.reader.push(Buffer.from(chunk));
    for (let raw = this.reader.next(); raw; raw = this.reader.next()) {
      const pdu = decodePdu(raw);
      if (!pdu) throw new Error(`target sent unknown opcode ${raw.bhs[0]! & 0x3f}`);
      this.received.push(pdu);
    }
    return this.received.splice(0);
  }

  /** Lets promise jobs (SCSI execution) run, then takes the output. */
  async settle(): Promise<Pdu[]> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    return this.take();
  }

  login(fields: Partial<FieldsOf[typeof Opcode.LOGIN]>, pairs: TextPairs): Pdu[] {
    this.send(
      Opcode.LOGIN,
      loginRequest({ itt: this.itt, cmdSN: this.cmdSN, expStatSN: this.expStatSN, ...fields }),
      encodeText(pairs),
    );
    return this.take();
  }

  /** Logs in to a normal session in one step (no CHAP); returns the final response. */
  loginNormal(extra: TextPairs = [], fields: Partial<FieldsOf[typeof Opcode.LOGIN]> = {}): LoginReply {
    const [reply] = this.login(fields, [
      ['InitiatorName', INITIATOR_IQN],
      ['TargetName', TEST_TARGET_IQN],
      ['SessionType', 'Normal'],
      ...extra,
    ]);
    return loginReply(reply);
  }

  scsi(
    cdb: Buffer,
    options: {
      expectedLength?: number;
      read?: boolean;
      write?: boolean;
      final?: boolean;
      data?: Buffer;
      immediate?: boolean;
      lun?: number;
      cmdSN?: number;
    } = {},
  ): number {
    const itt = this.itt++;
    const cdb16 = Buffer.alloc(16);
    cdb.copy(cdb16);
    const immediate = options.immediate ?? false;
    this.send(
      Opcode.SCSI_COMMAND,
      {
        immediate,
        itt,
        final: options.final ?? true,
        read: options.read ?? false,
        write: options.write ?? false,
        attr: 1,
        lun: options.lun ?? 0,
        expectedLength: options.expectedLength ?? 0,
        cmdSN: options.cmdSN ?? this.cmdSN,
        expStatSN: this.expStatSN,
        cdb: cdb16,
      },
      options.data,
    );
    if (!immediate && options.cmdSN === undefined) this.cmdSN++;
    return itt;
  }

  dataOut(
    itt: number,
    ttt: number,
    dataSN: number,
    bufferOffset: number,
    data: Buffer,
    final: boolean,
  ): void {
    this.send(
      Opcode.DATA_OUT,
      { itt, final, lun: 0, ttt, expStatSN: this.expStatSN, dataSN, bufferOffset },
      data,
    );
  }

  nop(data?: Buffer, immediate = false): number {
    const itt = this.itt++;
    this.send(
      Opcode.NOP_OUT,
      { immediate, itt, lun: 0, ttt: RESERVED_TAG, cmdSN: this.cmdSN, expStatSN: this.expStatSN },
      data,
    );
    if (!immediate) this.cmdSN++;
    return itt;
  }
}

export interface LoginReply {
  pdu: Pdu;
  status: number;
  transit: boolean;
  csg: number;
  nsg: number;
  tsih: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  keys: Map<string, string>;
}

export function loginReply(pdu: Pdu | undefined): LoginReply {
  if (!pdu || pdu.opcode !== Opcode.LOGIN_RESPONSE)
    throw new Error(`expected a Login Response, got ${pdu?.opcode}`);
  const pairs = decodeText(pdu.data);
  if ('invalid' in pairs) throw new Error(pairs.invalid);
  const f = pdu.fields;
  return {
    pdu,
    status: f.status,
    transit: f.transit,
    csg: f.csg,
    nsg: f.nsg,
    tsih: f.tsih,
    statSN: f.statSN,
    expCmdSN: f.expCmdSN,
    maxCmdSN: f.maxCmdSN,
    keys: new Map(pairs),
  };
}

export function read10(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x28;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

export function write10(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2a;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

export const TEST_UNIT_READY = Buffer.alloc(6);
