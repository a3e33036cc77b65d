// /group_types (3.11+): the records behind `cinder group-type-*` and `group-specs-list`.
// Changes are admin-only, as Cinder's group:group_types:* policies.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import {
  bodyObject,
  changedString,
  envelope,
  isObject,
  optionalBoolean,
  optionalString,
  paramOf,
  requiredString,
} from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf, requireMicroversion } from '../route-context.js';
import { groupTypeView } from '../views/catalog.js';
import { publicFilter } from './types.js';

/** Group types appeared in 3.11. */
const GROUP_TYPES_SINCE: [number, number] = [3, 11];

/** The caller, once the microversion has group types (and, for changes, the caller is an admin). */
function context(request: FastifyRequest, adminOnly = false): RequestContext {
  const ctx = contextOf(request);
  requireMicroversion(ctx, ...GROUP_TYPES_SINCE);
  if (adminOnly) requireAdmin(ctx, ADMIN_RULES.groupTypeManage);
  return ctx;
}

export function groupTypeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const groupTypes = deps.catalog.groupTypes;

  app.get('/group_types', async (request) => {
    const ctx = context(request);
    return { group_types: groupTypes.list(ctx, publicFilter(request)).map((t) => groupTypeView(ctx, t)) };
  });

  app.get('/group_types/:id', async (request) => {
    const ctx = context(request);
    return { group_type: groupTypeView(ctx, groupTypes.get(ctx, paramOf(request, 'id'))) };
  });

  app.post('/group_types', async (request) => {
    const ctx = context(request, true);
    const body = envelope(request, 'group_type');
    const specs = body.group_specs ?? {};
    if (!isObject(specs)) throw cinderErrors.invalidInput('group_specs must be an object.');
    const created = await groupTypes.create({
      name: requiredString(body, 'name'),
      description: optionalString(body, 'description'),
      isPublic: optionalBoolean(body, 'is_public') ?? true,
      groupSpecs: specs,
    });
    return { group_type: groupTypeView(ctx, created) };
  });

  app.put('/group_types/:id', async (request) => {
    const ctx = context(request, true);
    const body = envelope(request, 'group_type');
    const changes: { name?: string; description?: string | null; isPublic?: boolean } = {};
    const name = changedString(body, 'name');
    const description = changedString(body, 'description');
    const isPublic = optionalBoolean(body, 'is_public');
    if (name !== undefined && name !== null) changes.name = name;
    if (description !== undefined) changes.description = description;
    if (isPublic !== null) changes.isPublic = isPublic;
    if (Object.keys(changes).length === 0)
      throw cinderErrors.invalidInput('Specify group type name, description or a combination thereof.');
    return { group_type: groupTypeView(ctx, await groupTypes.update(paramOf(request, 'id'), changes)) };
  });

  app.delete('/group_types/:id', async (request, reply) => {
    context(request, true);
    await groupTypes.delete(paramOf(request, 'id'));
    return reply.code(202).send();
  });

  groupSpecRoutes(app, deps);
}

function groupSpecRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const groupTypes = deps.catalog.groupTypes;

  app.get('/group_types/:id/group_specs', async (request) => {
    const ctx = context(request);
    const type = groupTypes.get(ctx, paramOf(request, 'id'));
    return { group_specs: ctx.isAdmin ? { ...type.groupSpecs } : {} };
  });

  app.post('/group_types/:id/group_specs', async (request) => {
    context(request, true);
    const specs = bodyObject(request).group_specs;
    if (!isObject(specs))
      throw cinderErrors.invalidInput("Missing required element 'group_specs' in request body.");
    return { group_specs: await groupTypes.setSpecs(paramOf(request, 'id'), specs) };
  });

  app.get('/group_types/:id/group_specs/:key', async (request) => {
    const ctx = context(request, true);
    const type = groupTypes.get(ctx, paramOf(request, 'id'));
    const key = paramOf(request, 'key');
    if (!(key in type.groupSpecs))
      throw new CinderError(404, `Group Type ${type.id} has no specs with key ${key}.`);
    return { [key]: type.groupSpecs[key] };
  });

  app.put('/group_types/:id/group_specs/:key', async (request) => {
    context(request, true);
    const body = bodyObject(request);
    const key = paramOf(request, 'key');
    if (Object.keys(body).length !== 1 || !(key in body))
      throw cinderErrors.invalidInput('Request body and URI mismatch.');
    return await groupTypes.setSpecs(paramOf(request, 'id'), body);
  });

  app.delete('/group_types/:id/group_specs/:key', async (request, reply) => {
    context(request, true);
    await groupTypes.deleteSpec(paramOf(request, 'id'), paramOf(request, 'key'));
    return reply.code(202).send();
  });
}
