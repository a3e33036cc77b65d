// Per-project quotas and their usage (cinder/quota.py, api/contrib/quotas.py, api/v3/limits.py).
// Limits are Cinder's defaults unless a project's QuotaRecord overrides them; usage is counted from
// the store's volume, snapshot and group records, so it can never drift from what exists (Cinder
// keeps separate usage rows and needs quota-sync when they drift; there are no reservations here).

import { CinderError, cinderErrors } from '../errors.js';
import type { CinderStore } from '../store/store.js';

/** Cinder's [DEFAULT] quota_* defaults; -1 means unlimited. */
export const QUOTA_DEFAULTS = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
  per_volume_gigabytes: -1,
} as const;
/** Per-type quotas (volumes_<type>, snapshots_<type>, gigabytes_<type>) default to unlimited. */
export const QUOTA_PER_TYPE_DEFAULT = -1;
/** Cinder's db.MAX_INT: the largest limit the quota columns hold. */
export const QUOTA_LIMIT_MAX = 0x7fffffff;

const UNLIMITED = -1;
/** Keys a quota_set body may carry that are not quotas: cinderclient sends tenant_id (quotas.py NON_QUOTA_KEYS). */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id']);
const PER_TYPE_RESOURCES = ['volumes', 'snapshots', 'gigabytes'] as const;

/** What a request would add; checkQuota refuses it if any limit would be passed. */
export interface QuotaDelta {
  volumes?: number;
  /** GiB, volumes and snapshots together (Cinder's no_snapshot_gb_quota = False). */
  gigabytes?: number;
  snapshots?: number;
  groups?: number;
  /** The type the volumes or snapshots are of, for the per-type quotas. */
  volumeTypeId?: string | null;
  /** GiB of the one volume being created or extended (per_volume_gigabytes). */
  volumeSizeGiB?: number;
}

export interface QuotaUsage {
  limit: number;
  in_use: number;
  reserved: number;
}

export class Quotas {
  constructor(private readonly store: CinderStore) {}

  /** Every quota key with its default: the fixed ones, then three per volume type. */
  defaults(): Record<string, number> {
    const limits: Record<string, number> = { ...QUOTA_DEFAULTS };
    for (const type of this.typeNames())
      for (const resource of PER_TYPE_RESOURCES) limits[`${resource}_${type}`] = QUOTA_PER_TYPE_DEFAULT;
    return limits;
  }

  limits(projectId: string): Record<string, number> {
    const overrides = this.store.get('quota', projectId)?.limits ?? {};
    const limits = this.defaults();
    for (const key of Object.keys(limits)) if (key in overrides) limits[key] = overrides[key]!;
    return limits;
  }

  /** What the project holds now, under the same keys as its limits. */
  usage(projectId: string): Record<string, number> {
    const used: Record<string, number> = {};
    for (const key of Object.keys(this.defaults())) used[key] = 0;
    const typeNames = new Map(this.store.list('volume_type').map((t) => [t.id, t.name]));
    const volumes = this.store.list('volume', (v) => v.projectId === projectId);
    const volumeTypes = new Map(volumes.map((v) => [v.id, v.volumeTypeId]));
    const add = (key: string, amount: number) => {
      if (key in used) used[key] = used[key]! + amount;
    };
    for (const volume of volumes) {
      const type = typeNames.get(volume.volumeTypeId);
      add('volumes', 1);
      add('gigabytes', volume.size);
      if (type !== undefined) {
        add(`volumes_${type}`, 1);
        add(`gigabytes_${type}`, volume.size);
      }
    }
    for (const snapshot of this.store.list('snapshot', (s) => s.projectId === projectId)) {
      const type = typeNames.get(volumeTypes.get(snapshot.volumeId) ?? '');
      add('snapshots', 1);
      add('gigabytes', snapshot.volumeSize);
      if (type !== undefined) {
        add(`snapshots_${type}`, 1);
        add(`gigabytes_${type}`, snapshot.volumeSize);
      }
    }
    add('groups', this.store.list('group', (g) => g.projectId === projectId).length);
    return used;
  }

  /** quota-usage's view: every key as {limit, in_use, reserved}. */
  usageDetail(projectId: string): Record<string, QuotaUsage> {
    const limits = this.limits(projectId);
    const used = this.usage(projectId);
    const detail: Record<string, QuotaUsage> = {};
    for (const [key, limit] of Object.entries(limits))
      detail[key] = { limit, in_use: used[key] ?? 0, reserved: 0 };
    return detail;
  }

  /**
   * Sets limits for a project. Unknown keys, non-integers and limits below what is already used
   * are refused, as Cinder's quota-update does; returns the project's limits afterwards.
   */
  async update(projectId: string, body: Record<string, unknown>): Promise<Record<string, number>> {
    const changes = Object.fromEntries(Object.entries(body).filter(([key]) => !NON_QUOTA_KEYS.has(key)));
    const limits = this.limits(projectId);
    const bad = Object.keys(changes).filter((key) => !(key in limits));
    if (bad.length > 0) throw new CinderError(400, `Bad key(s) in quota set: ${bad.join(', ')}`);
    const used = this.usage(projectId);
    const overrides = { ...(this.store.get('quota', projectId)?.limits ?? {}) };
    for (const [key, raw] of Object.entries(changes)) {
      const limit = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (
        typeof limit !== 'number' ||
        !Number.isInteger(limit) ||
        limit < UNLIMITED ||
        limit > QUOTA_LIMIT_MAX
      )
        throw cinderErrors.invalidInput(`${key} must be an integer between -1 and ${QUOTA_LIMIT_MAX}.`);
      const inUse = used[key] ?? 0;
      if (limit !== UNLIMITED && key !== 'per_volume_gigabytes' && limit < inUse)
        throw cinderErrors.invalidInput(
          `Quota ${key} limit must be equal or greater than existing resources. Current usage is ${inUse} and the requested limit is ${limit}.`,
        );
      overrides[key] = limit;
    }
    await this.store.put('quota', { id: projectId, limits: overrides });
    return this.limits(projectId);
  }

  /** Back to the defaults (DELETE /os-quota-sets/{project}). */
  async reset(projectId: string): Promise<void> {
    if (this.store.get('quota', projectId)) await this.store.remove('quota', projectId);
  }

  /** Throws Cinder's 413 when `delta` would pass one of the project's limits. */
  check(projectId: string, delta: QuotaDelta): void {
    const limits = this.limits(projectId);
    const used = this.usage(projectId);
    const perVolume = limits.per_volume_gigabytes ?? UNLIMITED;
    if (delta.volumeSizeGiB !== undefined && perVolume !== UNLIMITED && delta.volumeSizeGiB > perVolume)
      throw new CinderError(
        413,
        `VolumeSizeExceedsLimit: Requested volume size ${delta.volumeSizeGiB}G is larger than maximum allowed limit ${perVolume}G.`,
      );
    const typeName = delta.volumeTypeId ? this.store.get('volume_type', delta.volumeTypeId)?.name : undefined;
    for (const resource of ['volumes', 'snapshots', 'gigabytes', 'groups'] as const) {
      const amount = delta[resource] ?? 0;
      if (amount <= 0) continue;
      const keys =
        typeName !== undefined && resource !== 'groups' ? [resource, `${resource}_${typeName}`] : [resource];
      for (const key of keys) {
        const limit = limits[key] ?? UNLIMITED;
        const inUse = used[key] ?? 0;
        if (limit !== UNLIMITED && inUse + amount > limit)
          throw overQuota(resource, key, amount, inUse, limit);
      }
    }
  }

  /** GET /limits' absolute section (api/views/limits.py names). */
  absoluteLimits(projectId: string): Record<string, number> {
    const limits = this.limits(projectId);
    const used = this.usage(projectId);
    return {
      totalSnapshotsUsed: used.snapshots ?? 0,
      maxTotalBackups: limits.backups ?? UNLIMITED,
      maxTotalVolumeGigabytes: limits.gigabytes ?? UNLIMITED,
      maxTotalSnapshots: limits.snapshots ?? UNLIMITED,
      maxTotalBackupGigabytes: limits.backup_gigabytes ?? UNLIMITED,
      totalBackupGigabytesUsed: used.backup_gigabytes ?? 0,
      maxTotalVolumes: limits.volumes ?? UNLIMITED,
      totalVolumesUsed: used.volumes ?? 0,
      totalBackupsUsed: used.backups ?? 0,
      totalGigabytesUsed: used.gigabytes ?? 0,
    };
  }

  private typeNames(): string[] {
    return this.store
      .list('volume_type')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((t) => t.name);
  }
}

/** Cinder's over-quota messages (quota_utils.process_reserve_over_quota), with the class name first. */
function overQuota(
  resource: string,
  key: string,
  requested: number,
  used: number,
  limit: number,
): CinderError {
  if (resource === 'gigabytes')
    return new CinderError(
      413,
      `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${key} quota. Requested ${requested}G, quota is ${limit}G and ${used}G has been consumed.`,
    );
  if (resource === 'volumes') return cinderErrors.quotaExceeded(key, requested, used, limit);
  const kind = resource === 'snapshots' ? 'SnapshotLimitExceeded' : 'GroupLimitExceeded';
  return new CinderError(
    413,
    `${kind}: Maximum number of ${key} allowed (${limit}) exceeded; requested ${requested}, in use ${used}.`,
  );
}
