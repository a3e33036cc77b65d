// What the fake volume service's parts share: the store they keep records in, the catalog, the
// clock, and the one backend they pretend to run. Plus the visibility and paging rules of lists.

import type { CatalogLookup } from '../../src/cinder/catalog/catalog.js';
import { CinderError } from '../../src/cinder/errors.js';
import type { RequestContext } from '../../src/cinder/request-context.js';
import type { CinderStore } from '../../src/cinder/store/store.js';
import type { VolumeFilters } from '../../src/cinder/volume/volume-api.js';

export interface FakeEnv {
  store: CinderStore;
  catalog: CatalogLookup;
  now(): Date;
  newId(): string;
  /** 'host@backend' of the one volume service. */
  volumeHost: string;
  pool: string;
  availabilityZone: string;
  /** replication_device backend_ids; failover without --backend_id takes the first. */
  replicationTargets: string[];
}

export function visible(context: RequestContext, projectId: string): boolean {
  return context.isAdmin || projectId === context.projectId;
}

/** Cinder's default sort (created_at desc), then marker and limit. */
export function page<T extends { id: string; createdAt: string }>(records: T[], filters: VolumeFilters): T[] {
  const sorted = records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  let start = 0;
  if (filters.marker !== undefined) {
    const index = sorted.findIndex((r) => r.id === filters.marker);
    if (index < 0) throw new CinderError(400, `Marker ${filters.marker} could not be found.`);
    start = index + 1;
  }
  return sorted.slice(start, filters.limit === undefined ? undefined : start + filters.limit);
}
