// The CinderStore over any StoreBackend: every record in memory, each write through to the
// database. Writes run one at a time in call order and reach the cache only after their commit,
// so the cache always equals the database's committed state, in the same order.

import type { RecordKind, RecordKinds } from '../model.js';
import { StoreError, storeErrors } from './errors.js';
import type { RowWrite, StoreBackend } from './schema.js';
import type { CinderStore, StoreWrite } from './store.js';

/** A write ready to commit: the JSON for the database and the frozen value for the cache. */
interface EncodedWrite extends RowWrite {
  readonly value: unknown;
}

/** Frozen so that a `where` callback, which sees cached objects, cannot change them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Serialized at call time, so a caller that changes the object after `put` does not change what
 * is stored. The cache keeps the JSON parsed back, so it holds exactly what a reload would give.
 */
function encodeWrite(kind: string, id: unknown, record: unknown): EncodedWrite {
  if (typeof id !== 'string' || id === '')
    throw storeErrors.recordInvalid(kind, id, 'the id is not a non-empty string');
  if (record === null) return { kind, id, body: null, value: null };
  if (typeof record !== 'object' || Array.isArray(record)) {
    throw storeErrors.recordInvalid(kind, id, 'the record is not an object');
  }
  const recordId = (record as { id?: unknown }).id;
  if (recordId !== id) throw storeErrors.recordInvalid(kind, id, `the record's id is ${String(recordId)}`);
  let body: string;
  try {
    body = JSON.stringify(record);
  } catch (error) {
    throw storeErrors.recordInvalid(kind, id, error instanceof Error ? error.message : String(error));
  }
  return { kind, id, body, value: deepFreeze(JSON.parse(body)) };
}

function compareIds(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

class CachedStore implements CinderStore {
  readonly description: string;
  private readonly records = new Map<string, Map<string, unknown>>();
  /** The last queued write; the next one starts when it settles. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Set when a commit's outcome is unknown: the store refuses everything from then on. */
  private failure: StoreError | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly backend: StoreBackend) {
    this.description = backend.description;
  }

  /** Fills the cache; a row that does not parse means the store is not what we wrote. */
  async load(): Promise<void> {
    for (const row of await this.backend.loadAll()) {
      let value: unknown;
      try {
        value = JSON.parse(row.body);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw storeErrors.corrupt(this.description, `${row.kind} ${row.id}: ${reason}`);
      }
      this.kindMap(row.kind).set(row.id, deepFreeze(value));
    }
  }

  get<K extends RecordKind>(kind: K, id: string): RecordKinds[K] | undefined {
    this.assertUsable();
    const record = this.records.get(kind)?.get(id) as RecordKinds[K] | undefined;
    return record === undefined ? undefined : structuredClone(record);
  }

  /** Sorted by id, so the order is the same after a restart and on either backend. */
  list<K extends RecordKind>(kind: K, where?: (record: RecordKinds[K]) => boolean): Array<RecordKinds[K]> {
    this.assertUsable();
    const all = [...(this.records.get(kind)?.values() ?? [])] as Array<RecordKinds[K]>;
    const chosen = where === undefined ? all : all.filter((record) => where(record));
    return chosen.sort(compareIds).map((record) => structuredClone(record));
  }

  async put<K extends RecordKind>(kind: K, record: RecordKinds[K]): Promise<void> {
    await this.commit([encodeWrite(kind, (record as { id?: unknown } | null)?.id, record)]);
  }

  async remove(kind: RecordKind, id: string): Promise<void> {
    await this.commit([encodeWrite(kind, id, null)]);
  }

  async write(writes: StoreWrite[]): Promise<void> {
    await this.commit(writes.map((write) => encodeWrite(write.kind, write.id, write.record)));
  }

  close(): Promise<void> {
    // Writes already queued finish first; later ones are refused by assertUsable.
    this.closing ??= this.tail.then(() => this.backend.close());
    return this.closing;
  }

  private async commit(writes: EncodedWrite[]): Promise<void> {
    this.assertUsable();
    if (writes.length === 0) return;
    const run = this.tail.then(async () => {
      if (this.failure !== null) throw this.failure;
      try {
        await this.backend.commit(writes);
      } catch (error) {
        if (error instanceof StoreError && error.code === 'STORE_OUTCOME_UNKNOWN') this.failure = error;
        throw error;
      }
      for (const write of writes) {
        if (write.body === null) this.records.get(write.kind)?.delete(write.id);
        else this.kindMap(write.kind).set(write.id, write.value);
      }
    });
    this.tail = run.catch(() => {});
    await run;
  }

  private assertUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closing !== null) throw storeErrors.closed(this.description);
  }

  private kindMap(kind: string): Map<string, unknown> {
    let map = this.records.get(kind);
    if (map === undefined) {
      map = new Map();
      this.records.set(kind, map);
    }
    return map;
  }
}

/** A store over `backend`, its cache loaded. Exported for tests that inject a failing backend. */
export async function createCachedStore(backend: StoreBackend): Promise<CinderStore> {
  const store = new CachedStore(backend);
  await store.load();
  return store;
}
