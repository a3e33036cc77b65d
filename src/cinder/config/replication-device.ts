// `replication_device` entries, checked the way the Pure driver reads them
// (PureBaseVolumeDriver.parse_replication_configs and do_setup_trisync): what would raise there is
// an error here, with the line; what the driver quietly tolerates is a warning.

import type { OptionReader } from './option-reader.js';

export type ReplicationType = 'sync' | 'async';

export interface ReplicationDevice {
  /** Name `failover_host(secondary_id=...)` uses for this array. */
  readonly backendId: string;
  /** Address of the target array; may be `host:port` for Tandem's loopback arrays. */
  readonly sanIp: string;
  readonly apiToken: string;
  readonly type: ReplicationType;
  /** Sync only: hosts also connect to this array's ports on attach. */
  readonly uniform: boolean;
  readonly sslCertVerify: boolean;
  readonly sslCertPath: string | null;
  /** Line of this `replication_device =` in the file. */
  readonly line: number;
}

const KNOWN_KEYS = new Set([
  'backend_id',
  'san_ip',
  'api_token',
  'type',
  'uniform',
  'ssl_cert_verify',
  'ssl_cert_path',
]);
const REQUIRED_KEYS = ['backend_id', 'san_ip', 'api_token'] as const;

// oslo_utils.strutils.bool_from_string(strict=False), which the driver uses for these two keys.
const LENIENT_TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
const LENIENT_FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

const OPTION = 'replication_device';

/**
 * The whole option is secret, and a malformed entry can glue an api_token into a key or value, so
 * only short plain words are echoed in messages.
 */
function shown(text: string): string {
  return /^[\w.-]{1,16}$/.test(text) ? `'${text}'` : "'***'";
}

function lenientBool(
  reader: OptionReader,
  entry: ReadonlyMap<string, string>,
  key: string,
  line: number,
): boolean {
  const text = entry.get(key);
  if (text === undefined) return false;
  const word = text.trim().toLowerCase();
  if (LENIENT_TRUE.includes(word)) return true;
  if (!LENIENT_FALSE.includes(word)) {
    reader.warn(OPTION, line, `${key}: ${shown(text)} is not a boolean; the driver reads it as false`);
  }
  return false;
}

function replicationType(reader: OptionReader, text: string | undefined, line: number): ReplicationType {
  if (text === undefined || text === 'async' || text === 'sync') return text ?? 'async';
  reader.warn(
    OPTION,
    line,
    `type: ${shown(text)} is neither 'sync' nor 'async'; the driver treats it as async`,
  );
  return 'async';
}

function toDevice(reader: OptionReader, entry: ReadonlyMap<string, string>, line: number): ReplicationDevice {
  for (const key of REQUIRED_KEYS) {
    if (!entry.has(key)) throw reader.error('CINDER_CONFIG_INVALID_VALUE', OPTION, line, `missing ${key}`);
    if (entry.get(key) === '')
      throw reader.error('CINDER_CONFIG_INVALID_VALUE', OPTION, line, `${key} is empty`);
  }
  for (const key of entry.keys()) {
    if (!KNOWN_KEYS.has(key)) reader.warn(OPTION, line, `unknown key ${shown(key)} in the entry, ignored`);
  }
  const backendId = entry.get('backend_id')!;
  if (backendId === 'default') {
    // Failing over to 'default' means failing back to the primary, so a target may not be called that.
    throw reader.error(
      'CINDER_CONFIG_INVALID_VALUE',
      OPTION,
      line,
      "backend_id 'default' is reserved for the primary",
    );
  }
  const type = replicationType(reader, entry.get('type'), line);
  const uniform = lenientBool(reader, entry, 'uniform', line);
  if (uniform && type !== 'sync')
    reader.warn(OPTION, line, 'uniform:true only matters for type:sync; ignored');
  return {
    backendId,
    sanIp: entry.get('san_ip')!,
    apiToken: entry.get('api_token')!,
    type,
    uniform,
    sslCertVerify: lenientBool(reader, entry, 'ssl_cert_verify', line),
    sslCertPath: entry.get('ssl_cert_path') ?? null,
    line,
  };
}

/** Every `replication_device` of the backend, in file order. */
export function readReplicationDevices(
  reader: OptionReader,
  entries: readonly { value: ReadonlyMap<string, string>; line: number | null }[],
): ReplicationDevice[] {
  const devices: ReplicationDevice[] = [];
  for (const entry of entries) {
    const device = toDevice(reader, entry.value, entry.line ?? 0);
    const earlier = devices.find((d) => d.backendId === device.backendId);
    if (earlier !== undefined) {
      // Failover picks a target by backend_id: two with one name would make the choice arbitrary.
      const reason = `backend_id ${shown(device.backendId)} is already used on line ${earlier.line}`;
      throw reader.error('CINDER_CONFIG_INVALID_VALUE', OPTION, device.line, reason);
    }
    devices.push(device);
  }
  return devices;
}

/** do_setup_trisync: without exactly one sync and one async device on different arrays, it stays off. */
export function warnIfTrisyncUnusable(
  reader: OptionReader,
  devices: readonly ReplicationDevice[],
  line: number | null,
) {
  const [first, second] = devices;
  let problem: string | null = null;
  if (devices.length !== 2 || first === undefined || second === undefined) {
    problem = `needs exactly 2 replication_device entries (found ${devices.length})`;
  } else if (first.type === second.type) {
    problem = 'needs one replication_device of type sync and one of type async';
  } else if (first.apiToken === second.apiToken) {
    problem = 'needs the two replication_device entries to use different api_token values';
  }
  if (problem !== null)
    reader.warn('pure_trisync_enabled', line, `${problem}; the driver leaves trisync disabled`);
}
