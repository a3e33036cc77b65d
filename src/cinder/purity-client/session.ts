// A logged-in REST session, as pypureclient's Client keeps one (spec purity-rest2.md §1):
// GET /api/api_version, choose a version, POST /login with `api-token`, then `x-auth-token` on
// every call. A 401 logs out the stale session, logs in again and repeats the call once (the
// SDK's `_call_api`); 429 and 501-599 are retried with backoff; 400/401/403/404/500 become
// ErrorResponses. The tokens live in private fields and are redacted from every message.

import { randomUUID } from 'node:crypto';
import { PurityClientError, redact } from './errors.js';
import { PURITY_RETRY_BASE_DELAY_MS, PURITY_RETRY_MAX_DELAY_MS } from './limits.js';
import { encodeQuery, type QueryParams } from './query.js';
import { errorResponse, type PurityResponse, parseJsonBody, validResponse } from './response.js';
import { type HttpResponse, type HttpsTransport, pathOnly } from './transport.js';
import { chooseVersion } from './versions.js';

/** pino's `debug`/`warn` fit this; fields never hold a token. */
export interface PurityLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SessionSettings {
  apiToken: string;
  userAgent: string;
  /** Pin a version instead of negotiating (pypureclient's `version=`). */
  version?: string;
  retries: number;
  logger?: PurityLogger;
}

export interface RequestOptions {
  query?: QueryParams;
  /** Sent as JSON; left out, the request has no body and no Content-Type (as the SDK sends). */
  body?: unknown;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Statuses the SDK hands back as ErrorResponse; any other non-2xx is not a Purity answer. */
const ERROR_STATUSES = new Set([400, 401, 403, 404, 500]);
const retryable = (status: number) => status === 429 || (status > 500 && status < 600);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PuritySession {
  readonly #apiToken: string;
  #sessionToken: string | null = null;
  /** One login at a time: concurrent calls that all met a 401 share it. */
  #relogin: Promise<void> | null = null;
  #closed = false;

  /** Everything but the token, which only a private field holds (so inspecting shows no secret). */
  private readonly settings: Omit<SessionSettings, 'apiToken'>;

  private constructor(
    private readonly transport: HttpsTransport,
    settings: SessionSettings,
    /** The negotiated REST version, e.g. `2.38`. */
    readonly version: string,
  ) {
    const { apiToken, ...rest } = settings;
    this.#apiToken = apiToken;
    this.settings = rest;
  }

  get address(): string {
    return this.transport.endpoint.address;
  }

  /** Version discovery then login, the order pypureclient's constructor uses. */
  static async open(transport: HttpsTransport, settings: SessionSettings): Promise<PuritySession> {
    const address = transport.endpoint.address;
    try {
      const res = await transport.send({
        method: 'GET',
        path: '/api/api_version',
        headers: baseHeaders(settings),
      });
      if (res.status !== 200) {
        throw new PurityClientError(
          'PURITY_UNEXPECTED_STATUS',
          address,
          `GET /api/api_version answered ${res.status}`,
          res.status,
        );
      }
      const offered = parseJsonBody(res.bodyText, address, res.status).version;
      if (!Array.isArray(offered) || offered.some((v) => typeof v !== 'string'))
        throw new PurityClientError(
          'PURITY_INVALID_RESPONSE',
          address,
          "api_version has no 'version' list",
          200,
        );
      const chosen = chooseVersion(offered as string[], settings.version);
      if (!chosen.ok) throw new PurityClientError('PURITY_VERSION_UNSUPPORTED', address, chosen.reason);
      const session = new PuritySession(transport, settings, chosen.version);
      await session.login();
      return session;
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  async request<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<PurityResponse<T>> {
    let queryString: string;
    try {
      queryString = encodeQuery(options.query);
    } catch (error) {
      throw new PurityClientError('PURITY_INVALID_ARGUMENT', this.address, (error as Error).message);
    }
    const fullPath = `/api/${this.version}${path}${queryString}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let reloggedIn = false;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed)
        throw new PurityClientError('PURITY_CLIENT_CLOSED', this.address, 'the client is closed');
      const token = this.#sessionToken ?? (await this.reloginAfter(null));
      const res = await this.send(method, fullPath, body, { 'x-auth-token': token });
      if (res.status === 401 && !reloggedIn) {
        reloggedIn = true;
        this.settings.logger?.warn(
          { array: this.address, path: pathOnly(fullPath) },
          'session rejected, logging in again',
        );
        await this.reloginAfter(token);
        continue;
      }
      if (retryable(res.status) && attempt < this.settings.retries) {
        const delayMs = Math.min(PURITY_RETRY_BASE_DELAY_MS * 2 ** attempt, PURITY_RETRY_MAX_DELAY_MS);
        this.settings.logger?.warn(
          { array: this.address, status: res.status, delayMs },
          'array busy, retrying',
        );
        await sleep(delayMs);
        continue;
      }
      return this.decode<T>(method, fullPath, res);
    }
  }

  /** POST /logout (errors ignored, as the SDK's exit hook does) and release the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const token = this.#sessionToken;
    this.#sessionToken = null;
    try {
      if (token) await this.send('POST', `/api/${this.version}/logout`, undefined, { 'x-auth-token': token });
    } catch {
      // The array may already be gone; a session it forgets on its own is harmless.
    } finally {
      this.transport.close();
    }
  }

  /** Logs in again unless another call already replaced `staleToken`; returns the new token. */
  private async reloginAfter(staleToken: string | null): Promise<string> {
    if (this.#sessionToken !== staleToken && this.#sessionToken !== null) return this.#sessionToken;
    this.#relogin ??= (async () => {
      if (staleToken) {
        await this.send('POST', `/api/${this.version}/logout`, undefined, {
          'x-auth-token': staleToken,
        }).catch(() => undefined);
      }
      this.#sessionToken = null;
      await this.login();
    })().finally(() => {
      this.#relogin = null;
    });
    await this.#relogin;
    if (this.#sessionToken === null)
      throw new PurityClientError('PURITY_CLIENT_CLOSED', this.address, 'the client is closed');
    return this.#sessionToken;
  }

  private async login(): Promise<void> {
    const res = await this.send('POST', `/api/${this.version}/login`, undefined, {
      'api-token': this.#apiToken,
    });
    if (res.status !== 200) {
      const detail = this.safeErrorText(res);
      throw new PurityClientError(
        'PURITY_AUTHENTICATION_FAILED',
        this.address,
        `login refused with status ${res.status}${detail ? `: ${detail}` : ''} (check the API token)`,
        res.status,
      );
    }
    const header = res.headers['x-auth-token'];
    if (typeof header !== 'string' || header === '')
      throw new PurityClientError(
        'PURITY_INVALID_RESPONSE',
        this.address,
        'login answered without x-auth-token',
        200,
      );
    if (!this.#closed) this.#sessionToken = header;
  }

  private async send(method: string, path: string, body: string | undefined, auth: Record<string, string>) {
    const headers: Record<string, string> = { ...baseHeaders(this.settings), ...auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const startMs = Date.now();
    const res = await this.transport.send({ method, path, headers, ...(body === undefined ? {} : { body }) });
    this.settings.logger?.debug(
      { array: this.address, method, path, status: res.status, durationMs: Date.now() - startMs },
      'purity request',
    );
    return res;
  }

  private decode<T>(method: string, path: string, res: HttpResponse): PurityResponse<T> {
    const requestId = typeof res.headers['x-request-id'] === 'string' ? res.headers['x-request-id'] : null;
    if (res.status >= 200 && res.status < 300)
      return validResponse<T>(
        res.status,
        parseJsonBody(res.bodyText, this.address, res.status),
        requestId,
        this.address,
      );
    if (ERROR_STATUSES.has(res.status) || retryable(res.status)) {
      const response = errorResponse(
        res.status,
        parseJsonBody(res.bodyText, this.address, res.status),
        requestId,
      );
      for (const error of response.errors) error.message = redact(error.message, this.secrets());
      return response;
    }
    throw new PurityClientError(
      'PURITY_UNEXPECTED_STATUS',
      this.address,
      `${method} ${pathOnly(path)} answered status ${res.status}, which Purity REST does not use`,
      res.status,
    );
  }

  /** The server's error text for our messages: parsed if JSON, redacted, bounded. */
  private safeErrorText(res: HttpResponse): string {
    let text = res.bodyText;
    try {
      const body = JSON.parse(text) as { errors?: Array<{ message?: unknown }>; message?: unknown };
      text = String(body.errors?.[0]?.message ?? body.message ?? '');
    } catch {
      // Not JSON: the raw text, redacted and cut, is still the best clue.
    }
    return redact(text, this.secrets());
  }

  private secrets(): string[] {
    return this.#sessionToken ? [this.#apiToken, this.#sessionToken] : [this.#apiToken];
  }
}

function baseHeaders(settings: Pick<SessionSettings, 'userAgent'>): Record<string, string> {
  return { accept: 'application/json', 'user-agent': settings.userAgent, 'x-request-id': randomUUID() };
}
