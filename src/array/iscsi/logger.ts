// The logging surface the iSCSI transport needs: pino's (obj, msg) call shape, nothing more.

export interface IscsiLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const ignore = (): void => {};

export const silentLogger: IscsiLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
