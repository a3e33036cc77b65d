// What every part of the volume service shares, and the checks they all make: who may see a
// record, admin-only actions, frozen backends.

import { randomUUID } from 'node:crypto';
import { CinderError, cinderErrors } from '../errors.js';
import {
  cinderTime,
  type RecordKind,
  type RecordKinds,
  type VolumeRecord,
  type VolumeTypeRecord,
} from '../model.js';
import type { RequestContext } from '../request-context.js';
import type { CinderStore } from '../store/store.js';
import type { BackendState, Backends } from './backends.js';
import type { QuotaPort, TypeCatalogPort, VolumeServiceLogger } from './ports.js';
import type { TaskRunner } from './tasks.js';

export interface VolumeServiceDeps {
  store: CinderStore;
  types: TypeCatalogPort;
  quotas: QuotaPort;
  backends: Backends;
  tasks: TaskRunner;
  logger: VolumeServiceLogger;
}

export const newId = () => randomUUID();
export const now = () => cinderTime();

/** A record of `context`'s project (or any, for an admin); others do not exist for the caller. */
export function visibleRecord<K extends RecordKind>(
  deps: VolumeServiceDeps,
  context: RequestContext,
  kind: K,
  id: string,
  notFound: (id: string) => CinderError,
): RecordKinds[K] {
  const record = deps.store.get(kind, id);
  const projectId = (record as { projectId?: string } | undefined)?.projectId;
  if (!record || (!context.isAdmin && projectId !== undefined && projectId !== context.projectId))
    throw notFound(id);
  return record;
}

export function requireVolume(deps: VolumeServiceDeps, context: RequestContext, id: string): VolumeRecord {
  return visibleRecord(deps, context, 'volume', id, cinderErrors.volumeNotFound);
}

export function requireAdmin(context: RequestContext, action: string): void {
  if (!context.isAdmin) throw cinderErrors.forbidden(action);
}

/** Cinder's assert_not_frozen: no changes on a backend frozen for failover. */
export function assertNotFrozen(deps: VolumeServiceDeps, volumeHost: string | null): void {
  if (!volumeHost) return;
  const serviceHost = volumeHost.split('#')[0];
  const service = deps.store.list(
    'service',
    (s) => s.host === serviceHost && s.binary === 'cinder-volume',
  )[0];
  if (service?.frozen) throw cinderErrors.frozen();
}

/** The backend a volume lives on; a volume never scheduled (or on an unknown host) has none. */
export function backendOf(deps: VolumeServiceDeps, volume: VolumeRecord): BackendState {
  const backend = deps.backends.forHost(volume.host);
  if (!backend) throw new CinderError(400, `Invalid volume: volume ${volume.id} is not on a known backend.`);
  return backend;
}

/** Cinder's is_replicated_spec: replication_enabled is exactly "<is> <true word>". */
export function isReplicatedType(type: VolumeTypeRecord | null): boolean {
  const spec = type?.extraSpecs.replication_enabled;
  if (spec === undefined) return false;
  const words = spec.split(/\s+/).filter((w) => w.length > 0);
  return (
    words.length === 2 &&
    words[0] === '<is>' &&
    ['t', 'true', 'on', 'y', 'yes', '1'].includes(words[1]!.toLowerCase())
  );
}

/**
 * Whether a listed record's project is in the caller's view: an admin's all_tenants sees every
 * project (or the one named), anyone else only their own.
 */
export function inListScope(
  context: RequestContext,
  filters: { allTenants: boolean; projectId?: string },
  projectId: string,
): boolean {
  if (!(context.isAdmin && filters.allTenants)) return projectId === context.projectId;
  return filters.projectId === undefined || projectId === filters.projectId;
}

/** Cinder lists newest first. */
export function newestFirst(x: { createdAt: string }, y: { createdAt: string }): number {
  return x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0;
}

export async function saveVolume(deps: VolumeServiceDeps, volume: VolumeRecord): Promise<void> {
  volume.updatedAt = now();
  await deps.store.put('volume', volume);
}
