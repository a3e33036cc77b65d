// Errors and warnings for reading cinder.conf. Every message names the file, the line, the section
// and the option, so an operator can go straight to the line; values of secret options never appear.

/** Stable codes: callers (the CLI, tests) branch on these, never on message text. */
export type CinderConfigErrorCode =
  | 'CINDER_CONFIG_UNREADABLE'
  | 'CINDER_CONFIG_SYNTAX'
  | 'CINDER_CONFIG_INVALID_VALUE'
  | 'CINDER_CONFIG_MISSING_SECTION'
  | 'CINDER_CONFIG_MISSING_OPTION';

/** Where in the file something was found; `null` parts are unknown or do not apply. */
export interface ConfigLocation {
  readonly fileName: string;
  readonly line: number | null;
  readonly section: string | null;
  readonly option: string | null;
}

/** `cinder.conf line 12: [puredriver-1] reserved_percentage: <reason>` (parts left out when unknown). */
export function formatConfigMessage(where: ConfigLocation, reason: string): string {
  const line = where.line === null ? '' : ` line ${where.line}`;
  const section = where.section === null ? '' : `[${where.section}] `;
  const option = where.option === null ? '' : `${where.option}: `;
  return `${where.fileName}${line}: ${section}${option}${reason}`;
}

/** The configuration cannot be used; the service must not start with it. */
export class CinderConfigError extends Error {
  constructor(
    readonly code: CinderConfigErrorCode,
    readonly where: ConfigLocation,
    readonly reason: string,
  ) {
    super(formatConfigMessage(where, reason));
    this.name = 'CinderConfigError';
  }
}

/** Something the service can run with but the operator should know about (ignored, defaulted). */
export interface CinderConfigWarning extends ConfigLocation {
  readonly reason: string;
  /** The whole sentence, as logged. */
  readonly message: string;
}

export function configWarning(where: ConfigLocation, reason: string): CinderConfigWarning {
  return { ...where, reason, message: formatConfigMessage(where, reason) };
}

/** Printable form of a value in a message: quoted, newlines shown, long values shortened. */
export function quoteValue(value: string, secret: boolean): string {
  if (secret) return "'***'";
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `'${shown.replace(/\n/g, '\\n')}'`;
}
