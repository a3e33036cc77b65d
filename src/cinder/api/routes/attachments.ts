// /attachments: the attach API of 3.27+ (openstack-api.md §2.9). Below 3.27 the whole collection
// does not exist (404 itemNotFound); complete needs 3.44 and the attach mode 3.54.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { atLeast } from '../../request-context.js';
import {
  bodyObject,
  envelope,
  isObject,
  type Json,
  optionalString,
  paramOf,
  queryFlag,
  queryOf,
  requiredString,
} from '../body.js';
import { type ApiDeps, contextOf, requireMicroversion } from '../route-context.js';
import { attachmentDetail, attachmentSummary } from '../views/services.js';

export function attachmentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { volumeApi } = deps;
  const context = (request: FastifyRequest) => {
    const ctx = contextOf(request);
    requireMicroversion(ctx, 3, 27);
    return ctx;
  };

  app.post('/attachments', async (request) => {
    const ctx = context(request);
    const body = envelope(request, 'attachment');
    const mode = atLeast(ctx, 3, 54) ? optionalString(body, 'mode') : null;
    if (mode !== null && mode !== 'rw' && mode !== 'ro')
      throw cinderErrors.invalidInput("mode must be 'rw' or 'ro'.");
    const attachment = await volumeApi.createAttachment(ctx, {
      volumeId: requiredString(body, 'volume_uuid'),
      instanceUuid: optionalString(body, 'instance_uuid'),
      connector: connectorOf(body),
      mode,
    });
    return { attachment: attachmentDetail(attachment) };
  });

  for (const [url, detail] of [
    ['/attachments', false],
    ['/attachments/detail', true],
  ] as const) {
    app.get(url, async (request) => {
      const ctx = context(request);
      const filters: { allTenants: boolean; volumeId?: string } = {
        allTenants: ctx.isAdmin && queryFlag(request, 'all_tenants'),
      };
      const volumeId = queryOf(request, 'volume_id');
      if (volumeId !== undefined) filters.volumeId = volumeId;
      const attachments = volumeApi.listAttachments(ctx, filters);
      return { attachments: attachments.map(detail ? attachmentDetail : attachmentSummary) };
    });
  }

  app.get('/attachments/:id', async (request) => {
    const ctx = context(request);
    return { attachment: attachmentDetail(volumeApi.getAttachment(ctx, paramOf(request, 'id'))) };
  });

  app.put('/attachments/:id', async (request) => {
    const ctx = context(request);
    const connector = connectorOf(envelope(request, 'attachment'));
    if (connector === null || Object.keys(connector).length === 0)
      throw cinderErrors.invalidInput('An attachment update needs a connector.');
    const updated = await volumeApi.updateAttachment(ctx, paramOf(request, 'id'), connector);
    return { attachment: attachmentDetail(updated) };
  });

  app.delete('/attachments/:id', async (request) => {
    const ctx = context(request);
    const remaining = await volumeApi.deleteAttachment(ctx, paramOf(request, 'id'));
    return { attachments: remaining.map(attachmentSummary) };
  });

  app.post('/attachments/:id/action', async (request, reply) => {
    const ctx = context(request);
    const body = bodyObject(request);
    if (!('os-complete' in body) || !atLeast(ctx, 3, 44))
      throw new CinderError(400, `There is no such action: ${Object.keys(body)[0] ?? '(none)'}`);
    await volumeApi.completeAttachment(ctx, paramOf(request, 'id'));
    return reply.code(204).send();
  });
}

/** null or {} mean "reserve only" (cinder attachment-create without --connect sends {}). */
function connectorOf(body: Json): Record<string, unknown> | null {
  const connector = body.connector;
  if (connector === undefined || connector === null) return null;
  if (!isObject(connector)) throw cinderErrors.invalidInput('connector must be an object.');
  return connector;
}
