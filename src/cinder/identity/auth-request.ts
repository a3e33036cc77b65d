// The body of POST /v3/auth/tokens in every form the CLIs send (openstack-api.md §1.3): the user by
// id, or by name with a domain id or name; the project by id, or by name with a domain. Returns why
// a body is malformed instead of throwing, so the route decides the status.

export interface UserSelector {
  id?: string;
  name?: string;
  domain?: DomainSelector;
}

export interface DomainSelector {
  id?: string;
  name?: string;
}

export interface ProjectSelector {
  id?: string;
  name?: string;
  domain?: DomainSelector;
}

export interface PasswordAuthRequest {
  user: UserSelector;
  /** Never logged, never put in a message. */
  password: string;
  /** Absent: scope to the user's own project (the identity file gives each user exactly one). */
  project: ProjectSelector | null;
}

export type ParsedAuthRequest = { ok: true; value: PasswordAuthRequest } | { ok: false; reason: string };

export function parseAuthRequest(body: unknown): ParsedAuthRequest {
  const auth = field(body, 'auth');
  if (!auth) return fail('Expecting to find auth in request body.');
  const identity = field(auth, 'identity');
  if (!identity) return fail('Expecting to find identity in auth.');
  const methods = identity.methods;
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string'))
    return fail('Expecting to find methods in identity.');
  if (!methods.includes('password')) return fail('Only the password authentication method is supported.');
  const password = field(identity, 'password');
  const user = password ? field(password, 'user') : null;
  if (!user) return fail('Expecting to find user in password.');
  if (typeof user.password !== 'string') return fail('Expecting to find password in user.');
  const userSelector = selector(user);
  if (!userSelector.id && !userSelector.name) return fail('Expecting to find id or name in user.');
  if (userSelector.name && !userSelector.id && !userSelector.domain)
    return fail('Expecting to find domain in user.');
  const scope = field(auth, 'scope');
  if (scope === null)
    return { ok: true, value: { user: userSelector, password: user.password, project: null } };
  const project = field(scope, 'project');
  if (!project) return fail('Only project scope is supported.');
  const projectSelector = selector(project);
  if (!projectSelector.id && !projectSelector.name) return fail('Expecting to find id or name in project.');
  if (projectSelector.name && !projectSelector.id && !projectSelector.domain)
    return fail('Expecting to find domain in project.');
  return { ok: true, value: { user: userSelector, password: user.password, project: projectSelector } };
}

function selector(object: Record<string, unknown>): UserSelector {
  const domain = field(object, 'domain');
  const result: UserSelector = {};
  if (typeof object.id === 'string') result.id = object.id;
  if (typeof object.name === 'string') result.name = object.name;
  if (domain) {
    result.domain = {};
    if (typeof domain.id === 'string') result.domain.id = domain.id;
    if (typeof domain.name === 'string') result.domain.name = domain.name;
  }
  return result;
}

/** `object[key]` when it is a JSON object, else null. */
function field(object: unknown, key: string): Record<string, unknown> | null {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return null;
  const value = (object as Record<string, unknown>)[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return value as Record<string, unknown>;
}

function fail(reason: string): ParsedAuthRequest {
  return { ok: false, reason };
}
