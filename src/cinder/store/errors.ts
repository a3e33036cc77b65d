// Why the state store refused to open or to write. Messages name the store by its description
// (`sqlite:<path>` or the redacted URL), never by a URL with its password in it.

/** Stable codes: callers (the service's start-up, tests) branch on these, never on message text. */
export type StoreErrorCode =
  /** The database could not be reached or opened (bad path, refused connection, wrong password). */
  | 'STORE_OPEN_FAILED'
  /** The database holds tables that are not a Tandem store. */
  | 'STORE_NOT_TANDEM'
  /** The store was written by a newer Tandem; this build must not touch it. */
  | 'STORE_SCHEMA_NEWER'
  /** A stored row or the schema metadata cannot be read back. */
  | 'STORE_CORRUPT'
  /** The caller handed over a record that cannot be stored (no id, not JSON-serializable). */
  | 'STORE_RECORD_INVALID'
  /** A write failed and its transaction was rolled back: nothing of it is stored. */
  | 'STORE_WRITE_FAILED'
  /**
   * A commit was sent but its reply was lost: the database may or may not hold the write. The
   * store stops (every later call fails) so the cache never serves a guess; a restart reloads.
   */
  | 'STORE_OUTCOME_UNKNOWN'
  | 'STORE_CLOSED';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const storeErrors = {
  openFailed: (description: string, reason: string) =>
    new StoreError('STORE_OPEN_FAILED', `cannot open the state store ${description}: ${reason}`),
  notTandem: (description: string) =>
    new StoreError(
      'STORE_NOT_TANDEM',
      `the state store ${description} has a store_meta table that Tandem did not write; refusing to use it`,
    ),
  schemaNewer: (description: string, found: number, supported: number) =>
    new StoreError(
      'STORE_SCHEMA_NEWER',
      `the state store ${description} has schema version ${found}, written by a newer Tandem; ` +
        `this build reads up to version ${supported} (upgrade Tandem or use another [database] connection)`,
    ),
  corrupt: (description: string, reason: string) =>
    new StoreError('STORE_CORRUPT', `the state store ${description} is corrupt: ${reason}`),
  recordInvalid: (kind: string, id: unknown, reason: string) =>
    new StoreError('STORE_RECORD_INVALID', `cannot store ${kind} ${String(id)}: ${reason}`),
  writeFailed: (description: string, reason: string) =>
    new StoreError(
      'STORE_WRITE_FAILED',
      `the state store ${description} refused a write (none of it is stored): ${reason}`,
    ),
  outcomeUnknown: (description: string, reason: string) =>
    new StoreError(
      'STORE_OUTCOME_UNKNOWN',
      `the state store ${description} lost a commit's reply (${reason}); the write may or may not be ` +
        'stored, so the store has stopped; restart the control plane to reload it',
    ),
  closed: (description: string) => new StoreError('STORE_CLOSED', `the state store ${description} is closed`),
};
