// The BlockDevice conformance suite against both implementations: a volume of a real StorageArray
// (engine on disk) and the in-memory device the protocol tests use.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageArray } from '../../src/array/array.js';
import type { BlockDevice } from '../../src/array/engine/block-device.js';
import { blockDeviceConformance } from '../helpers/block-device-conformance.js';
import { MemoryDevice } from '../helpers/memory-device.js';

const SIZE = 64 * 1024 * 1024;

async function openVolume(array: StorageArray): Promise<BlockDevice> {
  const opened = array.exports.open('conf-vol');
  if ('refused' in opened) throw new Error(opened.refused);
  return opened;
}

blockDeviceConformance('engine volume', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-conformance-'));
  let array = await StorageArray.open(dir, 'conformance');
  const volume = await array.volumes.create('conf-vol', SIZE);
  await array.hosts.createHost('conf-host', {});
  await array.hosts.connect({ hostName: 'conf-host' }, volume);
  return {
    device: await openVolume(array),
    reopen: async () => {
      await array.close();
      array = await StorageArray.open(dir, 'conformance');
      return openVolume(array);
    },
    cleanup: async () => {
      await array.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

blockDeviceConformance('memory device', async () => ({
  device: new MemoryDevice('conf-mem', SIZE, { recordCalls: false, reuseWrites: true }),
  cleanup: async () => {},
}));
