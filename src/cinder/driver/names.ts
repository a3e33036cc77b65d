// Purity names of Cinder's objects (spec §2): volumes, snapshots, consistency-group protection
// groups and their snapshots, replica groups on targets, ghost pods and generated host names.

import type { VolumeTypeRecord } from '../model.js';
import {
  CINDER_SUFFIX,
  HOST_NAME_PREFIX_CHARS_MAX,
  SNAPSHOT_NAME_PREFIX,
  VOLUME_BASE_NAME_CHARS_MAX,
  VOLUME_NAME_PREFIX,
} from './constants.js';
import { InvalidVolumeType, PureDriverException } from './errors.js';
import { isPodKind, purityNameCharacters, replicationKindOf, volumeGroupSpecOf } from './type-specs.js';

/** Hosts the driver created and may delete when unused (`GENERATED_NAME`). */
export const GENERATED_HOST_NAME = /.*-[a-f0-9]{32}-cinder$/;

/** Cinder's `volume.name` (`volume-<id>`), left-truncated to fit Purity's 63 characters. */
export function volumeBaseName(volumeId: string): string {
  const base = `${VOLUME_NAME_PREFIX}${volumeId}`;
  if (base.length <= VOLUME_BASE_NAME_CHARS_MAX) return base;
  const keep = VOLUME_BASE_NAME_CHARS_MAX - (VOLUME_NAME_PREFIX.length + 2);
  return `${VOLUME_NAME_PREFIX}${volumeId.slice(-keep)}`;
}

/**
 * `_generate_purity_vol_name`: `volume-<id>-cinder`, in the replication pod for sync and trisync
 * types. A volume group name is not part of it (the caller adds `vg/`).
 */
export function purityVolumeName(volumeId: string, type: VolumeTypeRecord | null, podName: string): string {
  const base = `${volumeBaseName(volumeId)}${CINDER_SUFFIX}`;
  if (!isPodKind(replicationKindOf(type))) return base;
  if (volumeGroupSpecOf(type) !== null)
    throw new InvalidVolumeType('Synchronously replicated volume group volumes are not supported');
  return `${podName}::${base}`;
}

/** `_get_pod_for_volume`: the pod of `pod::vol`, or null outside pods. */
export function podOfVolume(name: string): string | null {
  if (!name.includes('::')) return null;
  const parts = name.split('::');
  if (parts.length !== 2 || !parts[0])
    throw new PureDriverException(`Unable to determine pod for volume ${name}`);
  return parts[0];
}

/** A name without its pod (`pod::vol` -> `vol`) and without its volume group (`vg/vol` -> `vol`). */
export function bareVolumeName(name: string): string {
  const inPod = name.split('::').at(-1)!;
  return inPod.split('/').at(-1)!;
}

export function snapshotSuffix(snapshotId: string): string {
  return `${SNAPSHOT_NAME_PREFIX}${snapshotId}`;
}

/** `<volume provider_id>.snapshot-<id>`. */
export function snapshotName(volumeName: string, snapshotId: string): string {
  return `${volumeName}.${snapshotSuffix(snapshotId)}`;
}

/** `consisgroup-<id>-cinder`, inside the pod when any of the group's types is sync or trisync. */
export function pgroupName(groupId: string, types: readonly VolumeTypeRecord[], podName: string): string {
  const plain = `consisgroup-${groupId}${CINDER_SUFFIX}`;
  return types.some((t) => isPodKind(replicationKindOf(t))) ? `${podName}::${plain}` : plain;
}

/** Both names a group's protection group may have, the pod one first. */
export function pgroupNameCandidates(groupId: string, podName: string): [string, string] {
  const plain = `consisgroup-${groupId}${CINDER_SUFFIX}`;
  return [`${podName}::${plain}`, plain];
}

export function groupSnapshotSuffix(groupSnapshotId: string): string {
  return `cgsnapshot-${groupSnapshotId}${CINDER_SUFFIX}`;
}

/** A member volume's snapshot inside a group snapshot: `<pg>.<suffix>.<vol without pod>`. */
export function pgroupVolumeSnapshotName(pgroup: string, suffix: string, volumeName: string): string {
  return `${pgroup}.${suffix}.${volumeName.split('::').at(-1)!}`;
}

/** The replica of a group on a target: `<source>:<pg>`, or `<pod>:<pg>` for a group in a pod. */
export function replicaPgroupName(sourceArrayName: string, pgroup: string): string {
  return pgroup.includes('::') ? pgroup.replace('::', ':') : `${sourceArrayName}:${pgroup}`;
}

export function ghostPodName(prefix: string, volumeId: string): string {
  return `${prefix}-${volumeId}`;
}

/**
 * `_generate_purity_host_name`: `<host[:23] cleaned>-<32 hex>-cinder`. The hex is the
 * connector's "system uuid" so that every array names one compute host alike; a system uuid that
 * is not 32 hex digits would make a name the driver never recognises as its own, so it is
 * replaced by a random one, as when the connector has none.
 */
export function purityHostName(connector: Record<string, unknown>, randomHex: () => string): string {
  const host = connector.host;
  if (typeof host !== 'string' || host === '')
    throw new PureDriverException('the connector has no host name');
  const systemUuid = connector['system uuid'];
  const fromSystem = typeof systemUuid === 'string' ? systemUuid.replaceAll('-', '').toLowerCase() : '';
  const hex = /^[a-f0-9]{32}$/.test(fromSystem) ? fromSystem : randomHex();
  const prefix = purityNameCharacters(host.slice(0, HOST_NAME_PREFIX_CHARS_MAX)).replace(/^-+/, '');
  return `${prefix}-${hex}${CINDER_SUFFIX}`;
}

/** `name-unmanaged`; when too long, the suffix replaces the name's last characters. */
export function unmanagedName(name: string, suffix: string, charsMax: number): string {
  return `${name}${suffix}`.length > charsMax
    ? `${name.slice(0, -suffix.length)}${suffix}`
    : `${name}${suffix}`;
}
