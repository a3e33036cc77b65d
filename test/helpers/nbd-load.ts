// Host writes on a lab array, so that performance figures (IOPS, latency) have something to show:
// the array volume is connected to a test host over REST, then written over NBD for a while.

import { randomBytes } from 'node:crypto';
import { type LabArrayEntry, labArraySession } from './lab-process.js';
import { NbdTestClient } from './nbd-client.js';

const WRITE_BYTES = 4096;
/** Writes in flight at once: enough for a steady few thousand IOPS on loopback. */
const WRITES_IN_FLIGHT = 4;
/** Offsets stay in the volume's first 64 MiB: the load is about IOPS, not capacity. */
const SPAN_BLOCKS = (64 * 1024 * 1024) / WRITE_BYTES;

/** Connects `volumeName` on `array` to a host named `hostName` and opens its NBD export. */
export async function openLabVolume(
  array: LabArrayEntry & { nbd: string },
  volumeName: string,
  hostName: string,
): Promise<NbdTestClient> {
  const session = await labArraySession(array);
  const host = await session.call('POST', `/hosts?names=${hostName}`, {
    iqns: [`iqn.2026-11.lab:${hostName}`],
  });
  if (host.status !== 200) throw new Error(`host ${hostName}: ${JSON.stringify(host.body)}`);
  const names = `host_names=${hostName}&volume_names=${encodeURIComponent(volumeName)}`;
  const connection = await session.call('POST', `/connections?${names}`);
  if (connection.status !== 200) throw new Error(`connection: ${JSON.stringify(connection.body)}`);
  const port = Number(array.nbd.split(':').at(-1));
  return NbdTestClient.open(port, volumeName);
}

/** Writes 4 KiB blocks until `stop()`; resolves with the number of writes once they have drained. */
export function writeLoad(client: NbdTestClient): { stop: () => Promise<number> } {
  let running = true;
  let writes = 0;
  const data = randomBytes(WRITE_BYTES);
  const worker = async () => {
    while (running) {
      await client.write(Math.floor(Math.random() * SPAN_BLOCKS) * WRITE_BYTES, data);
      writes++;
    }
  };
  const workers = Array.from({ length: WRITES_IN_FLIGHT }, worker);
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return writes;
    },
  };
}
