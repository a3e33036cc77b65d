// /hosts, /host-groups, /hosts/host-groups and /connections (spec purity-rest2.md §3.5-§3.6):
// what the driver's attach and detach paths call (driver spec §7).

import type {
  Connection,
  ConnectionPost,
  Host,
  HostGroup,
  HostPatch,
  HostPost,
  Member,
  Qos,
} from './models.js';
import {
  type ListQuery,
  type MembersListQuery,
  type MembersQuery,
  type NamedListQuery,
  type NamesQuery,
  type NoItems,
  Resource,
} from './resource.js';

export class HostsApi extends Resource {
  /** The driver finds its host with `filter: "iqns='<iqn>' and is_local"` (or wwns/nqns). */
  get(query: NamedListQuery = {}) {
    return this.call<Host>('GET', '/hosts', query);
  }
  post(query: NamesQuery, body: HostPost = {}) {
    return this.call<Host>('POST', '/hosts', query, body);
  }
  patch(query: NamesQuery, body: HostPatch) {
    return this.call<Host>('PATCH', '/hosts', query, body);
  }
  /** Refused with "cannot be deleted due to existing connections" while volumes are connected. */
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/hosts', query);
  }
}

export class HostGroupsApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<HostGroup>('GET', '/host-groups', query);
  }
  post(query: NamesQuery, body: { qos?: Qos } = {}) {
    return this.call<HostGroup>('POST', '/host-groups', query, body);
  }
  patch(query: NamesQuery, body: { name?: string; qos?: Qos }) {
    return this.call<HostGroup>('PATCH', '/host-groups', query, body);
  }
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/host-groups', query);
  }
}

/** Host membership in host groups (`group_names` = host groups, `member_names` = hosts). */
export class HostsHostGroupsApi extends Resource {
  get(query: MembersListQuery = {}) {
    return this.call<Member>('GET', '/hosts/host-groups', query);
  }
  post(query: MembersQuery) {
    return this.call<Member>('POST', '/hosts/host-groups', query);
  }
  delete(query: MembersQuery) {
    return this.call<NoItems>('DELETE', '/hosts/host-groups', query);
  }
}

export type ConnectionsGetQuery = ListQuery & {
  host_names?: readonly string[];
  host_group_names?: readonly string[];
  volume_names?: readonly string[];
};

/** A private connection names hosts; a shared one names host groups. */
export type ConnectionsQuery = {
  host_names?: readonly string[];
  host_group_names?: readonly string[];
  volume_names: readonly string[];
};

export class ConnectionsApi extends Resource {
  get(query: ConnectionsGetQuery = {}) {
    return this.call<Connection>('GET', '/connections', query);
  }
  /**
   * Without a body the array picks the LUN (first free from 1 for a host); the SDK then sends
   * no body at all, so none is sent here either unless a LUN is asked for.
   */
  post(query: ConnectionsQuery, body?: ConnectionPost) {
    return this.call<Connection>('POST', '/connections', query, body);
  }
  delete(query: ConnectionsQuery) {
    return this.call<NoItems>('DELETE', '/connections', query);
  }
}
