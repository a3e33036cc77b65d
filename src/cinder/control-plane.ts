// The Cinder-compatible control plane as one process: cinder.conf read, the state store opened,
// the catalog (types, QoS, quotas), a FlashArray driver per enabled backend (talking to the
// arrays over REST only), the volume service, and the Keystone + Block Storage HTTP API.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type CinderApi, createCinderApi } from './api/index.js';
import { CinderCatalog, catalogPorts } from './catalog/index.js';
import { type CinderConfig, loadCinderConfig } from './config/index.js';
import { createFlashArrayDriver, type InitiatorDataStore } from './driver/index.js';
import { IdentityService } from './identity/index.js';
import { openStore } from './store/index.js';
import type { CinderStore } from './store/store.js';
import type { BackendPort } from './volume/ports.js';
import { VolumeService } from './volume/volume-service.js';

export interface ControlPlaneOptions {
  configFile: string;
  identityFile: string;
  logger: Logger;
  /** Overrides osapi_volume_listen / osapi_volume_listen_port (HOST and PORT; 0 for any port). */
  listen?: { host: string; port: number };
}

export interface ControlPlane {
  config: CinderConfig;
  api: CinderApi;
  volumes: VolumeService;
  stop(): Promise<void>;
}

/** The driver's per-initiator data (the CHAP secret) kept in the state store. */
function initiatorData(store: CinderStore): InitiatorDataStore {
  const idOf = (initiator: string, key: string) =>
    createHash('sha256').update(`${initiator}\u0000${key}`).digest('hex').slice(0, 32);
  return {
    get: async (initiator, key) => store.get('initiator_data', idOf(initiator, key))?.value ?? null,
    insert: async (initiator, key, value) => {
      const id = idOf(initiator, key);
      if (store.get('initiator_data', id)) return false;
      await store.put('initiator_data', { id, initiator, namespace: 'pure', key, value });
      return true;
    },
  };
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { logger } = options;
  const { config, warnings } = await loadCinderConfig(options.configFile);
  for (const warning of warnings) logger.warn({ config: options.configFile }, warning.message);
  const store = await openStore(config.database);
  logger.info({ store: store.description }, 'state store open');
  const catalog = await CinderCatalog.open({ store, defaultVolumeType: config.service.defaultVolumeType });
  const backends: BackendPort[] = config.backends.map((backend) => ({
    name: backend.name,
    backendName: backend.volumeBackendName,
    driver: createFlashArrayDriver(backend, {
      logger: logger.child({ backend: backend.name }),
      hostName: `${config.service.host}@${backend.name}`,
      initiatorData: initiatorData(store),
    }),
    availabilityZone: backend.backendAvailabilityZone ?? config.service.storageAvailabilityZone,
    reservedPercentage: backend.reservedPercentage,
    maxOverSubscriptionRatio: backend.maxOverSubscriptionRatio,
  }));
  const volumes = new VolumeService({
    host: config.service.host,
    store,
    ...catalogPorts(catalog),
    backends,
    logger: logger.child({ component: 'volume' }),
  });
  await volumes.start();
  const identity = await IdentityService.fromFile(options.identityFile);
  const api = await createCinderApi({
    volumeApi: volumes,
    catalog,
    identity,
    host: options.listen?.host ?? config.service.osapiVolumeListen,
    port: options.listen?.port ?? config.service.osapiVolumeListenPort,
    logger: logger.child({ component: 'api' }),
  });
  logger.info(
    { url: api.url, authUrl: api.authUrl, backends: backends.map((b) => b.name) },
    'cinder api listening',
  );
  return {
    config,
    api,
    volumes,
    async stop() {
      await api.close();
      await volumes.stop();
      await store.close();
    },
  };
}
