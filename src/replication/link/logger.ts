// The logging surface the replication link needs: pino's (obj, msg) call shape, nothing more.
// Callers pass a pino child logger; the link never logs hello contents or frame headers.

export interface LinkLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const ignore = (): void => {};

export const silentLinkLogger: LinkLogger = { info: ignore, warn: ignore, error: ignore };
