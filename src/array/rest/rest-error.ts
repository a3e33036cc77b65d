// The Purity REST error catalogue: every error the REST layer sends is built here, with a
// stable code, so that the texts the clients branch on (spec §6) stay in one place.
//
// Status rules (spec §1.5, §7.3): the SDK raises on any status it does not expect (405, 409,
// 422 …), so every validation or conflict error is 400. 401 is only for authentication (the
// SDK re-logs in and retries once), 404 only for unknown routes, 500 for our own bugs.
// Real Purity wording is not in the sources; messages only need the substrings Cinder matches.

export type PurityHttpStatus = 400 | 401 | 403 | 404 | 405 | 429 | 500;

export const ERROR_CODES = [
  'DOES_NOT_EXIST',
  'ALREADY_EXISTS',
  'HAS_BEEN_DESTROYED',
  'NO_SUCH_VOLUME_OR_SNAPSHOT',
  'ALREADY_IN_USE',
  'LIMIT_REACHED',
  'ALREADY_INCLUDES',
  'ALREADY_ALLOWED_ON',
  'CANNOT_DELETE_EXISTING_CONNECTIONS',
  'COULD_NOT_BE_FOUND',
  'INVALID_OPERATION',
  'INVALID_PARAMETER',
  'INVALID_BODY',
  'MISSING_PARAMETER',
  'NOT_AUTHENTICATED',
  'INVALID_API_TOKEN',
  'FORBIDDEN',
  'UNKNOWN_ROUTE',
  'INTERNAL',
] as const;
export type PurityErrorCode = (typeof ERROR_CODES)[number];

/** The substring of the message that Cinder's driver matches for each code it branches on. */
export const CINDER_MATCHED_TEXT: Readonly<Partial<Record<PurityErrorCode, string>>> = {
  DOES_NOT_EXIST: 'does not exist',
  ALREADY_EXISTS: 'already exists',
  HAS_BEEN_DESTROYED: 'has been destroyed',
  NO_SUCH_VOLUME_OR_SNAPSHOT: 'No such volume or snapshot',
  ALREADY_IN_USE: 'already in use',
  LIMIT_REACHED: 'limit reached',
  ALREADY_INCLUDES: 'already includes',
  ALREADY_ALLOWED_ON: 'already allowed on',
  CANNOT_DELETE_EXISTING_CONNECTIONS: 'cannot be deleted due to existing connections',
  COULD_NOT_BE_FOUND: 'could not be found',
};

/** Object kinds as they appear at the start of a message ("Volume does not exist."). */
export const OBJECT_KIND_LABELS = {
  volume: 'Volume',
  volume_snapshot: 'Volume snapshot',
  volume_group: 'Volume group',
  host: 'Host',
  host_group: 'Host group',
  connection: 'Connection',
  pod: 'Pod',
  pod_replica_link: 'Pod replica link',
  protection_group: 'Protection group',
  protection_group_snapshot: 'Protection group snapshot',
  array: 'Array',
  array_connection: 'Array connection',
  controller: 'Controller',
  port: 'Port',
  network_interface: 'Network interface',
  tag: 'Tag',
} as const;
export type ObjectKind = keyof typeof OBJECT_KIND_LABELS;

/** Client-controlled text echoed in messages is cut short so an error never reflects a large input. */
const ECHOED_TEXT_MAX_CHARS = 256;

export interface PurityErrorItem {
  context: string | null;
  message: string;
}
export type PurityErrorBody = { errors: PurityErrorItem[] } | { message: string };

export class PurityError extends Error {
  override readonly name = 'PurityError';
  readonly code: PurityErrorCode;
  readonly status: PurityHttpStatus;
  /** Name of the object the error is about, or null. */
  readonly context: string | null;

  constructor(
    code: PurityErrorCode,
    status: PurityHttpStatus,
    message: string,
    context: string | null = null,
  ) {
    super(message);
    this.code = code;
    this.status = status;
    this.context = context;
  }

  /** 403 and 429 come from the gateway in Kong style (top-level message); the rest use `errors`. */
  toBody(): PurityErrorBody {
    if (this.status === 403 || this.status === 429) return { message: this.message };
    return {
      errors: [{ context: this.context === null ? null : clip(this.context), message: this.message }],
    };
  }
}

function clip(text: string): string {
  return text.length > ECHOED_TEXT_MAX_CHARS ? `${text.slice(0, ECHOED_TEXT_MAX_CHARS)}…` : text;
}

function lowerLabel(kind: ObjectKind): string {
  return OBJECT_KIND_LABELS[kind].toLowerCase();
}

/** "Volume does not exist." For hosts: "Host does not exist.", which Cinder matches exactly. */
export function doesNotExist(kind: ObjectKind, name: string | null): PurityError {
  return new PurityError('DOES_NOT_EXIST', 400, `${OBJECT_KIND_LABELS[kind]} does not exist.`, name);
}

export function alreadyExists(kind: ObjectKind, name: string | null): PurityError {
  return new PurityError('ALREADY_EXISTS', 400, `${OBJECT_KIND_LABELS[kind]} already exists.`, name);
}

/** Destroying (or otherwise changing) an object that is already destroyed. */
export function hasBeenDestroyed(kind: ObjectKind, name: string | null): PurityError {
  return new PurityError('HAS_BEEN_DESTROYED', 400, `${OBJECT_KIND_LABELS[kind]} has been destroyed.`, name);
}

/** PATCH /volume-snapshots on a missing snapshot. */
export function noSuchVolumeOrSnapshot(name: string | null): PurityError {
  return new PurityError('NO_SUCH_VOLUME_OR_SNAPSHOT', 400, 'No such volume or snapshot.', name);
}

/**
 * An initiator address owned by another host: `what` is "<type> <value>" (e.g. "IQN iqn.x"),
 * `ownerHost` the host holding it, `context` the host being created or changed.
 */
export function alreadyInUse(what: string, ownerHost: string, context: string | null = null): PurityError {
  const message = `The ${clip(what)} is already in use by host ${ownerHost}.`;
  return new PurityError('ALREADY_IN_USE', 400, message, context);
}

/** e.g. limitReached('Pod array', 'pod1') → "Pod array limit reached." */
export function limitReached(what: string, context: string | null = null): PurityError {
  return new PurityError('LIMIT_REACHED', 400, `${clip(what)} limit reached.`, context);
}

/** Adding a member that is already there, e.g. a protection group target. */
export function alreadyIncludes(kind: ObjectKind, name: string, member: string): PurityError {
  const message = `${OBJECT_KIND_LABELS[kind]} ${name} already includes ${clip(member)}.`;
  return new PurityError('ALREADY_INCLUDES', 400, message, name);
}

/** Allowing a protection group on a target array that already allows it. */
export function alreadyAllowedOn(groupName: string, targetName: string): PurityError {
  const message = `Protection group ${groupName} is already allowed on ${clip(targetName)}.`;
  return new PurityError('ALREADY_ALLOWED_ON', 400, message, groupName);
}

export function cannotDeleteExistingConnections(
  name: string,
  kind: 'host' | 'host_group' = 'host',
): PurityError {
  const message = `${OBJECT_KIND_LABELS[kind]} cannot be deleted due to existing connections.`;
  return new PurityError('CANNOT_DELETE_EXISTING_CONNECTIONS', 400, message, name);
}

/** A member that is not in its group, e.g. DELETE /protection-groups/volumes for an outsider. */
export function couldNotBeFound(
  memberKind: ObjectKind,
  memberName: string,
  groupKind: ObjectKind,
  groupName: string,
): PurityError {
  const message = `${OBJECT_KIND_LABELS[memberKind]} ${memberName} could not be found in ${lowerLabel(groupKind)} ${groupName}.`;
  return new PurityError('COULD_NOT_BE_FOUND', 400, message, memberName);
}

/**
 * Any other refused operation (e.g. eradicating a volume that is not destroyed). The reason
 * must not reuse a Cinder-matched text above: Cinder would take it for that case.
 */
export function invalidOperation(reason: string, context: string | null = null): PurityError {
  return new PurityError('INVALID_OPERATION', 400, clip(reason), context);
}

export function invalidParameter(param: string, reason: string, context: string | null = null): PurityError {
  const message = `Invalid value for parameter ${clip(param)}: ${clip(reason)}.`;
  return new PurityError('INVALID_PARAMETER', 400, message, context);
}

export function invalidBody(field: string, reason: string, context: string | null = null): PurityError {
  const message = `Invalid value for ${clip(field)} in the request body: ${clip(reason)}.`;
  return new PurityError('INVALID_BODY', 400, message, context);
}

export function missingParameter(param: string, context: string | null = null): PurityError {
  return new PurityError('MISSING_PARAMETER', 400, `Missing required parameter ${clip(param)}.`, context);
}

/** Missing, unknown or expired x-auth-token. Never echoes the token: it is a credential. */
export function notAuthenticated(): PurityError {
  return new PurityError('NOT_AUTHENTICATED', 401, 'Invalid or expired session token.');
}

/** Login with a wrong api-token. Never echoes the token. */
export function invalidApiToken(): PurityError {
  return new PurityError('INVALID_API_TOKEN', 401, 'Invalid API token.');
}

/** Authenticated but not allowed (e.g. a read-only user changing state). Body is `{message}`. */
export function forbidden(): PurityError {
  return new PurityError('FORBIDDEN', 403, 'Permission denied.');
}

/** Also for a known path with an unsupported method: the SDK raises on 405 (spec §1.5). */
export function unknownRoute(method: string, path: string): PurityError {
  const pathOnly = path.split('?', 1)[0] ?? '';
  return new PurityError('UNKNOWN_ROUTE', 404, `Unknown route: ${clip(method)} ${clip(pathOnly)}.`);
}

/** Our own bug: details go to the log, never to the client. */
export function internal(): PurityError {
  return new PurityError('INTERNAL', 500, 'An internal error occurred.');
}

/** For the error handler: PurityErrors pass through, anything else becomes internal(). */
export function toPurityError(error: unknown): PurityError {
  return error instanceof PurityError ? error : internal();
}
