// The control plane's state store: open it from [database] connection, read and write records.

export { createCachedStore } from './cached-store.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { openStore } from './open-store.js';
export { STORE_SCHEMA_VERSION, type StoreBackend } from './schema.js';
export type { CinderStore, StoreWrite } from './store.js';
