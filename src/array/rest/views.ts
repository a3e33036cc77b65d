// Records -> Purity REST 2.x JSON objects (field names as the SDK models spell them).

import { ERADICATION_DELAY_MS } from '../../constants.js';
import type { StorageArray } from '../array.js';
import type {
  ConnectionRecord,
  HostGroupRecord,
  HostRecord,
  SnapshotRecord,
  VolumeRecord,
} from '../objects/model.js';
import type { PerfRates } from '../objects/perf.js';

export const PURITY_VERSION = '6.7.1';
export const NULL_REF = { id: null, name: null };
const MASKED = '****';

export function timeRemaining(destroyedAtMs: number | null): number | null {
  if (destroyedAtMs === null) return null;
  return Math.max(0, ERADICATION_DELAY_MS - (Date.now() - destroyedAtMs));
}

export function context(array: StorageArray) {
  return { id: array.state.identity.id, name: array.name };
}

/** The pod a record belongs to, as a reference (NULL_REF outside pods). */
export function podRef(array: StorageArray, podId: string | undefined) {
  const pod = podId ? array.state.pods.get(podId) : undefined;
  return pod ? { id: pod.id, name: pod.name } : NULL_REF;
}

export function volumeView(array: StorageArray, v: VolumeRecord) {
  return {
    id: v.id,
    name: v.name,
    created: v.createdMs,
    destroyed: v.destroyed,
    time_remaining: timeRemaining(v.destroyedAtMs),
    serial: v.serial,
    subtype: 'regular',
    provisioned: v.provisionedBytes,
    qos: { iops_limit: v.qos.iopsLimit, bandwidth_limit: v.qos.bandwidthLimitBytesPerSec },
    priority: 0,
    priority_adjustment: { priority_adjustment_operator: '+', priority_adjustment_value: 0 },
    pod: podRef(array, v.podId),
    volume_group: NULL_REF,
    source: v.source ?? NULL_REF,
    connection_count: array.hosts.hostsSeeing(v).length,
    host_encryption_key_status: 'none',
    promotion_status: 'promoted',
    requested_promotion_state: 'promoted',
    space: array.space.volume(v),
    context: context(array),
  };
}

export function snapshotView(array: StorageArray, s: SnapshotRecord) {
  return {
    id: s.id,
    name: s.name,
    suffix: s.suffix,
    created: s.createdMs,
    destroyed: s.destroyed,
    time_remaining: timeRemaining(s.destroyedAtMs),
    provisioned: s.provisionedBytes,
    serial: s.serial,
    source: { id: s.sourceVolumeId, name: s.sourceVolumeName },
    pod: podRef(array, array.state.volumes.get(s.sourceVolumeId)?.podId),
    volume_group: NULL_REF,
    space: array.space.snapshot(s),
    context: context(array),
  };
}

export function hostView(array: StorageArray, h: HostRecord) {
  return {
    name: h.name,
    iqns: h.iqns,
    wwns: h.wwns,
    nqns: h.nqns,
    personality: h.personality,
    chap: {
      host_user: h.chap.hostUser,
      host_password: h.chap.hostPassword ? MASKED : null,
      target_user: h.chap.targetUser,
      target_password: h.chap.targetPassword ? MASKED : null,
    },
    host_group: h.hostGroup ? { name: h.hostGroup } : { name: null },
    preferred_arrays: h.preferredArrays.map((name) => ({ id: null, name })),
    connection_count: array.state.connections.filter(
      (c) => c.hostName === h.name || (c.hostGroupName !== null && c.hostGroupName === h.hostGroup),
    ).length,
    is_local: true,
    destroyed: false,
    time_remaining: null,
    port_connectivity: { status: 'healthy', details: '' },
    qos: { iops_limit: null, bandwidth_limit: null },
    vlan: 'any',
    context: context(array),
  };
}

export function hostGroupView(array: StorageArray, g: HostGroupRecord) {
  const hosts = [...array.state.hosts.values()].filter((h) => h.hostGroup === g.name);
  return {
    name: g.name,
    host_count: hosts.length,
    connection_count: array.state.connections.filter((c) => c.hostGroupName === g.name).length,
    is_local: true,
    destroyed: false,
    qos: { iops_limit: null, bandwidth_limit: null },
    context: context(array),
  };
}

/** Shared (host group) connections are listed once per member host, as Purity does. */
export function connectionViews(array: StorageArray, c: ConnectionRecord) {
  const volume = array.state.volumes.get(c.volumeId);
  const base = {
    volume: { id: c.volumeId, name: volume?.name ?? null },
    lun: c.lun,
    nsid: c.lun,
    protocol_endpoint: NULL_REF,
    context: context(array),
  };
  if (c.hostName)
    return [
      { ...base, host: { name: c.hostName as string | null }, host_group: { name: null as string | null } },
    ];
  const members = [...array.state.hosts.values()].filter((h) => h.hostGroup === c.hostGroupName);
  if (members.length === 0) return [{ ...base, host: { name: null }, host_group: { name: c.hostGroupName } }];
  return members.map((h) => ({ ...base, host: { name: h.name }, host_group: { name: c.hostGroupName } }));
}

export function performanceView(rates: PerfRates, identity: { id: string | null; name: string }) {
  const bytesPer = (bytes: number, ops: number) => (ops > 0 ? Math.round(bytes / ops) : 0);
  return {
    id: identity.id,
    name: identity.name,
    time: Date.now(),
    reads_per_sec: rates.readsPerSec,
    writes_per_sec: rates.writesPerSec,
    others_per_sec: rates.othersPerSec,
    read_bytes_per_sec: rates.readBytesPerSec,
    write_bytes_per_sec: rates.writeBytesPerSec,
    usec_per_read_op: rates.usecPerReadOp,
    usec_per_write_op: rates.usecPerWriteOp,
    usec_per_other_op: rates.usecPerOtherOp,
    bytes_per_read: bytesPer(rates.readBytesPerSec, rates.readsPerSec),
    bytes_per_write: bytesPer(rates.writeBytesPerSec, rates.writesPerSec),
    bytes_per_op: bytesPer(
      rates.readBytesPerSec + rates.writeBytesPerSec,
      rates.readsPerSec + rates.writesPerSec + rates.othersPerSec,
    ),
    bytes_per_mirrored_write: 0,
    mirrored_writes_per_sec: 0,
    mirrored_write_bytes_per_sec: 0,
    usec_per_mirrored_write_op: 0,
    queue_usec_per_read_op: 0,
    queue_usec_per_write_op: 0,
    queue_usec_per_mirrored_write_op: 0,
    san_usec_per_read_op: 0,
    san_usec_per_write_op: 0,
    san_usec_per_mirrored_write_op: 0,
    service_usec_per_read_op: rates.usecPerReadOp,
    service_usec_per_write_op: rates.usecPerWriteOp,
    service_usec_per_mirrored_write_op: 0,
    qos_rate_limit_usec_per_read_op: 0,
    qos_rate_limit_usec_per_write_op: 0,
    qos_rate_limit_usec_per_mirrored_write_op: 0,
    local_queue_usec_per_op: 0,
    queue_depth: 0,
    read_cache_hit_ratio: 0,
  };
}

export function arrayView(array: StorageArray, capacityBytes: number) {
  return {
    id: array.state.identity.id,
    name: array.name,
    _as_of: Date.now(),
    banner: '',
    capacity: capacityBytes,
    console_lock_enabled: false,
    encryption: { data_at_rest: { algorithm: 'AES-256-CTR', enabled: false }, module_version: 'tandem' },
    eradication_config: { eradication_delay: ERADICATION_DELAY_MS, manual_eradication: 'all-enabled' },
    idle_timeout: 0,
    ntp_servers: [],
    os: 'Purity//FA',
    parity: 1,
    scsi_timeout: 60000,
    space: array.space.array(),
    time_zone: 'UTC',
    version: PURITY_VERSION,
  };
}
