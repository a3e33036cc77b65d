// Who may reach what over iSCSI on this array: an initiator is the host whose `iqns` hold its
// name (IQNs compare case-insensitively, as Purity stores them in lower case); it addresses the
// volumes connected to that host, privately or through its host group, at each connection's LUN.
// The target name has the shape of a FlashArray's and is derived from the array's id, so it stays
// the same across restarts.

import type { IscsiInitiator, IscsiTargetCatalog } from '../iscsi/catalog.js';
import type { LogicalUnit } from '../iscsi/scsi/types.js';
import type { ArrayState } from './array-state.js';
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

export class ArrayIscsiAccess implements IscsiTargetCatalog {
  readonly targetName: string;
  readonly targetAlias: string;

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

  /**
   * LUN -> volume for the initiator's host (a private connection wins over a shared one), or only
   * `onlyLun`: `open` runs for every SCSI command, so it makes one pass and no map of the rest.
   */
  private mapping(initiatorName: string, onlyLun?: number): Map<number, VolumeRecord> {
    const map = new Map<number, VolumeRecord>();
    const host = this.hostOf(initiatorName);
    if (!host) return map;
    for (const c of this.state.connections) {
      if (onlyLun !== undefined && c.lun !== onlyLun) continue;
      const mine =
        c.hostName === host.name || (c.hostGroupName !== null && c.hostGroupName === host.hostGroup);
      if (!mine) continue;
      const volume = this.state.volumes.get(c.volumeId);
      if (!volume || volume.destroyed) continue;
      if (!map.has(c.lun) || c.hostName !== null) map.set(c.lun, volume);
    }
    return map;
  }

  luns(initiatorName: string): number[] {
    return [...this.mapping(initiatorName).keys()].sort((a, b) => a - b);
  }

  open(initiatorName: string, lun: number): LogicalUnit | null {
    const volume = this.mapping(initiatorName, lun).get(lun);
    if (!volume) return null;
    const device = this.exports.open(volume.name);
    if ('refused' in device) return null;
    return { lun, device, naa: volumeNaa(volume.serial), serial: volume.serial };
  }
}
