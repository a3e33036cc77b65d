// /pods, /pods/arrays and /container-default-protections (spec purity-rest2.md §3.8, §3.13): pods,
// their volumes POD::VOL, and stretching a pod across two arrays (ActiveCluster).

import type { FastifyInstance } from 'fastify';
import type { StorageArray } from '../../array.js';
import type { PodRecord } from '../../objects/model.js';
import type { PodChanges } from '../../objects/pods.js';
import { invalidBody, invalidOperation } from '../rest-error.js';
import { context, timeRemaining } from '../views.js';
import {
  bodyObject,
  booleanParam,
  forEachName,
  listItems,
  listQuery,
  optionalBoolean,
  optionalList,
  optionalString,
  queryOf,
  requiredList,
  wholeList,
} from './common.js';

export function podView(array: StorageArray, pod: PodRecord) {
  const statuses = array.replication?.podStatus(pod) ?? [];
  const arrays = pod.arrays.map((member) => {
    const status = statuses.find((s) => s.id === member.id);
    return {
      id: member.id,
      name: member.name,
      status: status?.status ?? 'online',
      mediator_status: status?.mediatorStatus ?? 'online',
      pre_elected: status?.preElected ?? false,
      progress: status?.progress ?? null,
      frozen_at: null,
      member: { id: member.id, name: member.name, resource_type: 'arrays' },
    };
  });
  return {
    id: pod.id,
    name: pod.name,
    destroyed: pod.destroyed,
    time_remaining: timeRemaining(pod.destroyedAtMs),
    source: { id: null, name: null },
    arrays,
    array_count: arrays.length,
    members: arrays.map((a) => a.member),
    failover_preferences: pod.failoverPreferences.map((name) => ({
      id: pod.arrays.find((a) => a.name === name)?.id ?? null,
      name,
    })),
    mediator: pod.mediator,
    mediator_version: '1.0',
    promotion_status: pod.promotionStatus ?? 'promoted',
    requested_promotion_state: pod.promotionStatus ?? 'promoted',
    link_source_count: 0,
    link_target_count: 0,
    quota_limit: null,
    eradication_config: { manual_eradication: 'enabled' },
    space: { snapshots: 0, total_physical: 0, replication: 0 },
    context: context(array),
  };
}

function preferences(body: Record<string, unknown>): string[] | undefined {
  const raw = body.failover_preferences;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalidBody('failover_preferences', 'must be a list of array references');
  return raw.map((entry, i) => {
    const name = (entry as { name?: unknown })?.name;
    if (typeof name !== 'string') throw invalidBody(`failover_preferences[${i}].name`, 'must be a string');
    return name;
  });
}

function defaultProtectionsView(pod: PodRecord) {
  return { id: pod.id, name: pod.name, type: 'pod', default_protections: [] };
}

/** destroy_contents: the pod's volumes and protection groups are destroyed with it. */
async function destroyContentsOf(array: StorageArray, pod: PodRecord): Promise<void> {
  for (const volume of array.pods.volumesOf(pod))
    if (!volume.destroyed) await array.volumes.update(volume.name, { destroyed: true });
  for (const group of [...array.state.pgroups.values()])
    if (group.podId === pod.id && !group.destroyed)
      await array.pgroups.update(group.name, { destroyed: true });
}

/** eradicate_contents: the pod's destroyed volumes and protection groups go with it. */
async function eradicateContentsOf(array: StorageArray, pod: PodRecord): Promise<void> {
  for (const volume of array.pods.volumesOf(pod))
    if (volume.destroyed) await array.volumes.eradicate(volume.name);
  for (const group of [...array.state.pgroups.values()])
    if (group.podId === pod.id && group.destroyed) await array.pgroups.eradicate(group.name);
}

export function podRoutes(app: FastifyInstance, array: StorageArray): void {
  app.get('/pods', async (request) =>
    listItems(listQuery(request), [...array.state.pods.values()], {
      kind: 'pod',
      nameOf: (p) => p.name,
      idOf: (p) => p.id,
      destroyedOf: (p) => p.destroyed,
      view: (p) => podView(array, p),
    }),
  );

  app.post('/pods', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const body = bodyObject(request);
    const failover = preferences(body) ?? [];
    const items = await forEachName(names, async (name) =>
      podView(array, await array.pods.create(name, failover)),
    );
    return { items };
  });

  app.patch('/pods', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pods.require(name);
    const body = bodyObject(request);
    const changes: PodChanges = {};
    const name = optionalString(body, 'name');
    if (name !== undefined) changes.name = name;
    const destroyed = optionalBoolean(body, 'destroyed');
    if (destroyed !== undefined) changes.destroyed = destroyed;
    const failover = preferences(body);
    if (failover !== undefined) changes.failoverPreferences = failover;
    const mediator = optionalString(body, 'mediator');
    if (mediator !== undefined) changes.mediator = mediator;
    const promotion = optionalString(body, 'requested_promotion_state');
    if (promotion !== undefined) {
      if (promotion !== 'promoted' && promotion !== 'demoted')
        throw invalidBody('requested_promotion_state', 'must be promoted or demoted');
      changes.requestedPromotionState = promotion;
    }
    const destroyContents = booleanParam(queryOf(request), 'destroy_contents') ?? false;
    const items = await forEachName(names, async (n) => {
      if (destroyContents && changes.destroyed === true)
        await destroyContentsOf(array, array.pods.require(n));
      const pod = await array.pods.update(n, changes);
      await array.replication?.podChanged(pod);
      return podView(array, pod);
    });
    return { items };
  });

  app.delete('/pods', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pods.require(name);
    const eradicateContents = booleanParam(queryOf(request), 'eradicate_contents') ?? false;
    await forEachName(names, async (name) => {
      if (eradicateContents) await eradicateContentsOf(array, array.pods.require(name));
      await array.pods.eradicate(name);
    });
    return {};
  });

  // SafeMode default protections (Purity 6.3.4+): Tandem has none, and an empty list can be set.
  app.get('/container-default-protections', async (request) => {
    const names = optionalList(queryOf(request), 'names');
    const pods = names ? names.map((n) => array.pods.require(n)) : [...array.state.pods.values()];
    return wholeList(pods.map((pod) => defaultProtectionsView(pod)));
  });

  app.patch('/container-default-protections', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const pods = names.map((n) => array.pods.require(n));
    const requested = bodyObject(request).default_protections;
    if (requested !== undefined && (!Array.isArray(requested) || requested.length > 0))
      throw invalidBody(
        'default_protections',
        'Tandem arrays support only an empty list of default protections',
      );
    return { items: pods.map((pod) => defaultProtectionsView(pod)) };
  });

  app.get('/pods/arrays', async (request) => {
    const query = queryOf(request);
    const groups = optionalList(query, 'group_names');
    const members = optionalList(query, 'member_names');
    const pods = groups ? groups.map((g) => array.pods.require(g)) : [...array.state.pods.values()];
    const items = pods.flatMap((pod) =>
      pod.arrays
        .filter((a) => members?.includes(a.name) ?? true)
        .map((a) => ({ group: { id: pod.id, name: pod.name }, member: { id: a.id, name: a.name } })),
    );
    return wholeList(items);
  });

  app.post('/pods/arrays', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    const replication = array.replication;
    if (!replication) throw invalidOperation('Replication is not running on this array.');
    const items = [];
    for (const group of groups) {
      const pod = array.pods.require(group);
      for (const member of members) {
        await replication.stretch(pod, member);
        const added = pod.arrays.find((a) => a.name === member)!;
        items.push({ group: { id: pod.id, name: pod.name }, member: { id: added.id, name: added.name } });
      }
    }
    return { items };
  });

  app.delete('/pods/arrays', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    const withUnknown = booleanParam(query, 'with_unknown') ?? false;
    const replication = array.replication;
    if (!replication) throw invalidOperation('Replication is not running on this array.');
    for (const group of groups) {
      const pod = array.pods.require(group);
      for (const member of members) await replication.unstretch(pod, member, withUnknown);
    }
    return {};
  });
}
