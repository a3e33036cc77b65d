// /volumes: create, list, show, update, delete and metadata (openstack-api.md §2.4). The volume
// service checks state and ownership; this module reads the bodies and writes the views.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import type { CreateVolumeRequest, VolumeFilters } from '../../volume/volume-api.js';
import {
  changedString,
  envelope,
  isObject,
  metadataOf,
  optionalBoolean,
  optionalPositiveInteger,
  optionalString,
  paramOf,
  queryFlag,
  queryLimit,
  queryOf,
} from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { attachmentsByVolume, volumeDetail, volumeSummary } from '../views/volumes.js';
import { manageRoutes } from './manage.js';

/** Create fields that need services Tandem does not emulate (Glance, backups, consistency groups). */
const UNSUPPORTED_SOURCES = ['imageRef', 'backup_id', 'consistencygroup_id'] as const;

export function volumeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.post('/volumes', async (request, reply) => {
    const context = contextOf(request);
    const created = await volumeApi.createVolume(
      context,
      createRequest(context, envelope(request, 'volume')),
    );
    return reply.code(202).send({ volume: volumeDetail(deps, context, created, [], true) });
  });

  app.get('/volumes', async (request) => {
    const context = contextOf(request);
    const volumes = volumeApi.listVolumes(context, volumeFilters(request, context));
    return withCount(
      request,
      context,
      { volumes: volumes.map((v) => volumeSummary(deps, context, v)) },
      volumes.length,
    );
  });

  app.get('/volumes/detail', async (request) => {
    const context = contextOf(request);
    const volumes = volumeApi.listVolumes(context, volumeFilters(request, context));
    const attachments = attachmentsByVolume(
      volumeApi.listAttachments(context, { allTenants: context.isAdmin }),
    );
    const views = volumes.map((v) => volumeDetail(deps, context, v, attachments.get(v.id) ?? []));
    return withCount(request, context, { volumes: views }, volumes.length);
  });

  app.get('/volumes/:id', async (request) => {
    const context = contextOf(request);
    return { volume: showVolume(deps, context, paramOf(request, 'id')) };
  });

  app.put('/volumes/:id', async (request) => {
    const context = contextOf(request);
    const body = envelope(request, 'volume');
    const changes: { name?: string | null; description?: string | null; metadata?: Record<string, string> } =
      {};
    const name = changedString(body, 'name');
    const description = changedString(body, 'description');
    if (name !== undefined) changes.name = name;
    if (description !== undefined) changes.description = description;
    if (body.metadata !== undefined) changes.metadata = metadataOf(body.metadata);
    if (Object.keys(changes).length === 0)
      throw cinderErrors.invalidInput('At least one of name, description or metadata must be given.');
    const id = paramOf(request, 'id');
    await volumeApi.updateVolume(context, id, changes);
    return { volume: showVolume(deps, context, id) };
  });

  app.delete('/volumes/:id', async (request, reply) => {
    const context = contextOf(request);
    const force = queryFlag(request, 'force');
    if (force) requireAdmin(context, ADMIN_RULES.volumeForceDelete);
    await volumeApi.deleteVolume(context, paramOf(request, 'id'), {
      cascade: queryFlag(request, 'cascade'),
      force,
    });
    return reply.code(202).send();
  });

  volumeMetadataRoutes(app, deps);
  manageRoutes(app, deps);
}

function volumeMetadataRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;
  const metadataOfVolume = (request: FastifyRequest) =>
    volumeApi.getVolume(contextOf(request), paramOf(request, 'id')).metadata;

  app.get('/volumes/:id/metadata', async (request) => ({ metadata: { ...metadataOfVolume(request) } }));

  for (const [method, replace] of [
    ['POST', false],
    ['PUT', true],
  ] as const) {
    app.route({
      method,
      url: '/volumes/:id/metadata',
      handler: async (request) => {
        const metadata = metadataOf(envelopeValue(request, 'metadata'));
        const result = await volumeApi.setVolumeMetadata(
          contextOf(request),
          paramOf(request, 'id'),
          metadata,
          replace,
        );
        return { metadata: result };
      },
    });
  }

  app.get('/volumes/:id/metadata/:key', async (request) => {
    const key = paramOf(request, 'key');
    const metadata = metadataOfVolume(request);
    if (!(key in metadata))
      throw new CinderError(404, `Volume ${paramOf(request, 'id')} has no metadata with key ${key}.`);
    return { meta: { [key]: metadata[key] } };
  });

  app.put('/volumes/:id/metadata/:key', async (request) => {
    const item = metadataItem(request);
    await volumeApi.setVolumeMetadata(contextOf(request), paramOf(request, 'id'), item, false);
    return { meta: item };
  });

  app.delete('/volumes/:id/metadata/:key', async (request) => {
    await volumeApi.deleteVolumeMetadata(contextOf(request), paramOf(request, 'id'), paramOf(request, 'key'));
    return {};
  });
}

/** PUT .../metadata/{key} takes {"meta": {key: value}} with exactly the key of the URL. */
export function metadataItem(request: FastifyRequest): Record<string, string> {
  const item = metadataOf(envelopeValue(request, 'meta'), 'meta');
  const key = paramOf(request, 'key');
  const keys = Object.keys(item);
  if (keys.length > 1) throw cinderErrors.invalidInput('Request body contains too many items.');
  if (keys[0] !== key) throw cinderErrors.invalidInput('Request body and URI mismatch.');
  return item;
}

/** body[key], which must be present (its shape is checked by the caller). */
export function envelopeValue(request: FastifyRequest, key: string): unknown {
  const body = request.body;
  if (!isObject(body) || !(key in body))
    throw cinderErrors.invalidInput(`Missing required element '${key}' in request body.`);
  return body[key];
}

function showVolume(deps: ApiDeps, context: RequestContext, id: string): object {
  const volume = deps.volumeApi.getVolume(context, id);
  const attachments = deps.volumeApi.listAttachments(context, { allTenants: context.isAdmin, volumeId: id });
  return volumeDetail(deps, context, volume, attachments);
}

function createRequest(context: RequestContext, body: Record<string, unknown>): CreateVolumeRequest {
  for (const field of UNSUPPORTED_SOURCES)
    if (body[field] !== undefined && body[field] !== null)
      throw cinderErrors.invalidInput(`${field} is not supported by this deployment.`);
  const request: CreateVolumeRequest = {
    size: optionalPositiveInteger(body, 'size'),
    name: optionalString(body, 'name') ?? optionalString(body, 'display_name'),
    description: optionalString(body, 'description') ?? optionalString(body, 'display_description'),
    volumeType: optionalString(body, 'volume_type'),
    availabilityZone: optionalString(body, 'availability_zone'),
    snapshotId: optionalString(body, 'snapshot_id'),
    sourceVolid: optionalString(body, 'source_volid'),
    groupId: atLeast(context, 3, 13) ? optionalString(body, 'group_id') : null,
    metadata: metadataOf(body.metadata),
    multiattach: optionalBoolean(body, 'multiattach') ?? false,
  };
  if (request.size === null && request.snapshotId === null && request.sourceVolid === null)
    throw cinderErrors.invalidInput('size must be an integer and greater than 0.');
  return request;
}

/** all_tenants and project_id are admin filters; Cinder ignores them for everyone else. */
export function volumeFilters(request: FastifyRequest, context: RequestContext): VolumeFilters {
  const filters: VolumeFilters = { allTenants: context.isAdmin && queryFlag(request, 'all_tenants') };
  const projectId = queryOf(request, 'project_id');
  if (context.isAdmin && projectId !== undefined) filters.projectId = projectId;
  const name = queryOf(request, 'name');
  if (name !== undefined) filters.name = name;
  const status = queryOf(request, 'status');
  if (status !== undefined) filters.status = status;
  const limit = queryLimit(request);
  if (limit !== undefined) filters.limit = limit;
  const marker = queryOf(request, 'marker');
  if (marker !== undefined) filters.marker = marker;
  return filters;
}

/** ?with_count=true (3.45+) adds the number of items. */
function withCount(request: FastifyRequest, context: RequestContext, body: object, count: number): object {
  return atLeast(context, 3, 45) && queryFlag(request, 'with_count') ? { ...body, count } : body;
}
