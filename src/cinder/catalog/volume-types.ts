// Volume types: names, public/private access, extra specs and the default type, kept as
// VolumeTypeRecords in the store (cinder/volume/volume_types.py and the types API). Policy (who
// may change types) is the API's business; visibility (who may see a private type) is checked here
// because the volume service resolves types too.

import { CinderError, cinderErrors } from '../errors.js';
import { cinderTime, type VolumeTypeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import type { CinderStore } from '../store/store.js';
import { checkDescription, checkName, checkSpecs } from './spec-keys.js';

/** The type Cinder's database migration creates, and the default default_volume_type. */
export const DEFAULT_TYPE_NAME = '__DEFAULT__';
const DEFAULT_TYPE_DESCRIPTION = 'Default Volume Type';

/** Where new ids and timestamps come from (tests pass fixed ones). */
export interface CatalogEnv {
  now(): Date;
  newId(): string;
}

export interface NewVolumeType {
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs?: Record<string, unknown>;
}

/** null: public and private (`is_public=None`); true/false: only those. */
export type PublicFilter = boolean | null;

export class VolumeTypes {
  constructor(
    private readonly store: CinderStore,
    private readonly env: CatalogEnv,
    /** cinder.conf default_volume_type. */
    private readonly defaultTypeName: string,
  ) {}

  /** Creates __DEFAULT__ when missing, as Cinder's migration does; run once at start. */
  async ensureDefaultType(): Promise<void> {
    if (this.findByName(DEFAULT_TYPE_NAME)) return;
    await this.create({ name: DEFAULT_TYPE_NAME, description: DEFAULT_TYPE_DESCRIPTION, isPublic: true });
  }

  /**
   * The configured default type. A default_volume_type naming no type is a deployment error, and
   * Cinder says so with a 500 (VolumeTypeDefaultMisconfiguredError) rather than picking another.
   */
  defaultType(): VolumeTypeRecord {
    const type = this.findByName(this.defaultTypeName);
    if (!type)
      throw new CinderError(
        500,
        `The request cannot be fulfilled as the default volume type ${this.defaultTypeName} cannot be found.`,
      );
    return type;
  }

  /**
   * Admins see what `isPublic` asks for. Everyone else sees public types plus the private types
   * their project was given, whatever they ask (cinder/api/v3/types.py _get_volume_types).
   */
  list(context: RequestContext | null, isPublic: PublicFilter, name?: string): VolumeTypeRecord[] {
    const types = this.store.list('volume_type', (t) => name === undefined || t.name === name);
    const visible = types.filter((t) =>
      context === null || context.isAdmin
        ? isPublic === null || t.isPublic === isPublic
        : t.isPublic || t.projects.includes(context.projectId),
    );
    return visible.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  find(id: string): VolumeTypeRecord | undefined {
    return this.store.get('volume_type', id);
  }

  findByName(name: string): VolumeTypeRecord | undefined {
    return this.store.list('volume_type', (t) => t.name === name)[0];
  }

  /** By id, by name, or 'default'; private types the caller may not use are "not found". */
  get(context: RequestContext | null, idOrName: string): VolumeTypeRecord {
    const type =
      idOrName === 'default' ? this.defaultType() : (this.find(idOrName) ?? this.findByName(idOrName));
    if (!type || !this.visibleTo(context, type)) throw cinderErrors.typeNotFound(idOrName);
    return type;
  }

  /** What a volume request's volume_type means: null is the default type. */
  resolve(nameOrId: string | null, context: RequestContext | null = null): VolumeTypeRecord {
    if (nameOrId === null) return this.defaultType();
    const type = this.find(nameOrId) ?? this.findByName(nameOrId);
    if (!type || !this.visibleTo(context, type)) throw cinderErrors.typeNameNotFound(nameOrId);
    return type;
  }

  async create(request: NewVolumeType): Promise<VolumeTypeRecord> {
    const name = checkName(request.name, 'Volume type');
    if (this.findByName(name)) throw cinderErrors.typeExists(name);
    const record: VolumeTypeRecord = {
      id: this.env.newId(),
      name,
      description: checkDescription(request.description, 'Volume type'),
      isPublic: request.isPublic,
      extraSpecs: checkSpecs(request.extraSpecs ?? {}, 'Extra specs'),
      qosSpecsId: null,
      projects: [],
      createdAt: cinderTime(this.env.now()),
    };
    await this.store.put('volume_type', record);
    return record;
  }

  async update(
    id: string,
    changes: { name?: string; description?: string | null; isPublic?: boolean },
  ): Promise<VolumeTypeRecord> {
    const type = this.get(null, id);
    const updated = structuredClone(type);
    if (changes.name !== undefined) {
      const name = checkName(changes.name, 'Volume type');
      const clash = this.findByName(name);
      if (clash && clash.id !== type.id) throw cinderErrors.typeExists(name);
      updated.name = name;
    }
    if (changes.description !== undefined)
      updated.description = checkDescription(changes.description, 'Volume type');
    if (changes.isPublic !== undefined) updated.isPublic = changes.isPublic;
    await this.store.put('volume_type', updated);
    return updated;
  }

  async delete(id: string): Promise<void> {
    const type = this.get(null, id);
    if (this.inUse(type.id))
      throw new CinderError(
        400,
        `Volume Type ${type.id} deletion is not allowed with volumes present with the type.`,
      );
    if (type.name === this.defaultTypeName)
      throw new CinderError(400, 'Default volume type can not be deleted.');
    await this.store.remove('volume_type', type.id);
  }

  /** A type is in use while any volume record names it (deleted volumes leave the store). */
  inUse(typeId: string): boolean {
    return this.store.list('volume', (v) => v.volumeTypeId === typeId).length > 0;
  }

  /** Adds or changes keys; Cinder refuses while volumes use the type (their driver state would lie). */
  async setExtraSpecs(id: string, specs: Record<string, unknown>): Promise<Record<string, string>> {
    const type = this.get(null, id);
    const checked = checkSpecs(specs, 'Extra specs');
    if (this.inUse(type.id)) throw cinderErrors.typeInUse();
    const updated = structuredClone(type);
    updated.extraSpecs = checkSpecs({ ...type.extraSpecs, ...checked }, 'Extra specs');
    await this.store.put('volume_type', updated);
    return checked;
  }

  async deleteExtraSpec(id: string, key: string): Promise<void> {
    const type = this.get(null, id);
    if (!(key in type.extraSpecs)) throw cinderErrors.extraSpecNotFound(type.id, key);
    if (this.inUse(type.id)) throw cinderErrors.typeInUse();
    const updated = structuredClone(type);
    delete updated.extraSpecs[key];
    await this.store.put('volume_type', updated);
  }

  /** The projects given a private type; public types have no access list. */
  accessList(id: string): string[] {
    const type = this.get(null, id);
    if (type.isPublic) throw new CinderError(404, 'Access list not available for public volume types.');
    return [...type.projects];
  }

  async addAccess(id: string, projectId: string): Promise<void> {
    const type = this.get(null, id);
    if (type.isPublic) throw cinderErrors.invalidInput('Cannot add access to a public volume type.');
    if (type.projects.includes(projectId))
      throw new CinderError(
        409,
        `Volume type access for ${type.id} / ${projectId} combination already exists.`,
      );
    await this.store.put('volume_type', {
      ...structuredClone(type),
      projects: [...type.projects, projectId],
    });
  }

  async removeAccess(id: string, projectId: string): Promise<void> {
    const type = this.get(null, id);
    if (!type.projects.includes(projectId))
      throw new CinderError(404, `Volume type access not found for ${type.id} / ${projectId} combination.`);
    const projects = type.projects.filter((p) => p !== projectId);
    await this.store.put('volume_type', { ...structuredClone(type), projects });
  }

  /** Used by the QoS specs: the association lives on the type. */
  async setQosSpecsId(typeId: string, qosSpecsId: string | null): Promise<void> {
    const type = this.get(null, typeId);
    await this.store.put('volume_type', { ...structuredClone(type), qosSpecsId });
  }

  private visibleTo(context: RequestContext | null, type: VolumeTypeRecord): boolean {
    return context === null || context.isAdmin || type.isPublic || type.projects.includes(context.projectId);
  }
}
