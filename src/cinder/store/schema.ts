// The store's layout, shared by both backends, and the check that a database was written by a
// Tandem that this build understands. The database engine keeps its own page and WAL integrity, so
// rows carry no checksum of ours; what we add is the format name and the schema version, because
// a store outlives the build that wrote it.

import { storeErrors } from './errors.js';

/** store_meta `format`: tells a Tandem store apart from someone else's table of the same name. */
export const STORE_FORMAT = 'tandem-cinder-store';
/**
 * store_meta `schema_version`. Version 1 is the first. A change to the tables bumps it and adds the
 * migration from the previous version in `checkStoreMeta`'s caller, with a test that opens a store
 * written by the previous version.
 */
export const STORE_SCHEMA_VERSION = 1;

/** A row of `records`: one record of one kind, its JSON body. */
export interface StoreRow {
  readonly kind: string;
  readonly id: string;
  readonly body: string;
}

/** One change inside a commit: `body` null removes the row. */
export interface RowWrite {
  readonly kind: string;
  readonly id: string;
  readonly body: string | null;
}

/** What the cached store needs from a database; one implementation per dialect. */
export interface StoreBackend {
  readonly description: string;
  /** Every row; called once, at open. */
  loadAll(): Promise<StoreRow[]>;
  /** All writes in one transaction; resolves once the transaction is durable, rejects if none of it is. */
  commit(writes: readonly RowWrite[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * 'empty' when the database has no store yet (the caller writes the meta rows in the same
 * transaction); throws when the store must not be used by this build.
 */
export function checkStoreMeta(meta: ReadonlyMap<string, string>, description: string): 'empty' | 'current' {
  if (meta.size === 0) return 'empty';
  if (meta.get('format') !== STORE_FORMAT) throw storeErrors.notTandem(description);
  const text = meta.get('schema_version') ?? '';
  const version = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(version) || version < 1) {
    throw storeErrors.corrupt(description, `schema_version is ${JSON.stringify(text)}`);
  }
  if (version > STORE_SCHEMA_VERSION)
    throw storeErrors.schemaNewer(description, version, STORE_SCHEMA_VERSION);
  return 'current';
}

/** The meta rows a new store starts with. */
export function initialStoreMeta(): Array<[string, string]> {
  return [
    ['format', STORE_FORMAT],
    ['schema_version', String(STORE_SCHEMA_VERSION)],
  ];
}
