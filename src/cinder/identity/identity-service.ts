// Users, projects and roles from the identity file, and the tokens issued to them. Ids are derived
// from names (sha256 prefix), so a restart or a second instance reading the same file hands out
// the same project ids, and volume records stay with their project.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { PasswordAuthRequest } from './auth-request.js';
import { type IdentityFile, loadIdentityFile, type RoleName } from './identity-file.js';
import { type TokenGrant, TokenStore } from './token-store.js';

/** Keystone's one built-in domain. */
export const DEFAULT_DOMAIN_ID = 'default';
export const DEFAULT_DOMAIN_NAME = 'Default';
/** Keystone ids are 32 hex characters (uuid4 without dashes). */
export const IDENTITY_ID_HEX_CHARS = 32;

export interface Project {
  id: string;
  name: string;
  description: string;
}

export interface User {
  id: string;
  name: string;
  projectId: string;
  roles: Role[];
}

export interface Role {
  id: string;
  name: RoleName;
}

/** What a valid token stands for. */
export interface TokenInfo {
  user: User;
  project: Project;
  grant: TokenGrant;
}

export interface IdentityServiceOptions {
  nowMs?: () => number;
  tokenLifetimeMs?: number;
}

/** A stable Keystone-style id for a named object: the same name always gives the same id. */
export function stableId(kind: 'project' | 'user' | 'role', name: string): string {
  return createHash('sha256').update(`tandem-${kind}:${name}`).digest('hex').slice(0, IDENTITY_ID_HEX_CHARS);
}

interface Credential {
  user: User;
  /** sha256 of the password: comparing digests keeps the comparison constant-time whatever the lengths. */
  passwordDigest: Buffer;
}

export class IdentityService {
  private readonly projectsById = new Map<string, Project>();
  private readonly usersById = new Map<string, Credential>();
  private readonly tokens: TokenStore;

  /** Reads and checks the identity file at `path` (IdentityFileError names the field at fault). */
  static async fromFile(path: string, options: IdentityServiceOptions = {}): Promise<IdentityService> {
    return new IdentityService(await loadIdentityFile(path), options);
  }

  constructor(file: IdentityFile, options: IdentityServiceOptions = {}) {
    this.tokens = new TokenStore(options.nowMs, options.tokenLifetimeMs);
    for (const entry of file.projects) {
      const project = {
        id: stableId('project', entry.name),
        name: entry.name,
        description: entry.description,
      };
      this.projectsById.set(project.id, project);
    }
    for (const entry of file.users) {
      const roles = entry.roles.map((name) => ({ id: stableId('role', name), name }));
      const user = {
        id: stableId('user', entry.name),
        name: entry.name,
        projectId: stableId('project', entry.project),
        roles,
      };
      this.usersById.set(user.id, { user, passwordDigest: digest(entry.password) });
    }
  }

  /**
   * A token for a password login, or null when the user, password or project does not match. One
   * answer for every failure, as Keystone, so a caller cannot tell which names exist.
   */
  authenticate(request: PasswordAuthRequest): { token: string; info: TokenInfo } | null {
    const credential = this.findCredential(request);
    // Compare even when the user is unknown, so the time taken does not reveal that either.
    const expected = credential?.passwordDigest ?? digest('');
    const matches = timingSafeEqual(digest(request.password), expected) && credential !== undefined;
    if (!matches || !credential) return null;
    const project = this.scopeProject(credential.user, request);
    if (!project) return null;
    const { token, grant } = this.tokens.issue(credential.user.id, project.id, ['password']);
    return { token, info: { user: credential.user, project, grant } };
  }

  /** What `token` stands for, or null when unknown or expired. */
  validateToken(token: string | undefined): TokenInfo | null {
    const grant = this.tokens.validate(token);
    if (!grant) return null;
    const user = this.usersById.get(grant.userId)?.user;
    const project = this.projectsById.get(grant.projectId);
    if (!user || !project) return null;
    return { user, project, grant };
  }

  revokeToken(token: string): boolean {
    return this.tokens.revoke(token);
  }

  projects(): Project[] {
    return [...this.projectsById.values()];
  }

  project(id: string): Project | undefined {
    return this.projectsById.get(id);
  }

  projectByName(name: string): Project | undefined {
    return this.projects().find((p) => p.name === name);
  }

  users(): User[] {
    return [...this.usersById.values()].map((c) => c.user);
  }

  user(id: string): User | undefined {
    return this.usersById.get(id)?.user;
  }

  private findCredential(request: PasswordAuthRequest): Credential | undefined {
    const { user } = request;
    if (user.id) return this.usersById.get(user.id);
    if (!isDefaultDomain(user.domain)) return undefined;
    return [...this.usersById.values()].find((c) => c.user.name === user.name);
  }

  /** Each user has a role on its own project only, so any other scope is refused. */
  private scopeProject(user: User, request: PasswordAuthRequest): Project | undefined {
    const own = this.projectsById.get(user.projectId);
    const wanted = request.project;
    if (!wanted) return own;
    if (wanted.id) return wanted.id === own?.id ? own : undefined;
    if (!isDefaultDomain(wanted.domain)) return undefined;
    return wanted.name === own?.name ? own : undefined;
  }
}

function isDefaultDomain(domain: { id?: string; name?: string } | undefined): boolean {
  if (!domain) return false;
  if (domain.id !== undefined) return domain.id === DEFAULT_DOMAIN_ID;
  return domain.name === DEFAULT_DOMAIN_NAME;
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}
