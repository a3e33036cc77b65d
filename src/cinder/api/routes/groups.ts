// /groups (3.13+) and /group_snapshots (3.14+): generic volume groups and their snapshots, the
// `cinder group-*` and `group-snapshot-*` commands. The volume service does the work.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import {
  bodyObject,
  changedString,
  envelope,
  isObject,
  type Json,
  optionalString,
  paramOf,
  queryFlag,
  requiredString,
} from '../body.js';
import { type ApiDeps, contextOf, requireMicroversion } from '../route-context.js';
import { groupDetail, groupSnapshotView, groupSummary } from '../views/services.js';

/** The caller, once the microversion has groups (3.13). */
function context(request: FastifyRequest): RequestContext {
  const ctx = contextOf(request);
  requireMicroversion(ctx, 3, 13);
  return ctx;
}

export function groupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.post('/groups', async (request, reply) => {
    const ctx = context(request);
    const body = envelope(request, 'group');
    const group = await volumeApi.createGroup(ctx, {
      name: optionalString(body, 'name'),
      description: optionalString(body, 'description'),
      groupType: requiredString(body, 'group_type'),
      volumeTypes: volumeTypesOf(body),
      availabilityZone: optionalString(body, 'availability_zone'),
    });
    return reply.code(202).send({ group: groupSummary(deps, ctx, group) });
  });

  app.get('/groups', async (request) => {
    const ctx = context(request);
    const groups = volumeApi.listGroups(ctx, {
      allTenants: ctx.isAdmin && queryFlag(request, 'all_tenants'),
    });
    return { groups: groups.map((g) => groupSummary(deps, ctx, g)) };
  });

  app.get('/groups/detail', async (request) => {
    const ctx = context(request);
    const groups = volumeApi.listGroups(ctx, {
      allTenants: ctx.isAdmin && queryFlag(request, 'all_tenants'),
    });
    return { groups: groups.map((g) => groupDetail(ctx, g, volumesOf(deps, request, ctx, g.id))) };
  });

  app.get('/groups/:id', async (request) => {
    const ctx = context(request);
    const group = volumeApi.getGroup(ctx, paramOf(request, 'id'));
    return { group: groupDetail(ctx, group, volumesOf(deps, request, ctx, group.id)) };
  });

  groupChangeRoutes(app, deps);
  groupSnapshotRoutes(app, deps);
}

/** Rename, add and remove volumes, delete (an action, as Cinder has it). */
function groupChangeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.put('/groups/:id', async (request, reply) => {
    const ctx = context(request);
    const body = envelope(request, 'group');
    const changes: {
      name?: string | null;
      description?: string | null;
      addVolumes: string[];
      removeVolumes: string[];
    } = { addVolumes: idList(body, 'add_volumes'), removeVolumes: idList(body, 'remove_volumes') };
    const name = changedString(body, 'name');
    const description = changedString(body, 'description');
    if (name !== undefined) changes.name = name;
    if (description !== undefined) changes.description = description;
    if (
      name === undefined &&
      description === undefined &&
      changes.addVolumes.length + changes.removeVolumes.length === 0
    )
      throw cinderErrors.invalidInput(
        'Name, description, add_volumes, and remove_volumes can not be all empty in the request body.',
      );
    await volumeApi.updateGroup(ctx, paramOf(request, 'id'), changes);
    return reply.code(202).send();
  });

  app.post('/groups/:id/action', async (request, reply) => {
    const ctx = context(request);
    const body = bodyObject(request);
    if (!('delete' in body))
      throw new CinderError(400, `There is no such action: ${Object.keys(body)[0] ?? '(none)'}`);
    const options = isObject(body.delete) ? body.delete : {};
    const deleteVolumes = options['delete-volumes'] === true || options['delete-volumes'] === 'True';
    await volumeApi.deleteGroup(ctx, paramOf(request, 'id'), deleteVolumes);
    return reply.code(202).send();
  });
}

function groupSnapshotRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;
  // Group snapshots came one microversion after groups.
  const snapshotContext = (request: FastifyRequest) => {
    const ctx = contextOf(request);
    requireMicroversion(ctx, 3, 14);
    return ctx;
  };

  app.post('/group_snapshots', async (request, reply) => {
    const ctx = snapshotContext(request);
    const body = envelope(request, 'group_snapshot');
    const snapshot = await volumeApi.createGroupSnapshot(ctx, {
      groupId: requiredString(body, 'group_id'),
      name: optionalString(body, 'name'),
      description: optionalString(body, 'description'),
    });
    return reply
      .code(202)
      .send({ group_snapshot: { ...groupSnapshotView(ctx, snapshot, false), group_id: snapshot.groupId } });
  });

  for (const [url, detail] of [
    ['/group_snapshots', false],
    ['/group_snapshots/detail', true],
  ] as const) {
    app.get(url, async (request) => {
      const ctx = snapshotContext(request);
      const snapshots = volumeApi.listGroupSnapshots(ctx, {
        allTenants: ctx.isAdmin && queryFlag(request, 'all_tenants'),
      });
      return { group_snapshots: snapshots.map((s) => groupSnapshotView(ctx, s, detail)) };
    });
  }

  app.get('/group_snapshots/:id', async (request) => {
    const ctx = snapshotContext(request);
    return {
      group_snapshot: groupSnapshotView(ctx, volumeApi.getGroupSnapshot(ctx, paramOf(request, 'id')), true),
    };
  });

  app.delete('/group_snapshots/:id', async (request, reply) => {
    await volumeApi.deleteGroupSnapshot(snapshotContext(request), paramOf(request, 'id'));
    return reply.code(202).send();
  });
}

function volumeTypesOf(body: Json): string[] {
  const types = body.volume_types;
  if (typeof types === 'string')
    return types
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string'))
    throw cinderErrors.invalidInput('volume_types must be a non-empty list of volume type names or ids.');
  return types;
}

/** add_volumes / remove_volumes: a comma-separated string of volume ids, as Cinder takes them. */
function idList(body: Json, field: string): string[] {
  const value = optionalString(body, field, Number.MAX_SAFE_INTEGER);
  return value === null
    ? []
    : value
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
}

/** ?list_volume=True (3.25+) adds the group's volume ids. */
function volumesOf(
  deps: ApiDeps,
  request: FastifyRequest,
  context: RequestContext,
  groupId: string,
): string[] | null {
  if (!atLeast(context, 3, 25) || !queryFlag(request, 'list_volume')) return null;
  return deps.volumeApi
    .listVolumes(context, { allTenants: context.isAdmin })
    .filter((v) => v.groupId === groupId)
    .map((v) => v.id);
}
