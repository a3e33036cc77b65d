// /types: volume types, their extra specs and private access (openstack-api.md §2.5). Changes are
// admin-only; reads show members the public types plus the private ones their project was given.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PublicFilter } from '../../catalog/volume-types.js';
import { CinderError, cinderErrors } from '../../errors.js';
import {
  bodyObject,
  changedString,
  envelope,
  isObject,
  type Json,
  optionalBoolean,
  optionalString,
  paramOf,
  queryOf,
  requiredString,
} from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { typeView, visibleSpecs } from '../views/catalog.js';

export function typeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const types = deps.catalog.types;

  app.get('/types', async (request) => {
    const context = contextOf(request);
    const list = types.list(context, publicFilter(request), queryOf(request, 'name'));
    return { volume_types: list.map((t) => typeView(context, t)) };
  });

  app.get('/types/:id', async (request) => {
    const context = contextOf(request);
    return { volume_type: typeView(context, types.get(context, paramOf(request, 'id'))) };
  });

  app.post('/types', async (request) => {
    const context = contextOf(request);
    requireAdmin(context, ADMIN_RULES.typeCreate);
    const body = envelope(request, 'volume_type');
    const extraSpecs = body.extra_specs ?? {};
    if (!isObject(extraSpecs)) throw cinderErrors.invalidInput('extra_specs must be an object.');
    const created = await types.create({
      name: requiredString(body, 'name'),
      description: optionalString(body, 'description'),
      isPublic:
        optionalBoolean(body, 'os-volume-type-access:is_public') ??
        optionalBoolean(body, 'is_public') ??
        true,
      extraSpecs,
    });
    return { volume_type: typeView(context, created) };
  });

  app.put('/types/:id', async (request) => {
    const context = contextOf(request);
    requireAdmin(context, ADMIN_RULES.typeUpdate);
    const body = envelope(request, 'volume_type');
    const changes: { name?: string; description?: string | null; isPublic?: boolean } = {};
    const name = changedString(body, 'name');
    const description = changedString(body, 'description');
    const isPublic = optionalBoolean(body, 'is_public');
    if (name !== undefined && name !== null) changes.name = name;
    if (description !== undefined) changes.description = description;
    if (isPublic !== null) changes.isPublic = isPublic;
    if (Object.keys(changes).length === 0)
      throw cinderErrors.invalidInput(
        'Specify volume type name, description, is_public or a combination thereof.',
      );
    return { volume_type: typeView(context, await types.update(paramOf(request, 'id'), changes)) };
  });

  app.delete('/types/:id', async (request, reply) => {
    requireAdmin(contextOf(request), ADMIN_RULES.typeDelete);
    await types.delete(paramOf(request, 'id'));
    return reply.code(202).send();
  });

  extraSpecRoutes(app, deps);
  typeAccessRoutes(app, deps);
}

function extraSpecRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const types = deps.catalog.types;
  const typeOf = (request: FastifyRequest) => types.get(contextOf(request), paramOf(request, 'id'));

  app.get('/types/:id/extra_specs', async (request) => ({
    extra_specs: visibleSpecs(contextOf(request), typeOf(request).extraSpecs),
  }));

  app.post('/types/:id/extra_specs', async (request) => {
    requireAdmin(contextOf(request), ADMIN_RULES.extraSpecsCreate);
    const specs = bodyObject(request).extra_specs;
    if (!isObject(specs))
      throw cinderErrors.invalidInput("Missing required element 'extra_specs' in request body.");
    // OSC shows the properties from this reply: it must echo what was set.
    return { extra_specs: await types.setExtraSpecs(paramOf(request, 'id'), specs) };
  });

  app.get('/types/:id/extra_specs/:key', async (request) => {
    const type = typeOf(request);
    const key = paramOf(request, 'key');
    const specs = visibleSpecs(contextOf(request), type.extraSpecs);
    if (!(key in specs)) throw cinderErrors.extraSpecNotFound(type.id, key);
    return { [key]: specs[key] };
  });

  app.put('/types/:id/extra_specs/:key', async (request) => {
    requireAdmin(contextOf(request), ADMIN_RULES.extraSpecsUpdate);
    const body = bodyObject(request);
    const key = paramOf(request, 'key');
    const keys = Object.keys(body);
    if (keys.length > 1) throw cinderErrors.invalidInput('Request body contains too many items.');
    if (keys[0] !== key) throw cinderErrors.invalidInput('Request body and URI mismatch.');
    return await types.setExtraSpecs(paramOf(request, 'id'), body);
  });

  app.delete('/types/:id/extra_specs/:key', async (request, reply) => {
    requireAdmin(contextOf(request), ADMIN_RULES.extraSpecsDelete);
    await types.deleteExtraSpec(paramOf(request, 'id'), paramOf(request, 'key'));
    return reply.code(202).send();
  });
}

function typeAccessRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const types = deps.catalog.types;

  app.get('/types/:id/os-volume-type-access', async (request) => {
    requireAdmin(contextOf(request), ADMIN_RULES.typeAccessList);
    const type = types.get(null, paramOf(request, 'id'));
    const projects = types.accessList(type.id);
    return { volume_type_access: projects.map((p) => ({ volume_type_id: type.id, project_id: p })) };
  });

  app.post('/types/:id/action', async (request, reply) => {
    const context = contextOf(request);
    const body = bodyObject(request);
    const id = paramOf(request, 'id');
    if (isObject(body.addProjectAccess)) {
      requireAdmin(context, ADMIN_RULES.typeAccessAdd);
      await types.addAccess(id, projectOf(body.addProjectAccess));
    } else if (isObject(body.removeProjectAccess)) {
      requireAdmin(context, ADMIN_RULES.typeAccessRemove);
      await types.removeAccess(id, projectOf(body.removeProjectAccess));
    } else {
      throw new CinderError(400, `There is no such action: ${Object.keys(body)[0] ?? '(none)'}`);
    }
    return reply.code(202).send();
  });
}

function projectOf(body: Json): string {
  return requiredString(body, 'project');
}

/**
 * Cinder's _parse_is_public: absent means public only, the string "None" (what OSC sends) means
 * public and private, anything else must be a boolean word.
 */
export function publicFilter(request: FastifyRequest): PublicFilter {
  const raw = queryOf(request, 'is_public');
  if (raw === undefined) return true;
  if (raw.toLowerCase() === 'none') return null;
  const lowered = raw.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lowered)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lowered)) return false;
  throw new CinderError(400, `Invalid is_public filter [${raw}]`);
}
