// The control plane's HTTP face: one fastify app on one port serving
//   /                      Cinder version discovery (300), /v3/ (200)
//   /v3/{project_id}/...   the Block Storage v3 API, and /v3/... without the project (3.67 style)
//   /identity/...          Keystone v3 (auth URL: <base>/identity/v3, devstack-style)
//   /image                 a Glance version document (openstack volume create insists on one)
// One port keeps the catalog simple: every endpoint is the same base URL plus a path. Every
// response carries x-openstack-request-id and x-compute-request-id (the CLIs print the latter).

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CinderCatalog } from '../catalog/catalog.js';
import type { IdentityService } from '../identity/identity-service.js';
import { keystoneRoutes } from '../identity/keystone-routes.js';
import type { ServiceCatalogUrls } from '../identity/keystone-views.js';
import { installCinderHooks } from './auth.js';
import {
  classifyError,
  faultBody,
  GENERIC_FAULT_MESSAGE,
  MALFORMED_BODY_MESSAGE,
  NOT_FOUND_MESSAGE,
} from './faults.js';
import { installApiMetrics } from './metrics.js';
import type { ApiDeps, CinderVolumeApi } from './route-context.js';
import { attachmentRoutes } from './routes/attachments.js';
import { groupTypeRoutes } from './routes/group-types.js';
import { groupRoutes } from './routes/groups.js';
import { qosSpecsRoutes } from './routes/qos-specs.js';
import { quotaRoutes } from './routes/quotas.js';
import { poolRoutes, serviceRoutes } from './routes/services.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { typeRoutes } from './routes/types.js';
import { volumeActionRoutes } from './routes/volume-actions.js';
import { volumeRoutes } from './routes/volumes.js';
import { IMAGE_PREFIX, versionRoutes } from './versions.js';

/** Cinder's osapi_max_request_body_size default (112 KiB); larger bodies get 413. */
export const CINDER_API_BODY_MAX_BYTES = 114_688;
/**
 * Longest URL segment routed. Ids are uuids, but OSC looks types and volumes up by name first
 * (GET /types/<name>): 255 characters of 4-byte UTF-8, percent-encoded, is 3060 characters.
 */
export const CINDER_API_PARAM_MAX_CHARS = 3072;
export const IDENTITY_PREFIX = '/identity';
export const DEFAULT_REGION = 'RegionOne';

export interface CinderApiOptions {
  volumeApi: CinderVolumeApi;
  catalog: CinderCatalog;
  identity: IdentityService;
  host: string;
  /** 0: any free port (tests). */
  port: number;
  logger?: Logger;
  /** The base URL clients use, if not http://host:port (a proxy, or a wildcard listen address). */
  publicUrl?: string;
  /** The region of every catalog endpoint; clients with OS_REGION_NAME must match it. */
  region?: string;
  /** Wall-clock ms (service up/down); tests may pin it. */
  nowMs?: () => number;
}

export interface CinderApi {
  app: FastifyInstance;
  /** The base URL: Cinder at <url>/v3/<project>, Keystone at authUrl, Glance stub at <url>/image. */
  url: string;
  /** OS_AUTH_URL for the CLIs. */
  authUrl: string;
  close(): Promise<void>;
}

export async function createCinderApi(options: CinderApiOptions): Promise<CinderApi> {
  let baseUrl = options.publicUrl?.replace(/\/+$/, '') ?? '';
  const urls: ServiceCatalogUrls = {
    get identityUrl() {
      return `${baseUrl}${IDENTITY_PREFIX}/v3`;
    },
    volumeUrl: (projectId) => `${baseUrl}/v3/${projectId}`,
    get imageUrl() {
      return `${baseUrl}${IMAGE_PREFIX}`;
    },
    region: options.region ?? DEFAULT_REGION,
  };
  const deps: ApiDeps = {
    volumeApi: options.volumeApi,
    catalog: options.catalog,
    identity: options.identity,
    baseUrl: () => baseUrl,
    nowMs: options.nowMs ?? Date.now,
  };
  if (options.logger) deps.logger = options.logger;

  const app = Fastify({
    logger: false,
    bodyLimit: CINDER_API_BODY_MAX_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: CINDER_API_PARAM_MAX_CHARS },
    genReqId: () => `req-${randomUUID()}`,
  });
  installPlumbing(app, options.logger);
  installApiMetrics(app, deps);
  versionRoutes(app, () => baseUrl);
  await app.register(
    async (scope) => {
      const keystoneOptions = {
        identity: options.identity,
        urls: () => urls,
        ...(options.logger ? { logger: options.logger } : {}),
      };
      keystoneRoutes(scope, keystoneOptions);
    },
    { prefix: IDENTITY_PREFIX },
  );
  for (const prefix of ['/v3/:project_id', '/v3']) {
    await app.register(
      async (scope) => {
        installCinderHooks(scope, { identity: options.identity, identityUrl: () => urls.identityUrl });
        registerCinderRoutes(scope, deps);
      },
      { prefix },
    );
  }

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  if (!options.publicUrl) baseUrl = `http://${urlHost(options.host)}:${port}`;
  return { app, url: baseUrl, authUrl: urls.identityUrl, close: () => app.close() };
}

function registerCinderRoutes(scope: FastifyInstance, deps: ApiDeps): void {
  volumeRoutes(scope, deps);
  volumeActionRoutes(scope, deps);
  snapshotRoutes(scope, deps);
  typeRoutes(scope, deps);
  qosSpecsRoutes(scope, deps);
  attachmentRoutes(scope, deps);
  serviceRoutes(scope, deps);
  poolRoutes(scope, deps);
  quotaRoutes(scope, deps);
  groupTypeRoutes(scope, deps);
  groupRoutes(scope, deps);
}

/** A wildcard listen address is not somewhere a client can go: point it at loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function installPlumbing(app: FastifyInstance, logger: Logger | undefined): void {
  // Bodies are JSON whatever the Content-Type says; an empty body is no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error(MALFORMED_BODY_MESSAGE), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
    reply.header('x-compute-request-id', request.id);
  });

  // One line per request, without headers or bodies: tokens and passwords never reach the log.
  app.addHook('onResponse', async (request, reply) => {
    logger?.debug(
      {
        requestId: request.id,
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'cinder-api request',
    );
  });

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send(faultBody(404, NOT_FOUND_MESSAGE)));

  app.setErrorHandler(async (raw: FastifyError | Error, request, reply) => {
    const error = classifyError(raw);
    if (error) return reply.code(error.status).send(faultBody(error.status, error.message));
    logger?.error(
      { err: raw, requestId: request.id, method: request.method, path: request.url.split('?')[0] },
      'cinder-api: handler failed',
    );
    return reply.code(500).send(faultBody(500, GENERIC_FAULT_MESSAGE));
  });
}
