// The state store in PostgreSQL, when [database] connection says `postgresql://`. Same table as
// SQLite. Writes are serialized by the cached store above, so the pool mostly holds one busy
// connection. One control plane per database is supported: a second one would write safely
// (transactions) but neither would see the other's writes in its cache.

import pg, { type PoolClient as PgClient, type Pool as PgPool } from 'pg';
import { StoreError, storeErrors } from './errors.js';
import {
  checkStoreMeta,
  initialStoreMeta,
  type RowWrite,
  type StoreBackend,
  type StoreRow,
} from './schema.js';

const { Pool, DatabaseError } = pg;

/** Writes are serialized and reads come from memory: one connection works, a spare covers a reconnect. */
export const PG_POOL_CONNECTIONS_MAX = 2;
/** An unreachable server (dropped packets, not a refusal) fails the open or write after this long. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;
/** A query that gets no reply in this long fails; during COMMIT that makes the outcome unknown. */
export const PG_QUERY_TIMEOUT_MS = 30_000;
/** Idle connections are closed after this long; writes come in bursts, so reconnects stay rare. */
export const PG_IDLE_TIMEOUT_MS = 60_000;
/** pg_advisory_xact_lock key ('tandem' in ASCII) so two openers of a new database create it once. */
const SCHEMA_LOCK_KEY = '127961812723053';

const CREATE_META = 'CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)';
// TEXT, not JSONB: JSONB rejects \u0000 in strings, which a user-supplied name may contain, and
// TEXT gives back the very bytes SQLite would.
const CREATE_RECORDS = `CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, id))`;
const UPSERT = `INSERT INTO records (kind, id, body, updated_at) VALUES ($1, $2, $3, now())
  ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at`;
const DELETE = 'DELETE FROM records WHERE kind = $1 AND id = $2';

/** The error's text with the URL's password (plain or percent-encoded) replaced by `***`. */
function scrubbedMessage(error: unknown, url: string): string {
  let message = error instanceof Error ? error.message : String(error);
  // net's connect to a name with several addresses fails with an AggregateError and no message.
  if (message === '' && error instanceof AggregateError) {
    message = error.errors
      .map((inner) => (inner instanceof Error ? inner.message : String(inner)))
      .join('; ');
  }
  if (message === '') message = String((error as { code?: unknown }).code ?? 'unknown error');
  for (const secret of urlSecrets(url)) message = message.split(secret).join('***');
  return message;
}

/** The password as the URL spells it and decoded; libpq also takes it as `?password=`. */
function urlSecrets(url: string): string[] {
  const parsed = new URL(url);
  const secrets = [parsed.password, parsed.searchParams.get('password') ?? ''];
  try {
    secrets.push(decodeURIComponent(parsed.password));
  } catch {
    // A malformed %-escape: pg passes the text on as it is, which is already in the list.
  }
  return secrets.filter((secret) => secret !== '');
}

/** True when the server answered the statement with an error, so the transaction did not commit. */
function serverRefused(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  // Class 08 (connection exception) and 57P (shutdown) come when the session dies, not as an answer.
  return !/^(08|57P)/.test(error.code ?? '');
}

async function prepareSchema(client: PgClient, description: string): Promise<void> {
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [SCHEMA_LOCK_KEY]);
  await client.query(CREATE_META);
  const result = await client.query<{ key: string; value: string }>('SELECT key, value FROM store_meta');
  const meta = new Map(result.rows.map((row) => [row.key, row.value]));
  if (checkStoreMeta(meta, description) === 'empty') {
    await client.query(CREATE_RECORDS);
    for (const [key, value] of initialStoreMeta()) {
      await client.query('INSERT INTO store_meta (key, value) VALUES ($1, $2)', [key, value]);
    }
  }
  await client.query('COMMIT');
}

async function commitWrites(pool: PgPool, writes: readonly RowWrite[], url: string, description: string) {
  let client: PgClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeErrors.writeFailed(description, scrubbedMessage(error, url));
  }
  let committing = false;
  try {
    await client.query('BEGIN');
    for (const write of writes) {
      if (write.body === null) await client.query(DELETE, [write.kind, write.id]);
      else await client.query(UPSERT, [write.kind, write.id, write.body]);
    }
    committing = true;
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    // Destroy the connection rather than reuse it: the server rolls back an open transaction when
    // the session ends, and a timed-out query may still answer later on it.
    client.release(error instanceof Error ? error : true);
    const reason = scrubbedMessage(error, url);
    if (committing && !serverRefused(error)) throw storeErrors.outcomeUnknown(description, reason);
    throw storeErrors.writeFailed(description, reason);
  }
}

export async function openPostgresBackend(url: string, redactedUrl: string): Promise<StoreBackend> {
  const description = redactedUrl;
  const pool = new Pool({
    connectionString: url,
    max: PG_POOL_CONNECTIONS_MAX,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: PG_IDLE_TIMEOUT_MS,
    query_timeout: PG_QUERY_TIMEOUT_MS,
    application_name: 'tandem-cinder',
  });
  // An idle connection whose server went away reports here; without a listener Node would end the
  // process. The next write opens a new connection and fails on its own if the server is gone.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      await prepareSchema(client, description);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  } catch (error) {
    await pool.end();
    if (error instanceof StoreError) throw error;
    throw storeErrors.openFailed(description, scrubbedMessage(error, url));
  }
  return {
    description,
    loadAll: async () => {
      try {
        return (await pool.query<StoreRow>('SELECT kind, id, body FROM records')).rows;
      } catch (error) {
        throw storeErrors.openFailed(description, scrubbedMessage(error, url));
      }
    },
    commit: (writes) => commitWrites(pool, writes, url, description),
    close: () => pool.end(),
  };
}
