// /limits and /os-quota-sets (openstack-api.md §2.10): `cinder absolute-limits`, `quota-show`,
// `quota-usage`, `quota-defaults`, `quota-update`. Members see their own project; changing quotas
// and looking at another project's are admin-only.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { atLeast, type RequestContext } from '../../request-context.js';
import { envelope, paramOf, queryFlag, queryOf } from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { quotaSetView } from '../views/catalog.js';

export function quotaRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const quotas = deps.catalog.quotas;

  app.get('/limits', async (request) => {
    const context = contextOf(request);
    // 3.39 lets an admin read another project's limits with ?project_id.
    const asked = atLeast(context, 3, 39) ? queryOf(request, 'project_id') : undefined;
    const projectId = asked ?? context.projectId;
    if (projectId !== context.projectId) requireAdmin(context, ADMIN_RULES.limitsOtherProject);
    return { limits: { rate: [], absolute: quotas.absoluteLimits(projectId) } };
  });

  app.get('/os-quota-sets/:project/defaults', async (request) => {
    const projectId = ownOrAdmin(request);
    return quotaSetView(projectId, quotas.defaults());
  });

  app.get('/os-quota-sets/:project', async (request) => {
    const projectId = ownOrAdmin(request);
    const values = queryFlag(request, 'usage') ? quotas.usageDetail(projectId) : quotas.limits(projectId);
    return quotaSetView(projectId, values);
  });

  app.put('/os-quota-sets/:project', async (request) => {
    requireAdmin(contextOf(request), ADMIN_RULES.quotaUpdate);
    const changes = envelope(request, 'quota_set');
    return quotaSetView(null, await quotas.update(paramOf(request, 'project'), changes));
  });

  app.delete('/os-quota-sets/:project', async (request) => {
    requireAdmin(contextOf(request), ADMIN_RULES.quotaDelete);
    await quotas.reset(paramOf(request, 'project'));
    return {};
  });
}

function ownOrAdmin(request: FastifyRequest): string {
  const context: RequestContext = contextOf(request);
  const projectId = paramOf(request, 'project');
  if (projectId !== context.projectId) requireAdmin(context, ADMIN_RULES.quotaShowOther);
  return projectId;
}
