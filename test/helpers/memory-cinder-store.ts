// A CinderStore in memory for tests: one Map per record kind, copies in and out (structuredClone)
// so a caller that changes a record it read has changed nothing until it puts it, as with the
// real store. Writes resolve at once; `writes` counts them for tests that care.

import type { RecordKind, RecordKinds } from '../../src/cinder/model.js';
import type { CinderStore, StoreWrite } from '../../src/cinder/store/store.js';

export class MemoryCinderStore implements CinderStore {
  readonly description = 'memory';
  writes = 0;
  private readonly tables = new Map<RecordKind, Map<string, unknown>>();
  private closed = false;

  get<K extends RecordKind>(kind: K, id: string): RecordKinds[K] | undefined {
    const record = this.table(kind).get(id) as RecordKinds[K] | undefined;
    return record === undefined ? undefined : structuredClone(record);
  }

  list<K extends RecordKind>(kind: K, where?: (record: RecordKinds[K]) => boolean): Array<RecordKinds[K]> {
    const records: Array<RecordKinds[K]> = [];
    for (const record of this.table(kind).values()) {
      const copy = structuredClone(record) as RecordKinds[K];
      if (!where || where(copy)) records.push(copy);
    }
    return records;
  }

  async put<K extends RecordKind>(kind: K, record: RecordKinds[K]): Promise<void> {
    await this.write([{ kind, id: record.id, record }]);
  }

  async remove(kind: RecordKind, id: string): Promise<void> {
    await this.write([{ kind, id, record: null }]);
  }

  async write(writes: StoreWrite[]): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    // Copy first, apply after: all of the writes or none, as the real store's transaction.
    const copies = writes.map((w) => ({
      ...w,
      record: w.record === null ? null : structuredClone(w.record),
    }));
    for (const write of copies) {
      if (write.record !== null && write.record.id !== write.id)
        throw new Error(`write of ${write.kind} ${write.id} carries record id ${write.record.id}`);
    }
    for (const write of copies) {
      if (write.record === null) this.table(write.kind).delete(write.id);
      else this.table(write.kind).set(write.id, write.record);
      this.writes++;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private table(kind: RecordKind): Map<string, unknown> {
    let table = this.tables.get(kind);
    if (!table) {
      table = new Map();
      this.tables.set(kind, table);
    }
    return table;
  }
}
