// What the FlashArray driver tests need around real arrays: a backend read from a cinder.conf
// text (as the service reads it), the control plane's records with sensible defaults, a logger
// that keeps every line, and REST checks of what ended up on the arrays.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseCinderConfig } from '../../src/cinder/config/cinder-config.js';
import type { CinderBackendConfig } from '../../src/cinder/config/index.js';
import type { DriverLogger, DriverVolume } from '../../src/cinder/driver/index.js';
import {
  cinderTime,
  type GroupRecord,
  type GroupSnapshotRecord,
  type GroupTypeRecord,
  type SnapshotRecord,
  type VolumeRecord,
  type VolumeTypeRecord,
} from '../../src/cinder/model.js';
import type { ArrayProcess, RestResponse, restSession } from './array-process.js';

export interface DeviceAccess {
  backendId: string;
  array: ArrayProcess;
  type: 'sync' | 'async';
}

/** A backend section as an operator writes it, parsed by the service's own reader. */
export async function backendFor(
  primary: ArrayProcess,
  devices: DeviceAccess[],
  options: Record<string, string> = {},
  driver = 'cinder.volume.drivers.pure.PureNBDDriver',
): Promise<CinderBackendConfig> {
  const lines = [
    '[DEFAULT]',
    'enabled_backends = pure-1',
    '[pure-1]',
    'volume_backend_name = pure-1',
    `volume_driver = ${driver}`,
    `san_ip = 127.0.0.1:${primary.restPort}`,
    `pure_api_token = ${await primary.apiToken()}`,
  ];
  for (const d of devices) {
    const token = await d.array.apiToken();
    lines.push(
      `replication_device = backend_id:${d.backendId},san_ip:127.0.0.1:${d.array.restPort},api_token:${token},type:${d.type}`,
    );
  }
  for (const [key, value] of Object.entries(options)) lines.push(`${key} = ${value}`);
  const parsed = parseCinderConfig(lines.join('\n'), 'cinder.conf', { cwd: '/tmp', hostname: 'ctl' });
  return parsed.config.backends[0]!;
}

export function captureLogger(lines: string[]): DriverLogger {
  const at = (level: string) => (fields: object, message: string) => {
    lines.push(JSON.stringify({ level, message, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function volumeType(
  name: string,
  extraSpecs: Record<string, string>,
  qosSpecsId: string | null = null,
): VolumeTypeRecord {
  return {
    id: randomUUID(),
    name,
    description: null,
    isPublic: true,
    extraSpecs,
    qosSpecsId,
    projects: [],
    createdAt: cinderTime(),
  };
}

export function volumeRecord(overrides: Partial<VolumeRecord> = {}): VolumeRecord {
  return {
    id: randomUUID(),
    projectId: 'project-1',
    userId: 'user-1',
    name: null,
    description: null,
    size: 1,
    status: 'creating',
    previousStatus: null,
    attachStatus: 'detached',
    host: 'ctl@pure-1#pure-1',
    volumeTypeId: 'type',
    availabilityZone: 'nova',
    bootable: false,
    multiattach: false,
    snapshotId: null,
    sourceVolid: null,
    groupId: null,
    providerId: null,
    replicationStatus: 'disabled',
    metadata: {},
    adminMetadata: {},
    migrationStatus: null,
    createdAt: cinderTime(),
    updatedAt: null,
    launchedAt: null,
    terminatedAt: null,
    ...overrides,
  };
}

export function driverVolume(
  type: VolumeTypeRecord | null,
  overrides: Partial<VolumeRecord> = {},
  qosSpecs: Record<string, string> | null = null,
): DriverVolume {
  return { volume: volumeRecord({ volumeTypeId: type?.id ?? 'none', ...overrides }), type, qosSpecs };
}

export function snapshotRecord(
  volume: VolumeRecord,
  overrides: Partial<SnapshotRecord> = {},
): SnapshotRecord {
  return {
    id: randomUUID(),
    projectId: volume.projectId,
    userId: volume.userId,
    volumeId: volume.id,
    name: null,
    description: null,
    status: 'creating',
    volumeSize: volume.size,
    progress: '0%',
    providerId: null,
    groupSnapshotId: null,
    metadata: {},
    createdAt: cinderTime(),
    updatedAt: null,
    ...overrides,
  };
}

export function groupType(groupSpecs: Record<string, string>): GroupTypeRecord {
  return {
    id: randomUUID(),
    name: 'gt',
    description: null,
    isPublic: true,
    groupSpecs,
    createdAt: cinderTime(),
  };
}

export function groupRecord(type: GroupTypeRecord, volumeTypeIds: string[]): GroupRecord {
  return {
    id: randomUUID(),
    projectId: 'project-1',
    userId: 'user-1',
    name: 'cg',
    description: null,
    status: 'creating',
    groupTypeId: type.id,
    volumeTypeIds,
    host: 'ctl@pure-1#pure-1',
    availabilityZone: 'nova',
    groupSnapshotId: null,
    sourceGroupId: null,
    replicationStatus: 'disabled',
    createdAt: cinderTime(),
    updatedAt: null,
  };
}

export function groupSnapshotRecord(group: GroupRecord): GroupSnapshotRecord {
  return {
    id: randomUUID(),
    projectId: group.projectId,
    groupId: group.id,
    groupTypeId: group.groupTypeId,
    name: null,
    description: null,
    status: 'creating',
    createdAt: cinderTime(),
    updatedAt: null,
  };
}

/** The volume record after the driver's model update, as the manager saves it. */
export function applied(volume: VolumeRecord, update: { providerId?: string } | null): VolumeRecord {
  return { ...volume, ...(update?.providerId === undefined ? {} : { providerId: update.providerId }) };
}

export type Rest = Awaited<ReturnType<typeof restSession>>;

export function ok(res: RestResponse) {
  assert.equal(res.status, 200, `status ${res.status}: ${JSON.stringify(res.body)}`);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON from the API
  return res.body as { items: any[] };
}

export const q = encodeURIComponent;

/** Names of the protection groups holding `volume` on the array. */
export async function pgroupsOf(rest: Rest, volume: string): Promise<string[]> {
  const res = ok(await rest.call('GET', `/protection-groups/volumes?member_names=${q(volume)}`));
  return res.items.map((m: { group: { name: string } }) => m.group.name).sort();
}
