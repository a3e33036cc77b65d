// The control plane's state store: every record kind in one durable table (SQLite file by
// default, PostgreSQL when [database] connection says so), read from an in-memory copy. A write
// resolves once it is durable; readers get copies, so a change counts only when it is put.

import type { RecordKind, RecordKinds } from '../model.js';

export interface StoreWrite<K extends RecordKind = RecordKind> {
  kind: K;
  /** The record to store, or null to remove the record with `id`. */
  record: RecordKinds[K] | null;
  id: string;
}

export interface CinderStore {
  /** Where the state lives, without secrets (for logs). */
  readonly description: string;
  get<K extends RecordKind>(kind: K, id: string): RecordKinds[K] | undefined;
  list<K extends RecordKind>(kind: K, where?: (record: RecordKinds[K]) => boolean): Array<RecordKinds[K]>;
  put<K extends RecordKind>(kind: K, record: RecordKinds[K]): Promise<void>;
  remove(kind: RecordKind, id: string): Promise<void>;
  /** Several writes in one transaction: all of them or none. */
  write(writes: StoreWrite[]): Promise<void>;
  close(): Promise<void>;
}
