// Group types and their group specs (cinder/volume/group_types.py): the records behind
// `cinder group-type-*`. Pure acts on `consistent_group_snapshot_enabled='<is> True'`
// (cinder-pure-driver.md §11); everything else is a generic group.

import { CinderError, cinderErrors } from '../errors.js';
import { cinderTime, type GroupTypeRecord } from '../model.js';
import type { RequestContext } from '../request-context.js';
import type { CinderStore } from '../store/store.js';
import { checkDescription, checkName, checkSpecs } from './spec-keys.js';
import type { CatalogEnv, PublicFilter } from './volume-types.js';

export class GroupTypes {
  constructor(
    private readonly store: CinderStore,
    private readonly env: CatalogEnv,
    /** cinder.conf default_group_type; null: GET /group_types/default is a 404. */
    private readonly defaultTypeName: string | null,
  ) {}

  /** Same visibility rule as volume types, without per-project access lists. */
  list(context: RequestContext | null, isPublic: PublicFilter): GroupTypeRecord[] {
    const admin = context === null || context.isAdmin;
    return this.store
      .list('group_type', (t) => (admin ? isPublic === null || t.isPublic === isPublic : t.isPublic))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  get(context: RequestContext | null, idOrName: string): GroupTypeRecord {
    const type =
      idOrName === 'default'
        ? this.defaultType()
        : (this.store.get('group_type', idOrName) ??
          this.store.list('group_type', (t) => t.name === idOrName)[0]);
    if (!type || !(context === null || context.isAdmin || type.isPublic))
      throw cinderErrors.groupTypeNotFound(idOrName);
    return type;
  }

  defaultType(): GroupTypeRecord {
    const name = this.defaultTypeName;
    const type = name === null ? undefined : this.store.list('group_type', (t) => t.name === name)[0];
    if (!type) throw new CinderError(404, 'Default group type not found.');
    return type;
  }

  async create(request: {
    name: string;
    description: string | null;
    isPublic: boolean;
    groupSpecs?: Record<string, unknown>;
  }): Promise<GroupTypeRecord> {
    const name = checkName(request.name, 'Group type');
    if (this.store.list('group_type', (t) => t.name === name).length > 0)
      throw new CinderError(409, `Group Type ${name} already exists.`);
    const record: GroupTypeRecord = {
      id: this.env.newId(),
      name,
      description: checkDescription(request.description, 'Group type'),
      isPublic: request.isPublic,
      groupSpecs: checkSpecs(request.groupSpecs ?? {}, 'Group specs'),
      createdAt: cinderTime(this.env.now()),
    };
    await this.store.put('group_type', record);
    return record;
  }

  async update(
    id: string,
    changes: { name?: string; description?: string | null; isPublic?: boolean },
  ): Promise<GroupTypeRecord> {
    const updated = structuredClone(this.get(null, id));
    if (changes.name !== undefined) {
      const name = checkName(changes.name, 'Group type');
      if (this.store.list('group_type', (t) => t.name === name && t.id !== updated.id).length > 0)
        throw new CinderError(409, `Group Type ${name} already exists.`);
      updated.name = name;
    }
    if (changes.description !== undefined)
      updated.description = checkDescription(changes.description, 'Group type');
    if (changes.isPublic !== undefined) updated.isPublic = changes.isPublic;
    await this.store.put('group_type', updated);
    return updated;
  }

  async delete(id: string): Promise<void> {
    const type = this.get(null, id);
    if (this.store.list('group', (g) => g.groupTypeId === type.id).length > 0)
      throw new CinderError(
        400,
        `Group Type ${type.id} deletion is not allowed with groups present with the type.`,
      );
    await this.store.remove('group_type', type.id);
  }

  async setSpecs(id: string, specs: Record<string, unknown>): Promise<Record<string, string>> {
    const type = this.get(null, id);
    const checked = checkSpecs(specs, 'Group specs');
    const groupSpecs = checkSpecs({ ...type.groupSpecs, ...checked }, 'Group specs');
    await this.store.put('group_type', { ...structuredClone(type), groupSpecs });
    return checked;
  }

  async deleteSpec(id: string, key: string): Promise<void> {
    const type = structuredClone(this.get(null, id));
    if (!(key in type.groupSpecs))
      throw new CinderError(404, `Group Type ${type.id} has no specs with key ${key}.`);
    delete type.groupSpecs[key];
    await this.store.put('group_type', type);
  }
}
