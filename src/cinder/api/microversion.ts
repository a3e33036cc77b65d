// Microversion negotiation (cinder/api/openstack/wsgi.py, api_version_request.py): the
// `OpenStack-API-Version: volume 3.N` header, absent meaning 3.0, `latest` meaning the maximum.

/** The volume API's range. 3.70 is the most cinderclient 9.1 and OSC 6.0 know (openstack-api.md §2.1). */
export const MICROVERSION_MIN: readonly [number, number] = [3, 0];
export const MICROVERSION_MAX: readonly [number, number] = [3, 70];
export const MICROVERSION_HEADER = 'openstack-api-version';
const SERVICE = 'volume';
/** Cinder's APIVersionRequest pattern: no leading zeros. */
const VERSION_PATTERN = /^([1-9]\d*)\.([1-9]\d*|0)$/;

export type Microversion = [number, number];

export type Negotiated =
  | { ok: true; version: Microversion }
  | { ok: false; status: 400 | 406; message: string };

export function formatVersion([major, minor]: readonly [number, number]): string {
  return `${major}.${minor}`;
}

export function compareVersions(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The version a request asks for, or why it cannot be served (400 malformed, 406 out of range). */
export function negotiateMicroversion(header: string | string[] | undefined): Negotiated {
  const requested = volumeEntry(header);
  if (requested === null) return { ok: true, version: [...MICROVERSION_MIN] as Microversion };
  if (requested.toLowerCase() === 'latest')
    return { ok: true, version: [...MICROVERSION_MAX] as Microversion };
  const match = VERSION_PATTERN.exec(requested);
  if (!match)
    return {
      ok: false,
      status: 400,
      message: `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`,
    };
  const version: Microversion = [Number(match[1]), Number(match[2])];
  if (compareVersions(version, MICROVERSION_MIN) < 0 || compareVersions(version, MICROVERSION_MAX) > 0)
    return {
      ok: false,
      status: 406,
      message: `Version ${requested} is not supported by the API. Minimum is ${formatVersion(MICROVERSION_MIN)} and maximum is ${formatVersion(MICROVERSION_MAX)}.`,
    };
  return { ok: true, version };
}

/** The version text of the header's `volume` entry ("compute 2.1, volume 3.5" -> "3.5"), or null. */
function volumeEntry(header: string | string[] | undefined): string | null {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return null;
  for (const entry of text.split(',')) {
    const words = entry.trim().split(/\s+/);
    if (words[0]?.toLowerCase() === SERVICE) return words.slice(1).join(' ');
  }
  return null;
}
