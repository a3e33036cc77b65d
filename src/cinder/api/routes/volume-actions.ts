// POST /volumes/{id}/action: one action per body, {"os-extend": {"new_size": 2}}. Each action has
// Cinder's status, its admin rule if any, and a check of its arguments; the volume service gets
// the action's value (the object under the action's key) after the check.

import type { FastifyInstance } from 'fastify';
import { CinderError, cinderErrors } from '../../errors.js';
import { atLeast, type RequestContext } from '../../request-context.js';
import type { VolumeActionName } from '../../volume/volume-api.js';
import {
  bodyObject,
  booleanValue,
  isObject,
  type Json,
  optionalPositiveInteger,
  optionalString,
  paramOf,
  requiredString,
} from '../body.js';
import { ADMIN_RULES, type AdminRule, requireAdmin } from '../policy.js';
import { type ApiDeps, contextOf } from '../route-context.js';

interface ActionSpec {
  /** Cinder's success status: 202 for most, 200 where a body or an immediate result comes back. */
  status: 200 | 202;
  adminRule?: AdminRule;
  /** The oldest microversion the action exists at. */
  since?: [number, number];
  /** Checks the value under the action key; returns what the volume service gets. */
  check?: (value: unknown) => unknown;
}

const VOLUME_ACTIONS: Record<VolumeActionName, ActionSpec> = {
  'os-extend': { status: 202, check: checkExtend },
  'os-reset_status': { status: 202, adminRule: ADMIN_RULES.volumeResetStatus, check: checkResetStatus },
  'os-force_delete': { status: 202, adminRule: ADMIN_RULES.volumeForceDelete },
  'os-retype': { status: 202, check: checkRetype },
  'os-reserve': { status: 202 },
  'os-unreserve': { status: 202 },
  'os-begin_detaching': { status: 202 },
  'os-roll_detaching': { status: 202 },
  'os-initialize_connection': { status: 200, check: (v) => withConnector(v, 'os-initialize_connection') },
  'os-terminate_connection': { status: 202, check: (v) => withConnector(v, 'os-terminate_connection') },
  'os-attach': { status: 202, check: checkAttach },
  'os-detach': { status: 202, check: (v) => objectOrEmpty(v, 'os-detach') },
  'os-force_detach': { status: 202, adminRule: ADMIN_RULES.volumeForceDetach },
  'os-set_bootable': { status: 200, check: (v) => flag(v, 'os-set_bootable', 'bootable') },
  'os-update_readonly_flag': { status: 202, check: (v) => flag(v, 'os-update_readonly_flag', 'readonly') },
  revert: { status: 202, since: [3, 40], check: checkRevert },
  'os-update_volume_admin_metadata': { status: 202, adminRule: ADMIN_RULES.volumeResetStatus },
  'os-unmanage': { status: 202, adminRule: ADMIN_RULES.volumeUnmanage },
};

export function volumeActionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/volumes/:id/action', async (request, reply) => {
    const context = contextOf(request);
    const { action, spec, value } = parseAction(context, bodyObject(request));
    const result = await deps.volumeApi.volumeAction(context, paramOf(request, 'id'), action, value);
    return reply.code(spec.status).send(result ?? undefined);
  });
}

function parseAction(
  context: RequestContext,
  body: Json,
): { action: VolumeActionName; spec: ActionSpec; value: unknown } {
  const keys = Object.keys(body);
  if (keys.length !== 1) throw cinderErrors.invalidInput('The body must name exactly one action.');
  const action = keys[0]!;
  const spec = (VOLUME_ACTIONS as Record<string, ActionSpec>)[action];
  if (!spec || (spec.since && !atLeast(context, ...spec.since)))
    throw new CinderError(400, `There is no such action: ${action}`);
  if (spec.adminRule) requireAdmin(context, spec.adminRule);
  const raw = body[action];
  return { action: action as VolumeActionName, spec, value: spec.check ? spec.check(raw) : (raw ?? null) };
}

function objectOrEmpty(value: unknown, action: string): Json {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw cinderErrors.invalidInput(`${action} must be an object.`);
  return value;
}

function requiredObject(value: unknown, action: string): Json {
  if (!isObject(value)) throw cinderErrors.invalidInput(`${action} must be an object.`);
  return value;
}

function checkExtend(value: unknown): Json {
  const body = requiredObject(value, 'os-extend');
  const newSize = optionalPositiveInteger(body, 'new_size');
  if (newSize === null) throw cinderErrors.invalidInput('new_size must be an integer and greater than 0.');
  return { new_size: newSize };
}

function checkResetStatus(value: unknown): Json {
  const body = requiredObject(value, 'os-reset_status');
  const fields = ['status', 'attach_status', 'migration_status'] as const;
  const result: Json = {};
  for (const field of fields) {
    const text = optionalString(body, field);
    if (text !== null) result[field] = text;
  }
  if (Object.keys(result).length === 0)
    throw cinderErrors.invalidInput('Must specify status, attach_status or migration_status.');
  return result;
}

function checkRetype(value: unknown): Json {
  const body = requiredObject(value, 'os-retype');
  const newType = requiredString(body, 'new_type');
  const policy = optionalString(body, 'migration_policy') ?? 'never';
  if (policy !== 'never' && policy !== 'on-demand')
    throw cinderErrors.invalidInput("migration_policy must be 'never' or 'on-demand'.");
  return { new_type: newType, migration_policy: policy };
}

function withConnector(value: unknown, action: string): Json {
  const body = requiredObject(value, action);
  if (!isObject(body.connector)) throw cinderErrors.invalidInput(`${action} needs a connector object.`);
  return body;
}

function checkAttach(value: unknown): Json {
  const body = requiredObject(value, 'os-attach');
  const instance = optionalString(body, 'instance_uuid');
  const host = optionalString(body, 'host_name');
  if ((instance === null) === (host === null))
    throw cinderErrors.invalidInput('One of instance_uuid or host_name must be given.');
  requiredString(body, 'mountpoint');
  const mode = optionalString(body, 'mode');
  if (mode !== null && mode !== 'rw' && mode !== 'ro')
    throw cinderErrors.invalidInput("mode must be 'rw' or 'ro'.");
  return body;
}

function flag(value: unknown, action: string, field: string): Json {
  const body = requiredObject(value, action);
  if (!(field in body)) throw cinderErrors.invalidInput(`${action} needs '${field}'.`);
  return { [field]: booleanValue(body[field], field) };
}

function checkRevert(value: unknown): Json {
  const body = requiredObject(value, 'revert');
  return { snapshot_id: requiredString(body, 'snapshot_id') };
}
