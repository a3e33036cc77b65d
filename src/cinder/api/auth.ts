// The hook in front of every Cinder route: the token becomes a RequestContext (keystonemiddleware's
// job), then the microversion is negotiated. Unknown or expired tokens get 401, never 403, because
// keystoneauth answers a 401 by logging in again and retrying once (openstack-api.md §1.4).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../errors.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { RequestContext } from '../request-context.js';
import { formatVersion, MICROVERSION_HEADER, negotiateMicroversion } from './microversion.js';
import { setContext } from './route-context.js';

export interface CinderHookOptions {
  identity: IdentityService;
  /** For the WWW-Authenticate header keystonemiddleware sends with a 401. */
  identityUrl: () => string;
}

export function installCinderHooks(scope: FastifyInstance, options: CinderHookOptions): void {
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Vary', 'OpenStack-API-Version');
    const token = request.headers['x-auth-token'];
    const info = options.identity.validateToken(typeof token === 'string' ? token : undefined);
    if (!info) {
      reply.header('WWW-Authenticate', `Keystone uri="${options.identityUrl()}"`);
      throw cinderErrors.unauthorized();
    }
    const negotiated = negotiateMicroversion(request.headers[MICROVERSION_HEADER]);
    if (!negotiated.ok) throw new CinderError(negotiated.status, negotiated.message);
    reply.header('OpenStack-API-Version', `volume ${formatVersion(negotiated.version)}`);
    const roles = info.user.roles.map((role) => role.name);
    const context: RequestContext = {
      userId: info.user.id,
      userName: info.user.name,
      projectId: info.project.id,
      projectName: info.project.name,
      roles,
      isAdmin: roles.includes('admin'),
      requestId: request.id,
      microversion: negotiated.version,
    };
    // The URL's project is only a routing hint: an admin acts across projects, a member only in its own.
    const urlProject = (request.params as Record<string, string | undefined>).project_id;
    if (urlProject !== undefined && urlProject !== context.projectId && !context.isAdmin)
      throw new CinderError(403, `Project ${urlProject} in the URL does not match the token's project.`);
    setContext(request, context);
  });
}
