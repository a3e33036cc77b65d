// /qos-specs: QoS entries and their associations with volume types, all admin-only as in Cinder
// (cinder/api/contrib/qos_specs_manage.py). Associations are GETs with ?vol_type_id, as Cinder has.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { bodyObject, envelope, paramOf, queryFlag, queryOf, requiredString } from '../body.js';
import { ADMIN_RULES, type AdminRule, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { qosAssociations, qosEnvelope, qosView } from '../views/catalog.js';

export function qosSpecsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const qos = deps.catalog.qos;
  const admin = (request: FastifyRequest, rule: AdminRule) => {
    const context = contextOf(request);
    requireAdmin(context, rule);
    return context;
  };

  app.get('/qos-specs', async (request) => {
    admin(request, ADMIN_RULES.qosGetAll);
    return { qos_specs: qos.list().map(qosView) };
  });

  app.post('/qos-specs', async (request) => {
    const context = admin(request, ADMIN_RULES.qosCreate);
    const body = envelope(request, 'qos_specs');
    const { name: _name, ...specs } = body;
    const created = await qos.create(requiredString(body, 'name'), specs);
    return qosEnvelope(deps, context, created);
  });

  app.get('/qos-specs/:id', async (request) => {
    const context = admin(request, ADMIN_RULES.qosGet);
    return qosEnvelope(deps, context, qos.get(paramOf(request, 'id')));
  });

  app.put('/qos-specs/:id', async (request) => {
    admin(request, ADMIN_RULES.qosUpdate);
    const specs = envelope(request, 'qos_specs');
    return { qos_specs: await qos.setKeys(paramOf(request, 'id'), specs) };
  });

  app.delete('/qos-specs/:id', async (request, reply) => {
    admin(request, ADMIN_RULES.qosDelete);
    await qos.delete(paramOf(request, 'id'), queryFlag(request, 'force'));
    return reply.code(202).send();
  });

  app.put('/qos-specs/:id/delete_keys', async (request, reply) => {
    admin(request, ADMIN_RULES.qosUpdate);
    const keys = bodyObject(request).keys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
      throw cinderErrors.invalidInput('keys must be a list of strings.');
    await qos.deleteKeys(paramOf(request, 'id'), keys);
    return reply.code(202).send();
  });

  app.get('/qos-specs/:id/associations', async (request) => {
    admin(request, ADMIN_RULES.qosGetAll);
    return qosAssociations(qos.associations(paramOf(request, 'id')));
  });

  app.get('/qos-specs/:id/associate', async (request, reply) => {
    admin(request, ADMIN_RULES.qosUpdate);
    await qos.associate(paramOf(request, 'id'), typeIdOf(request));
    return reply.code(202).send();
  });

  app.get('/qos-specs/:id/disassociate', async (request, reply) => {
    admin(request, ADMIN_RULES.qosUpdate);
    await qos.disassociate(paramOf(request, 'id'), typeIdOf(request));
    return reply.code(202).send();
  });

  app.get('/qos-specs/:id/disassociate_all', async (request, reply) => {
    admin(request, ADMIN_RULES.qosUpdate);
    await qos.disassociateAll(paramOf(request, 'id'));
    return reply.code(202).send();
  });
}

function typeIdOf(request: FastifyRequest): string {
  const typeId = queryOf(request, 'vol_type_id');
  if (!typeId) throw new CinderError(400, 'Volume Type id must not be None.');
  return typeId;
}
