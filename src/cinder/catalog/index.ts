// Volume types, QoS specs, group types and quotas: the catalog records of the control plane.

export { type CatalogLookup, CinderCatalog, type CinderCatalogOptions } from './catalog.js';
export { GroupTypes } from './group-types.js';
export { QOS_CONSUMERS, QOS_DEFAULT_CONSUMER, type QosConsumer, QosSpecs } from './qos-specs.js';
export {
  QUOTA_DEFAULTS,
  QUOTA_LIMIT_MAX,
  QUOTA_PER_TYPE_DEFAULT,
  type QuotaDelta,
  Quotas,
  type QuotaUsage,
} from './quotas.js';
export { isReplicatedSpec } from './spec-keys.js';
export { catalogPorts } from './volume-ports.js';
export {
  type CatalogEnv,
  DEFAULT_TYPE_NAME,
  type NewVolumeType,
  type PublicFilter,
  VolumeTypes,
} from './volume-types.js';
