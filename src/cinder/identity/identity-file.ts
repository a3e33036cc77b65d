// The identity file: who may log in to the emulated Keystone, in which project, with which roles.
//   {"projects":[{"name":"admin"},{"name":"demo"}],
//    "users":[{"name":"admin","password":"…","project":"admin","roles":["admin","member","reader"]}]}
// Bad files are refused with the field at fault (users[1].project); passwords never appear in
// those messages.

import { readFile, stat } from 'node:fs/promises';

/** Real identity files are a few hundred bytes; the bound keeps a wrong path from being read whole. */
export const IDENTITY_FILE_MAX_BYTES = 1024 * 1024;
/** Keystone's column widths for names (user, project) and passwords. */
export const IDENTITY_NAME_MAX_CHARS = 255;
export const IDENTITY_PASSWORD_MAX_CHARS = 4096;

/** The roles Cinder's default policies know (admin > member > reader). */
export const KNOWN_ROLES = ['admin', 'member', 'reader'] as const;
export type RoleName = (typeof KNOWN_ROLES)[number];

export interface IdentityProjectEntry {
  name: string;
  description: string;
}

export interface IdentityUserEntry {
  name: string;
  password: string;
  project: string;
  roles: RoleName[];
}

export interface IdentityFile {
  projects: IdentityProjectEntry[];
  users: IdentityUserEntry[];
}

export class IdentityFileError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    reason: string,
  ) {
    super(`${source}: ${field} ${reason}`);
    this.name = 'IdentityFileError';
  }
}

export async function loadIdentityFile(path: string): Promise<IdentityFile> {
  const info = await stat(path);
  if (info.size > IDENTITY_FILE_MAX_BYTES)
    throw new IdentityFileError(path, '(file)', `is larger than ${IDENTITY_FILE_MAX_BYTES} bytes`);
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IdentityFileError(path, '(file)', `is not valid JSON: ${(error as Error).message}`);
  }
  return parseIdentityFile(json, path);
}

/** Checks a decoded identity file; `source` names it in errors. */
export function parseIdentityFile(json: unknown, source = 'identity file'): IdentityFile {
  const top = asObject(json, source, '(top level)');
  const projects = asArray(top.projects, source, 'projects').map((entry, index) =>
    parseProject(entry, source, `projects[${index}]`),
  );
  if (projects.length === 0)
    throw new IdentityFileError(source, 'projects', 'must list at least one project');
  ensureUnique(
    projects.map((p) => p.name),
    source,
    'projects',
  );
  const projectNames = new Set(projects.map((p) => p.name));
  const users = asArray(top.users, source, 'users').map((entry, index) =>
    parseUser(entry, source, `users[${index}]`, projectNames),
  );
  if (users.length === 0) throw new IdentityFileError(source, 'users', 'must list at least one user');
  ensureUnique(
    users.map((u) => u.name),
    source,
    'users',
  );
  return { projects, users };
}

function parseProject(entry: unknown, source: string, field: string): IdentityProjectEntry {
  const object = asObject(entry, source, field);
  const name = asName(object.name, source, `${field}.name`);
  const description = object.description === undefined ? '' : object.description;
  if (typeof description !== 'string')
    throw new IdentityFileError(source, `${field}.description`, 'must be a string');
  return { name, description };
}

function parseUser(entry: unknown, source: string, field: string, projects: Set<string>): IdentityUserEntry {
  const object = asObject(entry, source, field);
  const name = asName(object.name, source, `${field}.name`);
  const password = object.password;
  // The message says what is wrong with the password, never what it is.
  if (typeof password !== 'string' || password.length === 0)
    throw new IdentityFileError(source, `${field}.password`, 'must be a non-empty string');
  if (password.length > IDENTITY_PASSWORD_MAX_CHARS)
    throw new IdentityFileError(source, `${field}.password`, `is longer than ${IDENTITY_PASSWORD_MAX_CHARS}`);
  const project = asName(object.project, source, `${field}.project`);
  if (!projects.has(project))
    throw new IdentityFileError(source, `${field}.project`, `names unknown project '${project}'`);
  const roles = asArray(object.roles, source, `${field}.roles`).map((role, index) => {
    if (typeof role !== 'string' || !(KNOWN_ROLES as readonly string[]).includes(role))
      throw new IdentityFileError(
        source,
        `${field}.roles[${index}]`,
        `must be one of ${KNOWN_ROLES.join(', ')}`,
      );
    return role as RoleName;
  });
  if (roles.length === 0)
    throw new IdentityFileError(source, `${field}.roles`, 'must list at least one role');
  return { name, password, project, roles: [...new Set(roles)] };
}

function asObject(value: unknown, source: string, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new IdentityFileError(source, field, 'must be an object');
  return value as Record<string, unknown>;
}

function asArray(value: unknown, source: string, field: string): unknown[] {
  if (!Array.isArray(value)) throw new IdentityFileError(source, field, 'must be a list');
  return value;
}

function asName(value: unknown, source: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new IdentityFileError(source, field, 'must be a non-empty string');
  if (value.length > IDENTITY_NAME_MAX_CHARS)
    throw new IdentityFileError(source, field, `is longer than ${IDENTITY_NAME_MAX_CHARS} characters`);
  return value;
}

function ensureUnique(names: string[], source: string, field: string): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) throw new IdentityFileError(source, `${field}[${index}].name`, `repeats '${name}'`);
    seen.add(name);
  });
}
