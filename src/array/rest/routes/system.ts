// /arrays, /arrays/space, /arrays/performance, /controllers, /ports, /network-interfaces and the
// endpoints only Pure's OpenMetrics exporter reads (answered with what this array has).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StorageArray } from '../../array.js';
import { applyListQuery, listEnvelope } from '../list-query.js';
import { arrayView, PURITY_VERSION, performanceView } from '../views.js';
import { listQuery, optionalList, queryOf } from './common.js';

export interface SystemInfo {
  capacityBytes: () => number;
  /** Where hosts reach this array's services (host:port). */
  restAddress: string;
  nbdAddress: string | null;
  /** The iSCSI portal (host:port) and the array's target IQN, when the array serves iSCSI. */
  iscsi: { portal: string; targetName: string } | null;
}

/** names= selects (case-insensitively, as Purity's port and interface names are), then the rest. */
function list(items: Record<string, unknown>[], request: FastifyRequest) {
  const names = optionalList(queryOf(request), 'names')?.map((n) => n.toLowerCase());
  const selected = names ? items.filter((item) => names.includes(String(item.name).toLowerCase())) : items;
  return listEnvelope(applyListQuery(selected, listQuery(request)));
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export function systemRoutes(app: FastifyInstance, array: StorageArray, info: SystemInfo): void {
  app.get('/arrays', async (request) => list([arrayView(array, info.capacityBytes())], request));

  app.get('/arrays/space', async (request) => {
    const item = {
      id: array.state.identity.id,
      name: array.name,
      capacity: info.capacityBytes(),
      capacity_installed: info.capacityBytes(),
      parity: 1,
      space: array.space.array(),
      time: Date.now(),
    };
    return list([item], request);
  });

  app.get('/arrays/performance', async (request) => {
    const item = performanceView(array.perf.array.rates(), { id: array.state.identity.id, name: array.name });
    return list([item], request);
  });

  app.get('/controllers', async (request) => {
    const now = Date.now();
    const controllers = ['CT0', 'CT1'].map((name, i) => ({
      name,
      mode: i === 0 ? 'primary' : 'secondary',
      mode_since: array.state.identity.createdMs,
      model: 'Tandem//X',
      status: 'ready',
      type: 'array_controller',
      version: PURITY_VERSION,
      _as_of: now,
    }));
    return list(controllers, request);
  });

  app.get('/ports', async (request) => {
    // NBD is not a Purity port type: the NBD portal is reported with no iqn/wwn/nqn so that
    // clients looking for iSCSI, FC or NVMe targets do not pick it up.
    const ports: Record<string, unknown>[] = [];
    // The iSCSI port is what Cinder's PureISCSIDriver looks for: a port with an iqn and a portal.
    if (info.iscsi)
      ports.push({
        name: 'CT0.ETH2',
        iqn: info.iscsi.targetName,
        nqn: null,
        wwn: null,
        portal: info.iscsi.portal,
        failover: null,
      });
    if (info.nbdAddress)
      ports.push({
        name: 'CT0.ETH4',
        iqn: null,
        nqn: null,
        wwn: null,
        portal: info.nbdAddress,
        failover: null,
      });
    return list(ports, request);
  });

  app.get('/network-interfaces', async (request) => {
    const rest = splitAddress(info.restAddress);
    const interfaces: Record<string, unknown>[] = [networkInterface('ct0.eth0', rest.host, ['management'])];
    if (info.iscsi)
      interfaces.push(networkInterface('ct0.eth2', splitAddress(info.iscsi.portal).host, ['iscsi']));
    if (info.nbdAddress)
      interfaces.push(networkInterface('ct0.eth4', splitAddress(info.nbdAddress).host, ['nbd']));
    return list(interfaces, request);
  });

  // Read by Pure's OpenMetrics exporter; this array has nothing to report in them (yet).
  for (const path of [
    '/subscriptions',
    '/alerts',
    '/hardware',
    '/drives',
    '/directories',
    '/directories/performance',
    '/network-interfaces/performance',
    '/volume-groups',
    '/volume-groups/performance',
  ]) {
    app.get(path, async (request) => list([], request));
  }
}

function networkInterface(name: string, address: string, services: string[]) {
  return {
    name,
    enabled: true,
    interface_type: 'eth',
    services,
    speed: 10_000_000_000,
    eth: {
      address,
      netmask: '255.0.0.0',
      gateway: null,
      mtu: 1500,
      mac_address: null,
      vlan: null,
      subnet: { name: null },
      subinterfaces: [],
      subtype: 'physical',
    },
  };
}
