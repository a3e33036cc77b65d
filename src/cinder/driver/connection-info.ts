// What a host needs to reach a connected volume, per protocol (spec §7): the array's target
// ports (`_get_valid_ports`), filtered by the configured CIDRs, turned into os-brick's
// connection properties. Tandem's NBD driver reports the array's NBD portal (port CT0.ETH4,
// whose network interface offers the `nbd` service) and the volume's name as the export.

import { BlockList, isIP } from 'node:net';
import type { ConnectionInfo } from '../model.js';
import type { Port } from '../purity-client/index.js';
import { NVME_PORT } from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { PureDriverException } from './errors.js';

/** One array a volume was connected on, with the connection's LUN (or NVMe namespace id). */
export interface ConnectedArray {
  array: FlashArray;
  lun: number;
}

/** `_get_valid_ports`: ports of ready controllers, plus those behind bonds and VIFs. */
export async function validPorts(array: FlashArray): Promise<Port[]> {
  const controllers = await array.client.controllers.get({ filter: "status='ready'" });
  if (!controllers.ok) return [];
  const ports: Port[] = [];
  for (const controller of controllers.items) {
    const res = await array.client.ports.get({ filter: `name='${controller.name}.*'` });
    if (res.ok) ports.push(...res.items);
  }
  const bonds = await array.client.networkInterfaces.get({
    filter: "eth.subtype='lacp_bond' or eth.subtype='vif'",
  });
  // Cinder reads `.items` of each answer unchecked; an interface without a port is skipped here.
  for (const bond of bonds.ok ? bonds.items : []) {
    const res = await array.client.ports.get({ names: [bond.name.toUpperCase()] });
    if (res.ok) ports.push(...res.items);
  }
  return ports;
}

/** `ip_network(cidr)` for each configured CIDR; a malformed one is a configuration error. */
function cidrBlocks(cidrs: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefixText] = cidr.trim().split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
      throw new PureDriverException(`'${cidr.slice(0, 60)}' is not a valid CIDR`);
    blocks.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return blocks;
}

/** `ip:port` or `[v6]:port` split into host and port; null when it is not one. */
export function splitPortal(portal: string): { host: string; port: number } | null {
  const at = portal.lastIndexOf(':');
  if (at <= 0) return null;
  const host = portal.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(portal.slice(at + 1));
  if (isIP(host) === 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) return null;
  return { host, port };
}

function inBlocks(blocks: BlockList, host: string): boolean {
  return blocks.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4');
}

/** `pure_iscsi_cidr_list` supersedes `pure_iscsi_cidr`. */
function iscsiCidrs(ctx: DriverContext): string[] {
  const list = ctx.pure.iscsiCidrList;
  if (list === null || list.length === 0) return [ctx.pure.iscsiCidr];
  if (ctx.pure.iscsiCidr !== '0.0.0.0/0')
    ctx.logger.warn({}, 'pure_iscsi_cidr was ignored as pure_iscsi_cidr_list is set');
  return list;
}

export async function iscsiInfo(ctx: DriverContext, connected: ConnectedArray[]): Promise<ConnectionInfo> {
  const blocks = cidrBlocks(iscsiCidrs(ctx));
  const luns: number[] = [];
  const iqns: string[] = [];
  const portals: string[] = [];
  for (const { array, lun } of connected) {
    const ports = (await validPorts(array)).filter((p) => p.iqn);
    if (ports.length === 0) throw new PureDriverException('No iSCSI-enabled ports on target array.');
    for (const port of ports) {
      const portal = port.portal === null ? null : splitPortal(port.portal);
      if (portal === null || !inBlocks(blocks, portal.host)) continue;
      luns.push(lun);
      iqns.push(port.iqn!);
      portals.push(port.portal!);
    }
  }
  const data: Record<string, unknown> = { target_discovered: false, discard: true, addressing_mode: 'SAM2' };
  if (luns.length > 0) Object.assign(data, { target_luns: luns, target_iqns: iqns, target_portals: portals });
  return { driverVolumeType: 'iscsi', data };
}

export async function fcInfo(connected: ConnectedArray[], initiators: string[]): Promise<ConnectionInfo> {
  const luns: number[] = [];
  const wwns: string[] = [];
  for (const { array, lun } of connected) {
    for (const port of await validPorts(array)) {
      if (!port.wwn || port.nqn) continue;
      wwns.push(port.wwn.replaceAll(':', ''));
      luns.push(lun);
    }
  }
  if (luns.length === 0) throw new PureDriverException('No FC-enabled ports on target array.');
  const map = Object.fromEntries(initiators.map((i) => [i, wwns]));
  const data = {
    target_discovered: true,
    target_lun: luns[0],
    target_luns: luns,
    target_wwn: wwns,
    target_wwns: wwns,
    initiator_target_map: map,
    discard: true,
    addressing_mode: 'SAM2',
  };
  return { driverVolumeType: 'fibre_channel', data };
}

/** The ports whose network interface offers `service` (NVMe's `nvme-roce`/`nvme-tcp`, NBD's `nbd`). */
async function portsWithService(array: FlashArray, ports: Port[], service: string) {
  const found: Array<{ port: Port; address: string | null }> = [];
  for (const port of ports) {
    const wanted = port.name.toLowerCase();
    const res = await array.client.networkInterfaces.get({ names: [wanted] });
    // Matched by name rather than taken first: an array that ignores `names` answers every interface.
    const iface = res.ok ? res.items.find((i) => i.name === wanted) : undefined;
    if (iface?.services.includes(service)) found.push({ port, address: iface.eth?.address ?? null });
  }
  return found;
}

export async function nvmeInfo(ctx: DriverContext, connected: ConnectedArray[]): Promise<ConnectionInfo> {
  const cidrs = ctx.pure.nvmeCidrList?.length ? ctx.pure.nvmeCidrList : [ctx.pure.nvmeCidr];
  const blocks = cidrBlocks(cidrs);
  const transport = ctx.pure.nvmeTransport;
  const portals: Array<[string, number, string]> = [];
  const nqns: string[] = [];
  for (const { array } of connected) {
    const withNqn = (await validPorts(array)).filter((p) => p.nqn);
    const ports = await portsWithService(array, withNqn, `nvme-${transport}`);
    if (ports.length === 0) throw new PureDriverException(`No ${transport} enabled ports on target array.`);
    for (const { port } of ports) {
      const portal = port.portal === null ? null : splitPortal(port.portal);
      if (portal === null || !inBlocks(blocks, portal.host)) continue;
      nqns.push(port.nqn!);
      portals.push([portal.host, NVME_PORT, transport === 'roce' ? 'rdma' : 'tcp']);
    }
  }
  if (nqns.length === 0) throw new PureDriverException('No approrpiate nvme ports on target array.');
  return { driverVolumeType: 'nvmeof', data: { discard: true, portals, target_nqn: nqns[0] } };
}

/** Tandem's NBD: the export is the volume's Purity name on every array it was connected on. */
export async function nbdInfo(connected: ConnectedArray[], volumeName: string): Promise<ConnectionInfo> {
  const portals: string[] = [];
  for (const { array } of connected) {
    const candidates = (await validPorts(array)).filter((p) => p.portal && !p.iqn && !p.nqn && !p.wwn);
    for (const { port } of await portsWithService(array, candidates, 'nbd'))
      if (splitPortal(port.portal!) !== null) portals.push(port.portal!);
  }
  const first = portals[0] === undefined ? null : splitPortal(portals[0]);
  if (first === null) throw new PureDriverException('No NBD-enabled ports on target array.');
  const data = {
    host: first.host,
    port: first.port,
    export_name: volumeName,
    target_portals: portals,
    discard: true,
  };
  return { driverVolumeType: 'nbd', data };
}
