// The mediator's error catalogue. Each error has a stable code; HTTP errors carry their status and
// leave as `{ error: reason, code }`. Only our own bugs become a 500; client input never does.

/** The grants file cannot be trusted: the mediator refuses to start rather than grant twice. */
export class GrantsFileError extends Error {
  readonly code = 'MEDIATOR_GRANTS_FILE_INVALID';
  constructor(
    readonly reason: string,
    readonly path?: string,
  ) {
    super(`mediator grants file${path ? ` ${path}` : ''} ${reason}`);
    this.name = 'GrantsFileError';
  }
}

/** Another mediator (in this process or another) already uses the data directory. */
export class DataDirInUseError extends Error {
  readonly code = 'MEDIATOR_DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    holder: string,
  ) {
    super(`another mediator (${holder}) is using ${dataDir}; stop it first`);
    this.name = 'DataDirInUseError';
  }
}

/** A claim for a new pod when the table already decides for its maximum number of pods. */
export class PodLimitError extends Error {
  readonly code = 'MEDIATOR_PODS_FULL';
  constructor(readonly podsMax: number) {
    super(`the mediator already decides for ${podsMax} pods (its limit)`);
    this.name = 'PodLimitError';
  }
}

export type MediatorErrorCode =
  | 'invalid-body'
  | 'invalid-query'
  | 'body-too-large'
  | 'unknown-route'
  | 'busy'
  | 'not-saved'
  | 'pods-full'
  | 'internal';

/** An error answered over HTTP. */
export class MediatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: MediatorErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'MediatorHttpError';
  }

  toBody(): { error: string; code: MediatorErrorCode } {
    return { error: this.reason, code: this.code };
  }
}

export const invalidBody = (reason: string) => new MediatorHttpError(400, 'invalid-body', reason);
export const invalidQuery = (reason: string) => new MediatorHttpError(400, 'invalid-query', reason);
export const bodyTooLarge = (maxBytes: number) =>
  new MediatorHttpError(413, 'body-too-large', `body is larger than ${maxBytes} bytes`);
export const unknownRoute = (method: string, path: string) =>
  new MediatorHttpError(404, 'unknown-route', `no route ${method} ${path}`);
export const busy = (pendingMax: number) =>
  new MediatorHttpError(503, 'busy', `${pendingMax} claims are already waiting; try again`);
/** The grant could not be made durable, so it was not given; the claim may be repeated. */
export const notSaved = () =>
  new MediatorHttpError(503, 'not-saved', 'the grant could not be saved to disk; try again');
export const podsFull = (podsMax: number) =>
  new MediatorHttpError(507, 'pods-full', `the mediator already decides for ${podsMax} pods (its limit)`);
export const internal = () => new MediatorHttpError(500, 'internal', 'internal error');
