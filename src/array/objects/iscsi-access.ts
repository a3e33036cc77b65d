// Who may reach what over iSCSI on this array: an initiator is the host whose `iqns` hold its
// name (IQNs compare case-insensitively, as Purity stores them in lower case); it addresses the
// volumes connected to that host, privately or through its host group, at each connection's LUN.
// The target name has the shape of a FlashArray's and is derived from the array's id, so it stays
// the same across restarts.

import type { IscsiInitiator, IscsiTargetCatalog } from '../iscsi/catalog.js';
import type { LogicalUnit } from '../iscsi/scsi/types.js';
import type { AccessStamp, ArrayState } from './array-state.js';
import type { ArrayExports } from './exports.js';
import type { HostRecord, VolumeRecord } from './model.js';

/** Pure's NAA company id: a volume's NAA designator is this followed by its 24-hex-digit serial. */
export const PURE_NAA_PREFIX = '624a9370';

/** The NAA designator (VPD page 0x83) of the volume with this serial: Pure's prefix and the serial. */
export function volumeNaa(serial: string): string {
  return `${PURE_NAA_PREFIX}${serial.toLowerCase()}`;
}

export function targetNameOf(arrayId: string): string {
  return `iqn.2010-06.com.purestorage:flasharray.${arrayId.replace(/-/g, '').slice(0, 16).toLowerCase()}`;
}

/**
 * What one known initiator reaches, as derived from the records at one stamp (see
 * ArrayState.isCurrent), while its host record is still the one in the state.
 */
interface Reach {
  stamp: AccessStamp;
  host: HostRecord;
  volumes: Map<number, VolumeRecord>;
  luns: readonly number[];
  /** LUs handed out at this stamp, by LUN (their devices are shared; closing them is a no-op). */
  units: Map<number, LogicalUnit>;
}

/** An initiator no host claims: it reaches nothing. Not kept: any name can log in and ask. */
const NO_REACH = {
  volumes: new Map<number, VolumeRecord>(),
  luns: [] as readonly number[],
  units: new Map(),
};

/** Initiators whose reach is kept; past this the cache starts over (hosts come and go). */
const REACH_CACHE_MAX = 1024;

export class ArrayIscsiAccess implements IscsiTargetCatalog {
  readonly targetName: string;
  readonly targetAlias: string;
  /**
   * By initiator name. Each SCSI command asks for its LU: resolving it afresh walked every host,
   * connection and volume, which cost a 4 KiB read more than half its speed on an array with 2 000
   * of each.
   */
  private readonly reach = new Map<string, Reach>();

  constructor(
    private readonly state: ArrayState,
    private readonly exports: ArrayExports,
  ) {
    this.targetName = targetNameOf(state.identity.id);
    this.targetAlias = state.identity.name;
  }

  private hostOf(initiatorName: string): HostRecord | undefined {
    const wanted = initiatorName.toLowerCase();
    for (const host of this.state.hosts.values())
      if (host.iqns.some((iqn) => iqn.toLowerCase() === wanted)) return host;
    return undefined;
  }

  initiator(initiatorName: string): IscsiInitiator | null {
    const host = this.hostOf(initiatorName);
    return host ? { host: host.name, chap: { ...host.chap } } : null;
  }

  luns(initiatorName: string): readonly number[] {
    return this.reachOf(initiatorName).luns;
  }

  open(initiatorName: string, lun: number): LogicalUnit | null {
    const reach = this.reachOf(initiatorName);
    const volume = reach.volumes.get(lun);
    if (!volume) return null;
    const known = reach.units.get(lun);
    if (known) return known;
    const device = this.exports.openVolume(volume);
    if ('refused' in device) return null;
    const unit: LogicalUnit = { lun, device, naa: volumeNaa(volume.serial), serial: volume.serial };
    const podId = volume.podId;
    if (podId) unit.reservationsUnavailable = () => this.stretchedPodReason(podId);
    reach.units.set(lun, unit);
    return unit;
  }

  /**
   * Reservations are not shared between the arrays of a stretched pod (yet): refused there, so no
   * host trusts a fence that holds on one array only.
   */
  private stretchedPodReason(podId: string): string | undefined {
    // The pod record, not the replication service: that starts after the iSCSI server does.
    if ((this.state.pods.get(podId)?.arrays.length ?? 0) < 2) return undefined;
    return 'the volume is in a stretched pod, whose other arrays would not see its reservations';
  }

  private reachOf(initiatorName: string): Pick<Reach, 'volumes' | 'luns' | 'units'> {
    const known = this.reach.get(initiatorName);
    if (known && this.state.isCurrent(known.stamp) && this.state.hosts.get(known.host.name) === known.host)
      return known;
    const stamp = this.state.accessStamp();
    const host = this.hostOf(initiatorName);
    if (!host) return NO_REACH;
    const volumes = this.volumesOf(host);
    const reach: Reach = {
      stamp,
      host,
      volumes,
      luns: [...volumes.keys()].sort((a, b) => a - b),
      units: new Map(),
    };
    if (this.reach.size >= REACH_CACHE_MAX) this.reach.clear();
    this.reach.set(initiatorName, reach);
    return reach;
  }

  /** LUN -> volume for the host (a private connection wins over a shared one). */
  private volumesOf(host: HostRecord): Map<number, VolumeRecord> {
    const map = new Map<number, VolumeRecord>();
    for (const c of this.state.connections) {
      const mine =
        c.hostName === host.name || (c.hostGroupName !== null && c.hostGroupName === host.hostGroup);
      if (!mine) continue;
      const volume = this.state.volumes.get(c.volumeId);
      if (!volume || volume.destroyed) continue;
      if (!map.has(c.lun) || c.hostName !== null) map.set(c.lun, volume);
    }
    return map;
  }
}
