// Volume types, QoS specs, group types and quota sets on the wire (cinder/api/v3/views/types.py,
// views/qos_specs.py, v3/views/group_types.py, contrib/quotas.py).

import type { GroupTypeRecord, QosSpecsRecord, VolumeTypeRecord } from '../../model.js';
import type { RequestContext } from '../../request-context.js';
import { type ApiDeps, linksOf } from '../route-context.js';

/**
 * The extra specs non-admins see (Cinder hides the rest since Wallaby: they describe the backend).
 * These say what a user may rely on: where, whether shareable, whether replicated.
 */
export const USER_VISIBLE_EXTRA_SPECS: readonly string[] = [
  'RESKEY:availability_zones',
  'multiattach',
  'replication_enabled',
];

export function typeView(context: RequestContext, type: VolumeTypeRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: type.id,
    name: type.name,
    is_public: type.isPublic,
    description: type.description,
    'os-volume-type-access:is_public': type.isPublic,
    // OSC pops extra_specs from a create reply without a default: it must always be there.
    extra_specs: visibleSpecs(context, type.extraSpecs),
  };
  if (context.isAdmin) view.qos_specs_id = type.qosSpecsId;
  return view;
}

export function visibleSpecs(context: RequestContext, specs: Record<string, string>): Record<string, string> {
  if (context.isAdmin) return { ...specs };
  return Object.fromEntries(Object.entries(specs).filter(([key]) => USER_VISIBLE_EXTRA_SPECS.includes(key)));
}

export function qosView(qos: QosSpecsRecord): object {
  return { id: qos.id, name: qos.name, consumer: qos.consumer, specs: { ...qos.specs } };
}

/** Create and show put the links beside the entry, not inside it. */
export function qosEnvelope(deps: ApiDeps, context: RequestContext, qos: QosSpecsRecord): object {
  return { qos_specs: qosView(qos), links: linksOf(deps, context, 'qos-specs', qos.id) };
}

export function qosAssociations(types: VolumeTypeRecord[]): object {
  return {
    qos_associations: types.map((t) => ({ association_type: 'volume_type', name: t.name, id: t.id })),
  };
}

export function groupTypeView(context: RequestContext, type: GroupTypeRecord): object {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    is_public: type.isPublic,
    group_specs: context.isAdmin ? { ...type.groupSpecs } : {},
  };
}

/** The quota_set body: the id first, then each limit (or {limit, in_use, reserved} with usage). */
export function quotaSetView(projectId: string | null, values: Record<string, unknown>): object {
  return { quota_set: projectId === null ? { ...values } : { id: projectId, ...values } };
}
