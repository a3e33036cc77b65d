// The web console on the lab's control port: GET /console (the page), GET /console/api/state (the
// lab, aggregated server side) and POST /console/api/failover (failover_host with the admin
// password typed for that one request). Requests must name a loopback host, so a DNS-rebinding
// page cannot read the lab through a visitor's browser; the POST must also come from the page's
// own origin and carry JSON, which a cross-site form cannot send without a CORS preflight.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LabDescriptor } from '../lab/descriptor.js';
import { parseFailoverBody, requestFailover } from './failover.js';
import { OpenStackError } from './openstack.js';
import { consolePage } from './page.js';
import { ConsoleStateSource } from './state.js';
import type { ConsoleErrorBody } from './state-types.js';

export interface ConsoleOptions {
  /** The lab as it is now (the supervisor's live descriptor, or lab.json read back). */
  descriptor(): LabDescriptor;
  /** Milliseconds since the epoch; lags are computed against it. */
  now?: () => number;
}

export const CONSOLE_ROUTE = '/console';
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: ConsoleErrorBody = { error: { code, message } };
  return reply.code(status).header('cache-control', 'no-store').send(body);
}

function hostName(host: string | undefined): string | null {
  if (!host) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

async function loopbackOnly(request: FastifyRequest, reply: FastifyReply) {
  const name = hostName(request.headers.host);
  if (name === null || !LOOPBACK_NAMES.has(name))
    return fail(reply, 403, 'host_not_allowed', 'the console answers only on a loopback address');
}

async function sameOriginOnly(request: FastifyRequest, reply: FastifyReply) {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`)
    return fail(reply, 403, 'cross_origin', 'only the console page itself may request a failover');
  if (!request.headers['content-type']?.startsWith('application/json'))
    return fail(reply, 415, 'json_required', 'send the request as application/json');
}

export function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): void {
  const nowMs = options.now ?? Date.now;
  const source = new ConsoleStateSource(options.descriptor, nowMs);
  const page = consolePage();
  app.addHook('onClose', async () => source.close());

  app.get(CONSOLE_ROUTE, { onRequest: loopbackOnly }, async (_request, reply) => {
    for (const [name, value] of Object.entries(page.headers)) reply.header(name, value);
    return reply.type('text/html; charset=utf-8').send(page.html);
  });

  app.get(`${CONSOLE_ROUTE}/api/state`, { onRequest: loopbackOnly }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(await source.state()),
  );

  app.post(
    `${CONSOLE_ROUTE}/api/failover`,
    { onRequest: [loopbackOnly, sameOriginOnly] },
    async (request, reply) => {
      const lab = options.descriptor();
      const targets = await source.failoverTargets(lab).catch(() => []);
      const parsed = parseFailoverBody(request.body, targets);
      if (typeof parsed === 'string') return fail(reply, 400, 'bad_request', parsed);
      try {
        const accepted = await requestFailover(lab, parsed, nowMs);
        return reply.code(202).header('cache-control', 'no-store').send(accepted);
      } catch (error) {
        if (error instanceof OpenStackError) return fail(reply, error.status, error.code, error.message);
        throw error;
      }
    },
  );
}
