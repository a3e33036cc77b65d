// The lab's own small client of the control plane: a Keystone v3 password login (as the admin,
// whose password it reads from its file) and the volume-type calls of `openstack volume type
// create`, so the lab's types are made through the same API an operator uses.

import { readFile } from 'node:fs/promises';

/** The control plane answers these in milliseconds; more means it is stuck. */
const CINDER_REQUEST_TIMEOUT_MS = 30_000;
/** Volume types with extra specs arrived in the base microversion. */
const VOLUME_API_MICROVERSION = '3.0';

export interface VolumeTypeView {
  id: string;
  name: string;
  extra_specs?: Record<string, string>;
}

export class CinderClient {
  private constructor(
    private readonly volumeUrl: string,
    private readonly token: string,
  ) {}

  /** Logs in as `user` of `project` (domain Default) with the password in `passwordFile`. */
  static async login(options: {
    cinderUrl: string;
    authUrl: string;
    user: string;
    project: string;
    passwordFile: string;
  }): Promise<CinderClient> {
    const password = (await readFile(options.passwordFile, 'utf8')).trim();
    const domain = { name: 'Default' };
    const res = await fetch(`${options.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: options.user, domain, password } } },
          scope: { project: { name: options.project, domain } },
        },
      }),
      signal: AbortSignal.timeout(CINDER_REQUEST_TIMEOUT_MS),
    });
    // The body can only say why; it never echoes the password.
    if (res.status !== 201) throw new Error(`keystone login as ${options.user}: HTTP ${res.status}`);
    const token = res.headers.get('x-subject-token');
    const body = (await res.json()) as { token: { project: { id: string } } };
    if (!token) throw new Error('keystone login: no X-Subject-Token in the answer');
    return new CinderClient(`${options.cinderUrl}/v3/${body.token.project.id}`, token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.volumeUrl}${path}`, {
      method,
      headers: {
        'x-auth-token': this.token,
        'openstack-api-version': `volume ${VOLUME_API_MICROVERSION}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CINDER_REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async volumeTypes(): Promise<VolumeTypeView[]> {
    return (await this.call<{ volume_types: VolumeTypeView[] }>('GET', '/types')).volume_types;
  }

  async createVolumeType(name: string, extraSpecs: Record<string, string>): Promise<VolumeTypeView> {
    const body = { volume_type: { name, extra_specs: extraSpecs } };
    return (await this.call<{ volume_type: VolumeTypeView }>('POST', '/types', body)).volume_type;
  }
}
