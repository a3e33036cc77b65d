// The catalog as the volume service's ports (src/cinder/volume/ports.ts) want it: the same
// records and checks as CatalogLookup, in the shapes the volume service was written against.

import type { QuotaPort, TypeCatalogPort } from '../volume/ports.js';
import type { CinderCatalog } from './catalog.js';

export function catalogPorts(catalog: CinderCatalog): { types: TypeCatalogPort; quotas: QuotaPort } {
  const types: TypeCatalogPort = {
    resolveType: (context, nameOrId) => catalog.resolveType(nameOrId, context),
    getType: (id) => catalog.findType(id),
    defaultType: () => catalog.defaultType(),
    // Front-end QoS is for the hypervisor to enforce; the array gets back-end and both.
    qosSpecsFor: (type) => {
      const qos = catalog.qosFor(type);
      return qos === null || qos.consumer === 'front-end' ? null : { ...qos.specs };
    },
    resolveGroupType: (context, nameOrId) => catalog.resolveGroupType(nameOrId, context),
  };
  const quotas: QuotaPort = {
    check: (projectId, delta, type) =>
      catalog.checkQuota(projectId, {
        ...delta,
        volumeTypeId: type?.id ?? null,
        // The port's delta has no volume size; a one-volume create's gigabytes is that size.
        ...(delta.volumes === 1 && delta.gigabytes !== undefined ? { volumeSizeGiB: delta.gigabytes } : {}),
      }),
  };
  return { types, quotas };
}
