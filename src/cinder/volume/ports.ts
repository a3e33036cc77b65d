// What the volume service needs from the rest of the control plane: the catalog of volume types,
// QoS specs and quotas (src/cinder/catalog), the backends (a driver each) and a logger.

import type { VolumeDriver } from '../driver/volume-driver.js';
import type { GroupTypeRecord, VolumeTypeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';

export interface TypeCatalogPort {
  /** A type by id or name that `context` may use; throws CinderError 404. */
  resolveType(context: RequestContext, nameOrId: string): VolumeTypeRecord;
  getType(id: string): VolumeTypeRecord | undefined;
  /** The configured default type (created at start as Cinder does). */
  defaultType(): VolumeTypeRecord;
  /** The QoS specs a type's volumes get on the array (back-end or both consumers), or null. */
  qosSpecsFor(type: VolumeTypeRecord): Record<string, string> | null;
  resolveGroupType(context: RequestContext, nameOrId: string): GroupTypeRecord;
}

export interface QuotaDelta {
  volumes?: number;
  gigabytes?: number;
  snapshots?: number;
  groups?: number;
}

export interface QuotaPort {
  /** Throws CinderError 413 when the project would go over a limit (type-specific ones too). */
  check(projectId: string, delta: QuotaDelta, type: VolumeTypeRecord | null): void;
}

/** One enabled backend of this control plane (a cinder-volume service). */
export interface BackendPort {
  /** cinder.conf section name (the backend in host@backend). */
  readonly name: string;
  /** volume_backend_name: the pool and the scheduler's volume_backend_name capability. */
  readonly backendName: string;
  readonly driver: VolumeDriver;
  readonly availabilityZone: string;
  readonly reservedPercentage: number;
  readonly maxOverSubscriptionRatio: number | 'auto';
}

export interface VolumeServiceLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
