// Options of [DEFAULT] and [database] that Tandem's Cinder uses, with Cinder's defaults
// (cinder/common/config.py, cinder/service.py, cinder/db/api.py), and the names of the other
// options a real cinder.conf sets there, which are accepted without a warning and not used.

import { isIP } from 'node:net';
import { boolOpt, choiceOpt, customOpt, listOpt, type Parsed, portOpt, stringOpt } from './options.js';

export const AUTH_STRATEGIES = ['noauth', 'noauth_include_project_id', 'keystone'] as const;
export type AuthStrategy = (typeof AUTH_STRATEGIES)[number];

/** oslo HostAddressOpt: an IP address or a DNS name. */
export function parseHostAddress(text: string): Parsed<string> {
  const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
  const hostname = new RegExp(`^(?=.{1,253}\\.?$)${label}(?:\\.${label})*\\.?$`, 'i');
  if (isIP(text) !== 0 || hostname.test(text)) return { kind: 'value', value: text };
  return { kind: 'invalid', reason: 'is neither an IP address nor a host name' };
}

export const DEFAULT_SECTION_OPTIONS = {
  enabledBackends: listOpt('enabled_backends', null),
  defaultVolumeType: stringOpt('default_volume_type', '__DEFAULT__'),
  // cinder's defaults are socket.gethostname() and the host's IPv4: the caller supplies them.
  host: stringOpt('host', null),
  myIp: customOpt<string | null>('my_ip', null, parseHostAddress),
  // cinder's default is /var/lib/cinder; Tandem runs unprivileged, so the caller's directory.
  statePath: stringOpt('state_path', null),
  debug: boolOpt('debug', false),
  authStrategy: choiceOpt<AuthStrategy, 'keystone'>('auth_strategy', AUTH_STRATEGIES, 'keystone'),
  osapiVolumeListen: stringOpt('osapi_volume_listen', '0.0.0.0'),
  osapiVolumeListenPort: portOpt('osapi_volume_listen_port', 8776),
  storageAvailabilityZone: stringOpt('storage_availability_zone', 'nova'),
} as const;

const words = (text: string) => text.split(/\s+/).filter((name) => name !== '');

/** cinder, oslo.log, oslo.messaging and oslo.service options commonly found in [DEFAULT]. */
const DEFAULT_OPTIONS_UNUSED = words(`
  transport_url control_exchange rpc_response_timeout api_paste_config rootwrap_config lock_path
  api_rate_limit group_api_class osapi_volume_ext_list osapi_volume_extension volume_api_class
  volume_manager scheduler_manager default_availability_zone allow_availability_zone_fallback
  default_group_type volume_usage_audit_period monkey_patch monkey_patch_modules service_down_time
  no_snapshot_gb_quota transfer_api_class consistencygroup_api_class split_loggers backup_api_class
  backup_manager backup_driver glance_api_servers glance_num_retries glance_api_insecure
  glance_api_ssl_compression glance_ca_certificates_file glance_certfile glance_keyfile
  glance_request_timeout compression_format allow_compression_on_image_upload report_interval
  periodic_interval periodic_fuzzy_delay osapi_volume_workers osapi_volume_use_ssl scheduler_driver
  scheduler_driver_init_wait_time scheduler_host_manager scheduler_max_attempts scheduler_default_filters
  scheduler_default_weighers enable_force_upload snapshot_same_host cloned_volume_same_az
  az_cache_duration quota_volumes quota_snapshots quota_groups quota_gigabytes quota_backups
  quota_backup_gigabytes reservation_expire reservation_clean_interval until_refresh max_age quota_driver
  use_default_quota_class per_volume_size_limit verbose log_dir log_file log_config_append
  log_date_format use_syslog use_journal use_json use_stderr use_eventlog syslog_log_facility
  watch_log_file logging_context_format_string logging_default_format_string logging_debug_format_suffix
  logging_exception_prefix logging_user_identity_format default_log_levels publish_errors
  instance_format instance_uuid_format rate_limit_interval rate_limit_burst rate_limit_except_level
  fatal_deprecations log_rotation_type max_logfile_count max_logfile_size_mb log_rotate_interval
  log_rotate_interval_type graceful_shutdown_timeout executor_thread_pool_size iscsi_helper
  iscsi_ip_address volume_name_template snapshot_name_template backup_name_template
  image_conversion_dir use_forwarded_for
`);

/** Every option name [DEFAULT] may hold without a warning. */
export const DEFAULT_SECTION_OPTION_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(DEFAULT_SECTION_OPTIONS).map((option) => option.name),
  ...DEFAULT_OPTIONS_UNUSED,
]);

/** oslo.db options besides `connection`: valid in [database], not used by Tandem's state store. */
const DATABASE_OPTIONS_UNUSED = words(`
  backend sqlite_synchronous slave_connection asyncio_connection asyncio_slave_connection mysql_sql_mode
  mysql_wsrep_sync_wait mysql_enable_ndb connection_recycle_time max_pool_size max_retries
  retry_interval max_overflow pool_timeout connection_debug connection_trace connection_parameters
  use_db_reconnect db_retry_interval db_inc_retry_interval db_max_retry_interval db_max_retries
  sqlite_db idle_timeout min_pool_size
`);

export const DATABASE_OPTION_NAMES: ReadonlySet<string> = new Set(['connection', ...DATABASE_OPTIONS_UNUSED]);
