// The state store in one SQLite file (cinder's default, `$state_path/cinder.sqlite`). WAL mode
// with synchronous=FULL: every commit fsyncs the WAL before better-sqlite3 returns, so a write
// that resolved survives kill -9 and power loss. One control plane per store file is supported:
// a second process (sqlite3 CLI, a second control plane by mistake) cannot corrupt the file,
// because SQLite's locks serialize writers, but it would not see the first one's in-memory cache.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, storeErrors } from './errors.js';
import {
  checkStoreMeta,
  initialStoreMeta,
  type RowWrite,
  type StoreBackend,
  type StoreRow,
} from './schema.js';

/**
 * How long a write waits for another connection's write lock before failing. better-sqlite3 waits
 * synchronously (the event loop stalls), so this is short; a lock is only held that long by a
 * second writer, which is not a supported set-up.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

const CREATE_META = 'CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)';
// The body is TEXT holding JSON: the record as the control plane wrote it, readable with the
// sqlite3 CLI. updated_at is for people reading the table; the store itself never reads it.
const CREATE_RECORDS = `CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (kind, id))`;
const UPSERT = `INSERT INTO records (kind, id, body, updated_at)
  VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`;
const DELETE = 'DELETE FROM records WHERE kind = ? AND id = ?';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openDatabase(path: string, description: string): Database.Database {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  } catch (error) {
    throw storeErrors.openFailed(description, errorMessage(error));
  }
}

/** Creates the tables on first use; refuses a store this build does not understand. */
function prepareSchema(db: Database.Database, description: string): void {
  // IMMEDIATE takes the write lock first, so two processes opening a new file do not both
  // initialise it.
  db.transaction(() => {
    db.exec(CREATE_META);
    const rows = db.prepare('SELECT key, value FROM store_meta').all() as Array<{
      key: string;
      value: string;
    }>;
    const meta = new Map(rows.map((row) => [row.key, row.value]));
    if (checkStoreMeta(meta, description) === 'current') return;
    db.exec(CREATE_RECORDS);
    const insert = db.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?)');
    for (const [key, value] of initialStoreMeta()) insert.run(key, value);
  }).immediate();
}

export function openSqliteBackend(path: string): StoreBackend {
  const description = `sqlite:${path}`;
  const db = openDatabase(path, description);
  try {
    prepareSchema(db, description);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw storeErrors.openFailed(description, errorMessage(error));
  }
  const upsert = db.prepare(UPSERT);
  const remove = db.prepare(DELETE);
  const commitAll = db.transaction((writes: readonly RowWrite[]) => {
    for (const write of writes) {
      if (write.body === null) remove.run(write.kind, write.id);
      else upsert.run(write.kind, write.id, write.body);
    }
  });
  return {
    description,
    // better-sqlite3 is synchronous; the async shape is the StoreBackend contract, which
    // PostgreSQL needs. A failed transaction is rolled back before the call returns.
    loadAll: async () => db.prepare('SELECT kind, id, body FROM records').all() as StoreRow[],
    commit: async (writes) => {
      try {
        commitAll.immediate(writes);
      } catch (error) {
        // After an I/O error SQLite cannot say whether the commit frame reached the disk (a failed
        // fsync may have dropped it or not); every other error rolled the transaction back.
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) {
          throw storeErrors.outcomeUnknown(description, errorMessage(error));
        }
        throw storeErrors.writeFailed(description, errorMessage(error));
      }
    },
    close: async () => {
      db.close();
    },
  };
}
