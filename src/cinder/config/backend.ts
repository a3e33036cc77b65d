// One enabled backend: its section, read with [backend_defaults] as the fallback (Cinder's
// BackendGroupConfiguration), turned into the typed settings the Pure driver emulation uses.

import {
  type AttachProtocol,
  BACKEND_OPTION_NAMES,
  type HostPersonality,
  INHERITED_OPTIONS,
  type NvmeTransport,
  PURE_DRIVER_CLASSES,
  PURE_OPTIONS,
  type PureDriverClass,
} from './backend-options.js';
import { normalizeSectionName } from './ini.js';
import { OptionReader, type ReaderContext, warnUnknownOptions } from './option-reader.js';
import {
  type ReplicationDevice,
  readReplicationDevices,
  warnIfTrisyncUnusable,
} from './replication-device.js';

/** Cinder's shared group for backend options (cinder/volume/configuration.py SHARED_CONF_GROUP). */
export const BACKEND_DEFAULTS_SECTION = 'backend_defaults';

/** Every `pure_*` option (names in the comments; units in the field names). */
export interface PureSettings {
  /** pure_api_token */
  readonly apiToken: string | null;
  readonly automaticMaxOversubscriptionRatio: boolean;
  readonly hostPersonality: HostPersonality | null;
  /** pure_replica_interval_default (the driver sends it to the array in ms) */
  readonly replicaIntervalSeconds: number;
  /** pure_replica_retention_short_term_default */
  readonly replicaRetentionShortTermSeconds: number;
  /** pure_replica_retention_long_term_per_day_default */
  readonly replicaRetentionLongTermPerDay: number;
  /** pure_replica_retention_long_term_default */
  readonly replicaRetentionLongTermDays: number;
  readonly replicationPgName: string;
  readonly trisyncPgName: string;
  readonly replicationPodName: string;
  readonly ghostPodName: string;
  readonly iscsiCidr: string;
  readonly iscsiCidrList: string[] | null;
  readonly nvmeCidr: string;
  readonly nvmeCidrList: string[] | null;
  readonly nvmeTransport: NvmeTransport;
  readonly eradicateOnDelete: boolean;
  readonly trisyncEnabled: boolean;
  readonly safemodeEnabled: boolean;
}

export interface CinderBackendConfig {
  /** The name in enabled_backends, which is also the section name and the `host@backend` suffix. */
  readonly name: string;
  /** volume_backend_name, or the driver class name when unset (as the Pure driver does). */
  readonly volumeBackendName: string;
  readonly volumeDriver: PureDriverClass;
  readonly protocol: AttachProtocol;
  readonly sanIp: string;
  readonly sanLogin: string;
  readonly sanPassword: string;
  readonly driverSslCertVerify: boolean;
  readonly driverSslCertPath: string | null;
  readonly useChapAuth: boolean;
  readonly chapUsername: string;
  readonly chapPassword: string;
  readonly reservedPercentage: number;
  readonly maxOverSubscriptionRatio: number | 'auto';
  readonly filterFunction: string | null;
  readonly goodnessFunction: string | null;
  readonly backendAvailabilityZone: string | null;
  readonly replicationDevices: readonly ReplicationDevice[];
  readonly pure: PureSettings;
  /** Line of each option this backend took from the file, for messages about it later. */
  readonly optionLines: ReadonlyMap<string, number>;
}

function readPureSettings(reader: OptionReader): PureSettings {
  const o = PURE_OPTIONS;
  return {
    apiToken: reader.value(o.apiToken),
    automaticMaxOversubscriptionRatio: reader.value(o.automaticMaxOversubscriptionRatio),
    hostPersonality: reader.value(o.hostPersonality),
    replicaIntervalSeconds: reader.value(o.replicaIntervalSeconds),
    replicaRetentionShortTermSeconds: reader.value(o.replicaRetentionShortTermSeconds),
    replicaRetentionLongTermPerDay: reader.value(o.replicaRetentionLongTermPerDay),
    replicaRetentionLongTermDays: reader.value(o.replicaRetentionLongTermDays),
    replicationPgName: reader.value(o.replicationPgName),
    trisyncPgName: reader.value(o.trisyncPgName),
    replicationPodName: reader.value(o.replicationPodName),
    ghostPodName: reader.value(o.ghostPodName),
    iscsiCidr: reader.value(o.iscsiCidr),
    iscsiCidrList: reader.value(o.iscsiCidrList),
    nvmeCidr: reader.value(o.nvmeCidr),
    nvmeCidrList: reader.value(o.nvmeCidrList),
    nvmeTransport: reader.value(o.nvmeTransport),
    eradicateOnDelete: reader.value(o.eradicateOnDelete),
    trisyncEnabled: reader.value(o.trisyncEnabled),
    safemodeEnabled: reader.value(o.safemodeEnabled),
  };
}

/** Lines of the options set in the backend's own section, then those inherited from [backend_defaults]. */
function optionLines(context: ReaderContext, sectionKey: string): Map<string, number> {
  const lines = new Map<string, number>();
  for (const key of [sectionKey, BACKEND_DEFAULTS_SECTION]) {
    for (const [name, values] of context.doc.sections.get(key)?.options ?? []) {
      if (!lines.has(name)) lines.set(name, values.at(-1)!.line);
    }
  }
  return lines;
}

function readVolumeDriver(reader: OptionReader, sectionLine: number): PureDriverClass {
  const driver = reader.read(INHERITED_OPTIONS.volumeDriver);
  if (driver.value === null) {
    const reason = "not set (cinder's default, the LVM driver, is not emulated by Tandem)";
    throw reader.error('CINDER_CONFIG_MISSING_OPTION', 'volume_driver', sectionLine, reason);
  }
  return driver.value;
}

/** The sanity checks the driver makes at setup, reported before anything starts. */
function warnAboutDriverSetup(reader: OptionReader, backend: CinderBackendConfig): void {
  const line = (name: string) => backend.optionLines.get(name) ?? null;
  if (backend.sanIp === '') reader.warn('san_ip', null, 'not set: the driver cannot reach its array');
  if (backend.pure.apiToken === null)
    reader.warn('pure_api_token', null, 'not set: the driver cannot log in');
  if (backend.useChapAuth && backend.protocol !== 'iscsi') {
    reader.warn(
      'use_chap_auth',
      line('use_chap_auth'),
      `only the iSCSI driver uses CHAP; ${backend.volumeDriver} ignores it`,
    );
  }
  if (backend.pure.trisyncEnabled) {
    warnIfTrisyncUnusable(reader, backend.replicationDevices, line('pure_trisync_enabled'));
  }
}

/** Reads the section of backend `name` (as listed in enabled_backends); it must exist. */
export function readBackend(
  context: ReaderContext,
  name: string,
  listedOnLine: number | null,
): CinderBackendConfig {
  const sectionKey = normalizeSectionName(name);
  const reader = new OptionReader(context, [sectionKey, BACKEND_DEFAULTS_SECTION]);
  const section = context.doc.sections.get(sectionKey);
  if (section === undefined) {
    const where = new OptionReader(context, ['DEFAULT']);
    const reason = `backend '${name}' has no [${name}] section`;
    throw where.error('CINDER_CONFIG_MISSING_SECTION', 'enabled_backends', listedOnLine, reason);
  }
  warnUnknownOptions(reader, context.doc, sectionKey, BACKEND_OPTION_NAMES);
  const o = INHERITED_OPTIONS;
  const volumeDriver = readVolumeDriver(reader, section.line);
  const backend: CinderBackendConfig = {
    name,
    // `volume_backend_name or self.__class__.__name__`: an empty name counts as unset too.
    volumeBackendName: reader.value(o.volumeBackendName) || volumeDriver,
    volumeDriver,
    protocol: PURE_DRIVER_CLASSES[volumeDriver],
    sanIp: reader.value(o.sanIp),
    sanLogin: reader.value(o.sanLogin),
    sanPassword: reader.value(o.sanPassword),
    driverSslCertVerify: reader.value(o.driverSslCertVerify),
    driverSslCertPath: reader.value(o.driverSslCertPath),
    useChapAuth: reader.value(o.useChapAuth),
    chapUsername: reader.value(o.chapUsername),
    chapPassword: reader.value(o.chapPassword),
    reservedPercentage: reader.value(o.reservedPercentage),
    maxOverSubscriptionRatio: reader.value(o.maxOverSubscriptionRatio),
    filterFunction: reader.value(o.filterFunction),
    goodnessFunction: reader.value(o.goodnessFunction),
    backendAvailabilityZone: reader.value(o.backendAvailabilityZone),
    replicationDevices: readReplicationDevices(reader, reader.readAll(o.replicationDevice)),
    pure: readPureSettings(reader),
    optionLines: optionLines(context, sectionKey),
  };
  warnAboutDriverSetup(reader, backend);
  return backend;
}
