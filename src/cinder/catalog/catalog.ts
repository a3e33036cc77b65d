// The control plane's catalog: records that need no array (volume types, QoS specs, group types,
// quotas). The API layer uses the parts directly; the volume service sees only CatalogLookup,
// the few questions it asks while creating, extending or retyping a volume.

import { randomUUID } from 'node:crypto';
import type { GroupTypeRecord, QosSpecsRecord, VolumeTypeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import type { CinderStore } from '../store/store.js';
import { GroupTypes } from './group-types.js';
import { QosSpecs } from './qos-specs.js';
import { type QuotaDelta, Quotas } from './quotas.js';
import { type CatalogEnv, DEFAULT_TYPE_NAME, VolumeTypes } from './volume-types.js';

/** What the volume service asks the catalog. */
export interface CatalogLookup {
  /** A volume request's volume_type (name or id; null: the default type), as `context` may use it. */
  resolveType(nameOrId: string | null, context?: RequestContext): VolumeTypeRecord;
  /** By id; 404 CinderError when missing. */
  getType(id: string): VolumeTypeRecord;
  /** By id; undefined when missing (a volume's type may have been deleted by a direct store edit). */
  findType(id: string): VolumeTypeRecord | undefined;
  defaultType(): VolumeTypeRecord;
  qosFor(type: VolumeTypeRecord): QosSpecsRecord | null;
  /** Throws Cinder's 413 CinderError when `delta` would pass one of the project's quotas. */
  checkQuota(projectId: string, delta: QuotaDelta): void;
  resolveGroupType(nameOrId: string, context?: RequestContext): GroupTypeRecord;
}

export interface CinderCatalogOptions {
  store: CinderStore;
  /** cinder.conf default_volume_type (Cinder's default: __DEFAULT__). */
  defaultVolumeType?: string;
  /** cinder.conf default_group_type; none by default. */
  defaultGroupType?: string | null;
  env?: Partial<CatalogEnv>;
}

export class CinderCatalog implements CatalogLookup {
  readonly types: VolumeTypes;
  readonly qos: QosSpecs;
  readonly quotas: Quotas;
  readonly groupTypes: GroupTypes;

  private constructor(options: CinderCatalogOptions) {
    const env: CatalogEnv = {
      now: options.env?.now ?? (() => new Date()),
      newId: options.env?.newId ?? randomUUID,
    };
    this.types = new VolumeTypes(options.store, env, options.defaultVolumeType ?? DEFAULT_TYPE_NAME);
    this.qos = new QosSpecs(options.store, env, this.types);
    this.quotas = new Quotas(options.store);
    this.groupTypes = new GroupTypes(options.store, env, options.defaultGroupType ?? null);
  }

  /** Opens the catalog over `store`, creating __DEFAULT__ if this is a new store (as Cinder's migration). */
  static async open(options: CinderCatalogOptions): Promise<CinderCatalog> {
    const catalog = new CinderCatalog(options);
    await catalog.types.ensureDefaultType();
    return catalog;
  }

  resolveType(nameOrId: string | null, context?: RequestContext): VolumeTypeRecord {
    return this.types.resolve(nameOrId, context ?? null);
  }

  getType(id: string): VolumeTypeRecord {
    return this.types.get(null, id);
  }

  findType(id: string): VolumeTypeRecord | undefined {
    return this.types.find(id);
  }

  defaultType(): VolumeTypeRecord {
    return this.types.defaultType();
  }

  qosFor(type: VolumeTypeRecord): QosSpecsRecord | null {
    return this.qos.qosFor(type);
  }

  checkQuota(projectId: string, delta: QuotaDelta): void {
    this.quotas.check(projectId, delta);
  }

  resolveGroupType(nameOrId: string, context?: RequestContext): GroupTypeRecord {
    return this.groupTypes.get(context ?? null, nameOrId);
  }
}
