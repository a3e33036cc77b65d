// Version discovery: Cinder's (GET / is 300, GET /v3/ is 200; cinder/api/versions.py) and the
// Glance stub's, which `openstack volume create` needs because OSC 6.0 builds an image proxy for
// every volume create (openstack-api.md §1.5, §3). Neither asks for a token, as in the real services.

import type { FastifyInstance } from 'fastify';
import { formatVersion, MICROVERSION_MAX, MICROVERSION_MIN } from './microversion.js';

const CINDER_V3_UPDATED = '2023-08-31T00:00:00Z';
/** Where the Glance stub lives under the base URL. */
export const IMAGE_PREFIX = '/image';

export function cinderVersions(baseUrl: string): object {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: formatVersion(MICROVERSION_MAX),
        min_version: formatVersion(MICROVERSION_MIN),
        updated: CINDER_V3_UPDATED,
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${baseUrl}/v3/` },
        ],
        'media-types': [
          { base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' },
        ],
      },
    ],
  };
}

export function versionRoutes(app: FastifyInstance, baseUrl: () => string): void {
  // 300 Multiple Choices, as Cinder; both CLIs accept it.
  app.get('/', async (_request, reply) => reply.code(300).send(cinderVersions(baseUrl())));
  app.get('/v3', async () => cinderVersions(baseUrl()));

  const glanceVersions = () => ({
    versions: [
      {
        id: 'v2.0',
        status: 'CURRENT',
        links: [{ rel: 'self', href: `${baseUrl()}${IMAGE_PREFIX}/v2/` }],
      },
    ],
  });
  app.get(IMAGE_PREFIX, async (_request, reply) => reply.code(300).send(glanceVersions()));
  app.get(`${IMAGE_PREFIX}/versions`, async () => glanceVersions());
  // No images: volumes from images are refused by the volume API anyway.
  app.get(`${IMAGE_PREFIX}/v2/images`, async () => ({
    images: [],
    schema: '/v2/schemas/images',
    first: '/v2/images',
  }));
}
