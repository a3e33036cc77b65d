// The logging surface the NBD server needs: pino's (obj, msg) call shape, nothing more.

export interface NbdLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const ignore = (): void => {};

export const silentLogger: NbdLogger = { info: ignore, warn: ignore, error: ignore };
