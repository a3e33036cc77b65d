// Purity hosts and their connections (spec §7): find the host of a connector's initiator, create
// one with a generated name when there is none, connect a volume to it, and on detach delete the
// connection and the host too once nothing is connected to it, but only a host the driver made.

import type { AttachProtocol } from '../config/index.js';
import { type Connection, type HostPost, hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import { HOST_CONNECT_ATTEMPTS_MAX, HOST_CONNECT_RETRY_FIRST_MS } from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure, PureDriverException, PureRetryableException } from './errors.js';
import { GENERATED_HOST_NAME, purityHostName } from './names.js';
import type { Connector } from './volume-driver.js';

/** How a host is known to the array: its iSCSI IQNs, FC WWNs or NVMe NQNs. */
export interface HostIdentity {
  field: 'iqns' | 'wwns' | 'nqns';
  values: string[];
}

/** Identifiers go inside a quoted filter; anything but these characters is refused, not quoted. */
const IDENTIFIER = /^[A-Za-z0-9.:_-]{1,223}$/;

function identifier(connector: Connector, key: string, what: string): string {
  const value = connector[key];
  if (typeof value !== 'string' || !IDENTIFIER.test(value))
    throw new PureDriverException(`the connector has no valid ${what} ('${key}')`);
  return value;
}

/**
 * The connector's identity for the protocol. Tandem's NBD driver registers hosts by the iSCSI
 * initiator name os-brick always reports, as the iSCSI driver does (NBD has no initiator id).
 */
export function hostIdentity(protocol: AttachProtocol, connector: Connector): HostIdentity {
  if (protocol === 'iscsi' || protocol === 'nbd')
    return { field: 'iqns', values: [identifier(connector, 'initiator', 'iSCSI initiator')] };
  if (protocol === 'nvme') return { field: 'nqns', values: [identifier(connector, 'nqn', 'NVMe NQN')] };
  const wwpns = connector.wwpns;
  if (!Array.isArray(wwpns) || wwpns.length === 0)
    throw new PureDriverException("the connector has no FC port names ('wwpns')");
  // Purity matches WWNs in upper case without colons.
  const values = wwpns.map((w) => String(w).replaceAll(':', '').toUpperCase());
  if (!values.every((w) => IDENTIFIER.test(w)))
    throw new PureDriverException('the connector has an invalid wwpn');
  return { field: 'wwns', values };
}

/**
 * `_get_host`: the array's local hosts holding any of the identifiers (the driver never looks up
 * a pod peer's `array:host` ones). Cinder's FC variant keeps only the last wwpn's answer; here
 * every wwpn counts.
 */
export async function findHosts(array: FlashArray, identity: HostIdentity) {
  const names = new Set<string>();
  const hosts = [];
  for (const value of identity.values) {
    const res = await array.client.hosts.get({ filter: `${identity.field}='${value}' and is_local` });
    for (const host of res.ok ? res.items : []) {
      if (names.has(host.name)) continue;
      names.add(host.name);
      hosts.push(host);
    }
  }
  return hosts;
}

export interface ChapCredentials {
  username: string;
  password: string;
}

async function createHost(
  ctx: DriverContext,
  array: FlashArray,
  connector: Connector,
  identity: HostIdentity,
  chap: ChapCredentials | null,
): Promise<string> {
  const name = purityHostName(connector, ctx.randomHex);
  const body: HostPost = { [identity.field]: identity.values };
  const res = await array.client.hosts.post({ names: [name] }, body);
  if (!res.ok) {
    // Another attach made the host (or took the initiator) first: look again.
    if (hasError(res, PURITY_ERROR_TEXT.alreadyExists) || hasError(res, PURITY_ERROR_TEXT.alreadyInUse))
      throw new PureRetryableException(`host ${name} was created meanwhile`);
    throw arrayFailure(`Creating host ${name}`, array.name, res);
  }
  ctx.logger.info({ host: name, array: array.name }, 'Created host object');
  const patches = [
    ...(ctx.pure.hostPersonality ? [{ personality: ctx.pure.hostPersonality }] : []),
    ...(chap ? [{ chap: { host_user: chap.username, host_password: chap.password } }] : []),
  ];
  for (const patch of patches) {
    const patched = await array.client.hosts.patch({ names: [name] }, patch);
    if (hasError(patched, PURITY_ERROR_TEXT.hostDoesNotExist))
      throw new PureRetryableException(`host ${name} vanished`);
    if (!patched.ok) throw arrayFailure(`Configuring host ${name}`, array.name, patched);
  }
  return name;
}

/** `_connect_host_to_vol`: an existing connection is read back rather than refused. */
async function connectHostToVolume(array: FlashArray, host: string, volume: string): Promise<Connection> {
  const res = await array.client.connections.post({ host_names: [host], volume_names: [volume] });
  if (res.ok && res.items[0] !== undefined) return res.items[0];
  if (hasError(res, PURITY_ERROR_TEXT.hostDoesNotExist))
    throw new PureRetryableException(`host ${host} vanished`);
  if (hasError(res, PURITY_ERROR_TEXT.alreadyExists)) {
    const existing = await array.client.connections.get({ host_names: [host], volume_names: [volume] });
    if (existing.ok && existing.items[0] !== undefined) return existing.items[0];
  }
  throw new PureDriverException('Unable to connect or find connection to host');
}

async function connectOnce(
  ctx: DriverContext,
  array: FlashArray,
  volume: string,
  connector: Connector,
  chap: ChapCredentials | null,
): Promise<Connection> {
  const identity = hostIdentity(ctx.backend.protocol, connector);
  const [host] = await findHosts(array, identity);
  let hostName: string;
  if (host !== undefined) {
    hostName = host.name;
    if (chap !== null && !GENERATED_HOST_NAME.test(hostName))
      throw new PureDriverException(
        'Unable to re-use a host that is not managed by Cinder with use_chap_auth=True,',
      );
    ctx.logger.info({ host: hostName, array: array.name }, 'Re-using existing purity host');
  } else {
    hostName = await createHost(ctx, array, connector, identity, chap);
  }
  return connectHostToVolume(array, hostName, volume);
}

/** `_connect`: host races are retried up to 5 times, waiting 1 s, 2 s, 4 s, 8 s. */
export async function connectVolume(
  ctx: DriverContext,
  array: FlashArray,
  volume: string,
  connector: Connector,
  chap: ChapCredentials | null,
): Promise<Connection> {
  let delayMs = HOST_CONNECT_RETRY_FIRST_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(ctx, array, volume, connector, chap);
    } catch (error) {
      if (!(error instanceof PureRetryableException) || attempt >= HOST_CONNECT_ATTEMPTS_MAX) throw error;
      ctx.logger.debug?.({ attempt, reason: error.reason }, 'retrying the host connection');
      await ctx.sleep(delayMs);
      delayMs *= 2;
    }
  }
}

/**
 * `_disconnect_host`: removes the connection; a host the driver generated is deleted once it has
 * no connection left. Returns true when the host is gone or unused. `array:host` names are a pod
 * peer's hosts and are never touched.
 */
export async function disconnectHost(
  ctx: DriverContext,
  array: FlashArray,
  host: string,
  volume: string,
): Promise<boolean> {
  const res = await array.client.connections.delete({ host_names: [host], volume_names: [volume] });
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.doesNotExist))
    throw arrayFailure(`Disconnecting ${volume} from host ${host}`, array.name, res);
  if (host.includes(':')) return false;
  const left = await array.client.connections.get({ host_names: [host] });
  if (!left.ok && !hasError(left, PURITY_ERROR_TEXT.doesNotExist))
    throw arrayFailure(`Reading connections of host ${host}`, array.name, left);
  if (left.ok && left.items.length > 0) return false;
  if (!GENERATED_HOST_NAME.test(host)) return true;
  const deleted = await array.client.hosts.delete({ names: [host] });
  if (deleted.ok || hasError(deleted, PURITY_ERROR_TEXT.doesNotExist)) {
    ctx.logger.info({ host, array: array.name }, 'Deleted unneeded host');
    return true;
  }
  if (hasError(deleted, PURITY_ERROR_TEXT.cannotDeleteExistingConnections)) return false;
  throw arrayFailure(`Deleting host ${host}`, array.name, deleted);
}
