// Reading cinder.conf: the entry points and the types the Cinder service is configured with.

export type { CinderBackendConfig, PureSettings } from './backend.js';
export type { AttachProtocol, HostPersonality, NvmeTransport, PureDriverClass } from './backend-options.js';
export {
  CINDER_CONFIG_FILE_MAX_BYTES,
  type CinderConfig,
  type CinderServiceConfig,
  loadCinderConfig,
  type ParseCinderConfigOptions,
  type ParsedCinderConfig,
  parseCinderConfig,
} from './cinder-config.js';
export { type DatabaseConfig, redactUrlPassword } from './database.js';
export {
  CinderConfigError,
  type CinderConfigErrorCode,
  type CinderConfigWarning,
  type ConfigLocation,
} from './errors.js';
export type { ReplicationDevice, ReplicationType } from './replication-device.js';
export type { AuthStrategy } from './service-options.js';
