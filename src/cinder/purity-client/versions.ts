// REST version negotiation (spec purity-rest2.md §1.1, §1.5): the array lists its versions at
// GET /api/api_version (1.x and 2.x, ascending on real arrays); pypureclient walks the list from
// the end and takes the first it knows. This client knows 2.0 up to PURITY_CLIENT_VERSION_MAX and
// compares numerically rather than trusting the order (2.9 < 2.10, which text order gets wrong).

import { PURITY_CLIENT_VERSION_MAX } from './limits.js';

const VERSION_RE = /^(\d{1,4})\.(\d{1,4})$/;

function minorOf2x(version: string): number | null {
  const match = VERSION_RE.exec(version);
  if (match?.[1] !== '2') return null;
  return Number(match[2]);
}

const CLIENT_MINOR_MAX = minorOf2x(PURITY_CLIENT_VERSION_MAX)!;

/**
 * The version to speak: `pinned` when given (it must be offered and known), else the highest
 * 2.x the array offers that this client knows. A reason string when there is none.
 */
export function chooseVersion(
  offered: readonly string[],
  pinned?: string,
): { ok: true; version: string } | { ok: false; reason: string } {
  const usable = offered
    .map((v) => ({ v, minor: minorOf2x(v) }))
    .filter((e): e is { v: string; minor: number } => e.minor !== null && e.minor <= CLIENT_MINOR_MAX);
  if (pinned !== undefined) {
    if (usable.some((e) => e.v === pinned)) return { ok: true, version: pinned };
    return {
      ok: false,
      reason: `REST version ${pinned.slice(0, 20)} is not offered by the array or not known to this client (2.0-${PURITY_CLIENT_VERSION_MAX})`,
    };
  }
  if (usable.length === 0) {
    const shown = offered.slice(-5).join(', ').slice(0, 100);
    return {
      ok: false,
      reason: `the array offers no REST version in 2.0-${PURITY_CLIENT_VERSION_MAX} (its newest: ${shown})`,
    };
  }
  const best = usable.reduce((a, b) => (b.minor > a.minor ? b : a));
  return { ok: true, version: best.v };
}
