// Who may do what: Cinder's default policies (cinder/policies/*.py) reduced to the two cases that
// matter here, admin-only rules and everything else open to the project's members. Refusals carry
// Cinder's message naming the rule, which is what operators search for.

import { cinderErrors } from '../errors.js';
import type { RequestContext } from '../request-context.js';

/** The admin-only rules this API checks, by Cinder's names. */
export const ADMIN_RULES = {
  typeCreate: 'volume_extension:type_create',
  typeUpdate: 'volume_extension:type_update',
  typeDelete: 'volume_extension:type_delete',
  extraSpecsCreate: 'volume_extension:types_extra_specs:create',
  extraSpecsUpdate: 'volume_extension:types_extra_specs:update',
  extraSpecsDelete: 'volume_extension:types_extra_specs:delete',
  typeAccessList: 'volume_extension:volume_type_access:get_all_for_type',
  typeAccessAdd: 'volume_extension:volume_type_access:addProjectAccess',
  typeAccessRemove: 'volume_extension:volume_type_access:removeProjectAccess',
  qosGetAll: 'volume_extension:qos_specs_manage:get_all',
  qosGet: 'volume_extension:qos_specs_manage:get',
  qosCreate: 'volume_extension:qos_specs_manage:create',
  qosUpdate: 'volume_extension:qos_specs_manage:update',
  qosDelete: 'volume_extension:qos_specs_manage:delete',
  servicesList: 'volume_extension:services:index',
  servicesUpdate: 'volume_extension:services:update',
  freezeHost: 'volume:freeze_host',
  thawHost: 'volume:thaw_host',
  failoverHost: 'volume:failover_host',
  getPools: 'scheduler_extension:scheduler_stats:get_pools',
  quotaUpdate: 'volume_extension:quotas:update',
  quotaDelete: 'volume_extension:quotas:delete',
  quotaShowOther: 'volume_extension:quotas:show',
  volumeResetStatus: 'volume_extension:volume_admin_actions:reset_status',
  volumeForceDelete: 'volume_extension:volume_admin_actions:force_delete',
  volumeForceDetach: 'volume_extension:volume_admin_actions:force_detach',
  volumeManage: 'volume_extension:volume_manage',
  volumeUnmanage: 'volume_extension:volume_unmanage',
  snapshotResetStatus: 'volume_extension:snapshot_admin_actions:reset_status',
  snapshotForceDelete: 'volume_extension:snapshot_admin_actions:force_delete',
  attachmentResetStatus: 'volume_extension:volume_admin_actions:reset_status',
  groupTypeManage: 'group:group_types:create',
  groupSpecsManage: 'group:group_types_specs',
  limitsOtherProject: 'limits_extension:used_limits',
} as const;

export type AdminRule = (typeof ADMIN_RULES)[keyof typeof ADMIN_RULES];

/** 403 forbidden unless the caller has the admin role. */
export function requireAdmin(context: RequestContext, rule: AdminRule): void {
  if (!context.isAdmin) throw cinderErrors.forbidden(rule);
}
