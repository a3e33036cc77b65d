// Hosts (initiator identities), host groups and connections (which volume each host sees, at which
// LUN). Connections also decide what the protocol servers export.

import type { ArrayState } from './array-state.js';
import { objectErrors } from './errors.js';
import {
  type ChapSettings,
  type ConnectionRecord,
  type HostGroupRecord,
  type HostRecord,
  OBJECT_NAME,
  PERSONALITIES,
  type VolumeRecord,
} from './model.js';

/** Private LUNs count up from 1; shared (host group) LUNs count down from 254, then 255..4095. */
const LUN_PRIVATE_FIRST = 1;
const LUN_SHARED_FIRST = 254;
const LUN_MAX = 4095;

export interface HostSettings {
  iqns?: string[];
  wwns?: string[];
  nqns?: string[];
  addIqns?: string[];
  removeIqns?: string[];
  addWwns?: string[];
  removeWwns?: string[];
  addNqns?: string[];
  removeNqns?: string[];
  personality?: string | null;
  chap?: Partial<ChapSettings>;
  hostGroup?: string | null;
  name?: string;
  preferredArrays?: string[];
}

const EMPTY_CHAP: ChapSettings = {
  hostUser: null,
  hostPassword: null,
  targetUser: null,
  targetPassword: null,
};

function normalizeWwn(wwn: string): string {
  return wwn.replace(/:/g, '').toUpperCase();
}

export class HostService {
  constructor(private readonly state: ArrayState) {}

  requireHost(name: string): HostRecord {
    const host = this.state.hosts.get(name);
    if (!host) throw objectErrors.notFound('Host', name);
    return host;
  }

  requireGroup(name: string): HostGroupRecord {
    const group = this.state.hostGroups.get(name);
    if (!group) throw objectErrors.notFound('Host group', name);
    return group;
  }

  async createHost(name: string, settings: HostSettings): Promise<HostRecord> {
    if (!OBJECT_NAME.test(name)) throw objectErrors.invalid(name, 'Invalid host name.');
    if (this.state.hosts.has(name)) throw objectErrors.exists('Host', name);
    const host: HostRecord = {
      kind: 'host',
      name,
      iqns: [],
      wwns: [],
      nqns: [],
      personality: null,
      chap: { ...EMPTY_CHAP },
      hostGroup: null,
      preferredArrays: [],
    };
    this.applySettings(host, settings);
    this.state.hosts.set(name, host);
    await this.state.persist([host]);
    return host;
  }

  async updateHost(name: string, settings: HostSettings): Promise<HostRecord> {
    const host = this.requireHost(name);
    const removed: HostRecord[] = [];
    if (settings.name !== undefined && settings.name !== name) {
      if (!OBJECT_NAME.test(settings.name)) throw objectErrors.invalid(settings.name, 'Invalid host name.');
      if (this.state.hosts.has(settings.name)) throw objectErrors.exists('Host', settings.name);
    }
    this.applySettings(host, settings);
    const changed: Array<HostRecord | ConnectionRecord> = [host];
    if (settings.name !== undefined && settings.name !== name) {
      removed.push({ ...host, name });
      const connections = this.state.connections.filter((c) => c.hostName === name);
      await this.state.persist([], connections);
      for (const connection of connections) connection.hostName = settings.name;
      changed.push(...connections);
      this.state.hosts.delete(name);
      host.name = settings.name;
      this.state.hosts.set(host.name, host);
    }
    await this.state.persist(changed, removed);
    return host;
  }

  async deleteHost(name: string): Promise<void> {
    const host = this.requireHost(name);
    if (this.state.connections.some((c) => c.hostName === name)) throw objectErrors.hostHasConnections(name);
    this.state.hosts.delete(name);
    await this.state.persist([], [host]);
  }

  async createGroup(name: string): Promise<HostGroupRecord> {
    if (!OBJECT_NAME.test(name)) throw objectErrors.invalid(name, 'Invalid host group name.');
    if (this.state.hostGroups.has(name)) throw objectErrors.exists('Host group', name);
    const group: HostGroupRecord = { kind: 'host-group', name };
    this.state.hostGroups.set(name, group);
    await this.state.persist([group]);
    return group;
  }

  async deleteGroup(name: string): Promise<void> {
    const group = this.requireGroup(name);
    const hasHosts = [...this.state.hosts.values()].some((h) => h.hostGroup === name);
    if (hasHosts || this.state.connections.some((c) => c.hostGroupName === name))
      throw objectErrors.groupNotEmpty(name);
    this.state.hostGroups.delete(name);
    await this.state.persist([], [group]);
  }

  async setMembership(groupName: string, hostName: string, member: boolean): Promise<HostRecord> {
    this.requireGroup(groupName);
    const host = this.requireHost(hostName);
    if (member) {
      if (host.hostGroup === groupName) throw objectErrors.exists('Host group membership', hostName);
      if (host.hostGroup !== null)
        throw objectErrors.invalid(hostName, `Host is already in host group ${host.hostGroup}.`);
      host.hostGroup = groupName;
    } else {
      if (host.hostGroup !== groupName)
        throw objectErrors.invalid(hostName, 'Host is not a member of the host group.');
      host.hostGroup = null;
    }
    await this.state.persist([host]);
    return host;
  }

  /** Hosts that see `volume`: privately connected ones and members of connected host groups. */
  hostsSeeing(volume: VolumeRecord): HostRecord[] {
    const seen = new Map<string, HostRecord>();
    for (const connection of this.state.connections) {
      if (connection.volumeId !== volume.id) continue;
      if (connection.hostName) {
        const host = this.state.hosts.get(connection.hostName);
        if (host) seen.set(host.name, host);
      } else {
        for (const host of this.state.hosts.values())
          if (host.hostGroup === connection.hostGroupName) seen.set(host.name, host);
      }
    }
    return [...seen.values()];
  }

  async connect(
    target: { hostName?: string; hostGroupName?: string },
    volume: VolumeRecord,
    requestedLun?: number,
  ): Promise<ConnectionRecord> {
    if (volume.destroyed) throw objectErrors.destroyed('Volume', volume.name);
    const { hostName, hostGroupName, existing } = this.findConnection(target, volume);
    if (existing) throw objectErrors.connectionExists(hostName ?? hostGroupName ?? '', volume.name);
    const lun = this.allocateLun(hostName, hostGroupName, requestedLun);
    const connection: ConnectionRecord = {
      kind: 'connection',
      hostName,
      hostGroupName,
      volumeId: volume.id,
      lun,
    };
    this.state.connections.push(connection);
    await this.state.persist([connection]);
    return connection;
  }

  async disconnect(
    target: { hostName?: string; hostGroupName?: string },
    volume: VolumeRecord,
  ): Promise<void> {
    const { hostName, hostGroupName, existing } = this.findConnection(target, volume);
    if (!existing) throw objectErrors.connectionNotFound(hostName ?? hostGroupName ?? '', volume.name);
    this.state.connections = this.state.connections.filter((c) => c !== existing);
    await this.state.persist([], [existing]);
  }

  /** Checks the host or group exists and finds its connection to `volume`, if any. */
  private findConnection(target: { hostName?: string; hostGroupName?: string }, volume: VolumeRecord) {
    const hostName = target.hostName ?? null;
    const hostGroupName = target.hostGroupName ?? null;
    if (hostName) this.requireHost(hostName);
    if (hostGroupName) this.requireGroup(hostGroupName);
    const existing = this.state.connections.find(
      (c) => c.volumeId === volume.id && c.hostName === hostName && c.hostGroupName === hostGroupName,
    );
    return { hostName, hostGroupName, existing };
  }

  private allocateLun(hostName: string | null, groupName: string | null, requested?: number): number {
    const used = new Set<number>();
    for (const c of this.state.connections) {
      const sameHost = hostName !== null && c.hostName === hostName;
      const sameGroup = groupName !== null && c.hostGroupName === groupName;
      const hostInGroup =
        hostName !== null &&
        c.hostGroupName !== null &&
        this.state.hosts.get(hostName)?.hostGroup === c.hostGroupName;
      const groupHasHost =
        groupName !== null &&
        c.hostName !== null &&
        this.state.hosts.get(c.hostName)?.hostGroup === groupName;
      if (sameHost || sameGroup || hostInGroup || groupHasHost) used.add(c.lun);
    }
    if (requested !== undefined) {
      if (!Number.isInteger(requested) || requested < 1 || requested > LUN_MAX) {
        throw objectErrors.invalid(null, `Invalid LUN ${requested}: must be between 1 and ${LUN_MAX}.`);
      }
      if (used.has(requested)) throw objectErrors.invalid(null, `LUN ${requested} is already in use.`);
      return requested;
    }
    const candidates: number[] = [];
    if (groupName) {
      for (let lun = LUN_SHARED_FIRST; lun >= 1; lun--) candidates.push(lun);
      for (let lun = LUN_SHARED_FIRST + 1; lun <= LUN_MAX; lun++) candidates.push(lun);
    } else {
      for (let lun = LUN_PRIVATE_FIRST; lun <= LUN_MAX; lun++) candidates.push(lun);
    }
    const lun = candidates.find((l) => !used.has(l));
    if (lun === undefined) throw objectErrors.invalid(null, 'No free LUN: the LUN limit reached.');
    return lun;
  }

  private applySettings(host: HostRecord, s: HostSettings): void {
    const claim = (what: 'IQN' | 'WWN' | 'NQN', values: string[]) => {
      for (const value of values) {
        for (const other of this.state.hosts.values()) {
          if (other.name === host.name) continue;
          const list = what === 'IQN' ? other.iqns : what === 'WWN' ? other.wwns : other.nqns;
          if (list.includes(value)) throw objectErrors.inUse(what, value, other.name);
        }
      }
    };
    const merge = (current: string[], set?: string[], add?: string[], remove?: string[]) => {
      let next = set ? [...set] : [...current];
      for (const value of add ?? []) if (!next.includes(value)) next.push(value);
      if (remove) next = next.filter((v) => !remove.includes(v));
      return [...new Set(next)];
    };
    const iqns = merge(host.iqns, s.iqns, s.addIqns, s.removeIqns);
    const wwns = merge(
      host.wwns,
      s.wwns?.map(normalizeWwn),
      s.addWwns?.map(normalizeWwn),
      s.removeWwns?.map(normalizeWwn),
    );
    const nqns = merge(host.nqns, s.nqns, s.addNqns, s.removeNqns);
    claim('IQN', iqns);
    claim('WWN', wwns);
    claim('NQN', nqns);
    if (s.personality !== undefined && s.personality !== null && s.personality !== '') {
      if (!(PERSONALITIES as readonly string[]).includes(s.personality)) {
        throw objectErrors.invalid(host.name, `Invalid personality ${s.personality}.`);
      }
    }
    if (s.hostGroup !== undefined && s.hostGroup !== null && s.hostGroup !== '')
      this.requireGroup(s.hostGroup);
    host.iqns = iqns;
    host.wwns = wwns;
    host.nqns = nqns;
    if (s.personality !== undefined) host.personality = s.personality === '' ? null : s.personality;
    if (s.chap) host.chap = { ...host.chap, ...s.chap };
    if (s.hostGroup !== undefined) host.hostGroup = s.hostGroup === '' ? null : s.hostGroup;
    if (s.preferredArrays) host.preferredArrays = s.preferredArrays;
  }
}
