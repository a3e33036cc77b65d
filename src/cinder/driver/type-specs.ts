// What a volume type asks of the array, read the way the Pure driver reads it (spec §3):
// replication (`replication_enabled`, `replication_type`), QoS (`maxIOPS`, `maxBWS` and their
// per-GB forms, from the associated QoS specs or else the extra specs) and volume groups
// (`flasharray:vg_*`). Bad values are refused with Cinder's InvalidQoSSpecs.

import type { VolumeTypeRecord } from '../model.js';
import { boolFromString, splitWords } from '../scheduler/python-semantics.js';
import {
  QOS_BANDWIDTH_BYTES_PER_MB,
  QOS_BANDWIDTH_MAX_BYTES_PER_SEC,
  QOS_BANDWIDTH_MIN_BYTES_PER_SEC,
  QOS_IOPS_MAX,
  QOS_IOPS_MIN,
} from './constants.js';
import { InvalidQoSSpecs } from './errors.js';

export type ReplicationKind = 'async' | 'sync' | 'trisync';

/** volume_utils.is_replicated_spec: `replication_enabled` is exactly `<is> <true word>`. */
export function isReplicatedType(type: VolumeTypeRecord | null): boolean {
  const spec = type?.extraSpecs.replication_enabled;
  if (spec === undefined) return false;
  const words = splitWords(spec);
  return words.length === 2 && words[0] === '<is>' && boolFromString(words[1]);
}

/** The spellings `_get_replication_type_from_vol_type` accepts: exact strings, nothing else. */
const REPLICATION_TYPE_SPECS: Readonly<Record<string, ReplicationKind>> = {
  '<in> async': 'async',
  '<in> sync': 'sync',
  '<in> trisync': 'trisync',
};

/**
 * The replication a type asks for: none unless replicated; `async` when replicated without a
 * `replication_type`; null (not replicated, as create treats it) for any other spelling.
 */
export function replicationKindOf(type: VolumeTypeRecord | null): ReplicationKind | null {
  if (type === null || !isReplicatedType(type)) return null;
  const spec = type.extraSpecs.replication_type;
  if (spec === undefined) return 'async';
  return REPLICATION_TYPE_SPECS[spec] ?? null;
}

/** Volumes of these kinds live in the replication pod (`<pod>::volume-...`). */
export function isPodKind(kind: ReplicationKind | null): boolean {
  return kind === 'sync' || kind === 'trisync';
}

/** A type's QoS as the driver keeps it: 0 means "not set". */
export interface QosSettings {
  iopsLimit: number;
  bandwidthBytesPerSec: number;
  iopsPerGiB: number;
  bandwidthBytesPerSecPerGiB: number;
}

/** Limits to put on a volume: null means "no limit" (sent as Purity's maximum). */
export interface QosLimits {
  iopsLimit: number | null;
  bandwidthBytesPerSec: number | null;
}

const QOS_KEYS = ['maxIOPS', 'maxBWS', 'maxIOPS_per_GB', 'maxBWS_per_GB'] as const;

/** Python's int() of a string: optional sign, digits with single underscores, edge spaces. */
function pythonInt(key: string, text: string): number {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(text))
    throw new InvalidQoSSpecs(`${key} QoS error. '${text.slice(0, 40)}' is not an integer`);
  return Number(text.replaceAll('_', '').trim());
}

/**
 * `_get_qos_settings`: the associated QoS specs win over the extra specs (whatever their
 * consumer); no Pure key at all means no QoS.
 */
export function qosSettingsOf(
  type: VolumeTypeRecord | null,
  qosSpecs: Record<string, string> | null,
): QosSettings | null {
  if (type === null) return null;
  const source = type.qosSpecsId !== null ? (qosSpecs ?? {}) : type.extraSpecs;
  const values = new Map<string, number>();
  for (const key of QOS_KEYS) {
    const text = source[key];
    if (text !== undefined) values.set(key, pythonInt(key, text));
  }
  if (values.size === 0) return null;
  const iops = values.get('maxIOPS') ?? 0;
  const bandwidth = (values.get('maxBWS') ?? 0) * QOS_BANDWIDTH_BYTES_PER_MB;
  if (iops !== 0 && !(iops >= QOS_IOPS_MIN && iops <= QOS_IOPS_MAX))
    throw new InvalidQoSSpecs(
      `maxIOPS QoS error. Must be more than ${QOS_IOPS_MIN} and less than ${QOS_IOPS_MAX}`,
    );
  if (
    bandwidth !== 0 &&
    !(bandwidth >= QOS_BANDWIDTH_MIN_BYTES_PER_SEC && bandwidth <= QOS_BANDWIDTH_MAX_BYTES_PER_SEC)
  )
    throw new InvalidQoSSpecs(
      `maxBWS QoS error. Must be between ${QOS_BANDWIDTH_MIN_BYTES_PER_SEC} and ${QOS_BANDWIDTH_MAX_BYTES_PER_SEC}`,
    );
  return {
    iopsLimit: iops,
    bandwidthBytesPerSec: bandwidth,
    iopsPerGiB: values.get('maxIOPS_per_GB') ?? 0,
    bandwidthBytesPerSecPerGiB: (values.get('maxBWS_per_GB') ?? 0) * QOS_BANDWIDTH_BYTES_PER_MB,
  };
}

/**
 * The limits for a volume of `sizeGiB`: a per-GB value counts only when the absolute one is 0,
 * capped at Purity's maximum. Below Purity's minimum it is raised to the minimum, which the array
 * would otherwise refuse (Cinder sends it anyway and ignores the refusal).
 */
export function qosLimitsFor(qos: QosSettings, sizeGiB: number): QosLimits {
  const scaled = (absolute: number, perGiB: number, min: number, max: number) => {
    if (absolute !== 0) return absolute;
    if (perGiB === 0) return null;
    return Math.max(min, Math.min(max, perGiB * sizeGiB));
  };
  return {
    iopsLimit: scaled(qos.iopsLimit, qos.iopsPerGiB, QOS_IOPS_MIN, QOS_IOPS_MAX),
    bandwidthBytesPerSec: scaled(
      qos.bandwidthBytesPerSec,
      qos.bandwidthBytesPerSecPerGiB,
      QOS_BANDWIDTH_MIN_BYTES_PER_SEC,
      QOS_BANDWIDTH_MAX_BYTES_PER_SEC,
    ),
  };
}

/** A volume group a type puts its volumes in (`flasharray:vg_name`), with the group's QoS. */
export interface VolumeGroupSpec {
  name: string;
  iopsLimit: number;
  bandwidthBytesPerSec: number;
}

/** Characters Purity refuses in names become '-' (`INVALID_CHARACTERS`). */
export function purityNameCharacters(text: string): string {
  return text.replace(/[^-a-zA-Z0-9]/g, '-');
}

export function volumeGroupSpecOf(type: VolumeTypeRecord | null): VolumeGroupSpec | null {
  const specs = type?.extraSpecs ?? {};
  const name = specs['flasharray:vg_name'];
  if (!name) return null;
  const iopsText = specs['flasharray:vg_maxIOPS'];
  const bandwidthText = specs['flasharray:vg_maxBWS'];
  const iops = iopsText ? pythonInt('vg_maxIOPS', iopsText) : QOS_IOPS_MAX;
  // Validated as bytes/s although Pure's documentation speaks of MB/s: kept, types rely on it.
  const bandwidth = bandwidthText ? pythonInt('vg_maxBWS', bandwidthText) : QOS_BANDWIDTH_MAX_BYTES_PER_SEC;
  if (!(iops >= QOS_IOPS_MIN && iops <= QOS_IOPS_MAX))
    throw new InvalidQoSSpecs(
      `vg_maxIOPS QoS error. Must be more than ${QOS_IOPS_MIN} and less than ${QOS_IOPS_MAX}`,
    );
  if (!(bandwidth >= QOS_BANDWIDTH_MIN_BYTES_PER_SEC && bandwidth <= QOS_BANDWIDTH_MAX_BYTES_PER_SEC))
    throw new InvalidQoSSpecs(
      `vg_maxBWS QoS error. Must be between ${QOS_BANDWIDTH_MIN_BYTES_PER_SEC} and ${QOS_BANDWIDTH_MAX_BYTES_PER_SEC}`,
    );
  return { name: purityNameCharacters(name), iopsLimit: iops, bandwidthBytesPerSec: bandwidth };
}
