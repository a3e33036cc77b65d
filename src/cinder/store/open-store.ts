// Opens the state store that `[database] connection` names: SQLite by default, PostgreSQL when
// configured. The caller owns the store and closes it at shutdown.

import type { DatabaseConfig } from '../config/database.js';
import { createCachedStore } from './cached-store.js';
import { openPostgresBackend } from './postgres-backend.js';
import type { StoreBackend } from './schema.js';
import { openSqliteBackend } from './sqlite-backend.js';
import type { CinderStore } from './store.js';

export async function openStore(database: DatabaseConfig): Promise<CinderStore> {
  const backend: StoreBackend =
    database.kind === 'sqlite'
      ? openSqliteBackend(database.path)
      : await openPostgresBackend(database.url, database.redactedUrl);
  try {
    return await createCachedStore(backend);
  } catch (error) {
    await backend.close();
    throw error;
  }
}
