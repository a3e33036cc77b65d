/** Parses HOST:PORT (IPv6 as [addr]:port); throws a message that says what was expected. */
export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535)
    throw new Error(`${option} expects HOST:PORT (for example 127.0.0.1:8443), got "${value}"`);
  return { host: (match[1] ?? match[2])!, port };
}
