// initialize_connection and terminate_connection (spec §7): connect the volume to the compute
// host's Purity host on the current array (and, for pod volumes, on uniform ActiveCluster peers),
// then describe the targets; on detach remove the connections and the hosts left unused.
// Both run under a per-host lock, as Cinder's `pure-{host}` coordination lock.

import type { ConnectionInfo, VolumeRecord } from '../model.js';
import { tagVolume } from './array-ops.js';
import { type ConnectedArray, fcInfo, iscsiInfo, nbdInfo, nvmeInfo } from './connection-info.js';
import { PURITY_NVME_NSID_VERSION, WWN_PREFIX } from './constants.js';
import type { DriverContext, FlashArray, InitiatorDataStore } from './context.js';
import { PureDriverException } from './errors.js';
import { type ChapCredentials, connectVolume, disconnectHost, findHosts, hostIdentity } from './hosts.js';
import { podOfVolume } from './names.js';
import { versionAtLeast } from './setup.js';
import type { Connector } from './volume-driver.js';
import { volumeNameOf } from './volumes.js';

/** Runs one task at a time per key (Cinder's per-host lock, within this process). */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** Kept when the service gives no store: secrets then last as long as the process. */
export function memoryInitiatorData(): InitiatorDataStore {
  const values = new Map<string, string>();
  return {
    get: async (initiator, key) => values.get(`${initiator}\u0000${key}`) ?? null,
    insert: async (initiator, key, value) => {
      const id = `${initiator}\u0000${key}`;
      if (values.has(id)) return false;
      values.set(id, value);
      return true;
    },
  };
}

const CHAP_SECRET_KEY = 'PURE_TARGET_CHAP_SECRET';

/** `_get_chap_credentials`: one secret per initiator, made once and kept. */
async function chapCredentials(ctx: DriverContext, store: InitiatorDataStore, connector: Connector) {
  const initiator = String(connector.initiator);
  let password = await store.get(initiator, CHAP_SECRET_KEY);
  if (password === null) {
    const made = ctx.randomHex();
    password = (await store.insert(initiator, CHAP_SECRET_KEY, made))
      ? made
      : await store.get(initiator, CHAP_SECRET_KEY);
  }
  if (password === null) throw new PureDriverException('the CHAP secret of the initiator cannot be stored');
  return { username: String(connector.host), password } satisfies ChapCredentials;
}

async function volumeSerial(array: FlashArray, name: string): Promise<string> {
  const res = await array.client.volumes.get({ names: [name] });
  const volume = res.ok ? res.items[0] : undefined;
  if (volume === undefined) throw new PureDriverException(`volume ${name} cannot be read on ${array.name}`);
  return volume.serial.toLowerCase();
}

async function describeTargets(
  ctx: DriverContext,
  connected: ConnectedArray[],
  name: string,
  connector: Connector,
): Promise<ConnectionInfo> {
  const current = ctx.state.current;
  switch (ctx.backend.protocol) {
    case 'nbd':
      return nbdInfo(connected, name);
    case 'iscsi': {
      const info = await iscsiInfo(ctx, connected);
      info.data.wwn = `${WWN_PREFIX}${await volumeSerial(current, name)}`;
      return info;
    }
    case 'fc': {
      const info = await fcInfo(
        connected,
        hostIdentity('fc', connector).values.map((w) => w.toLowerCase()),
      );
      info.data.wwn = `${WWN_PREFIX}${await volumeSerial(current, name)}`;
      return info;
    }
    case 'nvme': {
      const info = await nvmeInfo(ctx, connected);
      const serial = await volumeSerial(current, name);
      info.data.volume_nguid = `00${serial.slice(0, 14)}24a937${serial.slice(-10)}`;
      return info;
    }
  }
}

export async function initializeConnection(
  ctx: DriverContext,
  lock: KeyedLock,
  store: InitiatorDataStore,
  volume: VolumeRecord,
  connector: Connector,
): Promise<ConnectionInfo> {
  const key = `pure-${typeof connector.host === 'string' ? connector.host : volume.id}`;
  return lock.run(key, async () => {
    const current = await ctx.currentArray();
    const state = ctx.state;
    const name = volumeNameOf(volume);
    const stretched = podOfVolume(name) !== null && state.activeClusterEnabled && !state.failedOver;
    const arrays = [current, ...(stretched ? state.uniformTargets : [])];
    await tagVolume(ctx, current, name, {
      VolType: volume.bootable ? 'Boot' : 'Data',
      ProjectId: volume.projectId,
    });
    const useChap = ctx.backend.protocol === 'iscsi' && ctx.backend.useChapAuth;
    const chap = useChap ? await chapCredentials(ctx, store, connector) : null;
    const nsid = ctx.backend.protocol === 'nvme' && versionAtLeast(current.version, PURITY_NVME_NSID_VERSION);
    const connected: ConnectedArray[] = [];
    for (const array of arrays) {
      const connection = await connectVolume(ctx, array, name, connector, chap);
      const lun = nsid ? connection.nsid : connection.lun;
      if (!lun) {
        ctx.logger.warn({ array: array.name, volume: name }, 'connection has no LUN; array skipped');
        continue;
      }
      connected.push({ array, lun });
    }
    if (connected.length === 0) throw new PureDriverException('Unable to connect or find connection to host');
    const info = await describeTargets(ctx, connected, name, connector);
    if (chap !== null)
      Object.assign(info.data, {
        auth_method: 'CHAP',
        auth_username: chap.username,
        auth_password: chap.password,
      });
    return info;
  });
}

/** `_disconnect`: this connector's hosts, or with no connector every host of the volume. */
async function disconnect(ctx: DriverContext, array: FlashArray, name: string, connector: Connector | null) {
  await tagVolume(ctx, array, name, {});
  if (connector === null) {
    ctx.logger.warn({ volume: name, array: array.name }, 'Removing ALL host connections for volume');
    const res = await array.client.connections.get({ volume_names: [name] });
    for (const c of res.ok ? res.items : [])
      if (c.host.name) await disconnectHost(ctx, array, c.host.name, name);
    return;
  }
  const hosts = await findHosts(array, hostIdentity(ctx.backend.protocol, connector));
  if (hosts.length === 0) {
    ctx.logger.error(
      { array: array.name },
      'Unable to disconnect host from volume, could not determine Purity host',
    );
    return;
  }
  for (const host of hosts) await disconnectHost(ctx, array, host.name, name);
}

export async function terminateConnection(
  ctx: DriverContext,
  lock: KeyedLock,
  volume: VolumeRecord,
  connector: Connector | null,
): Promise<void> {
  const key = `pure-${typeof connector?.host === 'string' ? connector.host : volume.id}`;
  await lock.run(key, async () => {
    const name = volumeNameOf(volume);
    if (podOfVolume(name) !== null) {
      // Uniform peers may be unreachable: their failures are only logged.
      for (const array of ctx.state.uniformTargets) {
        try {
          await disconnect(ctx, array, name, connector);
        } catch (error) {
          ctx.logger.warn(
            { array: array.name, err: (error as Error).message },
            'Disconnect on secondary array failed',
          );
        }
      }
    }
    await disconnect(ctx, await ctx.currentArray(), name, connector);
  });
}
