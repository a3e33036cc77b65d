// cinder store: the control plane's records on SQLite and PostgreSQL. One conformance suite runs
// against both backends; backend-specific tests (kill -9, WAL, redacted errors) follow it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { type DatabaseConfig, parseDatabaseConnection } from '../../src/cinder/config/database.js';
import { storeErrors } from '../../src/cinder/store/errors.js';
import { createCachedStore, openStore, StoreError } from '../../src/cinder/store/index.js';
import { makeTempDir } from '../helpers/array-process.js';
import {
  assertStoreError,
  quota,
  type StoreFixture,
  storeConformance,
  withFixture,
} from '../helpers/cinder-store-conformance.js';
import {
  POSTGRES_TEST_PASSWORD,
  type PostgresServer,
  postgresSkipReason,
  startPostgres,
} from '../helpers/postgres-process.js';

const OPEN_STORE_MODULE = pathToFileURL(
  join(import.meta.dirname, '../../src/cinder/store/open-store.js'),
).href;

async function sqliteFixture(): Promise<StoreFixture> {
  const dir = await makeTempDir('tandem-store-');
  const path = join(dir.path, 'state', 'nested', 'cinder.sqlite'); // directories created by open
  const raw = (sql: string, ...params: string[]) => {
    const db = new Database(path);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };
  return {
    config: { kind: 'sqlite', path },
    poison: async (id) =>
      raw(`CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.id = '${id}'
        BEGIN SELECT RAISE(ABORT, 'injected failure'); END`),
    setMeta: async (key, value) => raw('UPDATE store_meta SET value = ? WHERE key = ?', value, key),
    corruptRecord: async (kind, id) =>
      raw("UPDATE records SET body = '{not json' WHERE kind = ? AND id = ?", kind, id),
    cleanup: dir.remove,
  };
}

storeConformance('sqlite', sqliteFixture);

test('sqlite: the file is created with its directory, in WAL mode; :memory: works too', async () => {
  await withFixture(sqliteFixture, async (f, open) => {
    const store = await open();
    const path = (f.config as { path: string }).path;
    assert.equal(store.description, `sqlite:${path}`);
    assert.ok(existsSync(path));
    const db = new Database(path);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });
  const memory = await openStore({ kind: 'sqlite', path: ':memory:' });
  try {
    await memory.put('quota', quota('q', 1));
    assert.deepEqual(memory.list('quota'), [quota('q', 1)]);
    assert.equal(memory.description, 'sqlite::memory:');
  } finally {
    await memory.close();
  }
});

/** A child that puts records in a loop, printing `ok <i>` after each; SIGKILLed after `acks` acks. */
async function writeUntilKilled(path: string, acks: number): Promise<number> {
  const script = `const { openStore } = await import(process.argv[1]);
    const store = await openStore({ kind: 'sqlite', path: process.argv[2] });
    for (let i = 0; ; i++) {
      await store.put('quota', { id: 'q' + String(i).padStart(6, '0'), limits: { volumes: i } });
      process.stdout.write('ok ' + i + '\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, OPEN_STORE_MODULE, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    // Killed while writing: the put in flight may or may not be stored; every acked one must be.
    return await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const last = /ok (\d+)\n$/.exec(stdout);
        if (last && Number(last[1]) >= acks) {
          child.kill('SIGKILL');
          resolve(Number(last[1]));
        }
      });
      child.once('exit', () => reject(new Error(`the writer exited on its own: ${stderr}`)));
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
  }
}

test('sqlite: every put acknowledged before kill -9 is readable afterwards', () =>
  withFixture(sqliteFixture, async (f, open) => {
    const path = (f.config as { path: string }).path;
    const acked = await writeUntilKilled(path, 200);
    const ids = (await open()).list('quota').map((q) => q.id);
    for (let i = 0; i <= acked; i++) assert.equal(ids[i], `q${String(i).padStart(6, '0')}`);
    const db = new Database(path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  }));

test('sqlite: two stores on one file (unsupported) still leave it intact', () =>
  withFixture(sqliteFixture, async (f, open) => {
    const [a, b] = [await open(), await open()];
    await Promise.all([a.put('quota', quota('a1', 1)), b.put('quota', quota('b1', 1))]);
    await Promise.all([a.put('quota', quota('a2', 2)), b.remove('quota', 'b0')]);
    await a.close();
    await b.close();
    const db = new Database((f.config as { path: string }).path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    assert.deepEqual(
      (await open()).list('quota').map((q) => q.id),
      ['a1', 'a2', 'b1'],
    );
  }));

test('store: a commit whose outcome is unknown stops the store instead of guessing', async () => {
  const store = await createCachedStore({
    description: 'fake:lost-reply',
    loadAll: async () => [],
    commit: async (writes) => {
      if (writes.some((w) => w.id === 'lost')) throw storeErrors.outcomeUnknown('fake:lost-reply', 'timeout');
    },
    close: async () => {},
  });
  await store.put('quota', quota('kept', 1));
  const lost = store.put('quota', quota('lost', 1));
  const queuedBehind = store.put('quota', quota('after', 1));
  await assertStoreError(lost, 'STORE_OUTCOME_UNKNOWN', /restart the control plane/);
  await assertStoreError(queuedBehind, 'STORE_OUTCOME_UNKNOWN');
  assert.throws(() => store.get('quota', 'kept'), /lost a commit's reply/);
  await store.close();
});

const postgresSkip = postgresSkipReason();

describe('cinder store on PostgreSQL', { skip: postgresSkip ?? false }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  const config = (url: string): DatabaseConfig => {
    const parsed = parseDatabaseConnection(url, '/');
    assert.equal(parsed.kind, 'value');
    return (parsed as { value: DatabaseConfig }).value;
  };

  storeConformance('postgresql', async () => {
    const database = await server.createDatabase();
    return {
      config: config(server.url(database)),
      poison: async (id) => {
        await server.query(
          database,
          `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql
             AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
        );
        await server.query(
          database,
          `CREATE TRIGGER poison BEFORE INSERT ON records FOR EACH ROW
             WHEN (NEW.id = '${id}') EXECUTE FUNCTION poison()`,
        );
      },
      setMeta: async (key, value) => {
        await server.query(database, 'UPDATE store_meta SET value = $1 WHERE key = $2', [value, key]);
      },
      corruptRecord: async (kind, id) => {
        await server.query(database, "UPDATE records SET body = '{not json' WHERE kind = $1 AND id = $2", [
          kind,
          id,
        ]);
      },
      cleanup: () => server.dropDatabase(database),
    };
  });

  test('postgresql: the description and errors show the redacted URL, never the password', async () => {
    const database = await server.createDatabase();
    try {
      const store = await openStore(config(server.url(database)));
      assert.equal(store.description, server.url(database).replace(POSTGRES_TEST_PASSWORD, '***'));
      await store.close();
      const wrong = config(server.url(database, 'wrong-password-5150'));
      await assertStoreError(openStore(wrong), 'STORE_OPEN_FAILED', /password authentication failed/);
      await assert.rejects(openStore(wrong), (error: Error) => {
        assert.match(error.message, /postgresql:\/\/tandem_test:\*\*\*@127\.0\.0\.1:\d+\/store_\d+:/);
        assert.ok(!error.message.includes('wrong-password-5150'), error.message);
        return true;
      });
    } finally {
      await server.dropDatabase(database);
    }
  });

  test('postgresql: an unreachable server is a clear error without the password', async () => {
    const url = server.url('nowhere').replace(`:${server.port}/`, ':1/');
    await assert.rejects(openStore(config(url)), (error: Error) => {
      assert.ok(error instanceof StoreError && error.code === 'STORE_OPEN_FAILED');
      assert.match(
        error.message,
        /cannot open the state store postgresql:\/\/tandem_test:\*\*\*@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/,
      );
      assert.ok(!error.message.includes(POSTGRES_TEST_PASSWORD), error.message);
      return true;
    });
  });
});
