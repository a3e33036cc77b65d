// Where the iSCSI device server keeps persistent reservations whose initiators asked for Persist
// Through Power Loss (APTPL): one metadata record per LU, `pr:<naa>`, written in the array's
// metadata store and flushed before the PERSISTENT RESERVE OUT is answered, so a restart (or a
// kill -9) restores what the cluster was told. Eradicated volumes keep no reservation: their
// records are ignored when the array starts (a destroyed volume, still recoverable, keeps its).

import type { BlockEngine } from '../engine/engine.js';
import type { ReservationStore, SavedReservations } from '../iscsi/scsi/reservations.js';
import type { ArrayState } from './array-state.js';
import { volumeNaa } from './iscsi-access.js';

const PREFIX = 'pr:';

interface ReservationRecord extends SavedReservations {
  kind: 'persistent-reservation';
}

export class ArrayReservationStore implements ReservationStore {
  constructor(
    private readonly engine: BlockEngine,
    private readonly state: ArrayState,
  ) {}

  load(): SavedReservations[] {
    const naas = new Set<string>();
    for (const volume of this.state.volumes.values())
      if (!volume.destroyed) naas.add(volumeNaa(volume.serial));
    const saved: SavedReservations[] = [];
    for (const { value } of this.engine.store.meta.getRange({ start: PREFIX, end: `${PREFIX}\uffff` })) {
      const record = value as ReservationRecord;
      if (record?.kind !== 'persistent-reservation' || !naas.has(record.naa)) continue;
      const { kind: _kind, ...state } = record;
      saved.push(state);
    }
    return saved;
  }

  async save(naa: string, state: SavedReservations | null): Promise<void> {
    const record: ReservationRecord | undefined = state
      ? { kind: 'persistent-reservation', ...state }
      : undefined;
    await this.engine.commitMeta(new Map([[`${PREFIX}${naa}`, record]]));
  }
}
