// What every route module gets: the services behind the API, the caller's RequestContext (set by
// the auth hook), the microversion gates and the links Cinder puts in its views.

import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CinderCatalog } from '../catalog/catalog.js';
import { CinderError } from '../errors.js';
import type { IdentityService } from '../identity/identity-service.js';
import { atLeast, type RequestContext } from '../request-context.js';
import type { VolumeApi } from '../volume/volume-api.js';
import { NOT_FOUND_MESSAGE } from './faults.js';

/**
 * Snapshot metadata writes, which VolumeApi does not have yet. The routes use them when the
 * volume service provides them and answer 501 otherwise (see the report of this module's author).
 */
export interface SnapshotMetadataApi {
  setSnapshotMetadata(
    context: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>>;
  deleteSnapshotMetadata(context: RequestContext, id: string, key: string): Promise<void>;
}

export type CinderVolumeApi = VolumeApi & Partial<SnapshotMetadataApi>;

export interface ApiDeps {
  volumeApi: CinderVolumeApi;
  catalog: CinderCatalog;
  identity: IdentityService;
  logger?: Logger;
  /** The URL clients reach this server at (no trailing slash), read per request: known after listen. */
  baseUrl(): string;
  /** Wall-clock ms, for service up/down (tests pass a fixed clock). */
  nowMs(): number;
}

const contexts = new WeakMap<FastifyRequest, RequestContext>();

export function setContext(request: FastifyRequest, context: RequestContext): void {
  contexts.set(request, context);
}

/** The caller; the auth hook runs before every Cinder route, so a missing context is our bug. */
export function contextOf(request: FastifyRequest): RequestContext {
  const context = contexts.get(request);
  if (!context) throw new Error(`no request context for ${request.method} ${request.routeOptions.url}`);
  return context;
}

/**
 * APIs newer than the negotiated microversion do not exist for this request: Cinder answers 404
 * itemNotFound with webob's plain text (VersionNotFoundForAPIMethod).
 */
export function requireMicroversion(context: RequestContext, major: number, minor: number): void {
  if (!atLeast(context, major, minor)) throw new CinderError(404, NOT_FOUND_MESSAGE);
}

/** Cinder's self and bookmark links (api/views: _get_links). */
export function linksOf(deps: ApiDeps, context: RequestContext, collection: string, id: string): object[] {
  const base = deps.baseUrl();
  return [
    { href: `${base}/v3/${context.projectId}/${collection}/${id}`, rel: 'self' },
    { href: `${base}/${context.projectId}/${collection}/${id}`, rel: 'bookmark' },
  ];
}

/** Snapshot metadata writes, or 501 until the volume service has them. */
export function snapshotMetadataApi(deps: ApiDeps): SnapshotMetadataApi {
  const { setSnapshotMetadata, deleteSnapshotMetadata } = deps.volumeApi;
  if (!setSnapshotMetadata || !deleteSnapshotMetadata)
    throw new CinderError(501, 'Snapshot metadata updates are not implemented.');
  return {
    setSnapshotMetadata: setSnapshotMetadata.bind(deps.volumeApi),
    deleteSnapshotMetadata: deleteSnapshotMetadata.bind(deps.volumeApi),
  };
}
