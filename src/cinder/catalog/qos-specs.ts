// QoS specs: named sets of limits (Pure reads maxIOPS, maxBWS, maxIOPS_per_GB, maxBWS_per_GB) and
// their associations with volume types. The association is the type's qosSpecsId, as in Cinder's
// quality_of_service_specs table, so one type has at most one QoS entry.

import { CinderError, cinderErrors } from '../errors.js';
import { cinderTime, type QosSpecsRecord, type VolumeTypeRecord } from '../model.js';
import type { CinderStore } from '../store/store.js';
import { checkName, checkSpecs } from './spec-keys.js';
import type { CatalogEnv, VolumeTypes } from './volume-types.js';

export type QosConsumer = QosSpecsRecord['consumer'];
export const QOS_CONSUMERS: readonly QosConsumer[] = ['back-end', 'front-end', 'both'];
/** Cinder's default consumer: the backend (the array) enforces the limits. */
export const QOS_DEFAULT_CONSUMER: QosConsumer = 'back-end';

export class QosSpecs {
  constructor(
    private readonly store: CinderStore,
    private readonly env: CatalogEnv,
    private readonly types: VolumeTypes,
  ) {}

  list(): QosSpecsRecord[] {
    return this.store.list('qos_specs').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** By id, or by name (Cinder matches ids only; names are a convenience no client is hurt by). */
  get(idOrName: string): QosSpecsRecord {
    const found =
      this.store.get('qos_specs', idOrName) ?? this.store.list('qos_specs', (q) => q.name === idOrName)[0];
    if (!found) throw cinderErrors.qosNotFound(idOrName);
    return found;
  }

  /** `specs` may carry `consumer`, as the API body does. */
  async create(name: string, specs: Record<string, unknown>): Promise<QosSpecsRecord> {
    const checkedName = checkName(name, 'QoS specs');
    const { consumer, rest } = splitConsumer(specs);
    if (this.store.list('qos_specs', (q) => q.name === checkedName).length > 0)
      throw cinderErrors.qosExists(checkedName);
    const record: QosSpecsRecord = {
      id: this.env.newId(),
      name: checkedName,
      consumer: consumer ?? QOS_DEFAULT_CONSUMER,
      specs: checkSpecs(rest, 'QoS specs'),
      createdAt: cinderTime(this.env.now()),
    };
    await this.store.put('qos_specs', record);
    return record;
  }

  /** Adds or changes keys (and the consumer when given); returns what was set. */
  async setKeys(id: string, specs: Record<string, unknown>): Promise<Record<string, string>> {
    const qos = this.get(id);
    const { consumer, rest } = splitConsumer(specs);
    const checked = checkSpecs(rest, 'QoS specs');
    const updated = { ...structuredClone(qos), specs: { ...qos.specs, ...checked } };
    if (consumer) updated.consumer = consumer;
    await this.store.put('qos_specs', updated);
    return consumer ? { ...checked, consumer } : checked;
  }

  async deleteKeys(id: string, keys: string[]): Promise<void> {
    const qos = this.get(id);
    const updated = structuredClone(qos);
    for (const key of keys) {
      if (!(key in updated.specs))
        throw new CinderError(404, `QoS spec ${key} is not present in the specs ${qos.id}.`);
      delete updated.specs[key];
    }
    await this.store.put('qos_specs', updated);
  }

  /** Without force, an entry still associated with a type stays (Cinder's QoSSpecsInUse). */
  async delete(id: string, force: boolean): Promise<void> {
    const qos = this.get(id);
    const associated = this.associations(qos.id);
    if (associated.length > 0 && !force)
      throw new CinderError(400, `QoS Specs ${qos.id} is still associated with entities.`);
    for (const type of associated) await this.types.setQosSpecsId(type.id, null);
    await this.store.remove('qos_specs', qos.id);
  }

  associations(id: string): VolumeTypeRecord[] {
    const qos = this.get(id);
    return this.store.list('volume_type', (t) => t.qosSpecsId === qos.id);
  }

  async associate(id: string, typeId: string): Promise<void> {
    const qos = this.get(id);
    const type = this.types.get(null, typeId);
    if (type.qosSpecsId !== null && type.qosSpecsId !== qos.id)
      throw new CinderError(
        400,
        `Failed to associate qos_specs: ${qos.id} with type ${type.id}: Type ${type.id} is already associated with another qos specs: ${type.qosSpecsId}`,
      );
    await this.types.setQosSpecsId(type.id, qos.id);
  }

  async disassociate(id: string, typeId: string): Promise<void> {
    const qos = this.get(id);
    const type = this.types.get(null, typeId);
    if (type.qosSpecsId === qos.id) await this.types.setQosSpecsId(type.id, null);
  }

  async disassociateAll(id: string): Promise<void> {
    for (const type of this.associations(id)) await this.types.setQosSpecsId(type.id, null);
  }

  /** The QoS entry a volume of `type` gets, if any (cinder-pure-driver.md §3.2). */
  qosFor(type: VolumeTypeRecord): QosSpecsRecord | null {
    return type.qosSpecsId === null ? null : (this.store.get('qos_specs', type.qosSpecsId) ?? null);
  }
}

function splitConsumer(specs: Record<string, unknown>): {
  consumer: QosConsumer | undefined;
  rest: Record<string, unknown>;
} {
  const { consumer, ...rest } = specs;
  if (consumer === undefined || consumer === null) return { consumer: undefined, rest };
  if (typeof consumer !== 'string' || !(QOS_CONSUMERS as readonly string[]).includes(consumer))
    throw new CinderError(
      400,
      `Invalid qos specs: Consumer ${String(consumer)} is invalid; use one of ${QOS_CONSUMERS.join(', ')}.`,
    );
  return { consumer: consumer as QosConsumer, rest };
}
