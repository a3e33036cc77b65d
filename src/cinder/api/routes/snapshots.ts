// /snapshots: create, list, show, update, delete, admin actions and metadata (openstack-api.md
// §2.6). From 3.66 an explicit "force": false is refused and any other force is ignored, so the
// volume service gets force=true there; below 3.66 it gets what the client sent (null if nothing).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import type { VolumeFilters } from '../../volume/volume-api.js';
import {
  bodyObject,
  changedString,
  envelope,
  isObject,
  metadataOf,
  optionalBoolean,
  optionalString,
  paramOf,
  queryOf,
  requiredString,
} from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf, snapshotMetadataApi } from '../route-context.js';
import { snapshotView } from '../views/volumes.js';
import { envelopeValue, metadataItem, volumeFilters } from './volumes.js';

/** Cinder's SNAPSHOT_IN_USE_FLAG_MSG (api/v3/snapshots.py). */
const FORCE_FLAG_MESSAGE =
  "Since microversion 3.66 the 'force' flag is invalid for this request. For backward compatibility, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.";

export function snapshotRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.post('/snapshots', async (request, reply) => {
    const context = contextOf(request);
    const body = envelope(request, 'snapshot');
    const snapshot = await volumeApi.createSnapshot(context, {
      volumeId: requiredString(body, 'volume_id'),
      name: optionalString(body, 'name') ?? optionalString(body, 'display_name'),
      description: optionalString(body, 'description') ?? optionalString(body, 'display_description'),
      force: forceOf(context, body),
      metadata: metadataOf(body.metadata),
    });
    return reply.code(202).send({ snapshot: snapshotView(context, snapshot) });
  });

  for (const url of ['/snapshots', '/snapshots/detail']) {
    app.get(url, async (request) => {
      const context = contextOf(request);
      const snapshots = volumeApi.listSnapshots(context, snapshotFilters(request, context));
      return { snapshots: snapshots.map((s) => snapshotView(context, s)) };
    });
  }

  app.get('/snapshots/:id', async (request) => {
    const context = contextOf(request);
    return { snapshot: snapshotView(context, volumeApi.getSnapshot(context, paramOf(request, 'id'))) };
  });

  app.put('/snapshots/:id', async (request) => {
    const context = contextOf(request);
    const body = envelope(request, 'snapshot');
    const changes: { name?: string | null; description?: string | null } = {};
    const name = changedString(body, 'name');
    const description = changedString(body, 'description');
    if (name !== undefined) changes.name = name;
    if (description !== undefined) changes.description = description;
    if (Object.keys(changes).length === 0)
      throw cinderErrors.invalidInput('At least one of name or description must be given.');
    const updated = await volumeApi.updateSnapshot(context, paramOf(request, 'id'), changes);
    return { snapshot: snapshotView(context, updated) };
  });

  app.delete('/snapshots/:id', async (request, reply) => {
    await volumeApi.deleteSnapshot(contextOf(request), paramOf(request, 'id'), false);
    return reply.code(202).send();
  });

  app.post('/snapshots/:id/action', async (request, reply) => {
    const context = contextOf(request);
    const body = bodyObject(request);
    const id = paramOf(request, 'id');
    if ('os-reset_status' in body) {
      requireAdmin(context, ADMIN_RULES.snapshotResetStatus);
      const value = body['os-reset_status'];
      const status = requiredString(isObject(value) ? value : {}, 'status');
      await volumeApi.resetSnapshotStatus(context, id, status);
    } else if ('os-force_delete' in body) {
      requireAdmin(context, ADMIN_RULES.snapshotForceDelete);
      await volumeApi.deleteSnapshot(context, id, true);
    } else {
      throw new CinderError(400, `There is no such action: ${Object.keys(body)[0] ?? '(none)'}`);
    }
    return reply.code(202).send();
  });

  snapshotMetadataRoutes(app, deps);
}

function snapshotMetadataRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const metadataOfSnapshot = (request: FastifyRequest) =>
    deps.volumeApi.getSnapshot(contextOf(request), paramOf(request, 'id')).metadata;

  app.get('/snapshots/:id/metadata', async (request) => ({ metadata: { ...metadataOfSnapshot(request) } }));

  for (const [method, replace] of [
    ['POST', false],
    ['PUT', true],
  ] as const) {
    app.route({
      method,
      url: '/snapshots/:id/metadata',
      handler: async (request) => {
        const metadata = metadataOf(envelopeValue(request, 'metadata'));
        const api = snapshotMetadataApi(deps);
        return {
          metadata: await api.setSnapshotMetadata(
            contextOf(request),
            paramOf(request, 'id'),
            metadata,
            replace,
          ),
        };
      },
    });
  }

  app.get('/snapshots/:id/metadata/:key', async (request) => {
    const key = paramOf(request, 'key');
    const metadata = metadataOfSnapshot(request);
    if (!(key in metadata))
      throw new CinderError(404, `Snapshot ${paramOf(request, 'id')} has no metadata with key ${key}.`);
    return { meta: { [key]: metadata[key] } };
  });

  app.put('/snapshots/:id/metadata/:key', async (request) => {
    const item = metadataItem(request);
    await snapshotMetadataApi(deps).setSnapshotMetadata(
      contextOf(request),
      paramOf(request, 'id'),
      item,
      false,
    );
    return { meta: item };
  });

  app.delete('/snapshots/:id/metadata/:key', async (request) => {
    const api = snapshotMetadataApi(deps);
    await api.deleteSnapshotMetadata(contextOf(request), paramOf(request, 'id'), paramOf(request, 'key'));
    return {};
  });
}

function forceOf(context: RequestContext, body: Record<string, unknown>): boolean | null {
  const force = optionalBoolean(body, 'force');
  if (!atLeast(context, 3, 66)) return force;
  if (force === false) throw new CinderError(400, FORCE_FLAG_MESSAGE);
  return true;
}

function snapshotFilters(
  request: FastifyRequest,
  context: RequestContext,
): VolumeFilters & { volumeId?: string } {
  const filters: VolumeFilters & { volumeId?: string } = volumeFilters(request, context);
  const volumeId = queryOf(request, 'volume_id');
  if (volumeId !== undefined) filters.volumeId = volumeId;
  return filters;
}
