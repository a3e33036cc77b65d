// /protection-groups (+ /volumes, /targets) and /protection-group-snapshots (+ /transfer): async
// replication as Purity exposes it (spec purity-rest2.md §3.10-§3.11).

import type { FastifyInstance } from 'fastify';
import type { StorageArray } from '../../array.js';
import type {
  PgroupSnapshotRecord,
  ProtectionGroupRecord,
  RetentionPolicy,
  ScheduleRecord,
} from '../../objects/model.js';
import type { PgroupChanges } from '../../objects/protection-groups.js';
import type { ReplicationPort } from '../../objects/replication-port.js';
import { invalidBody, invalidOperation, invalidParameter } from '../rest-error.js';
import { context, podRef, timeRemaining } from '../views.js';
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

function scheduleView(s: ScheduleRecord, withBlackout: boolean) {
  return {
    enabled: s.enabled,
    frequency: s.frequencyMs,
    at: s.atSec,
    ...(withBlackout
      ? { blackout: s.blackout ? { start: s.blackout.startMs, end: s.blackout.endMs } : null }
      : {}),
  };
}

function retentionView(r: RetentionPolicy) {
  return { all_for_sec: r.allForSec, per_day: r.perDay, days: r.days };
}

export function pgroupView(array: StorageArray, p: ProtectionGroupRecord) {
  const members = array.pgroups.members(p);
  return {
    id: p.id,
    name: p.name,
    destroyed: p.destroyed,
    time_remaining: timeRemaining(p.destroyedAtMs),
    is_local: p.replicaOf === null,
    source: p.replicaOf
      ? { id: p.replicaOf.arrayId, name: p.replicaOf.arrayName }
      : { id: array.state.identity.id, name: array.name },
    pod: podRef(array, p.podId ?? undefined),
    snapshot_schedule: scheduleView(p.snapshotSchedule, false),
    replication_schedule: scheduleView(p.replicationSchedule, true),
    source_retention: retentionView(p.sourceRetention),
    target_retention: retentionView(p.targetRetention),
    retention_lock: 'unlocked',
    eradication_config: { manual_eradication: 'enabled' },
    host_count: 0,
    host_group_count: 0,
    volume_count: members.length,
    target_count: p.targets.length,
    space: { snapshots: 0, total_physical: 0 },
    context: context(array),
  };
}

function transferOf(s: PgroupSnapshotRecord) {
  // A snapshot sent to several targets reports the least advanced transfer.
  const transfers = s.transfers;
  if (transfers.length === 0)
    return { started: null, completed: null, progress: null, data_transferred: 0, physical_bytes_written: 0 };
  const slowest = [...transfers].sort((a, b) => a.progress - b.progress)[0]!;
  return {
    started: slowest.startedMs,
    completed: slowest.completedMs,
    progress: slowest.progress,
    data_transferred: transfers.reduce((sum, t) => sum + t.dataTransferredBytes, 0),
    physical_bytes_written: transfers.reduce((sum, t) => sum + t.physicalBytesWritten, 0),
  };
}

function pgroupSnapshotView(array: StorageArray, s: PgroupSnapshotRecord) {
  const pgroup = array.state.pgroups.get(s.pgroupId);
  return {
    id: s.id,
    name: s.name,
    suffix: s.suffix,
    created: s.createdMs,
    destroyed: s.destroyed,
    time_remaining: timeRemaining(s.destroyedAtMs),
    source: { id: pgroup?.id ?? null, name: pgroup?.name ?? null },
    pod: podRef(array, pgroup?.podId ?? undefined),
    eradication_config: { manual_eradication: 'enabled' },
    space: { snapshots: 0, total_physical: 0 },
    context: context(array),
  };
}

function transferView(array: StorageArray, s: PgroupSnapshotRecord) {
  return { id: s.id, name: s.name, destroyed: s.destroyed, ...transferOf(s), context: context(array) };
}

export function replicationOf(array: StorageArray): ReplicationPort {
  if (!array.replication) throw invalidOperation('Replication is not running on this array.');
  return array.replication;
}

function schedule(body: unknown, field: string): Partial<ScheduleRecord> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidBody(field, 'must be an object');
  const raw = body as Record<string, unknown>;
  const out: Partial<ScheduleRecord> = {};
  const enabled = optionalBoolean(raw, 'enabled');
  if (enabled !== undefined) out.enabled = enabled;
  if (raw.frequency !== undefined && raw.frequency !== null) {
    const f = raw.frequency;
    // Purity: 5 minutes to 400 days (replication and snapshots alike).
    if (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 300_000 || f > 34_560_000_000)
      throw invalidBody(`${field}.frequency`, 'must be between 300000 and 34560000000 milliseconds');
    out.frequencyMs = f;
  }
  if (raw.at !== undefined) {
    if (
      raw.at !== null &&
      (typeof raw.at !== 'number' || !Number.isSafeInteger(raw.at) || raw.at < 0 || raw.at >= 86_400)
    )
      throw invalidBody(`${field}.at`, 'must be seconds after midnight');
    out.atSec = raw.at as number | null;
  }
  if (raw.blackout !== undefined) {
    const b = raw.blackout;
    if (b === null || b === '' || (typeof b === 'object' && Object.keys(b as object).length === 0))
      out.blackout = null;
    else if (typeof b === 'object' && !Array.isArray(b)) {
      const { start, end } = b as Record<string, unknown>;
      if (
        typeof start !== 'number' ||
        typeof end !== 'number' ||
        start < 0 ||
        end < 0 ||
        start >= 86_400_000 ||
        end > 86_400_000
      )
        throw invalidBody(`${field}.blackout`, 'start and end must be milliseconds after midnight');
      out.blackout = { startMs: start, endMs: end };
    } else throw invalidBody(`${field}.blackout`, 'must be an object');
  }
  return out;
}

function retention(body: unknown, field: string): Partial<RetentionPolicy> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidBody(field, 'must be an object');
  const raw = body as Record<string, unknown>;
  const out: Partial<RetentionPolicy> = {};
  const number = (name: string, min: number, max: number) => {
    const v = raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      throw invalidBody(`${field}.${name}`, `must be an integer between ${min} and ${max}`);
    return v;
  };
  const allFor = number('all_for_sec', 0, 34_560_000);
  const perDay = number('per_day', 0, 1440);
  const days = number('days', 0, 4000);
  if (allFor !== undefined) out.allForSec = allFor;
  if (perDay !== undefined) out.perDay = perDay;
  if (days !== undefined) out.days = days;
  return out;
}

/** for_replication snapshots are destroyed and eradicated this long after they are taken. */
const FOR_REPLICATION_KEEP_MS = 3600 * 1000;

export function protectionGroupRoutes(app: FastifyInstance, array: StorageArray): void {
  const pgroupSpec = {
    kind: 'protection_group' as const,
    nameOf: (p: ProtectionGroupRecord) => p.name,
    idOf: (p: ProtectionGroupRecord) => p.id,
    destroyedOf: (p: ProtectionGroupRecord) => p.destroyed,
    view: (p: ProtectionGroupRecord) => pgroupView(array, p),
  };

  app.get('/protection-groups', async (request) =>
    listItems(listQuery(request), [...array.state.pgroups.values()], pgroupSpec),
  );

  app.post('/protection-groups', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    bodyObject(request);
    const items = await forEachName(names, async (name) =>
      pgroupView(array, await array.pgroups.create(name)),
    );
    for (const name of names) await syncPod(array, name);
    return { items };
  });

  app.patch('/protection-groups', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pgroups.require(name);
    const body = bodyObject(request);
    const changes: PgroupChanges = {};
    const name = optionalString(body, 'name');
    if (name !== undefined) changes.name = name;
    const destroyed = optionalBoolean(body, 'destroyed');
    if (destroyed !== undefined) changes.destroyed = destroyed;
    const snap = schedule(body.snapshot_schedule, 'snapshot_schedule');
    if (snap) changes.snapshotSchedule = snap;
    const repl = schedule(body.replication_schedule, 'replication_schedule');
    if (repl) changes.replicationSchedule = repl;
    const src = retention(body.source_retention, 'source_retention');
    if (src) changes.sourceRetention = src;
    const tgt = retention(body.target_retention, 'target_retention');
    if (tgt) changes.targetRetention = tgt;
    const items = await forEachName(names, async (n) =>
      pgroupView(array, await array.pgroups.update(n, changes)),
    );
    for (const n of names) await syncPod(array, changes.name ?? n);
    return { items };
  });

  app.delete('/protection-groups', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pgroups.require(name);
    await forEachName(names, (name) => array.pgroups.eradicate(name));
    return {};
  });

  app.get('/protection-groups/volumes', async (request) => {
    const query = queryOf(request);
    const groups = optionalList(query, 'group_names');
    const members = optionalList(query, 'member_names');
    const pgroups = groups ? groups.map((g) => array.pgroups.require(g)) : [...array.state.pgroups.values()];
    const items = pgroups.flatMap((p) =>
      array.pgroups
        .members(p)
        .filter((v) => members?.includes(v.name) ?? true)
        .map((v) => ({
          group: { id: p.id, name: p.name },
          member: { id: v.id, name: v.name, destroyed: v.destroyed },
        })),
    );
    return wholeList(items);
  });

  app.post('/protection-groups/volumes', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    const added = await forEachName(groups, (g) => array.pgroups.addVolumes(g, members));
    for (const g of groups) await syncPod(array, g);
    return {
      items: added.flat().map(({ pgroup, volume }) => ({
        group: { id: pgroup.id, name: pgroup.name },
        member: { id: volume.id, name: volume.name, destroyed: volume.destroyed },
      })),
    };
  });

  app.delete('/protection-groups/volumes', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    await forEachName(groups, (g) => array.pgroups.removeVolumes(g, members));
    for (const g of groups) await syncPod(array, g);
    return {};
  });

  const targetView = (p: ProtectionGroupRecord, t: ProtectionGroupRecord['targets'][number]) => ({
    group: { id: p.id, name: p.name },
    member: { id: t.arrayId, name: t.arrayName, resource_type: 'remote-arrays' },
    allowed: t.allowed,
    status: t.allowed ? 'replicating' : 'disallowed',
  });

  app.get('/protection-groups/targets', async (request) => {
    const query = queryOf(request);
    const groups = optionalList(query, 'group_names');
    const pgroups = groups ? groups.map((g) => array.pgroups.require(g)) : [...array.state.pgroups.values()];
    const items = pgroups.flatMap((p) => {
      if (p.replicaOf) {
        // On the target, a replica group lists this array as its target.
        return [
          targetView(p, { arrayId: array.state.identity.id, arrayName: array.name, allowed: p.allowed }),
        ];
      }
      return p.targets.map((t) => targetView(p, t));
    });
    return wholeList(items);
  });

  app.post('/protection-groups/targets', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    const replication = replicationOf(array);
    const items = [];
    for (const g of groups) {
      const pgroup = array.pgroups.require(g);
      if (pgroup.replicaOf) throw invalidOperation('A replica protection group cannot have targets.', g);
      for (const member of members) {
        if (pgroup.targets.some((t) => t.arrayName === member))
          throw invalidOperation(`Protection group ${g} already includes ${member}.`, member);
        await replication.addTarget(pgroup, member);
        const target = pgroup.targets.find((t) => t.arrayName === member);
        if (target) items.push(targetView(pgroup, target));
      }
      await syncPod(array, g);
    }
    return { items };
  });

  app.patch('/protection-groups/targets', async (request) => {
    const groups = requiredList(queryOf(request), 'group_names');
    const body = bodyObject(request);
    const allowed = optionalBoolean(body, 'allowed');
    if (allowed === undefined) throw invalidBody('allowed', 'is required');
    const replication = replicationOf(array);
    const items = [];
    for (const g of groups) {
      const replica = array.pgroups.require(g);
      if (!replica.replicaOf)
        throw invalidOperation('Only a replica protection group (source:group) is allowed here.', g);
      if (replica.allowed === allowed && allowed)
        throw invalidOperation(`Protection group ${g} is already allowed on ${array.name}.`, g);
      await replication.setAllowed(replica, allowed);
      items.push(targetView(replica, { arrayId: array.state.identity.id, arrayName: array.name, allowed }));
    }
    return { items };
  });

  app.delete('/protection-groups/targets', async (request) => {
    const query = queryOf(request);
    const groups = requiredList(query, 'group_names');
    const members = requiredList(query, 'member_names');
    const replication = replicationOf(array);
    for (const g of groups) {
      const pgroup = array.pgroups.require(g);
      for (const member of members) {
        if (!pgroup.targets.some((t) => t.arrayName === member))
          throw invalidOperation(`Protection group ${g} does not include ${member}.`, member);
        await replication.removeTarget(pgroup, member);
      }
      await syncPod(array, g);
    }
    return {};
  });

  pgroupSnapshotRoutes(app, array);
}

function pgroupSnapshotRoutes(app: FastifyInstance, array: StorageArray): void {
  const snapshotsFor = (sourceNames: string[] | null): PgroupSnapshotRecord[] => {
    const all = [...array.state.pgroupSnapshots.values()].sort((a, b) => a.createdMs - b.createdMs);
    if (!sourceNames) return all;
    const ids = sourceNames.map((n) => array.pgroups.require(n).id);
    return all.filter((s) => ids.includes(s.pgroupId));
  };
  const spec = (view: (s: PgroupSnapshotRecord) => Record<string, unknown>) => ({
    kind: 'protection_group_snapshot' as const,
    nameOf: (s: PgroupSnapshotRecord) => s.name,
    idOf: (s: PgroupSnapshotRecord) => s.id,
    destroyedOf: (s: PgroupSnapshotRecord) => s.destroyed,
    view,
  });

  app.get('/protection-group-snapshots', async (request) =>
    listItems(
      listQuery(request),
      snapshotsFor(optionalList(queryOf(request), 'source_names')),
      spec((s) => pgroupSnapshotView(array, s)),
    ),
  );

  app.get('/protection-group-snapshots/transfer', async (request) => {
    const query = queryOf(request);
    // Cinder passes the *group* name in names= (spec §3.11): a group name selects its snapshots.
    const names = optionalList(query, 'names');
    let snapshots = snapshotsFor(optionalList(query, 'source_names'));
    let parsed = listQuery(request);
    if (names?.every((n) => array.state.pgroupByName(n))) {
      const ids = names.map((n) => array.state.pgroupByName(n)!.id);
      snapshots = snapshots.filter((s) => ids.includes(s.pgroupId));
      parsed = { ...parsed, names: null };
    }
    return listItems(
      parsed,
      snapshots,
      spec((s) => transferView(array, s)),
    );
  });

  app.post('/protection-group-snapshots', async (request) => {
    const query = queryOf(request);
    const sources = requiredList(query, 'source_names');
    for (const source of sources) array.pgroups.require(source);
    const replicateNow = booleanParam(query, 'replicate_now') ?? false;
    const replicate = booleanParam(query, 'replicate') ?? false;
    if (replicateNow && replicate)
      throw invalidParameter('replicate', 'cannot be combined with replicate_now');
    const suffix = optionalString(bodyObject(request), 'suffix');
    // On-demand snapshots are kept until destroyed unless retention is asked for (Purity).
    const retained = booleanParam(query, 'apply_retention') ?? false;
    const forReplication = booleanParam(query, 'for_replication') ?? false;
    const items = await forEachName(sources, async (source) => {
      const nowMs = Date.now();
      const snapshot = await array.pgroups.snapshot(source, suffix, nowMs, {
        retained,
        ...(forReplication ? { expiresAtMs: nowMs + FOR_REPLICATION_KEEP_MS } : {}),
      });
      await syncPod(array, source);
      const pgroup = array.pgroups.require(source);
      if ((replicateNow || replicate) && pgroup.targets.some((t) => t.allowed))
        replicationOf(array).replicate(pgroup, snapshot);
      if (retained) await array.replication?.retain(pgroup);
      return pgroupSnapshotView(array, snapshot);
    });
    array.space.invalidate();
    return { items };
  });

  app.patch('/protection-group-snapshots', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pgroups.requireSnapshot(name);
    const destroyed = optionalBoolean(bodyObject(request), 'destroyed');
    const items = await forEachName(names, async (name) =>
      pgroupSnapshotView(
        array,
        await array.pgroups.updateSnapshot(name, destroyed === undefined ? {} : { destroyed }),
      ),
    );
    return { items };
  });

  app.delete('/protection-group-snapshots', async (request) => {
    const names = requiredList(queryOf(request), 'names');
    for (const name of names) array.pgroups.requireSnapshot(name);
    await forEachName(names, (name) => array.pgroups.eradicateSnapshot(name));
    array.space.invalidate();
    return {};
  });
}

/**
 * A group inside a stretched pod is recorded on both pod arrays: after a change, the other one
 * learns it (best effort: when it is unreachable it learns at the next resync of the pod).
 */
async function syncPod(array: StorageArray, pgroupName: string): Promise<void> {
  const pgroup = array.state.pgroupByName(pgroupName);
  const pod = pgroup?.podId ? array.state.pods.get(pgroup.podId) : undefined;
  if (pod) await array.replication?.podChanged(pod).catch(() => {});
}
