// The mediator's HTTP server (plain HTTP; put it behind TLS or on a trusted network). Arrays that
// share a stretched pod and lose each other each POST a claim for the split; the first one wins it.
//
//   GET  /health          -> { status: 'ok', version: 1 }
//   POST /claims          { pod, epoch, array } -> { granted, holder, epoch }
//   GET  /claims?pod=ID   -> { grants: [{ epoch, holder }] }   (debugging)
//
// Errors leave as `{ error: reason, code }`: 400 bad input, 404 unknown route, 413 body too large,
// 503 busy or not saved (try again), 507 pod limit; 500 only for our own bugs.

import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MEDIATOR_BODY_MAX_BYTES, MEDIATOR_REQUEST_TIMEOUT_MS } from '../constants.js';
import { NodeDiskDir } from '../platform/disk.js';
import { ClaimService } from './claim-service.js';
import { lockDataDir } from './data-dir-lock.js';
import {
  bodyTooLarge,
  internal,
  invalidBody,
  invalidQuery,
  MediatorHttpError,
  unknownRoute,
} from './errors.js';
import { GRANTS_FILE_NAME, loadGrantTable, saveGrantTable } from './grant-store.js';
import { idProblem, parseClaim } from './validate.js';

/** Version of this HTTP API, reported by /health. */
export const MEDIATOR_API_VERSION = 1;

export interface MediatorOptions {
  host: string;
  /** 0: any free port (see `address`). */
  port: number;
  /** Holds the grants file; created if missing. One mediator per directory. */
  dataDir: string;
  logger?: Logger;
}

export interface RunningMediator {
  address: { host: string; port: number };
  /** Stops listening, answers the claims under way, and releases the data directory. */
  close(): Promise<void>;
}

/** Rejects with GrantsFileError for a damaged grants file, DataDirInUseError for a busy directory. */
export async function startMediator(options: MediatorOptions): Promise<RunningMediator> {
  const dir = await NodeDiskDir.create(options.dataDir);
  const release = await lockDataDir(options.dataDir);
  let app: FastifyInstance | undefined;
  try {
    const table = await loadGrantTable(dir, `${options.dataDir}/${GRANTS_FILE_NAME}`);
    const claims = new ClaimService(table, (t) => saveGrantTable(dir, t), options.logger);
    app = buildApp(claims, options.logger);
    await app.listen({ host: options.host, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    options.logger?.info({ host: options.host, port, pods: table.podCount }, 'mediator: listening');
    const listening = app;
    let closing: Promise<void> | undefined;
    return {
      address: { host: options.host, port },
      close: () => {
        closing ??= listening
          .close()
          .then(() => claims.idle())
          .finally(release);
        return closing;
      },
    };
  } catch (error) {
    await app?.close();
    await release();
    throw error;
  }
}

function buildApp(claims: ClaimService, logger: Logger | undefined): FastifyInstance {
  const app = Fastify({
    bodyLimit: MEDIATOR_BODY_MAX_BYTES,
    requestTimeout: MEDIATOR_REQUEST_TIMEOUT_MS,
    // Requests too malformed for HTTP parsing still get a reason; the connection is then closed.
    clientErrorHandler: (_error, socket) => {
      const body = JSON.stringify(invalidBody('request is not valid HTTP or is too large').toBody());
      if (!socket.writable) return socket.destroy();
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });

  // Bodies are JSON whatever the Content-Type says (curl -d sends form-urlencoded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidBody('body is not valid JSON'), undefined);
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
        'mediator: handler failed',
      );
    }
    return reply.code(error.status).send(error.toBody());
  });

  app.get('/health', async () => ({ status: 'ok', version: MEDIATOR_API_VERSION }));

  app.post('/claims', async (request) => {
    const parsed = parseClaim(request.body);
    if (!parsed.ok) throw invalidBody(parsed.reason);
    const { pod, epoch, array } = parsed.claim;
    const result = await claims.claim(pod, epoch, array);
    return { granted: result.granted, holder: result.holder, epoch };
  });

  app.get('/claims', async (request) => {
    const pod = (request.query as Record<string, unknown> | undefined)?.pod;
    const problem = idProblem(pod, 'query parameter pod');
    if (problem) throw invalidQuery(problem);
    return { grants: claims.grantsOf(pod as string) };
  });

  return app;
}

function classify(raw: unknown): MediatorHttpError {
  if (raw instanceof MediatorHttpError) return raw;
  const fastifyError = raw as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return bodyTooLarge(MEDIATOR_BODY_MAX_BYTES);
  const status = fastifyError.statusCode;
  // Framework-level client errors (bad URL encoding, bad content length...): a 400 with a reason.
  if (typeof status === 'number' && status >= 400 && status < 500) return invalidBody('request is malformed');
  return internal();
}
