// One in-process control plane for a test: identity file in a temp dir, memory store, catalog,
// fake volume service, and the HTTP API on 127.0.0.1 (port 0). `cli` runs the real CLIs against
// it, `http` calls it directly; the log is kept in memory so tests can read what was logged.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { CinderVolumeApi } from '../../src/cinder/api/route-context.js';
import { type CinderApi, createCinderApi } from '../../src/cinder/api/server.js';
import { CinderCatalog } from '../../src/cinder/catalog/catalog.js';
import { loadIdentityFile } from '../../src/cinder/identity/identity-file.js';
import { IdentityService, stableId } from '../../src/cinder/identity/identity-service.js';
import { FakeVolumeApi } from './fake-volume-api.js';
import { MemoryCinderStore } from './memory-cinder-store.js';
import { type CliName, type CliResult, type CliUser, cliEnvironment, runCli } from './openstack-cli.js';

export const USERS = {
  admin: { name: 'admin', password: 'Adm1n-secret-pw', project: 'admin' },
  demo: { name: 'demo', password: 'Dem0-secret-pw', project: 'demo' },
} satisfies Record<string, CliUser>;

export const IDENTITY_JSON = {
  projects: [{ name: 'admin' }, { name: 'demo' }],
  users: [
    { ...USERS.admin, roles: ['admin', 'member', 'reader'] },
    { ...USERS.demo, roles: ['member', 'reader'] },
  ],
};

export const ADMIN_PROJECT_ID = stableId('project', 'admin');
export const DEMO_PROJECT_ID = stableId('project', 'demo');

export interface HttpResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: decoded JSON, asserted field by field in the tests
  body: any;
}

export interface HttpOptions {
  token?: string;
  body?: unknown;
  /** The OpenStack-API-Version header value, e.g. 'volume 3.27'; absent: no header. */
  version?: string;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  api: CinderApi;
  dir: string;
  store: MemoryCinderStore;
  catalog: CinderCatalog;
  volumeApi: FakeVolumeApi;
  identity: IdentityService;
  logLines: string[];
  cli(tool: CliName, args: string[], user?: CliUser): Promise<CliResult>;
  http(method: string, path: string, options?: HttpOptions): Promise<HttpResponse>;
  /** A token for `user` (admin by default), from POST /identity/v3/auth/tokens. */
  token(user?: CliUser): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Puts something in front of the fake volume service (a failing one, a spy). */
  wrapVolumeApi?: (api: FakeVolumeApi) => CinderVolumeApi;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-cinder-api-'));
  try {
    const identityPath = join(dir, 'identity.json');
    await writeFile(identityPath, JSON.stringify(IDENTITY_JSON));
    const identity = new IdentityService(await loadIdentityFile(identityPath));
    const store = new MemoryCinderStore();
    const catalog = await CinderCatalog.open({ store });
    const volumeApi = new FakeVolumeApi({ store, catalog });
    await volumeApi.start();
    const logLines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    const api = await createCinderApi({
      volumeApi: options.wrapVolumeApi?.(volumeApi) ?? volumeApi,
      catalog,
      identity,
      host: '127.0.0.1',
      port: 0,
      logger,
    });
    const http = (method: string, path: string, options: HttpOptions = {}) =>
      httpCall(api.url, method, path, options);
    return {
      api,
      dir,
      store,
      catalog,
      volumeApi,
      identity,
      logLines,
      cli: (tool, args, user = USERS.admin) =>
        runCli(tool, args, cliEnvironment(api.authUrl, user, dir), dir),
      http,
      token: async (user = USERS.admin) => {
        const res = await http('POST', '/identity/v3/auth/tokens', { body: passwordAuth(user) });
        if (res.status !== 201) throw new Error(`login of ${user.name} failed: ${res.status}`);
        return res.headers.get('x-subject-token')!;
      },
      close: async () => {
        await api.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The body `openstack` sends with OS_USERNAME/OS_PROJECT_NAME and the Default domain. */
export function passwordAuth(user: CliUser): object {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user.name, password: user.password, domain: { name: 'Default' } } },
      },
      scope: { project: { name: user.project, domain: { name: 'Default' } } },
    },
  };
}

async function httpCall(
  baseUrl: string,
  method: string,
  path: string,
  options: HttpOptions,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers['x-auth-token'] = options.token;
  if (options.version) headers['openstack-api-version'] = options.version;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}
