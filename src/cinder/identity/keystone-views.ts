// Keystone v3 bodies as real Keystone writes them (openstack-api.md §1.2, §1.4, §1.6): the version
// documents, the token with its service catalog, projects and users.

import { createHash } from 'node:crypto';
import {
  DEFAULT_DOMAIN_ID,
  DEFAULT_DOMAIN_NAME,
  type Project,
  type TokenInfo,
  type User,
} from './identity-service.js';

/** The identity API version real Keystone reports for v3 (Ussuri and later). */
export const KEYSTONE_V3_VERSION = 'v3.14';
const KEYSTONE_V3_UPDATED = '2020-04-07T00:00:00Z';

/** Where each service of the catalog lives, and the region the endpoints are in. */
export interface ServiceCatalogUrls {
  /** The Keystone v3 root, e.g. http://127.0.0.1:8776/identity/v3 */
  identityUrl: string;
  /** The block-storage endpoint for a project, e.g. http://127.0.0.1:8776/v3/<project id> */
  volumeUrl(projectId: string): string;
  /** The Glance stub's root, e.g. http://127.0.0.1:8776/image */
  imageUrl: string;
  region: string;
}

export function keystoneV3Version(identityUrl: string): object {
  return {
    id: KEYSTONE_V3_VERSION,
    status: 'stable',
    updated: KEYSTONE_V3_UPDATED,
    links: [{ rel: 'self', href: `${identityUrl}/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

const DOMAIN = { id: DEFAULT_DOMAIN_ID, name: DEFAULT_DOMAIN_NAME };

/** Keystone's timestamp format: microseconds and a Z. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function tokenBody(info: TokenInfo, urls: ServiceCatalogUrls): object {
  const { user, project, grant } = info;
  return {
    token: {
      methods: grant.methods,
      user: { domain: DOMAIN, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: [grant.auditId],
      expires_at: keystoneTime(grant.expiresAtMs),
      issued_at: keystoneTime(grant.issuedAtMs),
      project: { domain: DOMAIN, id: project.id, name: project.name },
      is_domain: false,
      roles: user.roles.map((role) => ({ id: role.id, name: role.name })),
      catalog: serviceCatalog(project.id, urls),
    },
  };
}

/**
 * Identity, block storage under both of its accepted types (volumev3 for the CLIs' defaults,
 * block-storage as the official name), and the image stub `openstack volume create` insists on.
 * No compute entry: with one, `openstack volume list` would call Nova first (§1.5).
 */
export function serviceCatalog(projectId: string, urls: ServiceCatalogUrls): object[] {
  const volumeUrl = urls.volumeUrl(projectId);
  return [
    service('identity', 'keystone', urls.identityUrl, urls.region),
    service('volumev3', 'cinderv3', volumeUrl, urls.region),
    service('block-storage', 'cinder', volumeUrl, urls.region),
    service('image', 'glance', urls.imageUrl, urls.region),
  ];
}

function service(type: string, name: string, url: string, region: string): object {
  // Same URL on every interface: harmless, and clients configured for internal or admin work too.
  const endpoints = ['public', 'internal', 'admin'].map((iface) => ({
    id: idOf(`${type}:${iface}`),
    interface: iface,
    region,
    region_id: region,
    url,
  }));
  return { id: idOf(type), type, name, endpoints };
}

function idOf(text: string): string {
  return createHash('sha256').update(`tandem-endpoint:${text}`).digest('hex').slice(0, 32);
}

export function projectView(project: Project, identityUrl: string): object {
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    domain_id: DEFAULT_DOMAIN_ID,
    enabled: true,
    is_domain: false,
    parent_id: DEFAULT_DOMAIN_ID,
    tags: [],
    options: {},
    links: { self: `${identityUrl}/projects/${project.id}` },
  };
}

export function userView(user: User, identityUrl: string): object {
  return {
    id: user.id,
    name: user.name,
    domain_id: DEFAULT_DOMAIN_ID,
    default_project_id: user.projectId,
    enabled: true,
    password_expires_at: null,
    options: {},
    links: { self: `${identityUrl}/users/${user.id}` },
  };
}

/** Keystone's error body: {"error": {"code", "message", "title"}}. */
export class KeystoneError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'KeystoneError';
  }

  toBody(): object {
    return { error: { code: this.status, message: this.message, title: KEYSTONE_TITLES[this.status] } };
  }
}

const KEYSTONE_TITLES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
} as const;

export const keystoneErrors = {
  unauthorized: () => new KeystoneError(401, 'The request you have made requires authentication.'),
  forbidden: () => new KeystoneError(403, 'You are not authorized to perform the requested action.'),
  badRequest: (reason: string) => new KeystoneError(400, reason),
  notFound: (kind: string, id: string) => new KeystoneError(404, `Could not find ${kind}: ${id}.`),
  noRoute: () => new KeystoneError(404, 'The resource could not be found.'),
  internal: () =>
    new KeystoneError(500, 'An unexpected error prevented the server from fulfilling your request.'),
};
