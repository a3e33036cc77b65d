// /hosts, /host-groups, /hosts/host-groups, /host-groups/hosts and /connections.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StorageArray } from '../../array.js';
import type { HostSettings } from '../../objects/hosts.js';
import type { ChapSettings } from '../../objects/model.js';
import { applyListQuery, listEnvelope } from '../list-query.js';
import {
  alreadyExists,
  cannotDeleteExistingConnections,
  invalidBody,
  invalidParameter,
} from '../rest-error.js';
import { connectionViews, hostGroupView, hostView, performanceView } from '../views.js';
import {
  bodyObject,
  forEachName,
  listItems,
  listQuery,
  optionalInteger,
  optionalList,
  optionalString,
  optionalStringList,
  queryOf,
  referenceName,
  requiredList,
} from './common.js';

function parseChap(body: Record<string, unknown>): Partial<ChapSettings> | undefined {
  const chap = body.chap;
  if (chap === undefined || chap === null) return undefined;
  if (typeof chap !== 'object' || Array.isArray(chap)) throw invalidBody('chap', 'must be an object');
  const fields = chap as Record<string, unknown>;
  const result: Partial<ChapSettings> = {};
  const pick = (field: string, key: keyof ChapSettings) => {
    const value = fields[field];
    if (value === undefined) return;
    if (value !== null && typeof value !== 'string') throw invalidBody(`chap.${field}`, 'must be a string');
    result[key] = value === '' ? null : (value as string | null);
  };
  pick('host_user', 'hostUser');
  pick('host_password', 'hostPassword');
  pick('target_user', 'targetUser');
  pick('target_password', 'targetPassword');
  return result;
}

function hostSettings(body: Record<string, unknown>): HostSettings {
  const settings: HostSettings = {};
  const lists = [
    ['iqns', 'iqns'],
    ['wwns', 'wwns'],
    ['nqns', 'nqns'],
    ['add_iqns', 'addIqns'],
    ['remove_iqns', 'removeIqns'],
    ['add_wwns', 'addWwns'],
    ['remove_wwns', 'removeWwns'],
    ['add_nqns', 'addNqns'],
    ['remove_nqns', 'removeNqns'],
  ] as const;
  for (const [field, key] of lists) {
    const value = optionalStringList(body, field);
    if (value !== undefined) settings[key] = value;
  }
  if (body.personality !== undefined) {
    const personality = body.personality;
    if (personality !== null && typeof personality !== 'string')
      throw invalidBody('personality', 'must be a string');
    settings.personality = personality as string | null;
  }
  const chap = parseChap(body);
  if (chap) settings.chap = chap;
  const group = referenceName(body, 'host_group');
  if (group !== undefined) settings.hostGroup = group;
  const name = optionalString(body, 'name');
  if (name !== undefined) settings.name = name;
  return settings;
}

export function hostRoutes(app: FastifyInstance, array: StorageArray): void {
  const hostSpec = { kind: 'host' as const, nameOf: (h: { name: string }) => h.name };

  app.get('/hosts', async (request) => {
    const hosts = [...array.state.hosts.values()];
    return listItems(listQuery(request), hosts, { ...hostSpec, view: (h) => hostView(array, h) });
  });

  app.post('/hosts', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const settings = hostSettings(bodyObject(request));
    // Check every name first: a request either applies to all of them or to none.
    if (new Set(names).size !== names.length) throw invalidParameter('names', 'lists a name twice');
    for (const name of names) if (array.state.hosts.has(name)) throw alreadyExists('host', name);
    const items = await forEachName(names, async (name) =>
      hostView(array, await array.hosts.createHost(name, settings)),
    );
    return { items };
  });

  app.patch('/hosts', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const settings = hostSettings(bodyObject(request));
    if (settings.name !== undefined && names.length > 1)
      throw invalidParameter('names', 'only one host can be renamed at a time');
    for (const name of names) array.hosts.requireHost(name);
    const items = await forEachName(names, async (name) =>
      hostView(array, await array.hosts.updateHost(name, settings)),
    );
    return { items };
  });

  app.delete('/hosts', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) {
      array.hosts.requireHost(name);
      if (array.state.connections.some((c) => c.hostName === name))
        throw cannotDeleteExistingConnections(name);
    }
    await forEachName(names, (name) => array.hosts.deleteHost(name));
    return {};
  });

  app.get('/hosts/performance', async (request) => {
    const hosts = [...array.state.hosts.values()];
    return listItems(listQuery(request), hosts, {
      ...hostSpec,
      view: (h) => performanceView(array.perf.of(`host:${h.name}`).rates(), { id: null, name: h.name }),
    });
  });

  app.get('/host-groups', async (request) => {
    const groups = [...array.state.hostGroups.values()];
    return listItems(listQuery(request), groups, {
      kind: 'host_group',
      nameOf: (g) => g.name,
      view: (g) => hostGroupView(array, g),
    });
  });

  app.post('/host-groups', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const items = await forEachName(names, async (name) =>
      hostGroupView(array, await array.hosts.createGroup(name)),
    );
    return { items };
  });

  app.delete('/host-groups', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    await forEachName(names, (name) => array.hosts.deleteGroup(name));
    return {};
  });

  membershipRoutes(app, array);
  connectionRoutes(app, array);
}

function membershipRoutes(app: FastifyInstance, array: StorageArray): void {
  const list = (request: FastifyRequest) => {
    const query = queryOf(request);
    const groups = optionalList(query, 'group_names');
    const members = optionalList(query, 'member_names');
    const items = [...array.state.hosts.values()]
      .filter((h) => h.hostGroup !== null)
      .filter((h) => (groups ? groups.includes(h.hostGroup!) : true))
      .filter((h) => (members ? members.includes(h.name) : true))
      .map((h) => ({ group: { name: h.hostGroup }, member: { name: h.name } }));
    return listEnvelope(applyListQuery(items, listQuery(request)));
  };
  const change = async (request: FastifyRequest, member: boolean) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const hosts = requiredList(query, 'member_names');
    const items = [];
    for (const group of groups) {
      for (const host of hosts) {
        await array.hosts.setMembership(group, host, member);
        items.push({ group: { name: group }, member: { name: host } });
      }
    }
    return member ? { items } : {};
  };
  for (const path of ['/hosts/host-groups', '/host-groups/hosts']) {
    app.get(path, async (request) => list(request));
    app.post(path, async (request) => change(request, true));
    app.delete(path, async (request) => change(request, false));
  }
}

function connectionRoutes(app: FastifyInstance, array: StorageArray): void {
  app.get('/connections', async (request) => {
    const query = queryOf(request);
    const hostNames = optionalList(query, 'host_names');
    const groupNames = optionalList(query, 'host_group_names');
    const volumeNames = optionalList(query, 'volume_names');
    for (const name of hostNames ?? []) array.hosts.requireHost(name);
    for (const name of groupNames ?? []) array.hosts.requireGroup(name);
    for (const name of volumeNames ?? []) array.volumes.requireVolume(name);
    const items = array.state.connections
      .flatMap((c) => connectionViews(array, c))
      .filter((c) => (hostNames ? hostNames.includes(c.host.name ?? '') : true))
      .filter((c) => (groupNames ? groupNames.includes(c.host_group.name ?? '') : true))
      .filter((c) => (volumeNames ? volumeNames.includes(c.volume.name ?? '') : true));
    return listEnvelope(applyListQuery(items, listQuery(request)));
  });

  app.post('/connections', async (request) => {
    const query = queryOf(request);
    const volumes = requiredList(query, 'volume_names').map((name) => array.volumes.requireVolume(name));
    const targets = connectionTargets(query);
    const lun = optionalInteger(bodyObject(request), 'lun');
    const items = [];
    for (const target of targets) {
      for (const volume of volumes) {
        const connection = await array.hosts.connect(target, volume, lun);
        items.push(...connectionViews(array, connection));
      }
    }
    return { items };
  });

  app.delete('/connections', async (request) => {
    const query = queryOf(request);
    const volumes = requiredList(query, 'volume_names').map((name) => array.volumes.requireVolume(name));
    for (const target of connectionTargets(query)) {
      for (const volume of volumes) await array.hosts.disconnect(target, volume);
    }
    return {};
  });
}

function connectionTargets(query: Record<string, string | readonly string[] | undefined>) {
  const hosts = optionalList(query, 'host_names') ?? [];
  const groups = optionalList(query, 'host_group_names') ?? [];
  if (hosts.length + groups.length === 0)
    throw invalidParameter('host_names', 'host_names or host_group_names is required');
  return [...hosts.map((hostName) => ({ hostName })), ...groups.map((hostGroupName) => ({ hostGroupName }))];
}
