// /array-connections: connecting arrays for replication (spec purity-rest2.md §3.12): the
// connection key, create, list (with a status that says which path is down), change (addresses,
// key, type, throttle; `refresh` redials) and remove.

import type { FastifyInstance } from 'fastify';
import type { StorageArray } from '../../array.js';
import type { ArrayConnectionRecord, ThrottleRecord } from '../../objects/model.js';
import type { ArrayConnectionChanges } from '../../objects/replication-port.js';
import { invalidBody, invalidOperation } from '../rest-error.js';
import { context } from '../views.js';
import {
  bodyObject,
  booleanParam,
  listItems,
  listQuery,
  optionalString,
  optionalStringList,
  queryOf,
  requiredList,
} from './common.js';
import { replicationOf } from './protection-groups.js';

const DAY_MS = 86_400_000;

function connectionView(array: StorageArray, c: ArrayConnectionRecord) {
  const throttle = c.throttle;
  return {
    id: c.id,
    name: c.remote.name,
    remote: { id: c.remote.id, name: c.remote.name, resource_type: 'remote-arrays' },
    management_address: c.managementAddress,
    replication_addresses: c.replicationAddress ? [c.replicationAddress] : [],
    replication_transport: 'ip',
    status: array.replication?.status(c) ?? 'connecting',
    type: c.type,
    os: 'Tandem',
    version: '6.5.0',
    encryption: 'unencrypted',
    encryption_mode: null,
    throttle: {
      default_limit: throttle?.defaultLimitBytesPerSec ?? null,
      window: throttle?.window ? { start: throttle.window.startMs, end: throttle.window.endMs } : null,
      window_limit: throttle?.windowLimitBytesPerSec ?? null,
    },
    context: context(array),
  };
}

function limitField(raw: Record<string, unknown>, field: string): number | null | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (value === null || value === 0) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidBody(`throttle.${field}`, 'must be a positive number of bytes per second, or null');
  return value;
}

/** A throttle body merged over the current one (fields left out keep their values). */
function parseThrottle(body: unknown, current: ThrottleRecord | undefined): ThrottleRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidBody('throttle', 'must be an object');
  const raw = body as Record<string, unknown>;
  const out: ThrottleRecord = current
    ? { ...current }
    : { defaultLimitBytesPerSec: null, window: null, windowLimitBytesPerSec: null };
  const defaultLimit = limitField(raw, 'default_limit');
  if (defaultLimit !== undefined) out.defaultLimitBytesPerSec = defaultLimit;
  const windowLimit = limitField(raw, 'window_limit');
  if (windowLimit !== undefined) out.windowLimitBytesPerSec = windowLimit;
  if (raw.window !== undefined) {
    const w = raw.window;
    if (w === null || (typeof w === 'object' && Object.keys(w as object).length === 0)) out.window = null;
    else {
      const { start, end } = (typeof w === 'object' ? w : {}) as Record<string, unknown>;
      const valid = (t: unknown) => typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 && t <= DAY_MS;
      if (!valid(start) || !valid(end) || start === end)
        throw invalidBody('throttle.window', 'start and end must be different milliseconds after midnight');
      out.window = { startMs: start as number, endMs: end as number };
    }
  }
  if (out.windowLimitBytesPerSec !== null && out.window === null)
    throw invalidBody('throttle.window_limit', 'needs a window');
  return out;
}

function parseChanges(
  body: Record<string, unknown>,
  connection: ArrayConnectionRecord,
): ArrayConnectionChanges {
  const changes: ArrayConnectionChanges = {};
  if (body.management_address !== undefined)
    changes.managementAddress =
      body.management_address === null ? null : optionalString(body, 'management_address');
  const addresses = optionalStringList(body, 'replication_addresses');
  if (addresses !== undefined) {
    if (addresses.length !== 1)
      throw invalidBody(
        'replication_addresses',
        'must name exactly one peer replication address (host:port)',
      );
    if (!connection.replicationAddress)
      throw invalidOperation(
        'The replication address is set on the array that created the connection.',
        connection.remote.name,
      );
    changes.replicationAddress = addresses[0]!;
  }
  const key = optionalString(body, 'connection_key');
  if (key !== undefined) changes.connectionKey = key;
  const type = optionalString(body, 'type');
  if (type !== undefined) {
    if (type !== 'async-replication' && type !== 'sync-replication')
      throw invalidBody('type', 'must be async-replication or sync-replication');
    changes.type = type;
  }
  const encryption = optionalString(body, 'encryption');
  if (encryption !== undefined && encryption !== 'unencrypted')
    throw invalidBody('encryption', 'Tandem replicates unencrypted only (loopback and lab networks)');
  if (body.throttle !== undefined) changes.throttle = parseThrottle(body.throttle, connection.throttle);
  return changes;
}

function requireConnection(array: StorageArray, name: string): ArrayConnectionRecord {
  const connection = array.state.arrayConnectionByName(name);
  if (!connection) throw invalidOperation('Array connection does not exist.', name);
  return connection;
}

export function arrayConnectionRoutes(app: FastifyInstance, array: StorageArray): void {
  app.get('/array-connections/connection-key', async () => ({
    items: [{ connection_key: array.state.identity.connectionKey }],
  }));

  app.get('/array-connections', async (request) =>
    listItems(listQuery(request), [...array.state.arrayConnections.values()], {
      kind: 'array_connection',
      nameOf: (c) => c.remote.name,
      idOf: (c) => c.id,
      view: (c) => connectionView(array, c),
    }),
  );

  app.post('/array-connections', async (request) => {
    const body = bodyObject(request);
    const connectionKey = optionalString(body, 'connection_key');
    if (!connectionKey) throw invalidBody('connection_key', 'is required');
    const managementAddress = optionalString(body, 'management_address') ?? null;
    const type = optionalString(body, 'type') ?? 'async-replication';
    if (type !== 'async-replication' && type !== 'sync-replication')
      throw invalidBody('type', 'must be async-replication or sync-replication');
    const replicationAddresses = optionalStringList(body, 'replication_addresses') ?? [];
    const replicationAddress = replicationAddresses[0];
    if (!replicationAddress)
      throw invalidBody('replication_addresses', 'must name the peer replication address (host:port)');
    const connection = await replicationOf(array).connect({
      managementAddress,
      replicationAddress,
      connectionKey,
      type,
    });
    if (body.throttle !== undefined)
      await replicationOf(array).update(connection, { throttle: parseThrottle(body.throttle, undefined) });
    return { items: [connectionView(array, connection)] };
  });

  app.patch('/array-connections', async (request) => {
    const query = queryOf(request);
    const names = requiredList(query, 'names');
    const body = bodyObject(request);
    const connections = names.map((name) => requireConnection(array, name));
    // Every change is checked on every connection before any is applied.
    const changes = connections.map((c) => parseChanges(body, c));
    if (booleanParam(query, 'refresh')) for (const c of changes) c.refresh = true;
    if (booleanParam(query, 'renew_encryption_key'))
      throw invalidOperation('Tandem replicates unencrypted: there is no encryption key to renew.');
    const items = [];
    for (const [i, connection] of connections.entries())
      items.push(connectionView(array, await replicationOf(array).update(connection, changes[i]!)));
    return { items };
  });

  app.delete('/array-connections', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const connections = names.map((name) => requireConnection(array, name));
    for (const c of connections) await replicationOf(array).disconnect(c);
    return {};
  });
}
