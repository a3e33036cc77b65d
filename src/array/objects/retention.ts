// Purity's retention policy for protection group snapshots: keep every snapshot for `allForSec`;
// after that, for `days` days, keep `perDay` snapshots a day (the newest one in each of `perDay`
// equal slots of the day); eradicate the rest. Pure function of the snapshot times and the clock.

import type { RetentionPolicy } from './model.js';

const DAY_MS = 24 * 3600 * 1000;

export interface Dated {
  id: string;
  createdMs: number;
}

/** Ids of the snapshots the policy keeps at `nowMs`; ids in `pinned` are always kept. */
export function retainedIds(
  snapshots: Dated[],
  policy: RetentionPolicy,
  nowMs: number,
  pinned: ReadonlySet<string> = new Set(),
): Set<string> {
  const keep = new Set<string>(pinned);
  const allForMs = policy.allForSec * 1000;
  const slotMs = policy.perDay > 0 ? DAY_MS / policy.perDay : DAY_MS;
  const newestPerSlot = new Map<number, Dated>();
  for (const snapshot of snapshots) {
    const ageMs = nowMs - snapshot.createdMs;
    if (ageMs < allForMs) {
      keep.add(snapshot.id);
      continue;
    }
    const sinceWindowMs = ageMs - allForMs;
    if (policy.perDay <= 0 || sinceWindowMs >= policy.days * DAY_MS) continue;
    const slot = Math.floor(sinceWindowMs / slotMs);
    const current = newestPerSlot.get(slot);
    if (!current || snapshot.createdMs > current.createdMs) newestPerSlot.set(slot, snapshot);
  }
  for (const snapshot of newestPerSlot.values()) keep.add(snapshot.id);
  return keep;
}
