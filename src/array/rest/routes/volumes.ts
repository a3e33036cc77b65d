// /volumes, /volumes/space, /volumes/performance, /volumes/tags and /volume-snapshots.

import type { FastifyInstance } from 'fastify';
import type { StorageArray } from '../../array.js';
import type { PodRecord, QosLimits, TagRecord, VolumeRecord } from '../../objects/model.js';
import type { VolumeChanges } from '../../objects/volumes.js';
import {
  alreadyExists,
  doesNotExist,
  invalidBody,
  invalidOperation,
  invalidParameter,
  noSuchVolumeOrSnapshot,
} from '../rest-error.js';
import { performanceView, snapshotView, volumeView } from '../views.js';
import {
  bodyObject,
  booleanParam,
  forEachName,
  listItems,
  listQuery,
  optionalBoolean,
  optionalInteger,
  optionalList,
  optionalString,
  type Query,
  queryOf,
  referenceName,
  requiredList,
  wholeList,
} from './common.js';

/** QoS on the wire: plain integers; "" (or null) unsets a limit (QosPatch). */
function parseQos(body: Record<string, unknown>): Partial<QosLimits> | undefined {
  const qos = body.qos;
  if (qos === undefined || qos === null) return undefined;
  if (typeof qos !== 'object' || Array.isArray(qos)) throw invalidBody('qos', 'must be an object');
  const fields = qos as Record<string, unknown>;
  const limit = (field: string, min: number, max: number): number | null | undefined => {
    const value = fields[field];
    if (value === undefined) return undefined;
    if (value === '' || value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw invalidBody(`qos.${field}`, `must be an integer between ${min} and ${max}`);
    }
    return value;
  };
  const result: Partial<QosLimits> = {};
  const iops = limit('iops_limit', 100, 100_000_000);
  const bandwidth = limit('bandwidth_limit', 1_048_576, 549_755_813_888);
  if (iops !== undefined) result.iopsLimit = iops;
  if (bandwidth !== undefined) result.bandwidthLimitBytesPerSec = bandwidth;
  return result;
}

/** `source` as `{"name": ...}` or `{"id": ...}` (a volume's or a snapshot's id). */
function sourceReference(array: StorageArray, body: Record<string, unknown>): string | undefined {
  const name = referenceName(body, 'source');
  if (name !== undefined) return name;
  const source = body.source;
  if (source === undefined || source === null || typeof source !== 'object') return undefined;
  const id = (source as Record<string, unknown>).id;
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'string') throw invalidBody('source.id', 'must be a string');
  const found = array.state.volumes.get(id) ?? array.state.snapshots.get(id);
  if (!found) throw noSuchVolumeOrSnapshot(id);
  return found.name;
}

export function volumeRoutes(app: FastifyInstance, array: StorageArray): void {
  const volumeSpec = {
    kind: 'volume' as const,
    nameOf: (v: { name: string }) => v.name,
    idOf: (v: { id: string }) => v.id,
    destroyedOf: (v: { destroyed: boolean }) => v.destroyed,
  };

  app.get('/volumes', async (request) => {
    const volumes = [...array.state.volumes.values()];
    return listItems(listQuery(request), volumes, { ...volumeSpec, view: (v) => volumeView(array, v) });
  });

  app.post('/volumes', async (request) => {
    const query = queryOf(request);
    const names = requiredList(query, 'names');
    const overwrite = booleanParam(query, 'overwrite') ?? false;
    const addTo = optionalList(query, 'add_to_protection_group_names') ?? [];
    for (const group of addTo) array.pgroups.require(group);
    const body = bodyObject(request);
    const sourceName = sourceReference(array, body);
    const provisioned = optionalInteger(body, 'provisioned');
    const qos = parseQos(body);
    // Check every name first: a request either applies to all of them or to none.
    if (new Set(names).size !== names.length) throw invalidParameter('names', 'lists a name twice');
    if (sourceName !== undefined) {
      const { volume, snapshot } = array.volumes.findSource(sourceName);
      if (!volume && !snapshot) throw noSuchVolumeOrSnapshot(sourceName);
    }
    for (const name of names) {
      if (array.state.volumeByName(name) && !(overwrite && sourceName !== undefined))
        throw alreadyExists('volume', name);
    }
    const items = await forEachName(names, async (name) => {
      if (sourceName !== undefined) {
        const copied = await array.volumes.copy(name, sourceName, overwrite);
        return volumeView(array, copied);
      }
      if (provisioned === undefined) throw invalidBody('provisioned', 'is required when no source is given');
      return volumeView(array, await array.volumes.create(name, provisioned, qos));
    });
    for (const group of addTo) await array.pgroups.addVolumes(group, names);
    await syncPods(array, names);
    array.space.invalidate();
    return { items };
  });

  app.patch('/volumes', async (request) => {
    const query = queryOf(request);
    const names = requiredList(query, 'names');
    const body = bodyObject(request);
    const changes: VolumeChanges = {};
    const rename = optionalString(body, 'name');
    if (rename !== undefined) {
      if (names.length > 1) throw invalidParameter('names', 'only one volume can be renamed at a time');
      changes.name = rename;
    }
    const provisioned = optionalInteger(body, 'provisioned');
    if (provisioned !== undefined) changes.provisionedBytes = provisioned;
    const truncate = booleanParam(query, 'truncate');
    if (truncate !== undefined) changes.truncate = truncate;
    const destroyed = optionalBoolean(body, 'destroyed');
    if (destroyed !== undefined) changes.destroyed = destroyed;
    const qos = parseQos(body);
    if (qos) changes.qos = qos;
    if (body.volume_group !== undefined && body.volume_group !== null)
      throw invalidBody('volume_group', 'volume groups are not supported by Tandem arrays');
    const removeFrom = optionalList(query, 'remove_from_protection_group_names') ?? [];
    const addTo = optionalList(query, 'add_to_protection_group_names') ?? [];
    for (const group of addTo) array.pgroups.require(group);
    // Check every name first: a request either applies to all of them or to none.
    for (const name of names) array.volumes.requireVolume(name);
    if (body.pod !== undefined)
      return moveVolumes(array, names, referenceName(body, 'pod') ?? '', removeFrom, addTo);
    const items = await forEachName(names, async (name) =>
      volumeView(array, await array.volumes.update(name, changes)),
    );
    const finalNames = rename !== undefined ? [rename] : names;
    for (const group of addTo) await array.pgroups.addVolumes(group, finalNames);
    await syncPods(array, finalNames);
    array.space.invalidate();
    return { items };
  });

  app.delete('/volumes', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) {
      if (!array.volumes.requireVolume(name).destroyed) {
        throw invalidOperation('Volume must be destroyed before it can be eradicated.', name);
      }
    }
    const pods = names.map((name) => podOfName(array, name));
    await forEachName(names, (name) => array.volumes.eradicate(name));
    for (const pod of new Set(pods)) if (pod) await array.replication?.podChanged(pod);
    array.space.invalidate();
    return {};
  });

  app.get('/volumes/space', async (request) => {
    const volumes = [...array.state.volumes.values()];
    return listItems(listQuery(request), volumes, {
      ...volumeSpec,
      view: (v) => ({ id: v.id, name: v.name, space: array.space.volume(v), time: Date.now() }),
    });
  });

  app.get('/volumes/performance', async (request) => {
    const volumes = [...array.state.volumes.values()];
    return listItems(listQuery(request), volumes, {
      ...volumeSpec,
      view: (v) => performanceView(array.perf.of(v.id).rates(), { id: v.id, name: v.name }),
    });
  });

  app.put('/volumes/tags/batch', async (request) => {
    const names = tagResourceNames(array, queryOf(request));
    const tags = parseTagBatch(request.body);
    const volumes = await array.volumes.setTags(names, tags);
    return { items: volumes.flatMap((v) => tags.map((tag) => tagView(v, tag))) };
  });
  app.delete('/volumes/tags', async (request) => {
    const query = queryOf(request);
    const names = tagResourceNames(array, query);
    await array.volumes.removeTags(names, optionalList(query, 'namespaces'), optionalList(query, 'keys'));
    return {};
  });
  app.get('/volumes/tags', async (request) => {
    const query = queryOf(request);
    const names = optionalList(query, 'resource_names');
    const namespaces = optionalList(query, 'namespaces');
    const volumes = names
      ? names.map((name) => array.volumes.requireVolume(name))
      : [...array.state.volumes.values()];
    const items = volumes.flatMap((v) =>
      (v.tags ?? [])
        .filter((tag) => namespaces?.includes(tag.namespace) ?? true)
        .map((tag) => tagView(v, tag)),
    );
    return wholeList(items);
  });

  snapshotRoutes(app, array);
}

function snapshotRoutes(app: FastifyInstance, array: StorageArray): void {
  app.get('/volume-snapshots', async (request) => {
    const query = listQuery(request);
    let snapshots = [...array.state.snapshots.values()];
    const sources = queryOf(request).source_names;
    if (sources !== undefined) {
      const wanted = requiredList(queryOf(request), 'source_names');
      for (const name of wanted) array.volumes.requireVolume(name);
      snapshots = snapshots.filter((s) => wanted.includes(s.sourceVolumeName));
    }
    return listItems(query, snapshots, {
      kind: 'volume_snapshot',
      nameOf: (s) => s.name,
      idOf: (s) => s.id,
      destroyedOf: (s) => s.destroyed,
      view: (s) => snapshotView(array, s),
    });
  });

  app.post('/volume-snapshots', async (request) => {
    const sources = requiredList(queryOf(request), 'source_names');
    for (const source of sources) array.volumes.requireVolume(source);
    const body = bodyObject(request);
    const suffix = optionalString(body, 'suffix');
    const items = await forEachName(sources, async (source) =>
      snapshotView(array, await array.volumes.createSnapshot(source, suffix)),
    );
    array.space.invalidate();
    return { items };
  });

  app.patch('/volume-snapshots', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    const body = bodyObject(request);
    const destroyed = optionalBoolean(body, 'destroyed');
    const name = optionalString(body, 'name');
    if (name !== undefined && names.length > 1)
      throw invalidParameter('names', 'only one snapshot can be renamed at a time');
    const changes: { destroyed?: boolean; name?: string } = {};
    if (destroyed !== undefined) changes.destroyed = destroyed;
    if (name !== undefined) changes.name = name;
    for (const n of names) if (!array.state.snapshotByName(n)) throw noSuchVolumeOrSnapshot(n);
    const items = await forEachName(names, async (n) =>
      snapshotView(array, await array.volumes.updateSnapshot(n, changes)),
    );
    await syncPods(array, names);
    array.space.invalidate();
    return { items };
  });

  app.delete('/volume-snapshots', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) {
      const snapshot = array.state.snapshotByName(name);
      if (!snapshot) throw doesNotExist('volume_snapshot', name);
      if (!snapshot.destroyed)
        throw invalidOperation('Snapshot must be destroyed before it can be eradicated.', name);
    }
    const eradicatedIds = names.map((name) => array.state.snapshotByName(name)!.id);
    await forEachName(names, (name) => array.volumes.eradicateSnapshot(name));
    await syncPods(array, names, eradicatedIds);
    array.space.invalidate();
    return {};
  });
}

const TAG_BATCH_MAX = 30;

/** Volume names from `resource_names` or `resource_ids` (one of them is required). */
function tagResourceNames(array: StorageArray, query: Query): string[] {
  const ids = optionalList(query, 'resource_ids');
  if (ids) {
    return ids.map((id) => {
      const volume = array.state.volumes.get(id);
      if (!volume) throw doesNotExist('volume', id);
      return volume.name;
    });
  }
  return requiredList(query, 'resource_names');
}

function parseTagBatch(body: unknown): TagRecord[] {
  if (!Array.isArray(body) || body.length === 0 || body.length > TAG_BATCH_MAX)
    throw invalidBody('body', `must be a list of 1 to ${TAG_BATCH_MAX} tags`);
  return body.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw invalidBody(`body[${i}]`, 'must be a tag object');
    const tag = raw as Record<string, unknown>;
    if (typeof tag.key !== 'string' || tag.key.length === 0)
      throw invalidBody(`body[${i}].key`, 'must be a non-empty string');
    if (typeof tag.value !== 'string') throw invalidBody(`body[${i}].value`, 'must be a string');
    if (tag.namespace !== undefined && typeof tag.namespace !== 'string')
      throw invalidBody(`body[${i}].namespace`, 'must be a string');
    if (tag.copyable !== undefined && typeof tag.copyable !== 'boolean')
      throw invalidBody(`body[${i}].copyable`, 'must be true or false');
    return {
      namespace: (tag.namespace as string | undefined) ?? 'default',
      key: tag.key,
      value: tag.value,
      copyable: (tag.copyable as boolean | undefined) ?? true,
    };
  });
}

function tagView(volume: VolumeRecord, tag: TagRecord) {
  return {
    namespace: tag.namespace,
    key: tag.key,
    value: tag.value,
    copyable: tag.copyable,
    resource: { id: volume.id, name: volume.name },
  };
}

/** PATCH /volumes {pod}: moves volumes into or out of pods; a stretched pod's peer follows. */
async function moveVolumes(
  array: StorageArray,
  names: string[],
  podName: string,
  removeFrom: string[],
  addTo: string[],
) {
  const items = [];
  for (const name of names) {
    const move = await array.volumes.move(name, podName, removeFrom);
    for (const group of addTo) await array.pgroups.addVolumes(group, [move.newName]);
    // The target pod first: the peer must know the volume's new pod before its old pod's list
    // (which no longer names it) arrives, or it would take the volume for eradicated.
    if (move.to) await array.replication?.podChanged(move.to);
    if (move.from && move.from.arrays.length > 1) await array.replication?.podChanged(move.from);
    items.push(volumeView(array, move.volume));
  }
  array.space.invalidate();
  return { items };
}

/** The pod a POD::VOL name points into, if any. */
function podOfName(array: StorageArray, name: string): PodRecord | undefined {
  const separator = name.indexOf('::');
  return separator < 0 ? undefined : array.state.podByName(name.slice(0, separator));
}

/** Tells the peer of each stretched pod these volumes (or snapshots) belong to about their records. */
async function syncPods(
  array: StorageArray,
  names: string[],
  eradicatedSnapshotIds: string[] = [],
): Promise<void> {
  const pods = new Set(names.map((name) => podOfName(array, name)).filter((p) => p !== undefined));
  for (const pod of pods) await array.replication?.podChanged(pod, eradicatedSnapshotIds);
}
