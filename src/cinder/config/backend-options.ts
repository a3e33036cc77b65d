// The options a Pure backend section is read with: the driver's PURE_OPTS
// (cinder/volume/drivers/pure.py) and the inherited ones it uses (`get_driver_options`, driver.py
// volume_opts, san.py san_opts), each with Cinder's default, plus the names of the other options
// cinder registers for backends, which Tandem accepts without a warning and does not use.

import {
  boolOpt,
  choiceOpt,
  customOpt,
  intOpt,
  listOpt,
  multiDictOpt,
  type Parsed,
  stringOpt,
} from './options.js';

export const HOST_PERSONALITIES = [
  'aix',
  'esxi',
  'hitachi-vsp',
  'hpux',
  'oracle-vm-server',
  'solaris',
  'vms',
] as const;
export type HostPersonality = (typeof HOST_PERSONALITIES)[number];

export const NVME_TRANSPORTS = ['roce', 'tcp'] as const;
export type NvmeTransport = (typeof NVME_TRANSPORTS)[number];

export const PURE_OPTIONS = {
  apiToken: stringOpt('pure_api_token', null, { secret: true }),
  automaticMaxOversubscriptionRatio: boolOpt('pure_automatic_max_oversubscription_ratio', true),
  hostPersonality: choiceOpt<HostPersonality, null>('pure_host_personality', HOST_PERSONALITIES, null),
  replicaIntervalSeconds: intOpt('pure_replica_interval_default', 3600),
  replicaRetentionShortTermSeconds: intOpt('pure_replica_retention_short_term_default', 14400),
  replicaRetentionLongTermPerDay: intOpt('pure_replica_retention_long_term_per_day_default', 3),
  replicaRetentionLongTermDays: intOpt('pure_replica_retention_long_term_default', 7),
  replicationPgName: stringOpt('pure_replication_pg_name', 'cinder-group'),
  trisyncPgName: stringOpt('pure_trisync_pg_name', 'cinder-trisync'),
  replicationPodName: stringOpt('pure_replication_pod_name', 'cinder-pod'),
  ghostPodName: stringOpt('pure_ghost_pod_name', 'cinder-ghost-pod'),
  iscsiCidr: stringOpt('pure_iscsi_cidr', '0.0.0.0/0'),
  iscsiCidrList: listOpt('pure_iscsi_cidr_list', null),
  nvmeCidr: stringOpt('pure_nvme_cidr', '0.0.0.0/0'),
  nvmeCidrList: listOpt('pure_nvme_cidr_list', null),
  nvmeTransport: choiceOpt<NvmeTransport, 'roce'>('pure_nvme_transport', NVME_TRANSPORTS, 'roce'),
  eradicateOnDelete: boolOpt('pure_eradicate_on_delete', false),
  trisyncEnabled: boolOpt('pure_trisync_enabled', false),
  safemodeEnabled: boolOpt('pure_safemode_enabled', false),
} as const;

/** The volume drivers Tandem emulates, by class name, with the protocol hosts attach over. */
export const PURE_DRIVER_CLASSES = {
  PureISCSIDriver: 'iscsi',
  PureFCDriver: 'fc',
  PureNVMEDriver: 'nvme',
  PureNBDDriver: 'nbd',
} as const;
export type PureDriverClass = keyof typeof PURE_DRIVER_CLASSES;
export type AttachProtocol = (typeof PURE_DRIVER_CLASSES)[PureDriverClass];

/** Import paths accepted in `volume_driver`; the NBD driver is Tandem's own and has two spellings. */
const VOLUME_DRIVER_PATHS: ReadonlyMap<string, PureDriverClass> = new Map([
  ['cinder.volume.drivers.pure.PureISCSIDriver', 'PureISCSIDriver'],
  ['cinder.volume.drivers.pure.PureFCDriver', 'PureFCDriver'],
  ['cinder.volume.drivers.pure.PureNVMEDriver', 'PureNVMEDriver'],
  ['cinder.volume.drivers.pure.PureNBDDriver', 'PureNBDDriver'],
  ['tandem.PureNBDDriver', 'PureNBDDriver'],
]);

export function parseVolumeDriver(text: string): Parsed<PureDriverClass | null> {
  const driverClass = VOLUME_DRIVER_PATHS.get(text.trim());
  if (driverClass !== undefined) return { kind: 'value', value: driverClass };
  const accepted = [...VOLUME_DRIVER_PATHS.keys()].join(', ');
  return { kind: 'invalid', reason: `is not a driver Tandem emulates (accepted: ${accepted})` };
}

/** The StrOpt's regex in driver.py, then volume_utils.get_max_over_subscription_ratio (>= 1). */
export function parseOverSubscriptionRatio(text: string): Parsed<number | 'auto'> {
  if (text === 'auto') return { kind: 'value', value: 'auto' };
  if (!/^(\d*\.\d+|\d+)$/.test(text)) return { kind: 'invalid', reason: "is not 'auto' or a decimal number" };
  const ratio = Number(text);
  if (ratio < 1) return { kind: 'invalid', reason: 'is less than 1 (the driver refuses it)' };
  return { kind: 'value', value: ratio };
}

export const INHERITED_OPTIONS = {
  // No default here: cinder's default is the LVM driver, which Tandem does not emulate.
  volumeDriver: customOpt<PureDriverClass | null>('volume_driver', null, parseVolumeDriver),
  volumeBackendName: stringOpt('volume_backend_name', null),
  sanIp: stringOpt('san_ip', ''),
  sanLogin: stringOpt('san_login', 'admin'),
  sanPassword: stringOpt('san_password', '', { secret: true }),
  driverSslCertVerify: boolOpt('driver_ssl_cert_verify', false),
  driverSslCertPath: stringOpt('driver_ssl_cert_path', null),
  useChapAuth: boolOpt('use_chap_auth', false),
  chapUsername: stringOpt('chap_username', ''),
  chapPassword: stringOpt('chap_password', '', { secret: true }),
  // cinder marks the whole option secret: each entry holds an api_token.
  replicationDevice: multiDictOpt('replication_device', { secret: true }),
  reservedPercentage: intOpt('reserved_percentage', 0, { min: 0, max: 100 }),
  maxOverSubscriptionRatio: customOpt<number | 'auto'>(
    'max_over_subscription_ratio',
    20,
    parseOverSubscriptionRatio,
  ),
  filterFunction: stringOpt('filter_function', null),
  goodnessFunction: stringOpt('goodness_function', null),
  backendAvailabilityZone: stringOpt('backend_availability_zone', null),
} as const;

/** Other backend options cinder registers (driver.py, san.py, manager.py): valid, unused here. */
const CINDER_BACKEND_OPTIONS_UNUSED = `
  num_shell_tries target_prefix target_ip_address target_secondary_ip_addresses target_port
  num_volume_device_scan_tries volume_clear volume_clear_size volume_clear_ionice target_helper volumes_dir
  chiscsi_conf volume_dd_blocksize volume_copy_blkio_cgroup_name volume_copy_bps_limit iscsi_write_cache
  iscsi_target_flags target_protocol driver_client_cert_key driver_client_cert driver_use_ssl
  driver_data_namespace trace_flags report_discard_supported storage_protocol enable_unsupported_driver
  disk_geometry num_iser_scan_tries iser_target_prefix iser_ip_address iser_port iser_helper
  nvmeof_conn_info_version nvmet_port_id nvmet_ns_id scst_target_iqn_name scst_target_driver
  backup_use_temp_snapshot image_upload_use_cinder_backend image_upload_use_internal_tenant
  image_volume_cache_enabled image_volume_cache_max_size_gb image_volume_cache_max_count
  use_multipath_for_image_xfer enforce_multipath_for_image_xfer unique_fqdn_network san_thin_provision
  san_private_key san_clustername san_ssh_port san_api_port san_is_local ssh_conn_timeout ssh_min_pool_conn
  ssh_max_pool_conn migration_create_volume_timeout_secs volume_service_inithost_offload zoning_mode
  reinit_driver_count init_host_max_objects_retrieval backend_stats_polling_interval extra_capabilities
  suppress_requests_ssl_warnings backend_native_threads_pool_size backend_host
`
  .split(/\s+/)
  .filter((name) => name !== '');

const optionNames = (options: Record<string, { name: string }>) => Object.values(options).map((o) => o.name);

/** Every option name a backend section (or [backend_defaults]) may hold without a warning. */
export const BACKEND_OPTION_NAMES: ReadonlySet<string> = new Set([
  ...optionNames(PURE_OPTIONS),
  ...optionNames(INHERITED_OPTIONS),
  ...CINDER_BACKEND_OPTIONS_UNUSED,
]);
