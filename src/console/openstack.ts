// The console's small client of the control plane: a Keystone v3 password login, token
// revocation, and Block Storage v3 calls with a token. A password is only ever a parameter here:
// it goes into the login body and nowhere else, and no message says anything about it but
// "refused". Error text from Cinder is its fault message, which never echoes a credential.

import { CINDER_REQUEST_TIMEOUT_MS, ERROR_TEXT_MAX_CHARS } from './limits.js';

/** Microversion 3.0: the service and volume fields the console reads are all in the base version. */
const VOLUME_API_VERSION = 'volume 3.0';
const DOMAIN = { name: 'Default' };

export interface KeystoneSession {
  token: string;
  projectId: string;
  expiresAtMs: number;
}

/** A refusal or failure of Keystone or Cinder, with the HTTP status the console passes on. */
export class OpenStackError extends Error {
  constructor(
    /** The upstream status; 502 when the service could not be asked at all. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OpenStackError';
  }
}

function cut(text: string): string {
  return text.length > ERROR_TEXT_MAX_CHARS ? `${text.slice(0, ERROR_TEXT_MAX_CHARS)}...` : text;
}

/** Cinder's fault body is `{"badRequest": {"message": ...}}`, Keystone's `{"error": {...}}`. */
function faultMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, { message?: unknown }>;
    const first = Object.values(body)[0];
    if (first && typeof first.message === 'string') return cut(first.message);
  } catch {}
  return '';
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(CINDER_REQUEST_TIMEOUT_MS) });
  } catch (error) {
    // fetch's message names the URL's host at most; the body (a password) is never in it.
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    throw new OpenStackError(502, 'unreachable', cut(`${what}: no answer (${reason})`));
  }
}

/** A project-scoped token for `user` of `project` (domain Default). 401 when Keystone refuses. */
export async function keystoneLogin(
  authUrl: string,
  credentials: { user: string; project: string; password: string },
): Promise<KeystoneSession> {
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: credentials.user, domain: DOMAIN, password: credentials.password } },
      },
      scope: { project: { name: credentials.project, domain: DOMAIN } },
    },
  });
  const res = await send(
    `${authUrl}/auth/tokens`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body },
    'keystone login',
  );
  const text = await res.text();
  if (res.status === 401)
    throw new OpenStackError(401, 'unauthorized', `keystone refused the password of ${credentials.user}`);
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token)
    throw new OpenStackError(
      502,
      'keystone_failed',
      `keystone login: HTTP ${res.status} ${faultMessage(text)}`,
    );
  const parsed = JSON.parse(text) as { token: { project: { id: string }; expires_at: string } };
  return {
    token,
    projectId: parsed.token.project.id,
    expiresAtMs: Date.parse(parsed.token.expires_at),
  };
}

/** Revokes a token the console no longer needs; a failure only means it expires on its own. */
export async function revokeToken(authUrl: string, token: string): Promise<void> {
  try {
    await send(
      `${authUrl}/auth/tokens`,
      { method: 'DELETE', headers: { 'x-auth-token': token, 'x-subject-token': token } },
      'keystone revoke',
    );
  } catch {}
}

/** One Block Storage call; returns the parsed body of a 2xx, throws OpenStackError otherwise. */
export async function cinderCall<T>(
  cinderUrl: string,
  session: KeystoneSession,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {
    'x-auth-token': session.token,
    'openstack-api-version': VOLUME_API_VERSION,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await send(
    `${cinderUrl}/v3/${session.projectId}${path}`,
    { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) },
    `${method} ${path}`,
  );
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    const code = res.status === 401 ? 'unauthorized' : 'cinder_refused';
    throw new OpenStackError(res.status, code, `${method} ${path}: HTTP ${res.status} ${faultMessage(text)}`);
  }
  return (text ? JSON.parse(text) : {}) as T;
}
