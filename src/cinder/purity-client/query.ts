// Query strings as pypureclient puts them on the wire (spec purity-rest2.md §2.2): list parameters
// are one CSV value whose elements are each percent-quoted like Python's `quote(x, safe='/')`, so
// `src:pg` travels as `src%3Apg` and `pod::vol` as `pod%3A%3Avol`; booleans are `true`/`false`;
// parameters left out (undefined or null) are not sent at all.

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;
export type QueryParams = Readonly<Record<string, QueryValue>>;

/**
 * Python's `urllib.parse.quote(text, safe='/')`: everything but letters, digits, `_.-~` and `/`
 * is percent-encoded as UTF-8. `encodeURIComponent` leaves `!'()*` alone, which Python encodes,
 * and encodes `/`, which Python keeps (names like `vg/vol` stay readable in logs).
 */
export function quote(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

function encodeValue(value: string | number | boolean | readonly string[]): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // A NaN or fractional limit would be refused by the array with a less helpful message.
    if (!Number.isFinite(value)) throw new RangeError(`query number ${value} is not finite`);
    return String(value);
  }
  if (typeof value === 'string') return quote(value);
  return value.map(quote).join(',');
}

/** `?a=1&names=x,y` (keys in the caller's order), or '' when nothing is sent. */
export function encodeQuery(params: QueryParams | undefined): string {
  if (!params) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    parts.push(`${quote(key)}=${encodeValue(value)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
