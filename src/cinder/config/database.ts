// `[database] connection` picks Tandem's state store. The value is an SQLAlchemy URL, because that is
// what a real cinder.conf holds: `sqlite:///relative.db`, `sqlite:////absolute/path.db`, `sqlite://`
// (in memory), and `postgresql[+driver]://user:password@host:port/db`. The option is secret in
// oslo.db (it carries the password), so messages show the scheme only and logs the redacted URL.

import { resolve } from 'node:path';
import { customOpt, type Parsed, type SingleOption } from './options.js';

export type DatabaseConfig =
  | { readonly kind: 'sqlite' /** absolute path, or ':memory:' */; readonly path: string }
  | {
      readonly kind: 'postgresql';
      /** `postgresql://...` without SQLAlchemy's `+driver`, as node clients take it. */
      readonly url: string;
      /** The same URL with the password replaced by `***`, for logs. */
      readonly redactedUrl: string;
    };

export const SQLITE_FILE_NAME = 'cinder.sqlite';

/** cinder's default, `sqlite:///$state_path/cinder.sqlite`. */
export function defaultDatabase(statePath: string): DatabaseConfig {
  return { kind: 'sqlite', path: resolve(statePath, SQLITE_FILE_NAME) };
}

export function redactUrlPassword(url: string): string {
  // libpq takes a password in the user part and also as ?password= in the query string.
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i, '$1***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function parseSqlite(rest: string, cwd: string): Parsed<DatabaseConfig> {
  const path = rest.replace(/\?.*$/, '');
  if (path === '' || path === '/:memory:')
    return { kind: 'value', value: { kind: 'sqlite', path: ':memory:' } };
  if (!path.startsWith('/'))
    return { kind: 'invalid', reason: 'is a sqlite URL with a host (use sqlite:///path)' };
  // SQLAlchemy: three slashes then a relative path, four for an absolute one.
  return { kind: 'value', value: { kind: 'sqlite', path: resolve(cwd, path.slice(1)) } };
}

function parsePostgresql(rest: string): Parsed<DatabaseConfig> {
  const url = `postgresql://${rest}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'invalid', reason: 'is not a valid postgresql URL' };
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    return { kind: 'invalid', reason: 'is a postgresql URL without a host' };
  }
  return { kind: 'value', value: { kind: 'postgresql', url, redactedUrl: redactUrlPassword(url) } };
}

export function parseDatabaseConnection(text: string, cwd: string): Parsed<DatabaseConfig> {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(text.trim());
  if (match === null) return { kind: 'invalid', reason: 'is not a database URL (scheme://...)' };
  const scheme = match[1]!.toLowerCase();
  const [dialect] = scheme.split('+');
  if (dialect === 'sqlite') return parseSqlite(match[2]!, cwd);
  if (dialect === 'postgresql') return parsePostgresql(match[2]!);
  const hint = dialect === 'postgres' ? " (SQLAlchemy spells it 'postgresql')" : '';
  return { kind: 'invalid', reason: `uses '${scheme}'${hint}; Tandem's state store is sqlite or postgresql` };
}

/** `null` when unset: the caller then uses `defaultDatabase(statePath)`. */
export function databaseConnectionOption(cwd: string): SingleOption<DatabaseConfig | null> {
  return customOpt<DatabaseConfig | null>('connection', null, (text) => parseDatabaseConnection(text, cwd), {
    secret: true,
  });
}
