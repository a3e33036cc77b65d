// The Block Storage v3 API with its Keystone and Glance stubs, on one fastify app.

export { classifyError, faultBody, faultName, GENERIC_FAULT_MESSAGE } from './faults.js';
export {
  MICROVERSION_MAX,
  MICROVERSION_MIN,
  type Microversion,
  negotiateMicroversion,
} from './microversion.js';
export { ADMIN_RULES, type AdminRule, requireAdmin } from './policy.js';
export type { ApiDeps, CinderVolumeApi, SnapshotMetadataApi } from './route-context.js';
export {
  CINDER_API_BODY_MAX_BYTES,
  type CinderApi,
  type CinderApiOptions,
  createCinderApi,
  DEFAULT_REGION,
  IDENTITY_PREFIX,
} from './server.js';
export { SERVICE_DOWN_TIME_MS, serviceIsUp } from './views/services.js';
