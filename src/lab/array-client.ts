// The few REST 2.x calls the lab's setup makes on its own arrays, logged in with the array's API
// token as Pure's clients are. The arrays use self-signed certificates on loopback, so the
// certificate is not verified (what pypureclient does by default).

import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { LAB_HOST } from './layout.js';

export const ARRAY_API_VERSION = '2.38';
/** Setup calls are small; a hung array is reported instead of waited on forever. */
const ARRAY_REQUEST_TIMEOUT_MS = 15_000;

export interface ArrayReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export class ArrayCallError extends Error {
  constructor(what: string, reply: ArrayReply) {
    super(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
    this.name = 'ArrayCallError';
  }
}

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<ArrayReply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const all: Record<string, string> = { accept: 'application/json', ...headers };
  if (payload !== undefined) all['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      { host: LAB_HOST, port, method, path, headers: all, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.setTimeout(ARRAY_REQUEST_TIMEOUT_MS, () =>
      req.destroy(
        new Error(`${method} ${path} on port ${port}: no answer in ${ARRAY_REQUEST_TIMEOUT_MS} ms`),
      ),
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface ArraySession {
  /** Returns the reply's `items`; throws ArrayCallError on any status but 200. */
  items<T>(method: string, path: string, body?: unknown): Promise<T[]>;
  raw(method: string, path: string, body?: unknown): Promise<ArrayReply>;
}

export async function arraySession(restPort: number, apiTokenFile: string): Promise<ArraySession> {
  const token = (await readFile(apiTokenFile, 'utf8')).trim();
  const login = await call(restPort, 'POST', `/api/${ARRAY_API_VERSION}/login`, { 'api-token': token });
  if (login.status !== 200) throw new ArrayCallError(`login on port ${restPort}`, login);
  const session = String(login.headers['x-auth-token']);
  const raw = (method: string, path: string, body?: unknown) =>
    call(restPort, method, `/api/${ARRAY_API_VERSION}${path}`, { 'x-auth-token': session }, body);
  return {
    raw,
    async items<T>(method: string, path: string, body?: unknown) {
      const reply = await raw(method, path, body);
      if (reply.status !== 200) throw new ArrayCallError(`${method} ${path} on port ${restPort}`, reply);
      return ((reply.body as { items?: T[] }).items ?? []) as T[];
    },
  };
}
