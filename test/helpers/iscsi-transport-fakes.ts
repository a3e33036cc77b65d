// For the iSCSI transport's tests: an in-memory IscsiTargetCatalog over MemoryDevices and a
// small fake SCSI device server (TEST UNIT READY, INQUIRY, READ CAPACITY(10), READ(10),
// WRITE(10), REPORT LUNS), so transport tests do not depend on the real CDB emulation.

import type { IscsiChapSettings, IscsiInitiator, IscsiTargetCatalog } from '../../src/array/iscsi/catalog.js';
import type {
  LogicalUnit,
  ScsiDeviceServer,
  ScsiResult,
  ScsiTask,
} from '../../src/array/iscsi/scsi/types.js';
import { MemoryDevice } from './memory-device.js';

export const TEST_TARGET_IQN = 'iqn.2010-06.com.purestorage:flasharray.0123456789abcdef';

export const NO_CHAP: IscsiChapSettings = {
  hostUser: null,
  hostPassword: null,
  targetUser: null,
  targetPassword: null,
};

export class MemoryIscsiCatalog implements IscsiTargetCatalog {
  readonly targetName = TEST_TARGET_IQN;
  readonly targetAlias = 'test-array';
  /** initiator IQN -> host */
  readonly hosts = new Map<
    string,
    { host: string; chap: IscsiChapSettings; luns: Map<number, MemoryDevice> }
  >();
  opened = 0;

  addHost(
    iqn: string,
    host: string,
    luns: Map<number, MemoryDevice>,
    chap: IscsiChapSettings = NO_CHAP,
  ): void {
    this.hosts.set(iqn.toLowerCase(), { host, chap, luns });
  }

  initiator(initiatorName: string): IscsiInitiator | null {
    const entry = this.hosts.get(initiatorName.toLowerCase());
    return entry ? { host: entry.host, chap: { ...entry.chap } } : null;
  }

  luns(initiatorName: string): readonly number[] {
    const entry = this.hosts.get(initiatorName.toLowerCase());
    return entry ? [...entry.luns.keys()].sort((a, b) => a - b) : [];
  }

  open(initiatorName: string, lun: number): LogicalUnit | null {
    const device = this.hosts.get(initiatorName.toLowerCase())?.luns.get(lun);
    if (!device) return null;
    this.opened++;
    const serial = `${lun}`.padStart(24, '0');
    return { lun, device, naa: `624a9370${serial}`, serial };
  }
}

const BLOCK = 512;

function sense(key: number, asc: number, ascq = 0): Buffer {
  const s = Buffer.alloc(18);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return s;
}

const CHECK = 0x02;

/** Just enough SCSI for transport tests; records every task it executed. */
export class FakeScsi implements ScsiDeviceServer {
  readonly executed: ScsiTask[] = [];
  resets: (number | null)[] = [];
  /** When set, execute waits for this promise (to test aborts of running tasks). */
  gate: Promise<void> | null = null;

  dataOutLength(cdb: Buffer): number {
    if (cdb[0] === 0x2a) return cdb.readUInt16BE(7) * BLOCK;
    return 0;
  }

  async execute(task: ScsiTask): Promise<ScsiResult> {
    this.executed.push(task);
    if (this.gate) await this.gate;
    const cdb = task.cdb;
    const op = cdb[0]!;
    if (op === 0xa0) {
      const data = Buffer.alloc(8 + task.nexus.luns.length * 8);
      data.writeUInt32BE(task.nexus.luns.length * 8, 0);
      task.nexus.luns.forEach((lun, i) => {
        data.writeUInt16BE(lun, 8 + i * 8);
      });
      return { status: 0, dataIn: data.subarray(0, cdb.readUInt32BE(6)) };
    }
    if (op === 0x12) {
      const data = Buffer.alloc(36, 0x20);
      data[0] = task.unit ? 0x00 : 0x7f;
      data[2] = 6;
      data[3] = 2;
      data[4] = 31;
      data.write('PURE    FlashArray      ', 8, 'latin1');
      return { status: 0, dataIn: data.subarray(0, cdb.readUInt16BE(3)) };
    }
    const unit = task.unit;
    if (!unit) return { status: CHECK, sense: sense(0x05, 0x25) };
    const device = unit.device;
    switch (op) {
      case 0x00:
        return { status: 0 };
      case 0x25: {
        const data = Buffer.alloc(8);
        data.writeUInt32BE(device.sizeBytes / BLOCK - 1, 0);
        data.writeUInt32BE(BLOCK, 4);
        return { status: 0, dataIn: data };
      }
      case 0x28: {
        const lba = cdb.readUInt32BE(2);
        const blocks = cdb.readUInt16BE(7);
        if ((lba + blocks) * BLOCK > device.sizeBytes) return { status: CHECK, sense: sense(0x05, 0x21) };
        return { status: 0, dataIn: Buffer.from(await device.read(lba * BLOCK, blocks * BLOCK)) };
      }
      case 0x2a: {
        const lba = cdb.readUInt32BE(2);
        const blocks = cdb.readUInt16BE(7);
        if ((lba + blocks) * BLOCK > device.sizeBytes) return { status: CHECK, sense: sense(0x05, 0x21) };
        const whole = Math.floor(task.dataOut.length / BLOCK) * BLOCK;
        if (whole > 0) await device.write(lba * BLOCK, Buffer.from(task.dataOut.subarray(0, whole)));
        return { status: 0 };
      }
      default:
        return { status: CHECK, sense: sense(0x05, 0x20) };
    }
  }

  reset(lun: number | null): void {
    this.resets.push(lun);
  }
}

export { MemoryDevice };
