// The array's store for persistent reservations with APTPL: records survive closing and reopening
// the array, and only volumes that still exist get theirs back.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageArray } from '../../src/array/array.js';
import type { SavedReservations } from '../../src/array/iscsi/scsi/reservations.js';
import { volumeNaa } from '../../src/array/objects/iscsi-access.js';
import { ArrayReservationStore } from '../../src/array/objects/reservation-store.js';

test('reservation store: saved states come back after a reopen, for live volumes only; null forgets', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pr-store-'));
  try {
    let array = await StorageArray.open(dir, 'pr');
    const kept = await array.volumes.create('kept', 8 * 1024 * 1024);
    const gone = await array.volumes.create('gone', 8 * 1024 * 1024);
    const state = (naa: string): SavedReservations => ({
      naa,
      generation: 7,
      registrations: [['iqn.2026-11.test:node1,i,0x400001370000', 'abcd']],
      reservation: { holder: 'iqn.2026-11.test:node1,i,0x400001370000', type: 5 },
    });
    let store = new ArrayReservationStore(array.engine, array.state);
    await store.save(volumeNaa(kept.serial), state(volumeNaa(kept.serial)));
    await store.save(volumeNaa(gone.serial), state(volumeNaa(gone.serial)));
    await array.volumes.update(gone.name, { destroyed: true });
    await array.volumes.eradicate(gone.name);
    await array.close();

    array = await StorageArray.open(dir, 'pr');
    store = new ArrayReservationStore(array.engine, array.state);
    assert.deepEqual(store.load(), [state(volumeNaa(kept.serial))]);
    await store.save(volumeNaa(kept.serial), null);
    await array.close();

    array = await StorageArray.open(dir, 'pr');
    assert.deepEqual(new ArrayReservationStore(array.engine, array.state).load(), []);
    await array.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
