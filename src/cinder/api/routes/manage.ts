// POST /os-volume-manage (`cinder manage HOST IDENTIFIER`): an existing array volume becomes a
// Cinder volume; its removal from Cinder is the os-unmanage volume action.

import type { FastifyInstance } from 'fastify';
import { cinderErrors } from '../../errors.js';
import { envelope, isObject, metadataOf, optionalBoolean, optionalString, requiredString } from '../body.js';
import { ADMIN_RULES, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';
import { volumeDetail } from '../views/volumes.js';

export function manageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/os-volume-manage', async (request, reply) => {
    const context = contextOf(request);
    requireAdmin(context, ADMIN_RULES.volumeManage);
    const body = envelope(request, 'volume');
    if (!isObject(body.ref) || Object.keys(body.ref).length === 0)
      throw cinderErrors.invalidInput(
        'ref must be an object naming the volume, e.g. {"source-name": "vol1"}.',
      );
    const managed = await deps.volumeApi.manageVolume(context, {
      host: requiredString(body, 'host'),
      ref: body.ref,
      name: optionalString(body, 'name'),
      description: optionalString(body, 'description'),
      volumeType: optionalString(body, 'volume_type'),
      availabilityZone: optionalString(body, 'availability_zone'),
      bootable: optionalBoolean(body, 'bootable') ?? false,
      metadata: body.metadata === undefined || body.metadata === null ? {} : metadataOf(body.metadata),
    });
    return reply.code(202).send({ volume: volumeDetail(deps, context, managed, [], true) });
  });
}
