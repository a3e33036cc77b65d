// /os-services and /scheduler-stats/get_pools: the replication control plane (openstack-api.md
// §2.7, §2.8). All admin-only. freeze/thaw answer 200 and failover 202 with empty bodies, as Cinder.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { CinderError } from '../../errors.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import { bodyObject, type Json, optionalString, paramOf, queryFlag, queryOf } from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { poolView, serviceUpdateView, serviceView } from '../views/services.js';

/** Cinder's disabled_reason column width. */
const DISABLED_REASON_MAX_CHARS = 255;

export function serviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.get('/os-services', async (request) => {
    const context = contextOf(request);
    requireAdmin(context, ADMIN_RULES.servicesList);
    // OSC prints whatever comes back, so --host and --service must be applied here.
    const filters: { host?: string; binary?: string } = {};
    const host = queryOf(request, 'host');
    const binary = queryOf(request, 'binary');
    if (host !== undefined) filters.host = host;
    if (binary !== undefined) filters.binary = binary;
    const services = volumeApi
      .listServices(context, filters)
      .filter(
        (s) => (host === undefined || s.host === host) && (binary === undefined || s.binary === binary),
      );
    return { services: services.map((s) => serviceView(context, s, deps.nowMs())) };
  });

  app.put('/os-services/:action', async (request, reply) => {
    const context = contextOf(request);
    const body = bodyObject(request);
    const action = paramOf(request, 'action');
    switch (action) {
      case 'enable':
      case 'disable':
      case 'disable-log-reason':
        return setEnabled(deps, context, action, body);
      case 'freeze':
        requireAdmin(context, ADMIN_RULES.freezeHost);
        await volumeApi.freezeHost(context, hostOf(context, body, false));
        return emptyReply(reply, 200);
      case 'thaw':
        requireAdmin(context, ADMIN_RULES.thawHost);
        await volumeApi.thawHost(context, hostOf(context, body, false));
        return emptyReply(reply, 200);
      case 'failover_host':
        requireAdmin(context, ADMIN_RULES.failoverHost);
        await volumeApi.failoverHost(
          context,
          hostOf(context, body, false),
          optionalString(body, 'backend_id'),
        );
        return emptyReply(reply, 202);
      case 'failover':
        if (!atLeast(context, 3, 26)) throw new CinderError(404, 'Unknown action');
        requireAdmin(context, ADMIN_RULES.failoverHost);
        await volumeApi.failoverHost(
          context,
          hostOf(context, body, true),
          optionalString(body, 'backend_id'),
        );
        return emptyReply(reply, 202);
      default:
        throw new CinderError(404, 'Unknown action');
    }
  });
}

/** GET /scheduler-stats/get_pools[?detail=True]: filters from 3.28, volume_type from 3.35. */
export function poolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;

  app.get('/scheduler-stats/get_pools', async (request) => {
    const context = contextOf(request);
    requireAdmin(context, ADMIN_RULES.getPools);
    const filters: { name?: string; backend?: string; volumeType?: string } = {};
    if (atLeast(context, 3, 28)) {
      const name = queryOf(request, 'name');
      const backend = queryOf(request, 'backend');
      if (name !== undefined) filters.name = name;
      if (backend !== undefined) filters.backend = backend;
    }
    const volumeType = atLeast(context, 3, 35) ? queryOf(request, 'volume_type') : undefined;
    if (volumeType !== undefined) filters.volumeType = volumeType;
    const detail = queryFlag(request, 'detail');
    return { pools: volumeApi.getPools(context, filters).map((p) => poolView(p, detail)) };
  });
}

async function setEnabled(
  deps: ApiDeps,
  context: RequestContext,
  action: string,
  body: Json,
): Promise<object> {
  requireAdmin(context, ADMIN_RULES.servicesUpdate);
  const host = optionalString(body, 'host');
  // 'service' is the pre-Mitaka name of 'binary'; cinderclient still sends binary only.
  const binary = optionalString(body, 'binary') ?? optionalString(body, 'service');
  if (host === null || binary === null)
    throw new CinderError(400, 'Missing required element host or binary.');
  const withReason = action === 'disable-log-reason';
  let reason: string | null = null;
  if (withReason) {
    reason = optionalString(body, 'disabled_reason', Number.MAX_SAFE_INTEGER);
    if (reason === null || reason.trim() === '' || reason.length > DISABLED_REASON_MAX_CHARS)
      throw new CinderError(400, 'Disabled reason contains invalid characters or is too long');
  }
  const service = await deps.volumeApi.setServiceEnabled(context, host, binary, action === 'enable', reason);
  return serviceUpdateView(service, withReason);
}

/**
 * Before 3.26 `host` is required; from 3.26 (and always for `failover`) exactly one of host and
 * cluster. Tandem has no clusters, so a cluster names no service.
 */
function hostOf(context: RequestContext, body: Json, clusterAllowed: boolean): string {
  const host = optionalString(body, 'host');
  const cluster = clusterAllowed || atLeast(context, 3, 26) ? optionalString(body, 'cluster') : null;
  if (host !== null && cluster !== null)
    throw new CinderError(400, 'One and only one of cluster and host must be set.');
  if (cluster !== null) throw new CinderError(400, `No service found with cluster=${cluster}`);
  if (host === null)
    throw new CinderError(
      400,
      atLeast(context, 3, 26)
        ? 'One and only one of cluster and host must be set.'
        : 'Host field is missing.',
    );
  return host;
}

function emptyReply(reply: FastifyReply, status: 200 | 202): FastifyReply {
  return reply.code(status).send();
}
