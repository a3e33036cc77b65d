// Keystone v3 over HTTP, mounted under a prefix of the Cinder app (`/identity`, devstack-style):
// version discovery, password login, token validation and revocation, and the project and user
// lookups behind `--project` / `--user`. Failures leave as Keystone's {"error": {...}} body.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAuthRequest } from './auth-request.js';
import type { IdentityService, TokenInfo } from './identity-service.js';
import {
  KeystoneError,
  keystoneErrors,
  keystoneV3Version,
  projectView,
  type ServiceCatalogUrls,
  tokenBody,
  userView,
} from './keystone-views.js';

export interface KeystoneRoutesOptions {
  identity: IdentityService;
  /** Read per request: the app learns its port only once it listens. */
  urls: () => ServiceCatalogUrls;
  logger?: Logger;
}

/** Registers the routes on `app`, which is expected to be a plugin scope with the Keystone prefix. */
export function keystoneRoutes(app: FastifyInstance, options: KeystoneRoutesOptions): void {
  const { identity, urls, logger } = options;
  installKeystoneErrors(app, logger);

  app.get('/', async (_request, reply) => {
    return reply.code(300).send({ versions: { values: [keystoneV3Version(urls().identityUrl)] } });
  });
  app.get('/v3', async () => ({ version: keystoneV3Version(urls().identityUrl) }));

  app.post('/v3/auth/tokens', async (request, reply) => {
    const parsed = parseAuthRequest(request.body);
    if (!parsed.ok) throw keystoneErrors.badRequest(parsed.reason);
    const result = identity.authenticate(parsed.value);
    // Who tried, never with what: the password stays out of every log line.
    const who = parsed.value.user.name ?? parsed.value.user.id;
    if (!result) {
      logger?.warn({ user: who, requestId: request.id }, 'keystone: authentication failed');
      throw keystoneErrors.unauthorized();
    }
    logger?.debug(
      { user: who, project: result.info.project.name, requestId: request.id },
      'keystone: token issued',
    );
    reply.header('X-Subject-Token', result.token);
    return reply.code(201).send(tokenBody(result.info, urls()));
  });

  app.get('/v3/auth/tokens', async (request) => {
    authenticatedBy(identity, request);
    const subject = identity.validateToken(headerOf(request, 'x-subject-token'));
    if (!subject) throw keystoneErrors.notFound('token', '(subject token)');
    return tokenBody(subject, urls());
  });

  app.delete('/v3/auth/tokens', async (request, reply) => {
    authenticatedBy(identity, request);
    const subject = headerOf(request, 'x-subject-token');
    if (!subject || !identity.revokeToken(subject)) throw keystoneErrors.notFound('token', '(subject token)');
    return reply.code(204).send();
  });

  lookupRoutes(app, identity, urls);
}

/** GET /v3/projects and /v3/users (by name, by id): `--project` and `--user` on the CLIs. */
function lookupRoutes(app: FastifyInstance, identity: IdentityService, urls: () => ServiceCatalogUrls): void {
  const authenticated = (request: FastifyRequest) => authenticatedBy(identity, request);

  app.get('/v3/projects', async (request) => {
    const caller = authenticated(request);
    const name = queryString(request, 'name');
    const visible = isAdmin(caller) ? identity.projects() : [caller.project];
    const projects = visible.filter((p) => name === undefined || p.name === name);
    return {
      projects: projects.map((p) => projectView(p, urls().identityUrl)),
      links: listLinks(request, urls()),
    };
  });

  app.get('/v3/projects/:id', async (request) => {
    const caller = authenticated(request);
    const id = (request.params as { id: string }).id;
    const project = identity.project(id);
    if (!project || (!isAdmin(caller) && project.id !== caller.project.id))
      throw keystoneErrors.notFound('project', id);
    return { project: projectView(project, urls().identityUrl) };
  });

  app.get('/v3/users', async (request) => {
    const caller = authenticated(request);
    const name = queryString(request, 'name');
    const visible = isAdmin(caller) ? identity.users() : [caller.user];
    const users = visible.filter((u) => name === undefined || u.name === name);
    return { users: users.map((u) => userView(u, urls().identityUrl)), links: listLinks(request, urls()) };
  });

  app.get('/v3/users/:id', async (request) => {
    const caller = authenticated(request);
    const id = (request.params as { id: string }).id;
    const user = identity.user(id);
    if (!user || (!isAdmin(caller) && user.id !== caller.user.id)) throw keystoneErrors.notFound('user', id);
    return { user: userView(user, urls().identityUrl) };
  });
}

function authenticatedBy(identity: IdentityService, request: FastifyRequest): TokenInfo {
  const info = identity.validateToken(headerOf(request, 'x-auth-token'));
  if (!info) throw keystoneErrors.unauthorized();
  return info;
}

function isAdmin(info: TokenInfo): boolean {
  return info.user.roles.some((role) => role.name === 'admin');
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function listLinks(request: FastifyRequest, urls: ServiceCatalogUrls): object {
  const path = request.url.replace(/^.*?\/v3/, '');
  return { self: `${urls.identityUrl}${path}`, next: null, previous: null };
}

function installKeystoneErrors(app: FastifyInstance, logger: Logger | undefined): void {
  app.setNotFoundHandler(async (_request, reply: FastifyReply) => {
    const error = keystoneErrors.noRoute();
    return reply.code(error.status).send(error.toBody());
  });
  app.setErrorHandler(async (raw: FastifyError | Error, request, reply) => {
    const error = toKeystoneError(raw);
    if (error.status === 500) logger?.error({ err: raw, requestId: request.id }, 'keystone: handler failed');
    return reply.code(error.status).send(error.toBody());
  });
}

function toKeystoneError(raw: FastifyError | Error): KeystoneError {
  if (raw instanceof KeystoneError) return raw;
  const status = (raw as Partial<FastifyError>).statusCode;
  if (status === 413) return new KeystoneError(413, 'Request is too large.');
  if (typeof status === 'number' && status >= 400 && status < 500)
    return keystoneErrors.badRequest('The request body is not valid JSON.');
  return keystoneErrors.internal();
}
