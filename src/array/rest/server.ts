// The Purity//FA REST 2.x server: HTTPS, api-token login, session tokens, Purity envelopes.
// Every failure leaves as Purity's error envelope: 400 for anything the client got wrong, 401 for
// authentication, 404 for unknown routes, 500 (generic text) for our own bugs.

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { REST_API_VERSION_MAX, REST_BODY_MAX_BYTES } from '../../constants.js';
import type { StorageArray } from '../array.js';
import {
  internal,
  invalidApiToken,
  invalidBody,
  notAuthenticated,
  PurityError,
  toPurityError,
  unknownRoute,
} from './rest-error.js';
import { arrayConnectionRoutes } from './routes/array-connections.js';
import { toRestError } from './routes/common.js';
import { hostRoutes } from './routes/hosts.js';
import { METRICS_PATH, metricsRoutes } from './routes/metrics.js';
import { podRoutes } from './routes/pods.js';
import { protectionGroupRoutes } from './routes/protection-groups.js';
import { type SystemInfo, systemRoutes } from './routes/system.js';
import { volumeRoutes } from './routes/volumes.js';
import { SessionStore } from './sessions.js';

export interface RestServerOptions {
  array: StorageArray;
  host: string;
  port: number;
  tls: { cert: string; key: string };
  apiToken: string;
  logger?: Logger;
  system: Omit<SystemInfo, 'restAddress'>;
}

export interface RestServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** 1.x versions are listed as a real array does; 2.x up to the highest the SDK snapshot supports. */
export function supportedVersions(): string[] {
  const max = Number(REST_API_VERSION_MAX.split('.')[1]);
  const versions = [
    '1.0',
    '1.1',
    '1.2',
    '1.3',
    '1.4',
    '1.5',
    '1.6',
    '1.7',
    '1.8',
    '1.9',
    '1.10',
    '1.11',
    '1.12',
    '1.13',
    '1.14',
    '1.15',
    '1.16',
    '1.17',
    '1.18',
    '1.19',
  ];
  for (let minor = 0; minor <= max; minor++) versions.push(`2.${minor}`);
  return versions;
}

const V2_PATH = /^\/api\/2\.(\d+)\//;

export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const app = Fastify({
    https: { cert: options.tls.cert, key: options.tls.key },
    bodyLimit: REST_BODY_MAX_BYTES,
    // Requests too malformed for HTTP parsing (header too large, bad request line) still get a
    // Purity 400 envelope; the connection is then closed, and says so.
    clientErrorHandler: (_error, socket) => {
      const body = JSON.stringify(invalidBody('request', 'is malformed or too large').toBody());
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      } else {
        socket.destroy();
      }
    },
    frameworkErrors: (error, _request, reply) => {
      const purity = classify(error);
      void reply.status(purity.status as never).send(purity.toBody() as never);
    },
    genReqId: (req) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && header.length > 0 && header.length <= 128 ? header : randomUUID();
    },
  });
  const sessions = new SessionStore(options.apiToken);
  installParsersAndErrors(app, options.logger);

  app.get('/api/api_version', async () => ({ version: supportedVersions() }));
  metricsRoutes(app, options.array, {
    apiToken: options.apiToken,
    capacityBytes: options.system.capacityBytes,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-ID', request.id);
    const url = request.url.split('?')[0] ?? '';
    if (url === '/api/api_version') return;
    // The scrape target checks the API token itself (routes/metrics.ts), decided on the matched route.
    if (request.routeOptions.url === METRICS_PATH) return;
    const match = V2_PATH.exec(url);
    if (!match || Number(match[1]) > Number(REST_API_VERSION_MAX.split('.')[1])) {
      throw unknownRoute(request.method, url);
    }
    // Decide on the matched route, never on the raw URL ('/volumes#/login' must not skip auth).
    if (request.routeOptions.url === '/api/:apiVersion/login') return;
    const token = request.headers['x-auth-token'];
    if (!sessions.touch(typeof token === 'string' ? token : undefined)) throw notAuthenticated();
  });

  // Every REST call counts as an "other" op of the array (and of each volume it names), with its
  // request bytes and service time, in the same counters as block I/O.
  app.addHook('onResponse', async (request, reply) => {
    if (!request.routeOptions.url?.startsWith('/api/:apiVersion/')) return;
    const latencyUsec = Math.round(reply.elapsedTime * 1000);
    const bytes = Number(request.headers['content-length'] ?? 0) || 0;
    options.array.perf.array.record('other', bytes, latencyUsec);
    const query = request.query as Record<string, unknown> | undefined;
    const names = request.routeOptions.url.startsWith('/api/:apiVersion/volumes')
      ? query?.names
      : query?.volume_names;
    if (typeof names !== 'string') return;
    for (const name of names.split(',')) {
      const volume = options.array.state.volumeByName(name.trim());
      if (volume) options.array.perf.of(volume.id).record('other', bytes, latencyUsec);
    }
  });

  await app.register(
    async (v2) => {
      v2.post('/login', async (request, reply) => {
        const presented = request.headers['api-token'];
        const session = sessions.login(typeof presented === 'string' ? presented : undefined);
        if (!session) throw invalidApiToken();
        reply.header('x-auth-token', session);
        return { items: [{ username: 'pureuser' }] };
      });
      v2.post('/logout', async (request) => {
        const token = request.headers['x-auth-token'];
        sessions.logout(typeof token === 'string' ? token : undefined);
        return {};
      });
      systemRoutes(v2, options.array, { ...options.system, restAddress: `${options.host}:${options.port}` });
      volumeRoutes(v2, options.array);
      hostRoutes(v2, options.array);
      protectionGroupRoutes(v2, options.array);
      podRoutes(v2, options.array);
      arrayConnectionRoutes(v2, options.array);
    },
    { prefix: '/api/:apiVersion' },
  );

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    address: { host: options.host, port },
    close: () => app.close(),
  };
}

function installParsersAndErrors(app: FastifyInstance, logger: Logger | undefined): void {
  // Bodies are JSON whatever the Content-Type says; an empty body is "no body" (the SDK sends
  // bodiless POSTs without a Content-Type, and some clients send one anyway).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidBody('body', 'is not valid JSON'), undefined);
    }
  });

  app.setNotFoundHandler(async (request, reply) => {
    const error = unknownRoute(request.method, request.url.split('?')[0] ?? '');
    return reply.code(error.status).send(error.toBody());
  });

  app.setErrorHandler(async (raw: FastifyError | Error, request, reply) => {
    const error = classify(raw);
    if (error.status === 500) {
      logger?.error(
        { err: raw, method: request.method, url: request.url.split('?')[0] },
        'REST handler failed',
      );
    }
    return reply.code(error.status).send(error.toBody());
  });
}

function classify(raw: unknown): PurityError {
  const converted = toRestError(raw);
  if (converted instanceof PurityError) return converted;
  const fastifyError = raw as Partial<FastifyError>;
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    // Framework-level client errors (body too large, malformed URL...): still a Purity 400.
    return invalidBody(
      'request',
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body is too large' : 'is malformed',
    );
  }
  return toPurityError(raw) ?? internal();
}
