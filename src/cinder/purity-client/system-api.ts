// /arrays (+ /space, /performance), /controllers, /ports, /network-interfaces and
// /array-connections (spec purity-rest2.md §3.1, §3.7, §3.12): what the driver reads at setup,
// for its stats and to find target portals.

import type { ArraySpace, Controller, NetworkInterface, Performance, Port, PurityArray } from './models.js';
import type { ArrayConnection } from './models-replication.js';
import { type ListQuery, type NamedListQuery, Resource } from './resource.js';

/** Performance and space history: times in ms since the epoch, resolution in ms. */
export type HistoryQuery = ListQuery & {
  start_time?: number;
  end_time?: number;
  resolution?: number;
};

export class ArraysApi extends Resource {
  /** The driver needs `items[0]` `name`, `id` and `version`. */
  get(query: ListQuery = {}) {
    return this.call<PurityArray>('GET', '/arrays', query);
  }
  getSpace(query: HistoryQuery = {}) {
    return this.call<ArraySpace>('GET', '/arrays/space', query);
  }
  /** The driver asks with `total_item_count: true` and reads `items[0]` when it is not 0. */
  getPerformance(query: HistoryQuery = {}) {
    return this.call<Performance>('GET', '/arrays/performance', query);
  }
}

export class ControllersApi extends Resource {
  /** The driver asks `filter: "status='ready'"`. */
  get(query: NamedListQuery = {}) {
    return this.call<Controller>('GET', '/controllers', query);
  }
}

export class PortsApi extends Resource {
  /** The driver asks per controller `filter: "name='CT0.*'"`, and by upper-case name per vif. */
  get(query: NamedListQuery = {}) {
    return this.call<Port>('GET', '/ports', query);
  }
}

export class NetworkInterfacesApi extends Resource {
  /** The driver asks `filter: "eth.subtype='lacp_bond' or eth.subtype='vif'"`, and NVMe names. */
  get(query: NamedListQuery = {}) {
    return this.call<NetworkInterface>('GET', '/network-interfaces', query);
  }
}

export class ArrayConnectionsApi extends Resource {
  /** The driver reports replication capability from `status` and `type`. */
  get(query: NamedListQuery & { remote_names?: readonly string[] } = {}) {
    return this.call<ArrayConnection>('GET', '/array-connections', query);
  }
}
