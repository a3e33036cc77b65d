// One conformance suite for every CinderStore backend (SQLite, PostgreSQL): what the control plane
// may rely on. Each backend hands in a fixture with raw access to its database for fault injection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatabaseConfig } from '../../src/cinder/config/database.js';
import type { QuotaRecord, VolumeRecord, VolumeTypeRecord } from '../../src/cinder/model.js';
import { type CinderStore, openStore, StoreError } from '../../src/cinder/store/index.js';

export function volume(id: string, size = 1): VolumeRecord {
  return {
    id,
    projectId: 'p1',
    userId: 'u1',
    name: `vol ${id}`,
    description: null,
    size,
    status: 'available',
    previousStatus: null,
    attachStatus: 'detached',
    host: 'h@pure#pure',
    volumeTypeId: 't1',
    availabilityZone: 'nova',
    bootable: false,
    multiattach: false,
    snapshotId: null,
    sourceVolid: null,
    groupId: null,
    providerId: `volume-${id}-cinder`,
    replicationStatus: 'disabled',
    metadata: { a: 'b' },
    adminMetadata: {},
    migrationStatus: null,
    createdAt: '2024-01-01T00:00:00.000000',
    updatedAt: null,
    launchedAt: null,
    terminatedAt: null,
  };
}

export const volumeType = (id: string): VolumeTypeRecord => ({
  id,
  name: `type ${id}`,
  description: null,
  isPublic: true,
  extraSpecs: { replication_enabled: '<is> True' },
  qosSpecsId: null,
  projects: [],
  createdAt: '2024-01-01T00:00:00.000000',
});

export const quota = (id: string, volumes: number): QuotaRecord => ({ id, limits: { volumes } });

/** A database for one test, plus raw access to it for injecting faults. */
export interface StoreFixture {
  readonly config: DatabaseConfig;
  /** Makes the database itself refuse, mid-transaction, to insert a record with this id. */
  poison(id: string): Promise<void>;
  setMeta(key: string, value: string): Promise<void>;
  /** Overwrites a stored record's body with text that is not JSON. */
  corruptRecord(kind: string, id: string): Promise<void>;
  cleanup(): Promise<void>;
}

type Open = () => Promise<CinderStore>;

export async function withFixture(
  make: () => Promise<StoreFixture>,
  body: (f: StoreFixture, open: Open) => Promise<void>,
) {
  const fixture = await make();
  const opened: CinderStore[] = [];
  try {
    await body(fixture, async () => {
      const store = await openStore(fixture.config);
      opened.push(store);
      return store;
    });
  } finally {
    for (const store of opened) await store.close().catch(() => {});
    await fixture.cleanup();
  }
}

export async function assertStoreError(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

export function storeConformance(name: string, make: () => Promise<StoreFixture>) {
  test(`${name}: put, get, list and remove records of several kinds`, () =>
    withFixture(make, async (_f, open) => {
      const store = await open();
      await store.put('volume', volume('v2', 2));
      await store.put('volume', volume('v1'));
      await store.put('volume_type', volumeType('t1'));
      await store.put('quota', quota('v1', 10)); // the same id in another kind is another record
      assert.deepEqual(store.get('volume', 'v1'), volume('v1'));
      assert.deepEqual(store.get('quota', 'v1'), quota('v1', 10));
      assert.equal(store.get('snapshot', 'v1'), undefined);
      assert.deepEqual(store.list('volume'), [volume('v1'), volume('v2', 2)]);
      assert.deepEqual(
        store.list('volume', (v) => v.size > 1),
        [volume('v2', 2)],
      );
      assert.deepEqual(store.list('group'), []);
      await store.put('volume', volume('v1', 5));
      assert.equal(store.get('volume', 'v1')?.size, 5);
      await store.remove('volume', 'v1');
      await store.remove('volume', 'never-stored');
      assert.equal(store.get('volume', 'v1'), undefined);
      assert.deepEqual(store.list('volume'), [volume('v2', 2)]);
      assert.deepEqual(store.get('quota', 'v1'), quota('v1', 10));
    }));

  test(`${name}: records survive close and reopen`, () =>
    withFixture(make, async (_f, open) => {
      const first = await open();
      await first.put('volume', volume('v1'));
      await first.put('volume', volume('gone'));
      await first.write([
        { kind: 'volume_type', id: 't1', record: volumeType('t1') },
        { kind: 'volume', id: 'gone', record: null },
        { kind: 'quota', id: 'p1', record: quota('p1', 3) },
      ]);
      await first.close();
      const second = await open();
      assert.equal(second.description, first.description);
      assert.deepEqual(second.list('volume'), [volume('v1')]);
      assert.deepEqual(second.list('volume_type'), [volumeType('t1')]);
      assert.deepEqual(second.list('quota'), [quota('p1', 3)]);
    }));

  test(`${name}: a write is all or nothing when the database refuses one of its rows`, () =>
    withFixture(make, async (f, open) => {
      const store = await open();
      await store.put('volume', volume('v1', 1));
      await store.put('volume_type', volumeType('t1'));
      await f.poison('poison');
      const failing = store.write([
        { kind: 'volume', id: 'v1', record: volume('v1', 2) },
        { kind: 'volume', id: 'v2', record: volume('v2') },
        { kind: 'volume_type', id: 't1', record: null },
        { kind: 'volume', id: 'poison', record: volume('poison') },
      ]);
      await assertStoreError(failing, 'STORE_WRITE_FAILED', /injected failure/);
      const unchanged = (s: CinderStore) => {
        assert.deepEqual(s.list('volume'), [volume('v1', 1)]);
        assert.deepEqual(s.list('volume_type'), [volumeType('t1')]);
      };
      unchanged(store);
      await store.put('volume', volume('v3')); // the store is still usable
      await store.close();
      const reopened = await open();
      assert.deepEqual(reopened.get('volume', 'v3'), volume('v3'));
      await reopened.remove('volume', 'v3');
      unchanged(reopened);
    }));

  test(`${name}: a record that cannot be stored fails the whole write before it starts`, () =>
    withFixture(make, async (_f, open) => {
      const store = await open();
      await store.put('quota', quota('q1', 1));
      const unserializable = { id: 'q2', limits: { volumes: 10n } } as unknown as QuotaRecord;
      const write = store.write([
        { kind: 'quota', id: 'q1', record: quota('q1', 2) },
        { kind: 'quota', id: 'q2', record: unserializable },
      ]);
      await assertStoreError(write, 'STORE_RECORD_INVALID', /BigInt/);
      const mismatch = store.write([{ kind: 'quota', id: 'q3', record: quota('other', 1) }]);
      await assertStoreError(mismatch, 'STORE_RECORD_INVALID', /id is other/);
      await store.close();
      assert.deepEqual((await open()).list('quota'), [quota('q1', 1)]);
    }));

  test(`${name}: readers get copies; a change counts only when it is put`, () =>
    withFixture(make, async (_f, open) => {
      const store = await open();
      const record = volume('v1');
      const putting = store.put('volume', record);
      record.size = 99; // after the call, before it resolved: the call's value is what is stored
      await putting;
      record.metadata['a'] = 'changed';
      store.get('volume', 'v1')!.status = 'error';
      store.list('volume')[0]!.metadata['x'] = 'y';
      const mutateInWhere = (v: VolumeRecord) => {
        v.size = 7;
        return true;
      };
      assert.throws(() => store.list('volume', mutateInWhere), TypeError);
      assert.deepEqual(store.get('volume', 'v1'), volume('v1'));
    }));

  test(`${name}: concurrent writes commit in call order`, () =>
    withFixture(make, async (_f, open) => {
      const store = await open();
      const writes: Array<Promise<void>> = [];
      for (let size = 1; size <= 40; size++) {
        writes.push(store.put('volume', volume('v1', size)));
        writes.push(size % 2 === 0 ? store.remove('volume', 'v2') : store.put('volume', volume('v2', size)));
      }
      await Promise.all(writes);
      assert.deepEqual(store.list('volume'), [volume('v1', 40)]);
      await store.close();
      assert.deepEqual((await open()).list('volume'), [volume('v1', 40)]);
    }));

  test(`${name}: a store written by a newer schema, or not by Tandem, is refused`, () =>
    withFixture(make, async (f, open) => {
      await (await open()).close();
      await f.setMeta('schema_version', '2');
      await assertStoreError(
        openStore(f.config),
        'STORE_SCHEMA_NEWER',
        /schema version 2, written by a newer Tandem/,
      );
      await f.setMeta('schema_version', '1');
      await f.setMeta('format', 'someone-else');
      await assertStoreError(openStore(f.config), 'STORE_NOT_TANDEM');
    }));

  test(`${name}: a stored row that is not JSON is reported as corrupt, naming the record`, () =>
    withFixture(make, async (f, open) => {
      const store = await open();
      await store.put('quota', quota('q1', 1));
      await store.close();
      await f.corruptRecord('quota', 'q1');
      await assertStoreError(openStore(f.config), 'STORE_CORRUPT', /is corrupt: quota q1: /);
    }));

  test(`${name}: a closed store refuses calls`, () =>
    withFixture(make, async (_f, open) => {
      const store = await open();
      await store.close();
      await assertStoreError(store.put('quota', quota('q', 1)), 'STORE_CLOSED');
      assert.throws(() => store.get('quota', 'q'), /is closed/);
    }));
}
