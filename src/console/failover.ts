// POST /console/api/failover's work: log in to Keystone as the lab's admin with the password the
// operator typed, ask Cinder for failover_host, read the service back, and revoke the token. The
// password lives only in this call's arguments: it is not stored, logged or put in any answer.

import type { LabDescriptor } from '../lab/descriptor.js';
import { readVolumeService } from './cinder-state.js';
import { PASSWORD_MAX_CHARS } from './limits.js';
import { cinderCall, keystoneLogin, revokeToken } from './openstack.js';
import type { FailoverAccepted, FailoverTargetView } from './state-types.js';
import { isFailoverTarget } from './targets.js';

export interface FailoverRequest {
  password: string;
  backendId: string;
}

/** The request, or why it is not one (the reason never quotes the password). */
export function parseFailoverBody(
  body: unknown,
  targets: readonly FailoverTargetView[],
): FailoverRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object {password, backendId}';
  const { password, backendId } = body as Record<string, unknown>;
  if (typeof password !== 'string' || password === '') return 'password is required';
  if (password.length > PASSWORD_MAX_CHARS) return `password is longer than ${PASSWORD_MAX_CHARS} characters`;
  if (typeof backendId !== 'string') return 'backendId is required';
  if (!isFailoverTarget(targets, backendId)) {
    const known = [...targets.map((t) => t.backendId), 'default'].join(', ');
    return `backendId '${backendId.slice(0, 64)}' is not one of ${known}`;
  }
  return { password, backendId };
}

export async function requestFailover(
  lab: LabDescriptor,
  request: FailoverRequest,
  nowMs: () => number,
): Promise<FailoverAccepted> {
  const session = await keystoneLogin(lab.cinder.authUrl, {
    user: lab.admin.user,
    project: lab.admin.project,
    password: request.password,
  });
  try {
    await cinderCall(lab.cinder.url, session, 'PUT', '/os-services/failover_host', {
      host: lab.cinder.host,
      backend_id: request.backendId,
    });
    // Cinder marked the service failing-over before it answered, so any state read from now on
    // shows the failover running or ended: the page can tell "not started yet" from "over".
    const acceptedAtMs = nowMs();
    const service = await readVolumeService(lab.cinder.url, session, lab.cinder.host);
    return { backendId: request.backendId, acceptedAtMs, service };
  } finally {
    await revokeToken(lab.cinder.authUrl, session.token);
  }
}
