// The lab control API: plain HTTP on 127.0.0.1 for drills and the console. GET /lab is the
// descriptor; the POSTs kill, stop and start daemons, cut and restore replication links, and stop
// the lab. It has no authentication (it is a loopback lab tool), but it refuses cross-origin
// browser requests, so a web page cannot fire a drill through a visitor's browser.

import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { consoleRoutes } from '../console/index.js';
import type { LabDescriptor } from './descriptor.js';

export type ArrayAction = 'kill' | 'start' | 'stop';
export type LinkAction = 'cut' | 'restore';
export type MediatorAction = 'start' | 'stop';

/** What the supervisor does for the API; each returns the changed part of the descriptor. */
export interface LabControl {
  descriptor(): LabDescriptor;
  arrayAction(name: string, action: ArrayAction): Promise<unknown>;
  linkAction(from: string, to: string, action: LinkAction, options: { reset: boolean }): Promise<unknown>;
  mediatorAction(action: MediatorAction): Promise<unknown>;
  /** Starts stopping the whole lab; the answer goes out before it is done. */
  down(): void;
}

/** A refusal with its HTTP status and a stable code, e.g. 409 `busy`, 404 `no_such_array`. */
export class LabControlError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LabControlError';
  }
}

export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

type Params = Record<string, string>;
const paramsOf = (request: FastifyRequest) => request.params as Params;

function sameOrigin(request: FastifyRequest, own: string): boolean {
  const origin = request.headers.origin;
  return origin === undefined || origin === own;
}

function routes(app: FastifyInstance, control: LabControl, own: string): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && !sameOrigin(request, own))
      return reply
        .code(403)
        .send({ error: { code: 'cross_origin', message: `only ${own} may change the lab` } });
  });
  app.get('/lab', async () => control.descriptor());
  app.post('/lab/arrays/:name/:action', async (request) => {
    const { name, action } = paramsOf(request);
    if (action !== 'kill' && action !== 'start' && action !== 'stop')
      throw new LabControlError(404, 'no_such_action', `arrays take kill, start or stop, not '${action}'`);
    return control.arrayAction(name!, action);
  });
  app.post('/lab/links/:from/:to/:action', async (request) => {
    const { from, to, action } = paramsOf(request);
    if (action !== 'cut' && action !== 'restore')
      throw new LabControlError(404, 'no_such_action', `links take cut or restore, not '${action}'`);
    const reset = (request.query as Params).reset === 'true';
    return control.linkAction(from!, to!, action, { reset });
  });
  app.post('/lab/mediator/:action', async (request) => {
    const { action } = paramsOf(request);
    if (action !== 'start' && action !== 'stop')
      throw new LabControlError(404, 'no_such_action', `the mediator takes start or stop, not '${action}'`);
    return control.mediatorAction(action);
  });
  app.post('/lab/down', async (_request, reply) => {
    control.down();
    return reply.code(202).send({ stopping: true });
  });
  // The web console (src/console) at CONSOLE_PATH: arrays, pods, groups, volumes, failover.
  consoleRoutes(app, { descriptor: () => control.descriptor() });
}

export async function startControlApi(options: {
  host: string;
  port: number;
  control: LabControl;
  logger: Logger;
}): Promise<ControlApi> {
  const url = `http://${options.host}:${options.port}`;
  // The supervisor logs every action itself; request logs would only repeat them.
  const app = Fastify({ logger: false });
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof LabControlError)
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const message = error instanceof Error ? error.message : String(error);
    if (status === 500) options.logger.error({ err: error, path: request.url }, 'control API request failed');
    return reply.code(status).send({ error: { code: status === 500 ? 'failed' : 'bad_request', message } });
  });
  routes(app, options.control, url);
  await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
