// HTTPS to one array over node:https with a keep-alive agent. Certificate checking is off unless
// asked for (`verifyTls`), as pypureclient and the Cinder driver default to
// (`driver_ssl_cert_verify=False`): lab arrays serve self-signed certificates. node's `fetch`
// cannot turn checking off per request without the separate undici package, hence node:https.
//
// Headers (which carry the tokens) never reach an error: errors are built from the address, our
// own reason and the system error code only.

import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { PurityClientError } from './errors.js';
import { PURITY_IDLE_SOCKET_MS, PURITY_RESPONSE_MAX_BYTES, PURITY_SOCKETS_MAX } from './limits.js';

export interface HttpRequest {
  method: string;
  /** Path with its query string, e.g. `/api/2.38/volumes?names=v1`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
}

export interface TransportOptions {
  verifyTls: boolean;
  /** PEM trust anchors used when `verifyTls` is on (e.g. the array's self-signed certificate). */
  ca?: string;
  timeoutMs: number;
}

export interface Endpoint {
  host: string;
  port: number;
  /** `host:port` as shown in messages. */
  address: string;
}

const TARGET_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;

/**
 * Parses `host`, `host:port` or `[v6]:port` (port 443 when left out), as Cinder's `san_ip`; a
 * reason string when it is not one (a scheme or a path is the common slip).
 */
export function parseTarget(target: string): Endpoint | string {
  const match = TARGET_RE.exec(target);
  if (!match) return `target '${target.slice(0, 100)}' is not host or host:port (no scheme, no path)`;
  const host = match[1] ?? match[2]!;
  const port = match[3] === undefined ? 443 : Number(match[3]);
  if (port < 1 || port > 65_535) return `target port ${port} is out of range`;
  return { host, port, address: match[1] ? `[${host}]:${port}` : `${host}:${port}` };
}

/** TLS failures are told apart from network ones: the fix (a CA path) is different. */
const TLS_ERROR_RE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME/;

export class HttpsTransport {
  private readonly agent: Agent;

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: TransportOptions,
  ) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: PURITY_SOCKETS_MAX,
      timeout: PURITY_IDLE_SOCKET_MS,
      rejectUnauthorized: options.verifyTls,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
  }

  /**
   * One request. A request that fails with ECONNRESET on a reused keep-alive socket is sent once
   * more on a fresh one: the server closed the idle socket as we wrote, so it almost surely never
   * saw the request (node's documented remedy for this race). Should it have seen a POST after
   * all, the repeat gets "already exists", which callers of a create already handle.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.sendOnce(req, false);
    } catch (error) {
      if (error instanceof StaleSocketError) return this.sendOnce(req, true);
      throw error;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private sendOnce(req: HttpRequest, freshSocket: boolean): Promise<HttpResponse> {
    const { host, port, address } = this.endpoint;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const headers = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const outgoing = request(
        {
          host,
          port,
          method: req.method,
          path: req.path,
          headers,
          agent: freshSocket ? false : this.agent,
          ...this.agentTls(),
        },
        (res) =>
          collectBody(res, address, (result) =>
            finish(() => (result instanceof Error ? reject(this.classify(result, false)) : resolve(result))),
          ),
      );
      // A total deadline, not an idle one: a server trickling bytes must not hold a call for ever.
      const timer = setTimeout(() => {
        const reason = `${req.method} ${pathOnly(req.path)} got no complete answer within ${this.options.timeoutMs} ms`;
        finish(() => reject(new PurityClientError('PURITY_TIMEOUT', address, reason)));
        outgoing.destroy();
      }, this.options.timeoutMs);
      outgoing.on('error', (error) =>
        finish(() => reject(this.classify(error, outgoing.reusedSocket && !freshSocket))),
      );
      if (req.body !== undefined) outgoing.write(req.body);
      outgoing.end();
    });
  }

  private agentTls() {
    return {
      rejectUnauthorized: this.options.verifyTls,
      ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
    };
  }

  /** Our own errors pass through; system errors become typed ones carrying only their code. */
  private classify(error: Error, reusedSocket: boolean): Error {
    if (error instanceof PurityClientError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? null;
    if (reusedSocket && code === 'ECONNRESET') return new StaleSocketError();
    const { address } = this.endpoint;
    if (code !== null && TLS_ERROR_RE.test(code)) {
      return new PurityClientError(
        'PURITY_TLS_FAILED',
        address,
        `TLS verification failed (${code}); give the array's CA (caPath) or turn verifyTls off`,
        null,
        code,
      );
    }
    return new PurityClientError(
      'PURITY_CONNECTION_FAILED',
      address,
      `connection failed (${code ?? error.message.slice(0, 100)})`,
      null,
      code,
    );
  }
}

/** Reads a whole body, bounded by PURITY_RESPONSE_MAX_BYTES; `done` gets the response or an error. */
function collectBody(
  res: IncomingMessage,
  address: string,
  done: (result: HttpResponse | Error) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > PURITY_RESPONSE_MAX_BYTES) {
      const reason = `response body exceeds ${PURITY_RESPONSE_MAX_BYTES} bytes`;
      done(new PurityClientError('PURITY_INVALID_RESPONSE', address, reason, res.statusCode ?? null));
      res.destroy();
      return;
    }
    chunks.push(chunk);
  });
  res.on('error', (error) => done(error));
  res.on('end', () =>
    done({
      status: res.statusCode ?? 0,
      headers: res.headers,
      bodyText: Buffer.concat(chunks).toString('utf8'),
    }),
  );
}

/** Internal signal: the keep-alive socket was closed under us; never leaves this module. */
class StaleSocketError extends Error {}

/** The path without its query string, for messages (names in queries can be long). */
export function pathOnly(path: string): string {
  const at = path.indexOf('?');
  return at < 0 ? path : path.slice(0, at);
}
